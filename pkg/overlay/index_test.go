package overlay

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/types"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// TestIndexMatchesLikeAScan: for random Layers and targets, the indexed
// Match returns exactly the layers, in the order, that checking every Layer
// returns.
func TestIndexMatchesLikeAScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(values ...string) []string {
		var out []string
		for _, v := range values {
			if rng.IntN(3) == 0 {
				out = append(out, v)
			}
		}
		return out
	}
	for round := range 50 {
		var in Inputs
		for i := range 60 {
			l := layer(fmt.Sprintf("l%02d", i), v1alpha1.Tiers()[rng.IntN(4)], int32(rng.IntN(3)), nil, nil, nil)
			m := &l.Layer.Spec.Match
			m.Namespaces = pick("a", "b", "c", "a")
			m.Clusters = pick("x", "y")
			m.Pools = pick("p", "q")
			for _, r := range pick("driver", "executor") {
				m.Roles = append(m.Roles, v1alpha1.Role(r))
			}
			in.Layers = append(in.Layers, l)
		}
		s, err := Compile(in)
		if err != nil {
			t.Fatal(err)
		}
		for _, ns := range []string{"a", "b", "c", "d"} {
			for _, cl := range []string{"x", "y", "z"} {
				for _, pool := range []string{"p", "q", "r"} {
					for _, role := range []v1alpha1.Role{v1alpha1.RoleDriver, v1alpha1.RoleExecutor} {
						target := Target{Cluster: cl, Pool: pool, Namespace: ns, Role: role}
						var want []*v1alpha1.Layer
						for _, cl := range layersOf(s) {
							if cl.matches(target, s.NamespaceLabels(ns)) {
								want = append(want, cl.layer)
							}
						}
						if got := s.Match(target); !reflect.DeepEqual(got, want) {
							t.Fatalf("round %d, %+v: index gives %d layers, a scan %d", round, target, len(got), len(want))
						}
					}
				}
			}
		}
	}
}

// TestCompilerRevalidatesOnlyChanges: a Compiler reuses a Layer it has
// seen at the same uid and resourceVersion, validates one that changed or
// came back, and gives the snapshot and errors Compile gives.
func TestCompilerRevalidatesOnlyChanges(t *testing.T) {
	good := layer("good", v1alpha1.ClusterDefaults, 0, nil, nil, nil)
	bad := layer("bad", "Nope", 0, nil, nil, nil)
	for _, l := range []*LayerSource{&good, &bad} {
		l.Layer.UID, l.Layer.ResourceVersion = types.UID("uid-"+l.Layer.Name), "1"
	}
	var c Compiler
	first, err1 := c.Compile(Inputs{Layers: []LayerSource{good, bad}})
	if err1 == nil || first.LayerCount() != 1 || first.Broken() != 1 {
		t.Fatalf("first compile: %d layers, %d broken, %v", first.LayerCount(), first.Broken(), err1)
	}
	reused := c.last["good"].layer
	// Unchanged: the same copy, the same errors.
	second, err2 := c.Compile(Inputs{Layers: []LayerSource{good, bad}})
	if c.last["good"].layer != reused || err2 == nil || err2.Error() != err1.Error() || second.LayerCount() != 1 {
		t.Fatalf("an unchanged Layer was validated again, or the result differs: %v", err2)
	}
	// Fixed at a new resourceVersion: validated again, and now served.
	bad.Layer.Spec.Tier, bad.Layer.ResourceVersion = v1alpha1.ClusterOverrides, "2"
	third, err3 := c.Compile(Inputs{Layers: []LayerSource{good, bad}})
	if err3 != nil || third.LayerCount() != 2 || third.Broken() != 0 {
		t.Fatalf("the fixed Layer is not served: %v", err3)
	}
	// Broken again at the same resourceVersion a stale reader might hand
	// over with other content: the uid and resourceVersion are the API
	// server's word; a Layer from a file is always validated.
	fromFile := bad
	fromFile.File, fromFile.Layer.Spec.Tier = "bad.yaml", "Nope"
	if _, err := c.Compile(Inputs{Layers: []LayerSource{good, fromFile}}); err == nil {
		t.Fatal("a Layer from a file was not validated")
	}
	// Removed: forgotten.
	if _, err := c.Compile(Inputs{Layers: []LayerSource{good}}); err != nil || len(c.last) != 1 {
		t.Fatalf("a removed Layer is still remembered: %v, %d", err, len(c.last))
	}
	// The same inputs give what Compile gives.
	want, wantErr := Compile(Inputs{Layers: []LayerSource{good, bad}})
	got, gotErr := c.Compile(Inputs{Layers: []LayerSource{good, bad}})
	if !reflect.DeepEqual(got.Match(Target{Role: v1alpha1.RoleDriver}), want.Match(Target{Role: v1alpha1.RoleDriver})) || (gotErr == nil) != (wantErr == nil) {
		t.Fatal("a Compiler's snapshot differs from Compile's")
	}
}

// layersOf is every valid layer of s, in composition order, read from its
// index: each once, wherever it is filed.
func layersOf(s *Snapshot) []*compiledLayer {
	x := &s.index
	out := slices.Clone(x.anywhere)
	seen := map[*compiledLayer]bool{}
	for _, lists := range []layerLists{x.byNamespace, x.byCluster, x.byPool} {
		for _, l := range lists.all() {
			for _, cl := range l {
				if !seen[cl] {
					seen[cl] = true
					out = append(out, cl)
				}
			}
		}
	}
	slices.SortFunc(out, compositionOrder)
	return out
}

// TestLayerListsFold changes the lists of 2,000 keys at random, through
// forked and folded as an Update does, and checks each version against a
// plain map: the lists are right whether a key lives in the base or the
// delta, the versions before are untouched, the delta is folded into the
// base (and stays small), and a removed key is gone.
func TestLayerListsFold(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	layers := make([]*compiledLayer, 50)
	for i := range layers {
		layers[i] = &compiledLayer{layer: &v1alpha1.Layer{}}
	}
	model := map[string][]*compiledLayer{}
	var lists layerLists
	type version struct {
		lists layerLists
		model map[string][]*compiledLayer
	}
	var versions []version
	folds := 0
	for step := range 3000 {
		next := lists.forked()
		for range 1 + rng.IntN(3) {
			k := fmt.Sprint("ns-", rng.IntN(2000))
			var l []*compiledLayer
			if rng.IntN(5) > 0 {
				l = []*compiledLayer{layers[rng.IntN(len(layers))]}
			}
			next.set(k, l)
			if l == nil {
				delete(model, k)
			} else {
				model[k] = l
			}
		}
		folded := next.folded()
		if folded.delta == nil && len(next.delta) > 0 {
			folds++
		}
		if limit := 64 + int(math.Sqrt(float64(len(folded.base)))); len(folded.delta) > limit {
			t.Fatalf("step %d: a delta of %d keys over a base of %d", step, len(folded.delta), len(folded.base))
		}
		lists = folded
		if got := lists.all(); !maps.EqualFunc(got, model, slices.Equal) {
			t.Fatalf("step %d: %d keys, want %d", step, len(got), len(model))
		}
		for k, want := range model {
			if got := lists.get(k); !slices.Equal(got, want) {
				t.Fatalf("step %d: get(%s) differs", step, k)
			}
		}
		if step%300 == 0 {
			versions = append(versions, version{lists, maps.Clone(model)})
		}
	}
	for i, v := range versions {
		if !maps.EqualFunc(v.lists.all(), v.model, slices.Equal) {
			t.Fatalf("version %d changed after it was built", i)
		}
	}
	if folds < 5 {
		t.Fatalf("the delta was folded %d times in 3,000 changes", folds)
	}
}
