package overlay

import (
	"fmt"
	oldrand "math/rand"
	"reflect"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/randfill"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// TestComposeOverridesIsCompose holds ComposeOverrides to Compose on
// random compositions: defaults, the user, then overrides, every field
// filled from a handful of strings so that keys and values collide across
// sources. The config is the same, Overridden gives the same fields (path,
// value, winner, the user's value), and every key under the roots asked
// for has the provenance Compose gives it.
func TestComposeOverridesIsCompose(t *testing.T) {
	words := []string{"a", "b", "spark.kubernetes.executor.label.a", "spark.kubernetes.node.selector.b"}
	fill := randfill.New().NilChance(0.4).NumElements(0, 3).MaxDepth(5).RandSource(oldrand.NewSource(7)).Funcs(
		func(s *string, c randfill.Continue) { *s = words[c.Intn(len(words))] },
		func(q *resource.Quantity, c randfill.Continue) {
			*q = *resource.NewQuantity(c.Int63n(3), resource.DecimalSI)
		},
		func(r *runtime.RawExtension, c randfill.Continue) {
			r.Raw = []byte(`{"spec":{"hostname":"` + words[c.Intn(2)] + `"}}`)
		})
	roots := []string{PathIAM, PathSidecars, PathPriorityClassName}
	var overridden, kept int
	for i := range 400 {
		var layers []*v1alpha1.Layer
		for j, tier := range []v1alpha1.Tier{v1alpha1.PoolDefaults, v1alpha1.ClusterDefaults, v1alpha1.ClusterOverrides, v1alpha1.NamespaceOverrides} {
			l := &v1alpha1.Layer{Spec: v1alpha1.LayerSpec{Tier: tier}}
			l.Name = fmt.Sprintf("l%d", j)
			fill.Fill(&l.Spec.Config)
			fill.Fill(&l.Spec.Executor)
			layers = append(layers, l)
		}
		var user v1alpha1.Config
		fill.Fill(&user)
		target := Target{Role: v1alpha1.RoleExecutor}
		s := &Snapshot{}
		whole := s.composeLayers(layers, target, *user.DeepCopy(), newProvenance(), FieldSet{})
		lean := newProvenance()
		lean.overrides, lean.whole = true, roots
		got := s.composeLayers(layers, target, *user.DeepCopy(), lean, FieldSet{})

		if !reflect.DeepEqual(got.Config, whole.Config) || !reflect.DeepEqual(got.Layers, whole.Layers) {
			t.Fatalf("case %d: ComposeOverrides composed another config", i)
		}
		if g, w := overriddenText(got.Provenance), overriddenText(whole.Provenance); !slices.Equal(g, w) {
			t.Fatalf("case %d: overridden\n%q\nCompose's\n%q", i, g, w)
		}
		overridden += len(whole.Provenance.Overridden())
		for _, f := range whole.Provenance.Fields() {
			if !slices.Contains(roots, f.Key.Root) {
				continue
			}
			kept++
			if g, ok := got.Provenance.Lookup(f.Key); !ok || !reflect.DeepEqual(g, f) {
				t.Fatalf("case %d: %s is %+v, Compose's %+v", i, f.Path, g, f)
			}
		}
		if !got.Provenance.Partial() || whole.Provenance.Partial() {
			t.Fatalf("case %d: Partial is %v, Compose's %v", i, got.Provenance.Partial(), whole.Provenance.Partial())
		}
	}
	if overridden < 400 || kept < 400 {
		t.Fatalf("%d overridden fields and %d fields under the roots in 400 cases: the test checks too little", overridden, kept)
	}
}

// overriddenText is what a warning is made of, per overridden field.
func overriddenText(p *Provenance) []string {
	var out []string
	for _, f := range p.Overridden() {
		v, _ := f.UserValue()
		out = append(out, f.Path+" "+v+" -> "+f.Value+" by "+f.Winner.String())
	}
	return out
}
