package app

import (
	"testing"
	"unsafe"

	"k8s.io/client-go/rest"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/strata-dev/strata/pkg/policy"
	"github.com/strata-dev/strata/test/fixtures"
)

// TestLeanPodKeepsWhatQuotaCounts: the cache transform keeps only the
// pod's key and what the tracker counts, and the tracker counts it exactly
// as the full pod, running or finished.
func TestLeanPodKeepsWhatQuotaCounts(t *testing.T) {
	full := fixtures.Pod(t, "executor.yaml")
	full.Spec.Overhead = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m")}
	full.Spec.InitContainers = append(full.Spec.InitContainers, corev1.Container{Name: "init", Image: "busybox",
		Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("3Gi")}}})
	for _, phase := range []corev1.PodPhase{corev1.PodRunning, corev1.PodSucceeded} {
		full.Status.Phase = phase
		out, err := leanPod(full)
		if err != nil {
			t.Fatal(err)
		}
		lean, ok := out.(*cachedPod)
		if !ok {
			t.Fatalf("the transform gave a %T", out)
		}
		if got, want := lean.livePod(), policy.LivePodOf(full); got != want {
			t.Errorf("lean pod counts %+v, the full one %+v", got, want)
		}
		if lean.holds != policy.HoldsResources(full) {
			t.Errorf("%s: the lean pod holds resources: %v", phase, lean.holds)
		}
		if lean.Name != full.Name || lean.Namespace != full.Namespace || len(lean.Labels) != 0 || len(lean.Annotations) != 0 {
			t.Errorf("the lean pod keeps more than its key: %+v", lean.ObjectMeta)
		}
	}
	if other, _ := leanPod("not a pod"); other != "not a pod" {
		t.Error("a non-pod object was changed")
	}
}

// TestCachedPodIsSmall: what the webhook keeps per cached pod stays a few
// hundred bytes (it caches every pod of the cluster).
func TestCachedPodIsSmall(t *testing.T) {
	if size := unsafe.Sizeof(cachedPod{}); size > 400 {
		t.Errorf("cachedPod is %d bytes", size)
	}
}

// TestClientAsksForNoCompression: the webhook's client does not ask the
// API server to gzip its watches and lists, and the caller's config is
// left as it was.
func TestClientAsksForNoCompression(t *testing.T) {
	cfg := &rest.Config{Host: "https://127.0.0.1:1"}
	if !clientConfig(cfg).DisableCompression {
		t.Error("the webhook's client asks for compressed responses")
	}
	if cfg.DisableCompression {
		t.Error("clientConfig changed the caller's config")
	}
}
