package policy

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/strata-dev/strata/pkg/mutate"
)

// TestServerDefaults: a container with only limits requests them, as the
// API server defaults it, so the composer's verdict on it is the
// webhook's: over maxPodCPU, denied.
func TestServerDefaults(t *testing.T) {
	check, pod := exampleCheck(t)
	spark := &pod.Spec.Containers[0]
	spark.Resources = corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("64")},
		Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")}}
	defaulted := ServerDefaults(pod)
	if got := defaulted.Spec.Containers[0].Resources.Requests; got.Cpu().String() != "64" || got.Memory().String() != "1Gi" {
		t.Errorf("requests = %v, want cpu 64 from the limit and the memory request kept", got)
	}
	if _, ok := pod.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU]; ok {
		t.Error("the input pod was changed")
	}
	composed, err := mutate.Compose(check.Snapshot, check.Cluster, defaulted)
	if err != nil {
		t.Fatal(err)
	}
	_, d, err := check.Pod(context.Background(), composed.Pod, Request{Operation: "CREATE"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.Allowed() {
		t.Error("a 64 CPU limit with no request was allowed: the API server would request 64")
	}
}
