package app

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/manifest"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/pkg/policy"
	"github.com/strata-dev/strata/test/fixtures"
)

// TestDiffMissesNoChange: composer diff on random Layers and a random
// change of one of them (a Layer edited, added or removed) reports a
// change for every pod and SparkApplication whose composition changes: a
// pull request's gate (--fail-on-change) never passes a change it did not
// see. An element that only moves in a list whose order means nothing
// (tolerations, volumes, mounts, sidecars) is no change.
func TestDiffMissesNoChange(t *testing.T) {
	rng := rand.New(rand.NewPCG(fixtures.RandomSeed(61), 62))
	ctx := context.Background()
	side, cluster := randomSides(t), randomCluster
	var changed int
	for i := range fixtures.RandomCases(150) {
		base := fixtures.RandomLayers(t, rng, 1+rng.IntN(4))
		head := append([]overlay.LayerSource(nil), base...)
		switch other := fixtures.RandomLayers(t, rng, 1)[0]; rng.IntN(3) {
		case 0: // one Layer edited
			j := rng.IntN(len(head))
			other.Layer.Name = head[j].Layer.Name
			head[j] = other
		case 1: // one added
			other.Layer.Name = "added"
			head = append(head, other)
		default: // one removed
			j := rng.IntN(len(head))
			head = append(head[:j:j], head[j+1:]...)
		}
		b, h := side(base), side(head)
		// reported fails unless diff reports what composes differently.
		reported := func(kind string, x, y []byte, d *objectDiff) {
			if string(x) == string(y) {
				return
			}
			changed++
			if !d.changed() {
				l0, _ := json.Marshal(base)
				l1, _ := json.Marshal(head)
				t.Fatalf("case %d: the %s changes and diff reports nothing\nbefore %s\nafter  %s\nbase %s\nhead %s", i, kind, x, y, l0, l1)
			}
		}
		pod := fixtures.RandomPod(t, rng)
		before, err := mutate.Compose(b.check.Snapshot, cluster, pod)
		if err != nil {
			t.Fatal(err)
		}
		after, err := mutate.Compose(h.check.Snapshot, cluster, pod)
		if err != nil {
			t.Fatal(err)
		}
		// Which layers applied (strata.dev/layers) is Strata's record, not a
		// setting: a change of it alone is none.
		for _, p := range []*corev1.Pod{before.Pod, after.Pod} {
			delete(p.Annotations, v1alpha1.LayersAnnotation)
			if len(p.Annotations) == 0 {
				p.Annotations = nil
			}
		}
		x, _ := json.Marshal(fixtures.Orderless(before.Pod))
		y, _ := json.Marshal(fixtures.Orderless(after.Pod))
		d, err := diffObject(ctx, b, h, manifest.Object{Pod: pod})
		if err != nil {
			t.Fatal(err)
		}
		reported("pod", x, y, d)
		app := fixtures.RandomApp(t, rng)
		before2, err1 := mutate.ComposeApp(b.check.Snapshot, cluster, app)
		after2, err2 := mutate.ComposeApp(h.check.Snapshot, cluster, app)
		if err1 != nil || err2 != nil {
			continue // layers whose roles set one volume differently: refused on either side
		}
		x, y = withoutLayersRecord(t, before2), withoutLayersRecord(t, after2)
		if d, err = diffObject(ctx, b, h, manifest.Object{App: app}); err != nil {
			t.Fatal(err)
		}
		reported("app", x, y, d)
	}
	if changed < 30 {
		t.Fatalf("only %d pods changed: the cases check too little", changed)
	}
}

// randomCluster is the cluster the random diff tests compose for.
var randomCluster = mutate.Cluster{Name: "prod-a", Pool: "batch"}

// randomSides returns the side of a diff that layers (fixtures.RandomLayers)
// make, for randomCluster, with the built-in policies.
func randomSides(t *testing.T) func(layers []overlay.LayerSource) *diffSide {
	t.Helper()
	engine, err := loadEngine(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return func(layers []overlay.LayerSource) *diffSide {
		snap, err := overlay.Compile(fixtures.RandomInputs(layers))
		if err != nil {
			t.Fatal(err)
		}
		return &diffSide{check: &policy.Check{Engine: engine, Snapshot: snap, Cluster: randomCluster}}
	}
}

// TestDiffInParallelIsDiffInTurn: a corpus diffed on several goroutines,
// as composer diff does, gives what diffing its objects one by one gives,
// object for object and in order. Under the race detector (make race) it
// also finds state the objects' diffs would share.
func TestDiffInParallelIsDiffInTurn(t *testing.T) {
	rng := rand.New(rand.NewPCG(fixtures.RandomSeed(63), 64))
	ctx := context.Background()
	side := randomSides(t)
	base, head := side(fixtures.RandomLayers(t, rng, 4)), side(fixtures.RandomLayers(t, rng, 4))
	var objects []manifest.Object
	var inTurn []*objectDiff
	for tries := 0; len(objects) < 80 && tries < 800; tries++ {
		obj := manifest.Object{Pod: fixtures.RandomPod(t, rng)}
		if tries%4 == 3 {
			obj = manifest.Object{App: fixtures.RandomApp(t, rng)}
		}
		d, err := diffObject(ctx, base, head, obj)
		if err != nil {
			continue // refused on a side: a run stops at it (TestInOrder)
		}
		objects, inTurn = append(objects, obj), append(inTurn, d)
	}
	if len(objects) < 40 {
		t.Fatalf("only %d of 800 random objects diff without an error: the corpus checks too little", len(objects))
	}
	changed := 0
	for _, d := range inTurn {
		if d.changed() {
			changed++
		}
	}
	if changed < len(inTurn)/4 {
		t.Fatalf("only %d of %d objects change: the corpus checks too little", changed, len(inTurn))
	}
	want, _ := json.Marshal(inTurn)
	for range 3 {
		inParallel, err := diffObjects(ctx, base, head, objects, 4)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := json.Marshal(inParallel); string(got) != string(want) {
			t.Fatalf("in parallel\n%s\none by one\n%s", got, want)
		}
	}
}

// withoutLayersRecord is a composed app's JSON without the sections'
// strata.dev/layers, Strata's record of the layers applied.
func withoutLayersRecord(t *testing.T, res *mutate.AppResult) []byte {
	t.Helper()
	raw, err := res.App.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var app map[string]any
	if err := json.Unmarshal(raw, &app); err != nil {
		t.Fatal(err)
	}
	spec, _ := app["spec"].(map[string]any)
	sortBy(spec, "volumes", "name")
	for _, role := range []string{"driver", "executor"} {
		sec, _ := spec[role].(map[string]any)
		if a, ok := sec["annotations"].(map[string]any); ok {
			delete(a, v1alpha1.LayersAnnotation)
			if len(a) == 0 {
				delete(sec, "annotations")
			}
		}
		sortBy(sec, "tolerations", "")
		sortBy(sec, "volumeMounts", "mountPath")
		sortBy(sec, "sidecars", "name")
	}
	out, _ := json.Marshal(app)
	return out
}

// sortBy sorts the list obj[field] by each element's key (its JSON when
// key is "").
func sortBy(obj map[string]any, field, key string) {
	list, _ := obj[field].([]any)
	slices.SortStableFunc(list, func(a, b any) int {
		if key != "" {
			x, _ := a.(map[string]any)[key].(string)
			y, _ := b.(map[string]any)[key].(string)
			return strings.Compare(x, y)
		}
		x, _ := json.Marshal(a)
		y, _ := json.Marshal(b)
		return strings.Compare(string(x), string(y))
	})
}
