package mutate

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/test/fixtures"
)

// TestAppPlacementWarning: a SparkApplication in a namespace pinned to a
// node selector is warned, role by role, of the pods it launches whose
// node selector the layers set against the namespace's (PodNodeSelector
// refuses them to the operator, not to the user); not of a default, which
// the namespace's selector keeps from its key as it does for a pod, nor
// of the namespace's own value, nor of what the application wrote
// itself, nor where the namespace is not pinned. The namespace's selector
// is never written into the application.
func TestAppPlacementWarning(t *testing.T) {
	pinned := map[string]string{overlay.NamespaceNodeSelectorAnnotation: "pool=core"}
	for _, tc := range []struct {
		name        string
		layer       string
		annotations map[string]string
		written     func(*sparkv1beta2.SparkApplication)
		// roles are those warned of.
		roles []string
	}{
		{name: "an executors' override", layer: `{tier: ClusterOverrides, executor: {nodeSelector: {pool: batch}}}`, annotations: pinned, roles: []string{"executor"}},
		{name: "an override of both", layer: `{tier: ClusterOverrides, config: {nodeSelector: {pool: batch}}}`, annotations: pinned, roles: []string{"driver", "executor"}},
		// The namespace's selector is given before any webhook: a default
		// does not fill its key, in the application or the pod.
		{name: "a default", layer: `{tier: ClusterDefaults, config: {nodeSelector: {pool: batch}}}`, annotations: pinned},
		{name: "the namespace's own value", layer: `{tier: ClusterOverrides, config: {nodeSelector: {pool: core}}}`, annotations: pinned},
		{name: "not pinned", layer: `{tier: ClusterOverrides, config: {nodeSelector: {pool: batch}}}`},
		{name: "the application's own", layer: `{tier: ClusterOverrides, config: {nodeSelector: {zone: a}}}`, annotations: pinned,
			written: func(app *sparkv1beta2.SparkApplication) { app.Spec.NodeSelector = map[string]string{"pool": "batch"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap := layerInAnnotatedEtl(t, tc.layer, tc.annotations)
			app := fixtures.App(t, "etl-report.yaml").App.DeepCopy()
			if tc.written != nil {
				tc.written(app)
			}
			res := composeTypedApp(t, snap, cluster, app)
			var got []string
			for _, w := range res.Warnings {
				if strings.Contains(w, "the pod it launches: The API server will refuse the pod for what the layers set of its placement") {
					if !strings.Contains(w, `PodNodeSelector: node selector pool=batch conflicts with the namespace's pool=core`) {
						t.Errorf("warning %q lacks the conflict", w)
					}
					role, _, _ := strings.Cut(w, ":")
					got = append(got, role)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.roles, ",") {
				t.Errorf("warned of %q, want %q: %q", got, tc.roles, res.Warnings)
			}
			// The namespace's value is not the user's to be told was
			// overridden.
			for _, w := range res.Warnings {
				if strings.Contains(w, `"core" overridden by`) {
					t.Errorf("warned %q", w)
				}
			}
			// The namespace's own selector is never written into the
			// application.
			s := &res.App.App.Spec
			for where, sel := range map[string]map[string]string{"spec": s.NodeSelector, "driver": s.Driver.NodeSelector, "executor": s.Executor.NodeSelector} {
				if v, ok := sel["pool"]; ok && v == "core" {
					t.Errorf("%s.nodeSelector: the namespace's pool=core written into the application", where)
				}
			}
		})
	}
}

// TestConnectPlacementWarning: a SparkConnect in a namespace pinned to a
// node selector is warned of the pods it launches (its server's and its
// executors') whose node selector the layers set against the namespace's;
// not of a default, nor of the namespace's own value, nor where the
// namespace is not pinned.
func TestConnectPlacementWarning(t *testing.T) {
	pinned := map[string]string{overlay.NamespaceNodeSelectorAnnotation: "pool=core"}
	const conflict = `The API server will refuse the pod for what the layers set of its placement in namespace "etl": PodNodeSelector: node selector pool=batch conflicts with the namespace's pool=core`
	for _, tc := range []struct {
		name        string
		layer       string
		annotations map[string]string
		// who are those warned of.
		who []string
	}{
		{name: "an override of both", layer: `{tier: ClusterOverrides, config: {nodeSelector: {pool: batch}}}`, annotations: pinned, who: []string{"the server pod", "an executor pod"}},
		{name: "an executors' override", layer: `{tier: ClusterOverrides, match: {roles: [executor]}, config: {nodeSelector: {pool: batch}}}`, annotations: pinned, who: []string{"an executor pod"}},
		{name: "a default", layer: `{tier: ClusterDefaults, config: {nodeSelector: {pool: batch}}}`, annotations: pinned},
		{name: "the namespace's own value", layer: `{tier: ClusterOverrides, config: {nodeSelector: {pool: core}}}`, annotations: pinned},
		{name: "not pinned", layer: `{tier: ClusterOverrides, config: {nodeSelector: {pool: batch}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap := layerInAnnotatedEtl(t, tc.layer, tc.annotations)
			res, err := ComposeConnect(snap, cluster, connectJSON(t, nil), "")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range res.Warnings {
				if who, rest, ok := strings.Cut(w, ": "); ok && strings.HasPrefix(rest, "The API server will refuse") {
					if rest != conflict {
						t.Errorf("warning %q, want %q", rest, conflict)
					}
					got = append(got, who)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.who, ",") {
				t.Errorf("warned of %q, want %q: %q", got, tc.who, res.Warnings)
			}
		})
	}
}

// layerInAnnotatedEtl compiles Layer l (a spec) with the etl Namespace
// annotated with annotations.
func layerInAnnotatedEtl(t *testing.T, layer string, annotations map[string]string) *overlay.Snapshot {
	t.Helper()
	in := fixtures.InputsOf(t, map[string]string{"l": layer})
	in.Namespaces = []corev1.Namespace{{ObjectMeta: metav1.ObjectMeta{Name: "etl", Annotations: annotations}}}
	snap, err := overlay.Compile(in)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}
