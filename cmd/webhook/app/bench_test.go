package app

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/strata-dev/strata/test/fixtures"
)

// BenchmarkPodMutator is one admission of the example driver inside the
// webhook: decode the AdmissionRequest's pod, compose, patch, metrics.
func BenchmarkPodMutator(b *testing.B) {
	h, _, store := newTestHandlers(b)
	store.swap(fixtures.Snapshot(b, "prod-a"))
	h.Cluster.Name, h.Cluster.Pool = "prod-a", "batch"
	pod := fixtures.Pod(b, "driver.yaml")
	raw, _ := json.Marshal(pod)
	req := rawRequest(raw, pod.Namespace)
	b.ReportAllocs()
	for b.Loop() {
		if resp := h.Handle(context.Background(), req); !resp.Allowed || len(resp.Patches) == 0 {
			b.Fatalf("unexpected response %v", resp.Result)
		}
	}
}
