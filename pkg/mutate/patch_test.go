package mutate

import (
	"encoding/json"
	"fmt"
	"testing"

	"gomodules.xyz/jsonpatch/v2"
	corev1 "k8s.io/api/core/v1"
)

// TestPatchMatchesTheGenericDiff holds Patch, which diffs environment
// lists itself, to the generic JSON diff, byte for byte, on the cases
// composition produces and on those it leaves to the generic diff.
func TestPatchMatchesTheGenericDiff(t *testing.T) {
	env := func(n int, prefix string) []corev1.EnvVar {
		var out []corev1.EnvVar
		for i := range n {
			out = append(out, corev1.EnvVar{Name: fmt.Sprintf("%s%d", prefix, i), Value: "v"})
		}
		return out
	}
	pod := func(envs ...[]corev1.EnvVar) *corev1.Pod {
		p := &corev1.Pod{}
		for i, e := range envs {
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: fmt.Sprintf("c%d", i), Image: "i", Env: e})
		}
		return p
	}
	fieldRef := corev1.EnvVar{Name: "NODE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}}
	tests := map[string]struct{ before, after *corev1.Pod }{
		"appended":          {pod(env(3, "A")), pod(append(env(3, "A"), fieldRef, corev1.EnvVar{Name: "X", Value: "y"}))},
		"changed in place":  {pod(env(3, "A")), pod(append(env(2, "A"), corev1.EnvVar{Name: "A2", Value: "other"}))},
		"changed to a ref":  {pod(env(3, "A")), pod(append(env(2, "A"), corev1.EnvVar{Name: "A2", ValueFrom: fieldRef.ValueFrom}))},
		"changed and added": {pod(env(12, "A")), pod(append(append(env(10, "A"), corev1.EnvVar{Name: "A10", Value: "w"}, corev1.EnvVar{Name: "A11"}), env(12, "B")...))},
		"from none":         {pod(nil), pod(env(2, "A"))},
		"shortened":         {pod(env(4, "A")), pod(env(2, "A"))},
		"to none":           {pod(env(2, "A")), pod(nil)},
		"two containers":    {pod(env(2, "A"), env(1, "B")), pod(append(env(2, "A"), fieldRef), env(3, "B"))},
		"container added":   {pod(env(2, "A")), pod(env(3, "A"), env(1, "B"))},
		"container renamed": {pod(env(2, "A")), func() *corev1.Pod { p := pod(env(3, "A")); p.Spec.Containers[0].Name = "x"; return p }()},
		"unchanged":         {pod(env(2, "A")), pod(env(2, "A"))},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := Patch(tt.before, tt.after)
			if err != nil {
				t.Fatal(err)
			}
			want, err := genericPatch(tt.before, tt.after)
			if err != nil {
				t.Fatal(err)
			}
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			if string(g) != string(w) {
				t.Errorf("Patch\n%s\ngeneric diff\n%s", g, w)
			}
		})
	}
}

// genericPatch is the diff of the two pods as JSON, canonically ordered:
// the test oracle of Patch and regionPatch.
func genericPatch(before, after *corev1.Pod) ([]jsonpatch.Operation, error) {
	return genericDiffAt("", before, after)
}

// TestPatchKeepsTheDeprecatedServiceAccount: a pod that also names its
// service account in the deprecated field (as the API server stores it)
// gets both replaced by a layer's, in the patch as in the generic diff.
func TestPatchKeepsTheDeprecatedServiceAccount(t *testing.T) {
	snap := snapshotOf(t, map[string]string{"sa": `{tier: ClusterOverrides, config: {serviceAccountName: spark}}`})
	pod := sparkPod("executor")
	pod.Spec.ServiceAccountName, pod.Spec.DeprecatedServiceAccount = "mine", "mine" //nolint:staticcheck // as the API server stores a pod
	res, err := Compose(snap, cluster, pod)
	if err != nil {
		t.Fatal(err)
	}
	if res.Pod.Spec.DeprecatedServiceAccount != "spark" { //nolint:staticcheck // kept equal, as the API server does
		t.Errorf("the deprecated field holds %q, want spark", res.Pod.Spec.DeprecatedServiceAccount) //nolint:staticcheck
	}
	want, err := genericPatch(pod, res.Pod)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := json.Marshal(res.Patch)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("Patch\n%s\ngeneric diff\n%s", g, w)
	}
}
