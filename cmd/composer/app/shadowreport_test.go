package app

import (
	"fmt"
	"slices"
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
	// A Shadow layer no replica reported on yet: no table, no samples.
	quiet := shadow
	quiet.Status = v1alpha1.LayerStatus{}
	if got, want := shadowReport([]v1alpha1.Layer{quiet}), `Layer "log-shipper-v2" (ClusterOverrides, order 0): would have changed 0 pods, counted by 0 replicas`+"\n\n"; got != want {
		t.Errorf("a Shadow layer without reports:\n%q\nwant\n%q", got, want)
	}
	// Samples are named at most maxReportSamples times, each once.
	busy := shadow
	busy.Status = v1alpha1.LayerStatus{}
	for r := range 4 { // 13 pods, some named by two replicas
		rep := v1alpha1.ShadowReport{Replica: fmt.Sprint("r", r), Pods: 4, Fields: []v1alpha1.ShadowField{{Field: "metadata.labels.logging", Pods: 4}}}
		for p := range 4 {
			rep.Samples = append(rep.Samples, fmt.Sprintf("etl/p%d", r*3+p))
		}
		busy.Status.Shadow = append(busy.Status.Shadow, rep)
	}
	got = shadowReport([]v1alpha1.Layer{busy})
	_, eg, _ := strings.Cut(got, "e.g. ")
	named := strings.Split(strings.TrimSpace(eg), ", ")
	if len(named) != maxReportSamples || len(slices.Compact(slices.Sorted(slices.Values(named)))) != maxReportSamples {
		t.Errorf("samples %q, want %d different ones", named, maxReportSamples)
	}
}

// TestShellQuote: a value a shell would change is quoted, the empty one
// too; one it leaves alone is not.
func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"":                         "''",
		"spark.executor.memory=4g": "spark.executor.memory=4g",
		"s3a://bucket/a,b@v%2+x":   "s3a://bucket/a,b@v%2+x",
		"-Dx=1 -Dy=2":              "'-Dx=1 -Dy=2'",
		"it's":                     `'it'\''s'`,
		"$HOME":                    "'$HOME'",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
