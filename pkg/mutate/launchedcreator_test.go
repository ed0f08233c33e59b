package mutate

import (
	"maps"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	psadmission "k8s.io/pod-security-admission/admission/api"
	psaapi "k8s.io/pod-security-admission/api"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/fixtures"
)

func TestLaunchedPodCreator(t *testing.T) {
	withSA := &corev1.Pod{Spec: corev1.PodSpec{ServiceAccountName: "spark-etl"}}
	const operator = "system:serviceaccount:spark-operator:spark-operator-controller"
	known := Cluster{Name: "prod-a", Pool: "batch", SparkOperator: operator}
	for _, tc := range []struct {
		cluster Cluster
		role    v1alpha1.Role
		driver  *corev1.Pod
		want    string
	}{
		{known, v1alpha1.RoleExecutor, withSA, "system:serviceaccount:etl:spark-etl"},
		{known, v1alpha1.RoleExecutor, &corev1.Pod{}, "system:serviceaccount:etl:default"},
		{known, v1alpha1.RoleExecutor, nil, ""},
		{known, v1alpha1.RoleDriver, withSA, operator},
		{known, v1alpha1.RoleDriver, nil, operator},
		{cluster, v1alpha1.RoleDriver, withSA, ""},
		{cluster, v1alpha1.RoleExecutor, withSA, "system:serviceaccount:etl:spark-etl"},
	} {
		if got := tc.cluster.LaunchedPodCreator(tc.role, "etl", tc.driver); got != tc.want {
			t.Errorf("%s of %v in %+v: %q, want %q", tc.role, tc.driver, tc.cluster, got, tc.want)
		}
	}
}

func TestCheckUserName(t *testing.T) {
	for name, want := range map[string]string{
		"system:serviceaccount:spark-operator:spark-operator-controller": "",
		"system:serviceaccount:spark-operator:sa.with.dots":              "",
		"spark-operator":                  "",
		"system:kube-controller-manager":  "",
		"":                                "is not a user name",
		" system:serviceaccount:a:b":      "is not a user name",
		"system:serviceaccount:a:b\n":     "is not a user name",
		"system:serviceaccount:spark-op":  "want system:serviceaccount:NAMESPACE:NAME",
		"system:serviceaccount:a:b:c":     "want system:serviceaccount:NAMESPACE:NAME",
		"system:serviceaccount::b":        `namespace "": `,
		"system:serviceaccount:Spark:b":   `namespace "Spark": `,
		"system:serviceaccount:spark:":    `service account "": `,
		"system:serviceaccount:spark:B_1": `service account "B_1": `,
	} {
		err := CheckUserName(name)
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("CheckUserName(%q) = %v, want %q", name, err, want)
		}
	}
}

// TestLaunchedExecutorsOfAnExemptServiceAccount: the PodSecurity
// admission's configuration exempts the service account a driver (or a
// Connect server) runs as, which creates the executors: what a layer adds
// to them is not warned of; the driver, which the operator creates, is,
// unless the cluster names the operator's user and the configuration
// exempts it. Another service account exempt spares neither.
func TestLaunchedExecutorsOfAnExemptServiceAccount(t *testing.T) {
	const privilegedSidecar = `{tier: ClusterOverrides, config: {sidecars: [{name: shipper, image: shipper:1, securityContext: {privileged: true}}]}}`
	const operator = "system:serviceaccount:spark-operator:spark-operator-controller"
	baseline := map[string]string{psaapi.EnforceLevelLabel: "baseline"}
	exempting := func(users ...string) *psadmission.PodSecurityConfiguration {
		return &psadmission.PodSecurityConfiguration{Exemptions: psadmission.PodSecurityExemptions{Usernames: users}}
	}
	warned := func(warnings []string) map[string]bool {
		out := map[string]bool{}
		for _, w := range warnings {
			if who, _, ok := strings.Cut(w, ": "); ok && strings.Contains(w, "Pod Security") {
				out[who] = true
			}
		}
		return out
	}
	withOperator := cluster
	withOperator.SparkOperator = operator
	for _, tc := range []struct {
		name         string
		exempt       []string
		cluster      Cluster
		app, connect map[string]bool
	}{
		// etl-report's driver runs as spark-etl; the SparkConnect's server
		// names none: the namespace's default.
		{"driver's service account", []string{"system:serviceaccount:etl:spark-etl"}, cluster,
			map[string]bool{"driver": true}, map[string]bool{"the server pod": true, "an executor pod": true}},
		{"default service account", []string{"system:serviceaccount:etl:default"}, cluster,
			map[string]bool{"driver": true, "executor": true}, map[string]bool{"the server pod": true}},
		{"another namespace's", []string{"system:serviceaccount:geo:spark-etl"}, cluster,
			map[string]bool{"driver": true, "executor": true}, map[string]bool{"the server pod": true, "an executor pod": true}},
		{"the operator, not known", []string{operator}, cluster,
			map[string]bool{"driver": true, "executor": true}, map[string]bool{"the server pod": true, "an executor pod": true}},
		{"the operator, known", []string{operator}, withOperator,
			map[string]bool{"executor": true}, map[string]bool{"an executor pod": true}},
		{"the operator, known, and the default service account", []string{operator, "system:serviceaccount:etl:default"}, withOperator,
			map[string]bool{"executor": true}, map[string]bool{}},
		{"another user than the operator", []string{"system:serviceaccount:spark-operator:other"}, withOperator,
			map[string]bool{"driver": true, "executor": true}, map[string]bool{"the server pod": true, "an executor pod": true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap := layerInEtl(t, privilegedSidecar, baseline, exempting(tc.exempt...))
			app := composeTypedApp(t, snap, tc.cluster, fixtures.App(t, "etl-report.yaml").App.DeepCopy())
			if got := warned(app.Warnings); !maps.Equal(got, tc.app) {
				t.Errorf("SparkApplication: warned of %v, want %v: %q", got, tc.app, app.Warnings)
			}
			conn, err := ComposeConnect(snap, tc.cluster, connectJSON(t, nil), "")
			if err != nil {
				t.Fatal(err)
			}
			if got := warned(conn.Warnings); !maps.Equal(got, tc.connect) {
				t.Errorf("SparkConnect: warned of %v, want %v: %q", got, tc.connect, conn.Warnings)
			}
		})
	}
}
