package policy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1alpha1"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
)

// objectsOf is an OwnerLookup of the objects of namespace etl held in m,
// "Kind/name" to its controller (nil for none).
func objectsOf(m map[string]*metav1.OwnerReference) OwnerLookup {
	return func(_ context.Context, kind schema.GroupVersionKind, namespace, name string) (*metav1.OwnerReference, bool, error) {
		if namespace != "etl" {
			return nil, false, nil
		}
		owner, ok := m[kind.Kind+"/"+name]
		return owner, ok, nil
	}
}

// controller is a controller reference to an object of the Spark
// Operator's group, or of apps/v1 when kind is Deployment.
func controller(kind, name string) *metav1.OwnerReference {
	apiVersion := sparkv1beta2.APIVersion
	if kind == "Deployment" {
		apiVersion = "apps/v1"
	}
	return &metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: name, Controller: new(true)}
}

// TestAppTakeover: an application whose Services or Ingresses, as the
// operator names them, exist in its namespace and are not its own is
// refused, naming the object; one that is the application's (an update,
// the operator's object of the same application) is not; an object that
// cannot be read fails the check, never lets it through.
func TestAppTakeover(t *testing.T) {
	c := tenantCheck(t, map[string]string{})
	app := exposingApp(t, c, `{"driverIngressOptions": [{"servicePort": 4041, "ingressURLFormat": "/ui"}, {"servicePort": 4042}]}`)
	const prefix = `isolation: SparkApplication "a": `
	const rest = ` exists in namespace "etl" and is not the SparkApplication's: the Spark Operator would take it over with its own credentials and delete it with the SparkApplication`
	for name, tc := range map[string]struct {
		objects map[string]*metav1.OwnerReference
		want    string
	}{
		"none":                    {nil, ""},
		"the application's own":   {map[string]*metav1.OwnerReference{"Service/a-ui-svc": controller("SparkApplication", "a")}, ""},
		"the UI's, of no owner":   {map[string]*metav1.OwnerReference{"Service/a-ui-svc": nil}, prefix + `Service "a-ui-svc" (the UI's)` + rest},
		"another application's":   {map[string]*metav1.OwnerReference{"Ingress/a-ui-ingress": controller("SparkApplication", "b")}, prefix + `Ingress "a-ui-ingress" (the UI's)` + rest},
		"a Deployment's":          {map[string]*metav1.OwnerReference{"Service/a-driver-4042": controller("Deployment", "a")}, prefix + `Service "a-driver-4042" (spec.driverIngressOptions[1])` + rest},
		"a port's Ingress":        {map[string]*metav1.OwnerReference{"Ingress/a-ing-4041": nil}, prefix + `Ingress "a-ing-4041" (spec.driverIngressOptions[0])` + rest},
		"an Ingress of no format": {map[string]*metav1.OwnerReference{"Ingress/a-ing-4042": nil}, ""},
		"a SparkConnect's of the name": {map[string]*metav1.OwnerReference{"Service/a-ui-svc": {APIVersion: "sparkoperator.k8s.io/v1alpha1", Kind: "SparkConnect", Name: "a", Controller: new(true)}},
			prefix + `Service "a-ui-svc" (the UI's)` + rest},
	} {
		c.Owners = objectsOf(tc.objects)
		if got := appVerdict(t, c, app); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", name, got, tc.want)
		}
	}
	c.Owners = func(context.Context, schema.GroupVersionKind, string, string) (*metav1.OwnerReference, bool, error) {
		return nil, false, errors.New("services is forbidden")
	}
	if _, _, err := c.App(context.Background(), app, Request{Operation: "CREATE"}, nil); err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Errorf("an object that cannot be read: %v, want the error", err)
	}
}

// TestOperatorName: the names the operator makes of an application's,
// hashed within 63 characters as its generateName hashes them.
func TestOperatorName(t *testing.T) {
	for name, want := range map[string]string{
		"a":                     "a-ui-svc",
		strings.Repeat("a", 56): strings.Repeat("a", 56) + "-ui-svc",
		strings.Repeat("a", 60): strings.Repeat("a", 47) + "-9df9eea7-ui-svc", // md5 of the 67-character name, computed apart
	} {
		if got := operatorName(name, "ui-svc"); got != want {
			t.Errorf("operatorName(%d characters) = %q, want %q", len(name), got, want)
		}
	}
}

// TestConnectTakeover: a SparkConnect's server Service, of the name the
// tenant writes or the operator's, is refused where one of the name exists
// and is not the SparkConnect's.
func TestConnectTakeover(t *testing.T) {
	check, _ := exampleCheck(t)
	judge := func(service map[string]any, objects map[string]*metav1.OwnerReference) string {
		t.Helper()
		conn := exampleConnect(t, check, func(spec map[string]any) {
			if service != nil {
				spec["server"].(map[string]any)["service"] = service
			}
		})
		conn.Metadata.Namespace = "etl"
		c := *check
		c.Owners = objectsOf(objects)
		d, err := c.Connect(context.Background(), conn, Request{Operation: "CREATE", Namespace: "etl"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return violationText(d)
	}
	conn := exampleConnect(t, check, nil)
	named := map[string]any{"metadata": map[string]any{"name": "metrics"}}
	if got := judge(named, map[string]*metav1.OwnerReference{"Service/metrics": {APIVersion: "sparkoperator.k8s.io/v1alpha1", Kind: sparkv1alpha1.Kind, Name: conn.Metadata.Name, Controller: new(true)}}); got != "" {
		t.Errorf("the SparkConnect's own Service: %q", got)
	}
	want := `isolation: SparkConnect "` + conn.Metadata.Name + `": Service "metrics" (spec.server.service.metadata.name) exists in namespace "etl" and is not the SparkConnect's`
	if got := judge(named, map[string]*metav1.OwnerReference{"Service/metrics": nil}); !strings.HasPrefix(got, want) {
		t.Errorf("a Service of the tenant's naming:\n got %q\nwant %q...", got, want)
	}
	want = `isolation: SparkConnect "` + conn.Metadata.Name + `": Service "` + conn.Metadata.Name + `-server" (the server's) exists`
	if got := judge(nil, map[string]*metav1.OwnerReference{"Service/" + conn.Metadata.Name + "-server": controller("Deployment", "x")}); !strings.HasPrefix(got, want) {
		t.Errorf("a Service of the operator's naming:\n got %q\nwant %q...", got, want)
	}
}

// TestTakeoverReadsAreBounded: an application naming thousands of driver
// ingresses is refused without a read per Service (one application may
// not have the webhook read the API server thousands of times); repeated
// ports are read once.
func TestTakeoverReadsAreBounded(t *testing.T) {
	c := tenantCheck(t, map[string]string{})
	var reads atomic.Int64
	c.Owners = func(context.Context, schema.GroupVersionKind, string, string) (*metav1.OwnerReference, bool, error) {
		reads.Add(1)
		return nil, false, nil
	}
	options := make([]string, 0, 5000)
	for i := range 5000 {
		options = append(options, fmt.Sprintf(`{"servicePort": %d, "ingressURLFormat": "/%d"}`, 1000+i, i))
	}
	app := exposingApp(t, c, `{"driverIngressOptions": [`+strings.Join(options, ",")+`]}`)
	want := `isolation: SparkApplication "a": the Spark Operator would create 10002 Services and Ingresses for it (spec.driverIngressOptions); at most 64 are read to judge whether it would take one over`
	if got := appVerdict(t, c, app); got != want || reads.Load() != 0 {
		t.Errorf("5,000 driver ingresses: %d reads, %q", reads.Load(), got)
	}
	repeated := exposingApp(t, c, `{"driverIngressOptions": [`+strings.Repeat(`{"servicePort": 4041},`, 100)+`{"servicePort": 4041}]}`)
	if got := appVerdict(t, c, repeated); got != "" || reads.Load() != 3 {
		t.Errorf("one port 101 times: %d reads (want the UI's two and the port's Service), %q", reads.Load(), got)
	}
}
