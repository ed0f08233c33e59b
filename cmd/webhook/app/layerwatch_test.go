package app

import (
	"maps"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// TestLayerWatchNotesEachChange: the Layer watch's store holds what the
// watch brings, without managedFields, notes the name of each Layer added,
// updated or deleted, and asks for a rebuild only for the first change
// since the last rebuild took them. A list after the first notes only the
// Layers it adds, changes (another resourceVersion) or drops.
func TestLayerWatchNotesEachChange(t *testing.T) {
	var changes changeSet
	asks := 0
	w := newLayerWatch(&changes, func() { asks++ })
	layer := func(name, version string) *v1alpha1.Layer {
		l := teamLayer()
		l.Name, l.ResourceVersion = name, version
		l.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}
		return &l
	}
	if err := w.Replace([]any{layer("a", "1"), layer("b", "1"), layer("c", "1")}, "1"); err != nil {
		t.Fatal(err)
	}
	if !w.isSynced() || asks != 1 {
		t.Fatalf("the first list: synced %v, %d asks", w.isSynced(), asks)
	}
	if got := w.get("a"); got == nil || got.ManagedFields != nil {
		t.Fatalf("stored %+v, want Layer a without managedFields", got)
	}
	if taken, _ := changes.take(); len(taken) != 0 {
		t.Fatalf("the first list noted %v: the first rebuild reads every Layer anyway", taken)
	}

	if err := w.Add(layer("d", "2")); err != nil || asks != 2 {
		t.Fatalf("an added Layer: %v, %d asks", err, asks)
	}
	if err := w.Update(layer("a", "3")); err != nil || asks != 2 {
		t.Fatalf("a second change asked again (%v, %d asks)", err, asks)
	}
	if err := w.Delete(layer("b", "4")); err != nil {
		t.Fatal(err)
	}
	if taken, _ := changes.take(); !slices.Equal(slices.Sorted(maps.Keys(taken)), []string{"a", "b", "d"}) {
		t.Fatalf("noted %v, want a, b and d", taken)
	}
	if w.get("b") != nil || w.get("a").ResourceVersion != "3" {
		t.Fatal("the store does not hold what the watch brought")
	}
	if names := func() (out []string) {
		for _, l := range w.list() {
			out = append(out, l.Name)
		}
		return out
	}(); !slices.Equal(names, []string{"a", "c", "d"}) {
		t.Fatalf("listed %v", names)
	}

	// Listed again: a unchanged, c changed, d gone, e new.
	if err := w.Replace([]any{layer("a", "3"), layer("c", "5"), layer("e", "5")}, "5"); err != nil || asks != 3 {
		t.Fatalf("a relist: %v, %d asks", err, asks)
	}
	if taken, _ := changes.take(); !slices.Equal(slices.Sorted(maps.Keys(taken)), []string{"c", "d", "e"}) {
		t.Fatalf("the relist noted %v, want c, d and e", taken)
	}

	if err := w.Add("not a Layer"); err == nil {
		t.Error("the store took what is not a Layer")
	}
}
