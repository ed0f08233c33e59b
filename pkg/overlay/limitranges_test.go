package overlay

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestLimitRangesAsStored: a snapshot holds each namespace's LimitRanges
// in name order, with the API server's defaults of a LimitRange, which one
// read from a file lacks: a Container item's maximum is its default limit,
// its default limit its default request, else its minimum; a Pod item
// has none.
func TestLimitRangesAsStored(t *testing.T) {
	q := resource.MustParse
	lr := func(ns, name string, items ...corev1.LimitRangeItem) corev1.LimitRange {
		return corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: corev1.LimitRangeSpec{Limits: items}}
	}
	in := Inputs{LimitRanges: []corev1.LimitRange{
		lr("etl", "z"),
		lr("ml", "only"),
		lr("etl", "a",
			corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Max: corev1.ResourceList{"memory": q("8Gi"), "cpu": q("4")},
				Default: corev1.ResourceList{"cpu": q("2")}, Min: corev1.ResourceList{"ephemeral-storage": q("1Gi")}},
			corev1.LimitRangeItem{Type: corev1.LimitTypePod, Max: corev1.ResourceList{"memory": q("16Gi")}}),
	}}
	snap, err := Compile(in)
	if err != nil {
		t.Fatal(err)
	}
	etl := snap.LimitRanges("etl")
	if len(etl) != 2 || etl[0].Name != "a" || etl[1].Name != "z" || len(snap.LimitRanges("ml")) != 1 || snap.LimitRanges("other") != nil {
		t.Fatalf("etl %v, ml %v", etl, snap.LimitRanges("ml"))
	}
	container := etl[0].Spec.Limits[0]
	for _, c := range []struct {
		what string
		list corev1.ResourceList
		name corev1.ResourceName
		want string
	}{
		{"default", container.Default, "memory", "8Gi"}, {"default", container.Default, "cpu", "2"},
		{"defaultRequest", container.DefaultRequest, "memory", "8Gi"}, {"defaultRequest", container.DefaultRequest, "cpu", "2"},
		{"defaultRequest", container.DefaultRequest, "ephemeral-storage", "1Gi"},
	} {
		if v, ok := c.list[c.name]; !ok || v.Cmp(q(c.want)) != 0 {
			t.Errorf("%s of %s: %v, want %s", c.what, c.name, c.list, c.want)
		}
	}
	if n := len(container.Default); n != 2 {
		t.Errorf("default %v: want memory and cpu only", container.Default)
	}
	if pod := etl[0].Spec.Limits[1]; pod.Default != nil || pod.DefaultRequest != nil {
		t.Errorf("a Pod item given defaults: %v", pod)
	}
	if in.LimitRanges[2].Spec.Limits[0].DefaultRequest != nil {
		t.Error("the inputs' LimitRange was changed")
	}
	// Namespaces bounded alike are grouped, whatever their LimitRanges'
	// names.
	twin := lr("ai", "other-name")
	in2 := in
	in2.LimitRanges = append(slices.Clone(in.LimitRanges), twin)
	snap2, err := Compile(in2)
	if err != nil {
		t.Fatal(err)
	}
	if got := groupNames(snap2); got != "ai,ml etl" {
		t.Errorf("groups %q, want %q", got, "ai,ml etl")
	}
	// The groups, computed once per snapshot, are those of the LimitRange
	// being written where one is.
	written := lr("ml", "only", corev1.LimitRangeItem{Type: corev1.LimitTypePod, Max: corev1.ResourceList{"memory": q("1Gi")}})
	if got := groupNames(snap2.WithLimitRange(&written)); got != "ai etl ml" {
		t.Errorf("groups with a LimitRange written %q, want %q", got, "ai etl ml")
	}
	// Update with other inputs replaces them.
	c := &Compiler{}
	if _, err := c.Compile(in); err != nil {
		t.Fatal(err)
	}
	next, err := c.Update(nil, &Inputs{})
	if err != nil || next.LimitRanges("etl") != nil {
		t.Errorf("after an update without LimitRanges: %v, %v", next.LimitRanges("etl"), err)
	}
}
