package policy

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
)

// exposureLayers hold what tenants may expose through the Spark Operator.
var exposureLayers = map[string]string{
	"iso": `{tier: ClusterOverrides, config: {isolation: {allowedServiceTypes: [NodePort], allowedIngressHosts: ["*.{{$appNamespace}}.spark.prod-a.internal"], reservedLabelPrefixes: [nginx.ingress.kubernetes.io/, strata.dev/]}}}`,
}

// TestAppExposureIsJudged: the Services and Ingresses the Spark Operator
// creates for an application's driver, with its own credentials, are held
// to allowedServiceTypes, allowedIngressHosts and reservedLabelPrefixes,
// each host read as the operator reads its URL format; an application
// that exposes nothing the layers do not allow is admitted.
func TestAppExposureIsJudged(t *testing.T) {
	c := tenantCheck(t, exposureLayers)
	const src = ` (ClusterOverrides layer "iso")`
	const hosts = `not a host tenants' Ingresses may serve; allowed: *.{{$appNamespace}}.spark.prod-a.internal` + src
	for name, tc := range map[string]struct{ spec, want string }{
		"nothing":            {`{}`, ``},
		"ClusterIP, written": {`{"sparkUIOptions": {"serviceType": "ClusterIP"}}`, ``},
		"an allowed type and the namespace's host": {
			`{"driverIngressOptions": [{"servicePort": 4041, "serviceType": "NodePort", "ingressURLFormat": "{{ $appName }}.{{$appNamespace}}.spark.prod-a.internal/ui", "ingressTLS": [{"hosts": ["a.etl.spark.prod-a.internal"], "secretName": "tls"}]}]}`,
			``},
		"a load balancer for the UI": {`{"sparkUIOptions": {"serviceType": "LoadBalancer"}}`,
			`isolation: spec.sparkUIOptions.serviceType "LoadBalancer": the Spark Operator would create a Service of that type for the application; allowed for tenants: ClusterIP, NodePort` + src},
		"a load balancer for a port": {`{"driverIngressOptions": [{"servicePort": 4041}, {"servicePort": 4042, "serviceType": "LoadBalancer"}]}`,
			`isolation: spec.driverIngressOptions[1].serviceType "LoadBalancer": the Spark Operator would create a Service of that type for the application; allowed for tenants: ClusterIP, NodePort` + src},
		"another namespace's host": {`{"driverIngressOptions": [{"servicePort": 4041, "ingressURLFormat": "{{$appName}}.geo.spark.prod-a.internal"}]}`,
			`isolation: spec.driverIngressOptions[0].ingressURLFormat: host "a.geo.spark.prod-a.internal", ` + hosts},
		"another's host, with a scheme, a user and a port": {`{"driverIngressOptions": [{"servicePort": 4041, "ingressURLFormat": "https://me@bank.example.com:443/login"}]}`,
			`isolation: spec.driverIngressOptions[0].ingressURLFormat: host "bank.example.com:443", ` + hosts},
		// The operator reads "//host" again after http://, as a path.
		"no host": {`{"driverIngressOptions": [{"servicePort": 4041, "ingressURLFormat": "//a.etl.spark.prod-a.internal"}]}`,
			`isolation: spec.driverIngressOptions[0].ingressURLFormat: "//a.etl.spark.prod-a.internal" names no host: its Ingress would serve every host no other Ingress claims, ` + hosts},
		"the Spark id": {`{"driverIngressOptions": [{"servicePort": 4041, "ingressURLFormat": "{{$appId}}.etl.spark.prod-a.internal"}]}`,
			`isolation: spec.driverIngressOptions[0].ingressURLFormat: "{{$appId}}.etl.spark.prod-a.internal" takes the application's Spark id ({{$appId}}), which the operator reads later from its pods' labels, ` + hosts},
		"the Spark id in the path": {`{"driverIngressOptions": [{"servicePort": 4041, "ingressURLFormat": "ui.etl.spark.prod-a.internal/{{$appId}}"}]}`, ``},
		"a certificate for others' hosts": {`{"sparkUIOptions": {"ingressTLS": [{"hosts": ["a.etl.spark.prod-a.internal", "*.example.com"]}]}}`,
			`isolation: spec.sparkUIOptions.ingressTLS[0].hosts[1]: host "*.example.com", ` + hosts},
		"the ingress controller's configuration": {`{"sparkUIOptions": {"ingressAnnotations": {"nginx.ingress.kubernetes.io/configuration-snippet": "x", "team": "a"}}}`,
			`isolation: spec.sparkUIOptions.ingressAnnotations["nginx.ingress.kubernetes.io/configuration-snippet"]: annotation "nginx.ingress.kubernetes.io/configuration-snippet" is reserved for the platform: the Spark Operator would write it with its own credentials, and only layers may set keys starting with "nginx.ingress.kubernetes.io/"` + src},
		"a reserved label on a port's Service": {`{"driverIngressOptions": [{"servicePort": 4041, "serviceLabels": {"strata.dev/tier": "gold"}}]}`,
			`isolation: spec.driverIngressOptions[0].serviceLabels["strata.dev/tier"]: label "strata.dev/tier" is reserved for the platform: the Spark Operator would write it with its own credentials, and only layers may set keys starting with "strata.dev/"` + src},
		// spark-submit creates the driver's own Service in the operator.
		"a reserved annotation on the driver's Service": {`{"driver": {"serviceAnnotations": {"strata.dev/tier": "gold", "team": "a"}}}`,
			`isolation: the driver's Service (spark.kubernetes.driver.service.annotation.strata.dev/tier): annotation "strata.dev/tier" is reserved for the platform: the Spark Operator would write it with its own credentials, and only layers may set keys starting with "strata.dev/"` + src},
		"a reserved label on the driver's Service, in sparkConf": {`{"sparkConf": {"spark.kubernetes.driver.service.label.strata.dev/tier": "gold"}}`,
			`isolation: the driver's Service (spark.kubernetes.driver.service.label.strata.dev/tier): label "strata.dev/tier" is reserved for the platform: the Spark Operator would write it with its own credentials, and only layers may set keys starting with "strata.dev/"` + src},
	} {
		t.Run(name, func(t *testing.T) {
			if got := appVerdict(t, c, exposingApp(t, c, tc.spec)); got != tc.want {
				t.Errorf("\n got %q\nwant %q", got, tc.want)
			}
		})
	}
	// Without the rules in force the operator may create any of them.
	free := tenantCheck(t, map[string]string{"none": `{tier: ClusterOverrides, config: {isolation: {allowedIAMRoles: ["**"]}}}`})
	wide := `{"sparkUIOptions": {"serviceType": "LoadBalancer", "ingressAnnotations": {"nginx.ingress.kubernetes.io/configuration-snippet": "x"}}, "driverIngressOptions": [{"servicePort": 4041, "ingressURLFormat": "/"}]}`
	if got := appVerdict(t, free, exposingApp(t, free, wide)); got != "" {
		t.Errorf("no rule in force: %q", got)
	}
	// A layer's key on the driver's Service is the platform's.
	layered := tenantCheck(t, map[string]string{"iso": exposureLayers["iso"],
		"svc": `{tier: ClusterOverrides, config: {sparkConf: {spark.kubernetes.driver.service.annotation.strata.dev/tier: platinum}}}`})
	if got := appVerdict(t, layered, exposingApp(t, layered, `{}`)); got != "" {
		t.Errorf("a layer's annotation of the driver's Service: %q", got)
	}
	// The rules are read with the application, from the executors'
	// composition: a driver block's applies to nothing, as the Layer
	// webhook warns (overlay.OtherRoleKeyWarnings).
	driverOnly := tenantCheck(t, map[string]string{"drv": `{tier: ClusterOverrides, driver: {isolation: {allowedServiceTypes: [ClusterIP], allowedIngressHosts: [a.example.com]}}}`})
	if got := appVerdict(t, driverOnly, exposingApp(t, driverOnly, wide)); got != "" {
		t.Errorf("the driver block's rules: %q", got)
	}
}

// exposingApp is app "a" of etl, its spec's fields from specJSON, composed
// by c's layers.
func exposingApp(t *testing.T, c *Check, specJSON string) *sparkv1beta2.SparkApplication {
	t.Helper()
	var spec map[string]any
	if err := json.Unmarshal([]byte(specJSON), &spec); err != nil {
		t.Fatal(err)
	}
	spec["mainApplicationFile"] = "local:///opt/app.jar"
	data, err := json.Marshal(map[string]any{"apiVersion": sparkv1beta2.APIVersion, "kind": sparkv1beta2.Kind,
		"metadata": map[string]any{"name": "a", "namespace": "etl"}, "spec": spec})
	if err != nil {
		t.Fatal(err)
	}
	in, err := sparkv1beta2.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	res, err := mutate.ComposeApp(c.Snapshot, c.Cluster, in)
	if err != nil {
		t.Fatal(err)
	}
	return &res.App.App
}

// TestConnectExposureIsJudged: a SparkConnect's server Service, which the
// operator creates as written but for its ports and selector, is held to
// the same rules, externalIPs among them.
func TestConnectExposureIsJudged(t *testing.T) {
	check, _ := exampleCheck(t)
	judge := func(service map[string]any) string {
		t.Helper()
		conn := exampleConnect(t, check, func(spec map[string]any) {
			spec["server"].(map[string]any)["service"] = service
		})
		d, err := check.Connect(context.Background(), conn, Request{Operation: "CREATE"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return violationText(d)
	}
	if got := judge(map[string]any{"metadata": map[string]any{"labels": map[string]any{"team": "notebooks"}}}); got != "" {
		t.Errorf("a ClusterIP Service of the team's labels: %q", got)
	}
	for name, tc := range map[string]struct {
		service map[string]any
		want    string
	}{
		"a load balancer": {map[string]any{"spec": map[string]any{"type": "LoadBalancer"}},
			`isolation: spec.server.service.spec.type "LoadBalancer": the Spark Operator would create a Service of that type for the application; allowed for tenants: ClusterIP`},
		"externalIPs": {map[string]any{"spec": map[string]any{"externalIPs": []any{"10.0.0.10"}}},
			`isolation: spec.server.service.spec.externalIPs 10.0.0.10: the Spark Operator would create a Service that takes the traffic the cluster sends to those addresses`},
		"a reserved annotation": {map[string]any{"metadata": map[string]any{"annotations": map[string]any{"strata.dev/tier": "gold"}}},
			`isolation: spec.server.service.metadata.annotations["strata.dev/tier"]: annotation "strata.dev/tier" is reserved for the platform`},
	} {
		if got := judge(tc.service); !strings.HasPrefix(got, tc.want) || strings.Contains(got, "\n") {
			t.Errorf("%s:\n got %q\nwant %q...", name, got, tc.want)
		}
	}
}

// TestScheduledExposureIsJudged: a ScheduledSparkApplication whose runs
// would have the operator expose their drivers beyond what the layers
// allow is refused when it is written, as each run would be.
func TestScheduledExposureIsJudged(t *testing.T) {
	check, _ := exampleCheck(t)
	raw := `{"apiVersion":"sparkoperator.k8s.io/v1beta2","kind":"ScheduledSparkApplication","metadata":{"name":"nightly","namespace":"etl"},
		"spec":{"schedule":"@daily","template":{"type":"Scala","mainApplicationFile":"local:///opt/app.jar","image":"mirror.prod-a.internal/apache/spark:3.5.3",
		"sparkUIOptions":{"serviceType":"NodePort"}}}}`
	run, _, err := sparkv1beta2.RunOf([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	res, err := mutate.ComposeApp(check.Snapshot, check.Cluster, run)
	if err != nil {
		t.Fatal(err)
	}
	d, err := check.ScheduledRun(context.Background(), sparkv1beta2.Schedule{Name: "nightly", Cron: "@daily"}, &res.App.App, Request{Operation: "CREATE"})
	if err != nil {
		t.Fatal(err)
	}
	const want = `isolation: spec.sparkUIOptions.serviceType "NodePort": the Spark Operator would create a Service of that type for the application; allowed for tenants: ClusterIP (ClusterOverrides layer "prod-a-overrides") (each run of ScheduledSparkApplication "nightly")`
	var got []string
	for _, v := range d.Violations {
		got = append(got, v.Message)
	}
	if !slices.Contains(got, want) {
		t.Errorf("got %q\nwant among them %q", got, want)
	}
}

// violationText is d's violations' messages, a line each.
func violationText(d Decision) string {
	var got []string
	for _, v := range d.Violations {
		got = append(got, v.Message)
	}
	return strings.Join(got, "\n")
}
