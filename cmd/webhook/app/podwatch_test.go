package app

import (
	"testing"
	"unsafe"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/strata-dev/strata/pkg/policy"
	"github.com/strata-dev/strata/test/fixtures"
)

// TestLeanPodKeepsWhatQuotaCounts: the lean pod keeps only the pod's key
// and what the tracker counts, and the tracker counts it exactly as the
// full pod, running or finished.
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

// TestCachedPodIsSmall: a lean pod stays a few hundred bytes (a streamed
// first list holds one per pod of the cluster).
func TestCachedPodIsSmall(t *testing.T) {
	if size := unsafe.Sizeof(cachedPod{}); size > 400 {
		t.Errorf("cachedPod is %d bytes", size)
	}
}

// TestPodWatchFeedsTheTracker: the pod watch's store keeps in the tracker
// what quota counts of each pod it is handed, as a pod or as the lean pod
// a streamed list holds: added, updated (a finished pod no longer counts),
// deleted, and replaced by a list, which also marks it synced.
func TestPodWatchFeedsTheTracker(t *testing.T) {
	w := &podWatch{tracker: policy.NewTracker()}
	executor := func(name string, phase corev1.PodPhase) *corev1.Pod {
		p := fixtures.Pod(t, "executor.yaml")
		p.Name, p.Status.Phase = name, phase
		return p
	}
	app := executor("x", corev1.PodRunning).Labels[policy.AppLabel]
	count := func(when string, want int64) {
		t.Helper()
		if got := w.tracker.AppExecutors("etl", app); got != want {
			t.Errorf("%s: %d executors counted, want %d", when, got, want)
		}
	}
	if w.synced.Load() {
		t.Fatal("synced before the first list")
	}
	lean, _ := leanPod(executor("b", corev1.PodRunning))
	if err := w.Replace([]any{executor("a", corev1.PodRunning), lean, executor("done", corev1.PodSucceeded), "not a pod"}, "1"); err != nil {
		t.Fatal(err)
	}
	count("listed", 2)
	if !w.synced.Load() {
		t.Error("not synced after the first list")
	}
	if err := w.Add(executor("c", corev1.PodPending)); err != nil {
		t.Fatal(err)
	}
	count("added", 3)
	if err := w.Update(executor("a", corev1.PodSucceeded)); err != nil {
		t.Fatal(err)
	}
	count("one finished", 2)
	if err := w.Delete(executor("b", corev1.PodRunning)); err != nil {
		t.Fatal(err)
	}
	count("one deleted", 1)
	if err := w.Replace([]any{executor("d", corev1.PodRunning)}, "2"); err != nil {
		t.Fatal(err)
	}
	count("listed again", 1)
	if _, held := w.tracker.Get("etl/c"); held {
		t.Error("a pod the new list does not hold is still counted")
	}
	if err := w.Resync(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Transformer()(executor("e", corev1.PodRunning)); err != nil {
		t.Fatal(err)
	}
}
