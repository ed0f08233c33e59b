package overlay

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	psadmission "k8s.io/pod-security-admission/admission/api"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// TestUpdateIsCompile applies random sequences of Layer changes (creates,
// updates, deletes; valid, invalid and Shadow Layers; every tier and
// match field) with Update and checks that each snapshot is the one
// Compile builds from scratch from the same Layers: same layers in the
// same order, same index, same invalid Layers, same errors.
func TestUpdateIsCompile(t *testing.T) {
	for seed := range uint64(20) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			model := map[string]*v1alpha1.Layer{}
			version := 0
			next := func(name string) *v1alpha1.Layer {
				version++
				return randomLayer(rng, name, version)
			}
			for i := range 40 {
				name := fmt.Sprintf("l%02d", i)
				model[name] = next(name)
			}
			nsA := []corev1.Namespace{{}}
			nsA[0].Name, nsA[0].Labels = "ns1", map[string]string{"team": "a"}
			var c Compiler
			if _, err := c.Compile(inputsOf(model, nsA)); err == nil {
				t.Fatal("the random Layers include invalid ones; Compile found none")
			}
			for step := range 60 {
				changes := map[string]*v1alpha1.Layer{}
				for range 1 + rng.IntN(8) {
					name := fmt.Sprintf("l%02d", rng.IntN(50))
					if rng.IntN(4) == 0 {
						changes[name] = nil
						delete(model, name)
					} else {
						l := next(name)
						changes[name], model[name] = l, l
					}
				}
				var others *Inputs
				namespaces := nsA
				if step%10 == 9 {
					namespaces = []corev1.Namespace{{}}
					namespaces[0].Name, namespaces[0].Labels = "ns1", map[string]string{"team": fmt.Sprint("t", step)}
					others = &Inputs{Namespaces: namespaces}
					nsA = namespaces
				}
				before := c.snap
				beforeIndex, beforeLayers := indexNames(before.index), before.layers
				got, gotErr := c.Update(changes, others)
				// A snapshot being served never changes.
				if !reflect.DeepEqual(indexNames(before.index), beforeIndex) || before.layers != beforeLayers {
					t.Fatalf("step %d: Update changed the previous snapshot", step)
				}
				want, wantErr := (&Compiler{}).Compile(inputsOf(model, namespaces))
				sameSnapshot(t, fmt.Sprintf("step %d", step), got, want)
				if g, w := errorSet(gotErr), errorSet(wantErr); !slices.Equal(g, w) {
					t.Fatalf("step %d: Update's errors\n%q\nCompile's\n%q", step, g, w)
				}
			}
		})
	}
}

// TestUpdateNeedsCompile: Update has nothing to change before a Compile.
func TestUpdateNeedsCompile(t *testing.T) {
	var c Compiler
	if _, err := c.Update(map[string]*v1alpha1.Layer{"a": nil}, nil); err == nil {
		t.Fatal("Update before Compile gave no error")
	}
}

func randomLayer(rng *rand.Rand, name string, version int) *v1alpha1.Layer {
	tiers := []v1alpha1.Tier{v1alpha1.PoolDefaults, v1alpha1.ClusterDefaults, v1alpha1.ClusterOverrides, v1alpha1.NamespaceOverrides}
	l := &v1alpha1.Layer{Spec: v1alpha1.LayerSpec{
		Tier:   tiers[rng.IntN(len(tiers))],
		Order:  int32(rng.IntN(3)),
		Config: &v1alpha1.Config{Labels: map[string]string{"v": fmt.Sprint(version)}},
	}}
	l.Name, l.UID, l.ResourceVersion = name, types.UID("uid-"+name), fmt.Sprint(version)
	switch rng.IntN(5) {
	case 0:
		l.Spec.Match.Namespaces = []string{"ns1", fmt.Sprintf("ns%d", 2+rng.IntN(3))}
	case 1:
		l.Spec.Match.Clusters = []string{"c1"}
	case 2:
		l.Spec.Match.Pools = []string{"p1", "p2"}
	case 3:
		l.Spec.Match.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"team": "a"}}
	}
	if rng.IntN(6) == 0 {
		l.Spec.Config.Labels["not a label key!"] = "x" // invalid
	}
	if rng.IntN(6) == 0 {
		l.Spec.Mode = v1alpha1.ModeShadow
	}
	return l
}

func inputsOf(layers map[string]*v1alpha1.Layer, namespaces []corev1.Namespace) Inputs {
	in := Inputs{Namespaces: namespaces}
	for _, name := range sortedKeys(layers) {
		in.Layers = append(in.Layers, LayerSource{Layer: *layers[name]})
	}
	return in
}

func sameSnapshot(t *testing.T, where string, got, want *Snapshot) {
	t.Helper()
	names := func(ls []*compiledLayer) []string {
		var out []string
		for _, l := range ls {
			out = append(out, l.layer.Name+"@"+l.layer.ResourceVersion)
		}
		return out
	}
	brokenNames := func(bs []brokenLayer) []string {
		var out []string
		for _, b := range bs {
			out = append(out, b.layer.Name+"@"+b.layer.ResourceVersion+": "+b.err.Error())
		}
		slices.Sort(out)
		return out
	}
	switch {
	case !slices.Equal(names(layersOf(got)), names(layersOf(want))) || got.layers != want.layers:
		t.Fatalf("%s: layers\n%v (%d)\nwant\n%v (%d)", where, names(layersOf(got)), got.layers, names(layersOf(want)), want.layers)
	case !reflect.DeepEqual(indexNames(got.index), indexNames(want.index)):
		t.Fatalf("%s: index %v, want %v", where, indexNames(got.index), indexNames(want.index))
	case !slices.Equal(brokenNames(got.broken), brokenNames(want.broken)):
		t.Fatalf("%s: invalid layers\n%v\nwant\n%v", where, brokenNames(got.broken), brokenNames(want.broken))
	case !slices.Equal(visited(got), visited(want)):
		t.Fatalf("%s: the Layers visited\n%v\nwant\n%v", where, visited(got), visited(want))
	case got.shadows != want.shadows:
		t.Fatalf("%s: %d shadow layers, want %d", where, got.shadows, want.shadows)
	case !reflect.DeepEqual(got.namespaces, want.namespaces) || !reflect.DeepEqual(got.priorityClasses, want.priorityClasses):
		t.Fatalf("%s: namespaces or classes differ", where)
	}
	for _, target := range []Target{
		{Cluster: "c1", Pool: "p1", Namespace: "ns1", Role: v1alpha1.RoleDriver},
		{Cluster: "c2", Pool: "p2", Namespace: "ns3", Role: v1alpha1.RoleExecutor},
	} {
		if g, w := got.Compose(target, v1alpha1.Config{}), want.Compose(target, v1alpha1.Config{}); !slices.Equal(g.Layers, w.Layers) ||
			!reflect.DeepEqual(g.Config, w.Config) {
			t.Fatalf("%s: %+v composes %v, want %v", where, target, g.Layers, w.Layers)
		}
		if g, w := fmt.Sprint(got.Blocked(target)), fmt.Sprint(want.Blocked(target)); (g == "<nil>") != (w == "<nil>") {
			t.Fatalf("%s: %+v blocked: %s, want %s", where, target, g, w)
		}
	}
}

func errorSet(err error) []string {
	var out []string
	if err == nil {
		return nil
	}
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var le *LayerError
		if !errors.As(e, &le) {
			out = append(out, "not a LayerError: "+e.Error())
			continue
		}
		out = append(out, le.Error())
	}
	slices.Sort(out)
	return out
}

// indexNames is what an index files where: "field/key" to the sorted
// names and versions of the layers filed there.
// visited are the Layers eachLayer visits, sorted: the valid and the
// invalid ones, each once.
func visited(s *Snapshot) []string {
	var out []string
	s.eachLayer(func(l *compiledLayer) { out = append(out, l.layer.Name+"@"+l.layer.ResourceVersion) })
	slices.Sort(out)
	if len(out) != len(slices.Compact(slices.Clone(out))) {
		panic("a Layer visited twice")
	}
	return out
}

func indexNames(x layerIndex) map[string][]string {
	out := map[string][]string{}
	add := func(where string, ls []*compiledLayer) {
		for _, l := range ls {
			out[where] = append(out[where], l.layer.Name+"@"+l.layer.ResourceVersion)
		}
		slices.Sort(out[where])
	}
	for field, m := range map[string]layerLists{"namespace": x.byNamespace, "cluster": x.byCluster, "pool": x.byPool} {
		for k, ls := range m.all() {
			add(field+"/"+k, ls)
		}
	}
	add("anywhere", x.anywhere)
	if len(x.anywhere) == 0 {
		delete(out, "anywhere")
	}
	return out
}

// TestPodSecurityConfigurationIsKept: the PodSecurity admission's
// configuration a snapshot is compiled with stays through Layer changes,
// and is what a refresh of the cluster's objects brings (none when it
// brings none).
func TestPodSecurityConfigurationIsKept(t *testing.T) {
	baseline := &psadmission.PodSecurityConfiguration{Defaults: psadmission.PodSecurityDefaults{Enforce: "baseline", EnforceVersion: "latest"}}
	restricted := &psadmission.PodSecurityConfiguration{Defaults: psadmission.PodSecurityDefaults{Enforce: "restricted", EnforceVersion: "latest"}}
	var c Compiler
	snap, err := c.Compile(Inputs{Admission: Admission{PodSecurity: baseline}})
	if err != nil || snap.PodSecurity() != baseline {
		t.Fatalf("compiled: %v, %+v", err, snap.PodSecurity())
	}
	l := &v1alpha1.Layer{Spec: v1alpha1.LayerSpec{Tier: v1alpha1.ClusterDefaults}}
	l.Name = "l"
	if snap, _ = c.Update(map[string]*v1alpha1.Layer{"l": l}, nil); snap.PodSecurity() != baseline {
		t.Errorf("after a Layer change: %+v, want the configuration compiled with", snap.PodSecurity())
	}
	if snap, _ = c.Update(nil, &Inputs{Admission: Admission{PodSecurity: restricted}}); snap.PodSecurity() != restricted {
		t.Errorf("after a refresh: %+v, want the refreshed configuration", snap.PodSecurity())
	}
	if snap, _ = c.Update(nil, &Inputs{}); snap.PodSecurity() != nil {
		t.Errorf("after a refresh without one: %+v, want none", snap.PodSecurity())
	}
}
