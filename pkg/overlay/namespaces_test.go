package overlay

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// TestLayersChoosingNamespaces: which Layer reads a Namespace label or
// names a Namespace, among valid, invalid and Shadow Layers, the first by
// name; kubernetes.io/metadata.name is a name, never a label one chooses;
// after an Update, as it is then.
func TestLayersChoosingNamespaces(t *testing.T) {
	with := func(name string, m v1alpha1.Match, edit ...func(*v1alpha1.Layer)) LayerSource {
		src := layer(name, v1alpha1.NamespaceOverrides, 0, &v1alpha1.Config{Labels: map[string]string{"a": "b"}}, nil, nil)
		src.Layer.Spec.Match = m
		for _, e := range edit {
			e(&src.Layer)
		}
		return src
	}
	sel := func(labels map[string]string, exprs ...metav1.LabelSelectorRequirement) *metav1.LabelSelector {
		return &metav1.LabelSelector{MatchLabels: labels, MatchExpressions: exprs}
	}
	layers := []LayerSource{
		with("b-geo", v1alpha1.Match{NamespaceSelector: sel(map[string]string{"group": "geo"})}),
		with("a-tier", v1alpha1.Match{Clusters: []string{"c1"}, NamespaceSelector: sel(nil, metav1.LabelSelectorRequirement{Key: "tier", Operator: metav1.LabelSelectorOpDoesNotExist})}),
		with("c-name", v1alpha1.Match{NamespaceSelector: sel(map[string]string{corev1.LabelMetadataName: "old-team"})}),
		with("d-list", v1alpha1.Match{Namespaces: []string{"etl", "batch"}, NamespaceSelector: sel(map[string]string{"group": "core"})}),
		with("e-expr", v1alpha1.Match{NamespaceSelector: sel(nil, metav1.LabelSelectorRequirement{Key: corev1.LabelMetadataName, Operator: metav1.LabelSelectorOpIn, Values: []string{"x", "y"}})}),
		with("f-invalid", v1alpha1.Match{Pools: []string{"p1"}, NamespaceSelector: sel(map[string]string{"owner": "z"})}, func(l *v1alpha1.Layer) { l.Spec.Tier = "Nowhere" }),
		with("g-shadow", v1alpha1.Match{NamespaceSelector: sel(map[string]string{"canary": "on"})}, func(l *v1alpha1.Layer) { l.Spec.Mode = v1alpha1.ModeShadow }),
	}
	var c Compiler
	snap, err := c.Compile(Inputs{Layers: layers})
	if err == nil {
		t.Fatal("f-invalid compiled")
	}
	check := func(where string, s *Snapshot, keys []string, wantKey, wantLayer string) {
		t.Helper()
		set := map[string]bool{}
		for _, k := range keys {
			set[k] = true
		}
		k, l, ok := s.LayerSelectingBy(set)
		if ok != (wantLayer != "") || k != wantKey || l != wantLayer {
			t.Errorf("%s: LayerSelectingBy(%q) = %q, %q, %v; want %q, %q", where, keys, k, l, ok, wantKey, wantLayer)
		}
	}
	check("compiled", snap, []string{"group"}, "group", "b-geo")
	check("compiled", snap, []string{"group", "tier"}, "tier", "a-tier")
	check("compiled", snap, []string{"owner"}, "owner", "f-invalid")
	check("compiled", snap, []string{"canary"}, "canary", "g-shadow")
	check("compiled", snap, []string{corev1.LabelMetadataName, "other"}, "", "")
	for name, want := range map[string]string{"old-team": "c-name", "etl": "d-list", "batch": "d-list", "y": "e-expr", "elsewhere": ""} {
		if got, ok := snap.LayerNaming(name); got != want || ok != (want != "") {
			t.Errorf("LayerNaming(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
	// Without b-geo and d-list, group is read by no Layer and etl named by none.
	updated, err := c.Update(map[string]*v1alpha1.Layer{"b-geo": nil, "d-list": nil}, nil)
	if err == nil {
		t.Fatal("f-invalid compiled on update")
	}
	check("updated", updated, []string{"group"}, "", "")
	check("updated", updated, []string{"group", "tier"}, "tier", "a-tier")
	if got, ok := updated.LayerNaming("etl"); ok {
		t.Errorf("updated: LayerNaming(etl) = %q", got)
	}
}

// BenchmarkLayerSelectingBy: 5,000 Layers selecting namespaces by a label
// each, against a Namespace update that changes 10,000 labels (a tenant's
// own): linear in the Layers' selectors, a lookup per key they read.
func BenchmarkLayerSelectingBy(b *testing.B) {
	var in Inputs
	for i := range 5000 {
		src := layer(fmt.Sprintf("l%04d", i), v1alpha1.NamespaceOverrides, 0, &v1alpha1.Config{Labels: map[string]string{"a": "b"}}, nil, nil)
		src.Layer.Spec.Match.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{fmt.Sprintf("team-%d", i): "x"}}
		in.Layers = append(in.Layers, src)
	}
	snap, err := Compile(in)
	if err != nil {
		b.Fatal(err)
	}
	changed := map[string]bool{}
	for i := range 10000 {
		changed[fmt.Sprintf("tenant-%d", i)] = true
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, ok := snap.LayerSelectingBy(changed); ok {
			b.Fatal("a tenant's own labels are selected by a Layer")
		}
	}
}

// TestNamespacesWhere: the Namespaces a snapshot holds that a test keeps,
// by name and labels, sorted by name; none when it keeps none.
func TestNamespacesWhere(t *testing.T) {
	snap, err := Compile(Inputs{Namespaces: []corev1.Namespace{
		{ObjectMeta: metav1.ObjectMeta{Name: "b", Labels: map[string]string{"team": "x"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "a", Labels: map[string]string{"team": "x"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "c"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ns := range snap.NamespacesWhere(func(_ string, labels map[string]string) bool { return labels["team"] == "x" }) {
		got = append(got, fmt.Sprintf("%s:%s", ns.Name, ns.Labels["team"]))
	}
	if fmt.Sprint(got) != "[a:x b:x]" {
		t.Errorf("kept %v, want [a:x b:x]", got)
	}
	if none := snap.NamespacesWhere(func(name string, _ map[string]string) bool { return name == "z" }); len(none) != 0 {
		t.Errorf("kept %v, want none", none)
	}
}
