package app

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/manifest"
)

// BenchmarkPodMutator is one admission of the example driver inside the
// webhook: decode the AdmissionRequest's pod, compose, patch, metrics.
func BenchmarkPodMutator(b *testing.B) {
	h, _, store := newTestHandlers(b)
	in, err := manifest.LoadRepo(filesys.MakeFsOnDisk(), "../../../examples/layers/clusters/prod-a")
	if err != nil {
		b.Fatal(err)
	}
	snap, err := overlay.Compile(in)
	if err != nil {
		b.Fatal(err)
	}
	store.swap(snap)
	h.Cluster.Name, h.Cluster.Pool = "prod-a", "batch"
	data, err := os.ReadFile("../../../examples/pods/driver.yaml")
	if err != nil {
		b.Fatal(err)
	}
	pods, err := manifest.DecodePods("driver.yaml", data)
	if err != nil {
		b.Fatal(err)
	}
	raw, _ := json.Marshal(pods[0])
	req := rawRequest(raw, pods[0].Namespace)
	b.ReportAllocs()
	for b.Loop() {
		if resp := h.Handle(context.Background(), req); !resp.Allowed || len(resp.Patches) == 0 {
			b.Fatalf("unexpected response %v", resp.Result)
		}
	}
}
