package app

import (
	"strings"
	"testing"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// TestShadowReport sums the replicas' reports of each Shadow layer and
// leaves Enforce layers out.
func TestShadowReport(t *testing.T) {
	shadow := v1alpha1.Layer{Spec: v1alpha1.LayerSpec{Tier: v1alpha1.ClusterOverrides, Mode: v1alpha1.ModeShadow},
		Status: v1alpha1.LayerStatus{Shadow: []v1alpha1.ShadowReport{
			{Replica: "a", Pods: 3, Fields: []v1alpha1.ShadowField{{Field: "metadata.labels.logging", Pods: 3}, {Field: "spec.sidecars[log-shipper-v2]", Pods: 2}}, Samples: []string{"etl/p1", "etl/p2"}},
			{Replica: "b", Pods: 2, Fields: []v1alpha1.ShadowField{{Field: "metadata.labels.logging", Pods: 2}}, Samples: []string{"etl/p2", "etl/p3"}},
		}}}
	shadow.Name = "log-shipper-v2"
	enforced := v1alpha1.Layer{Spec: v1alpha1.LayerSpec{Tier: v1alpha1.NamespaceOverrides}}
	enforced.Name = "etl-team"
	got := shadowReport([]v1alpha1.Layer{enforced, shadow})
	for _, want := range []string{
		`Layer "log-shipper-v2" (ClusterOverrides, order 0): would have changed 5 pods, counted by 2 replicas`,
		"metadata.labels.logging        5",
		"spec.sidecars[log-shipper-v2]  2",
		"e.g. etl/p1, etl/p2, etl/p3",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "etl-team") {
		t.Errorf("an Enforce layer is in the report:\n%s", got)
	}
	if got := shadowReport([]v1alpha1.Layer{enforced}); got != "No Layer is in Shadow mode.\n" {
		t.Errorf("no Shadow layer: %q", got)
	}
}
