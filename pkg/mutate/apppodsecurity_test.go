package mutate

import (
	"strings"
	"testing"

	psaapi "k8s.io/pod-security-admission/api"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/test/fixtures"
)

// TestAppPodSecurityWarning: a SparkApplication created in a namespace
// that enforces a Pod Security level is warned, role by role, of the pods
// it launches that what the layers add breaks (the PodSecurity admission
// refuses them to the operator, not to the user), naming the layer; not
// of what it breaks itself, nor where nothing is enforced.
func TestAppPodSecurityWarning(t *testing.T) {
	const (
		privilegedSidecar = `{tier: ClusterOverrides, config: {sidecars: [{name: shipper, image: shipper:1, securityContext: {privileged: true}}]}}`
		executorHostNet   = `{tier: ClusterOverrides, match: {roles: [executor]}, config: {podPatch: {spec: {hostNetwork: true}}}}`
		compliantSidecar  = `{tier: ClusterOverrides, config: {sidecars: [{name: shipper, image: shipper:1}]}}`
	)
	baseline := map[string]string{psaapi.EnforceLevelLabel: "baseline"}
	for _, tc := range []struct {
		name    string
		layer   string
		level   map[string]string
		written func(*sparkv1beta2.SparkApplication)
		// want are the parts of each role's warning; a role not named has
		// none.
		want map[string][]string
		// podPatch: what breaks the level is a pod patch, which the
		// application never holds, so composing the composed application
		// warns again.
		podPatch bool
	}{
		{name: "a privileged sidecar under baseline", layer: privilegedSidecar, level: baseline,
			want: map[string][]string{
				"driver": {`driver: the pod it launches: Pod Security "baseline:latest" (enforced on namespace "etl") is broken by what the layers added: ` +
					`privileged (container "shipper" must not set securityContext.privileged=true); added: sidecar "shipper" (ClusterOverrides layer "l"). ` +
					`The API server's PodSecurity admission will refuse the pod unless its configuration exempts it`},
				"executor": {`executor: the pod it launches: Pod Security "baseline:latest"`, `sidecar "shipper" (ClusterOverrides layer "l")`},
			}},
		{name: "an executor's pod patch", layer: executorHostNet, level: baseline, podPatch: true,
			want: map[string][]string{"executor": {`host namespaces (hostNetwork=true)`, `added: the pod patch of ClusterOverrides layer "l"`}}},
		{name: "nothing enforced", layer: privilegedSidecar},
		{name: "privileged enforced", layer: privilegedSidecar, level: map[string]string{psaapi.EnforceLevelLabel: "privileged"}},
		{name: "what meets the level", layer: compliantSidecar, level: baseline},
		{name: "what the tenant broke itself", layer: compliantSidecar, level: baseline,
			written: func(app *sparkv1beta2.SparkApplication) {
				app.Spec.Driver.HostNetwork, app.Spec.Executor.HostNetwork = new(true), new(true)
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap := layerInLabelledEtl(t, tc.layer, tc.level)
			app := fixtures.App(t, "etl-report.yaml").App.DeepCopy()
			if tc.written != nil {
				tc.written(app)
			}
			res := composeTypedApp(t, snap, cluster, app)
			got := map[string][]string{}
			for _, w := range res.Warnings {
				if strings.Contains(w, "Pod Security") {
					role, _, _ := strings.Cut(w, ":")
					got[role] = append(got[role], w)
				}
			}
			for _, role := range []string{"driver", "executor"} {
				want := tc.want[role]
				switch {
				case len(want) == 0 && len(got[role]) > 0:
					t.Errorf("%s: warnings %q, want none of Pod Security", role, got[role])
				case len(want) > 0 && len(got[role]) != 1:
					t.Errorf("%s: warnings %q, want one of Pod Security", role, res.Warnings)
				case len(want) > 0:
					for _, part := range want {
						if !strings.Contains(got[role][0], part) {
							t.Errorf("%s: warning %q\nlacks %q", role, got[role][0], part)
						}
					}
				}
			}
			// Composing the composed application again warns of nothing
			// but pod patches: what else the layers added is now the
			// application's own.
			again, err := ComposeApp(snap, cluster, res.App)
			if err != nil {
				t.Fatal(err)
			}
			var warned []string
			for _, w := range again.Warnings {
				if strings.Contains(w, "Pod Security") {
					warned = append(warned, w)
				}
			}
			if tc.podPatch != (len(warned) > 0) {
				t.Errorf("composing the composed application warned %q, want a warning: %v", warned, tc.podPatch)
			}
		})
	}
}
