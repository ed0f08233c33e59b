package app

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/strata-dev/strata/pkg/policy"
	"github.com/strata-dev/strata/test/fixtures"
)

// TestLeanPodKeepsWhatQuotaCounts: the cache transform drops everything
// but what the tracker reads, and the tracker counts the lean pod exactly
// as the full one.
func TestLeanPodKeepsWhatQuotaCounts(t *testing.T) {
	full := fixtures.Pod(t, "executor.yaml")
	full.Spec.Overhead = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m")}
	full.Spec.InitContainers = append(full.Spec.InitContainers, corev1.Container{Name: "init", Image: "busybox",
		Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("3Gi")}}})
	full.Status.Phase = corev1.PodRunning
	full.DeletionTimestamp = &metav1.Time{}
	out, err := leanPod(full)
	if err != nil {
		t.Fatal(err)
	}
	lean := out.(*corev1.Pod)
	if got, want := policy.LivePodOf(lean), policy.LivePodOf(full); got != want {
		t.Errorf("lean pod counts %+v, the full one %+v", got, want)
	}
	if policy.HoldsResources(lean) != policy.HoldsResources(full) || lean.DeletionTimestamp == nil {
		t.Error("the lean pod lost its phase or deletion")
	}
	if len(lean.Annotations) != 0 || len(lean.Labels) != 2 || lean.Spec.Containers[0].Image != "" || len(lean.Spec.Containers[0].Env) != 0 {
		t.Errorf("the lean pod keeps more than quota reads: %+v", lean)
	}
	if other, _ := leanPod("not a pod"); other != "not a pod" {
		t.Error("a non-pod object was changed")
	}
}
