package mutatingpolicy

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/overlay"
)

// FuzzAdmit: whatever pod a tenant writes, policies that read and patch
// it apply or refuse it, on both passes, and never panic; the pod keeps
// its name and namespace.
func FuzzAdmit(f *testing.F) {
	stamp := policy("stamp", applyConfiguration(`Object{metadata: Object.metadata{labels: {"stamped": "yes"}}}`))
	copyLabel := policy("copy", jsonPatch(`has(object.metadata.labels) && "team" in object.metadata.labels ? [JSONPatch{op: "add", path: "/metadata/annotations", value: {"team": object.metadata.labels["team"]}}] : []`))
	count := policy("count", applyConfiguration(`Object{metadata: Object.metadata{annotations: {"containers": string(size(object.spec.containers))}}}`))
	count.Spec.ReinvocationPolicy = admissionregistrationv1.IfNeededReinvocationPolicy
	a, err := New(context.Background(), overlay.MutatingPolicies{Policies: []admissionregistrationv1.MutatingAdmissionPolicy{stamp, copyLabel, count},
		Bindings: []admissionregistrationv1.MutatingAdmissionPolicyBinding{binding("stamp", "stamp", nil), binding("copy", "copy", nil), binding("count", "count", nil)}},
		[]corev1.Namespace{namespace("etl", nil)}, nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	defer a.Close()
	seed, _ := json.Marshal(testPod("etl"))
	f.Add(seed)
	f.Add([]byte(`{"metadata":{"name":"p","namespace":"etl","labels":{"team":"a"},"annotations":{"x":"y"}},"spec":{"containers":[]}}`))
	f.Add([]byte(`{"metadata":{"name":"p","namespace":"etl"},"spec":{"containers":[{"name":"a","ports":[{"containerPort":1},{"containerPort":1}]}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var pod corev1.Pod
		if json.Unmarshal(data, &pod) != nil {
			return
		}
		pod.Namespace = "etl"
		c := a.CreatePod(&pod, "")
		got, err := c.Admit(context.Background())
		if err != nil {
			var r *RefusedError
			if !errors.As(err, &r) {
				t.Fatalf("not a refusal: %v", err)
			}
			return
		}
		if got.Name != pod.Name || got.Namespace != pod.Namespace {
			t.Fatalf("renamed: %s/%s", got.Namespace, got.Name)
		}
		got.Spec.Containers = append(got.Spec.Containers, corev1.Container{Name: "sidecar"})
		if _, err := c.Reinvoke(context.Background(), got); err != nil {
			var r *RefusedError
			if !errors.As(err, &r) {
				t.Fatalf("not a refusal: %v", err)
			}
		}
	})
}
