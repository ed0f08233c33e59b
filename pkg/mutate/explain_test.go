package mutate

import (
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/fixtures"
)

// TestExplainIsRenderWithoutThePod: Explain's composition, warnings and
// provenance are Render's, field for field, but for the images mirrors
// derive, on every example pod as created and as stored (composed), in both
// IAM modes.
func TestExplainIsRenderWithoutThePod(t *testing.T) {
	irsa := v1alpha1.IAMModeIRSA
	snaps := map[string]*overlay.Snapshot{
		"prod-a": fixtures.Snapshot(t, "prod-a"),
		"irsa": fixtures.SnapshotOf(t, map[string]string{"iam": `
tier: ClusterOverrides
config:
  iam: {role: "arn:aws:iam::123456789012:role/etl", mode: ` + string(irsa) + `}
  isolation: {allowedIAMRoles: ["**"]}
  imageMirrors: [{from: docker.io, to: mirror.internal/dockerhub}]`}),
	}
	c := Cluster{Name: "prod-a", Pool: "batch"}
	for name, snap := range snaps {
		for _, file := range []string{"driver.yaml", "executor.yaml", "geo-executor.yaml", "oversized-driver.yaml"} {
			created := fixtures.Pod(t, file)
			composed, err := Compose(snap, c, created)
			if err != nil {
				t.Fatal(err)
			}
			for stage, pod := range map[string]*corev1.Pod{"created": created, "stored": composed.Pod} {
				rendered, err := Render(snap, c, pod)
				if err != nil {
					t.Fatal(err)
				}
				explained := Explain(snap, c, pod)
				where := name + "/" + file + "/" + stage
				if !reflect.DeepEqual(explained.Composition.Config, rendered.Composition.Config) ||
					!reflect.DeepEqual(explained.Warnings, rendered.Warnings) || explained.Role != rendered.Role {
					t.Errorf("%s: Explain's composition differs from Render's", where)
				}
				want := map[string]overlay.Field{}
				for _, f := range rendered.Composition.Provenance.Fields() {
					if !strings.HasSuffix(f.Path, ".image") {
						want[f.Path] = f
					}
				}
				got := map[string]overlay.Field{}
				for _, f := range explained.Composition.Provenance.Fields() {
					got[f.Path] = f
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s: provenance differs:\nexplain %v\nrender  %v", where, got, want)
				}
				if len(want) == 0 {
					t.Errorf("%s: no provenance at all: the test checks nothing", where)
				}
			}
		}
	}
}
