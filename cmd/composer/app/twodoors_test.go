package app

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	webhook "github.com/strata-dev/strata/cmd/webhook/app"
	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/manifest"
)

// TestGoldenThroughTheWebhook is the second door of the golden suite: each
// golden case's pod goes through the webhook's PodMutator.Handle, as an
// AdmissionRequest, and its patch must be the golden -o patch, byte for
// byte. So the dry run never says other than what the webhook does.
func TestGoldenThroughTheWebhook(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			in, err := manifest.LoadRepo(filesys.MakeFsOnDisk(), filepath.Join(examples, "layers", tc.layers))
			if err != nil {
				t.Fatal(err)
			}
			snap, err := overlay.Compile(in)
			if err != nil {
				t.Fatal(err)
			}
			m, err := webhook.NewMetrics(prometheus.NewRegistry())
			if err != nil {
				t.Fatal(err)
			}
			h := &webhook.PodMutator{Store: webhook.NewStore(snap), Cluster: mutate.Cluster{Name: tc.cluster, Pool: tc.pool},
				Metrics: m}
			data, err := os.ReadFile(filepath.Join(examples, "pods", tc.pods))
			if err != nil {
				t.Fatal(err)
			}
			pods, err := manifest.DecodePods(tc.pods, data)
			if err != nil || len(pods) != 1 {
				t.Fatalf("%d pods, %v", len(pods), err)
			}
			raw, err := json.Marshal(pods[0])
			if err != nil {
				t.Fatal(err)
			}
			resp := h.Handle(context.Background(), admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
				UID: "golden", Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}, Namespace: pods[0].Namespace,
				Operation: admissionv1.Create, Object: runtime.RawExtension{Raw: raw}}})
			if !resp.Allowed {
				t.Fatalf("denied: %+v", resp.Result)
			}
			var got bytes.Buffer
			if err := writeIndentedJSON(&got, json.RawMessage(resp.Patch)); err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join(golden, tc.name+".patch.json"))
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != string(want) {
				t.Errorf("the webhook's patch differs from the composer's golden %s:\n--- webhook\n%s\n--- golden\n%s", tc.name, got.String(), want)
			}
		})
	}
}

// TestEveryGoldenFileIsUsed fails on a golden file no case writes: a stale
// file would otherwise go on passing for a case that no longer exists.
func TestEveryGoldenFileIsUsed(t *testing.T) {
	entries, err := os.ReadDir(golden)
	if err != nil {
		t.Fatal(err)
	}
	var used []string
	for _, tc := range goldenCases {
		for _, ext := range []string{".yaml", ".patch.json", ".explain.txt"} {
			used = append(used, tc.name+ext)
		}
	}
	for _, tc := range appGoldenCases {
		for _, ext := range []string{".yaml", ".patch.json", ".explain.txt", ".conf"} {
			used = append(used, tc.name+ext)
		}
	}
	used = append(used, "conf-etl-submit.properties", "conf-etl-submit-executor.submit")
	used = append(used, "diff-etl-change.txt")
	for _, tc := range dryRunCases {
		used = append(used, "dryrun-"+tc.name+".txt")
	}
	for _, e := range entries {
		if !slices.Contains(used, e.Name()) && !strings.HasPrefix(e.Name(), ".") {
			t.Errorf("%s/%s belongs to no golden case", golden, e.Name())
		}
	}
}
