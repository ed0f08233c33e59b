package mutate

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/test/fixtures"
)

// exampleInputs loads the bundled example repository and driver pod.
func exampleInputs(b *testing.B) (*overlay.Snapshot, *corev1.Pod) {
	b.Helper()
	return fixtures.Snapshot(b, "prod-a"), fixtures.Pod(b, "driver.yaml")
}

var exampleCluster = Cluster{Name: "prod-a", Pool: "batch"}

// BenchmarkCompose is the whole per-pod path of the webhook after decoding:
// select layers, fold, render, patch.
func BenchmarkCompose(b *testing.B) {
	snap, pod := exampleInputs(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compose(snap, exampleCluster, pod); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkComposeNoPatch is Compose without the patch, to show what the
// patch costs.
func BenchmarkComposeNoPatch(b *testing.B) {
	snap, pod := exampleInputs(b)
	b.ReportAllocs()
	for b.Loop() {
		res := snap.Compose(overlay.Target{Cluster: "prod-a", Pool: "batch", Namespace: pod.Namespace, Role: "driver"}, UserConfig(pod))
		out := pod.DeepCopy()
		renderMetadata(out, &res.Config, res.Layers)
		renderScheduling(out, &res.Config)
		renderTolerations(out, &res.Config)
		if err := renderPriority(out, pod.Spec.PriorityClassName, snap); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPatch is the patch alone: a generic diff of the whole pod.
func BenchmarkPatch(b *testing.B) {
	snap, pod := exampleInputs(b)
	res, err := Compose(snap, exampleCluster, pod)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Patch(pod, res.Pod); err != nil {
			b.Fatal(err)
		}
	}
}
