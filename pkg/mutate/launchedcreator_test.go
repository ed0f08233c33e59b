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
	for _, tc := range []struct {
		role   v1alpha1.Role
		driver *corev1.Pod
		want   string
	}{
		{v1alpha1.RoleExecutor, withSA, "system:serviceaccount:etl:spark-etl"},
		{v1alpha1.RoleExecutor, &corev1.Pod{}, "system:serviceaccount:etl:default"},
		{v1alpha1.RoleExecutor, nil, ""},
		{v1alpha1.RoleDriver, withSA, ""},
	} {
		if got := LaunchedPodCreator(tc.role, "etl", tc.driver); got != tc.want {
			t.Errorf("%s of %v: %q, want %q", tc.role, tc.driver, got, tc.want)
		}
	}
}

// TestLaunchedExecutorsOfAnExemptServiceAccount: the PodSecurity
// admission's configuration exempts the service account a driver (or a
// Connect server) runs as, which creates the executors: what a layer adds
// to them is not warned of; the driver, which the operator creates, is.
// Another service account exempt spares neither.
func TestLaunchedExecutorsOfAnExemptServiceAccount(t *testing.T) {
	const privilegedSidecar = `{tier: ClusterOverrides, config: {sidecars: [{name: shipper, image: shipper:1, securityContext: {privileged: true}}]}}`
	baseline := map[string]string{psaapi.EnforceLevelLabel: "baseline"}
	exempting := func(user string) *psadmission.PodSecurityConfiguration {
		return &psadmission.PodSecurityConfiguration{Exemptions: psadmission.PodSecurityExemptions{Usernames: []string{user}}}
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
	for _, tc := range []struct {
		exempt       string
		app, connect map[string]bool
	}{
		// etl-report's driver runs as spark-etl; the SparkConnect's server
		// names none: the namespace's default.
		{"system:serviceaccount:etl:spark-etl", map[string]bool{"driver": true}, map[string]bool{"the server pod": true, "an executor pod": true}},
		{"system:serviceaccount:etl:default", map[string]bool{"driver": true, "executor": true}, map[string]bool{"the server pod": true}},
		{"system:serviceaccount:geo:spark-etl", map[string]bool{"driver": true, "executor": true}, map[string]bool{"the server pod": true, "an executor pod": true}},
	} {
		t.Run(tc.exempt, func(t *testing.T) {
			snap := layerInEtl(t, privilegedSidecar, baseline, exempting(tc.exempt))
			app := composeTypedApp(t, snap, cluster, fixtures.App(t, "etl-report.yaml").App.DeepCopy())
			if got := warned(app.Warnings); !maps.Equal(got, tc.app) {
				t.Errorf("SparkApplication: warned of %v, want %v: %q", got, tc.app, app.Warnings)
			}
			conn, err := ComposeConnect(snap, cluster, connectJSON(t, nil), "")
			if err != nil {
				t.Fatal(err)
			}
			if got := warned(conn.Warnings); !maps.Equal(got, tc.connect) {
				t.Errorf("SparkConnect: warned of %v, want %v: %q", got, tc.connect, conn.Warnings)
			}
		})
	}
}
