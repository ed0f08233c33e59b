package mutate

import (
	"maps"
	"slices"
	"strings"

	"github.com/strata-dev/strata/pkg/overlay"
	corev1 "k8s.io/api/core/v1"
)

// FieldChange is a composed field whose value differs between two
// compositions of one object: a shadow layer's, a change of the layers.
type FieldChange struct {
	// Before and After are the field's provenance in each composition;
	// a nil one had no value.
	Before, After *overlay.Field
}

// Field is the provenance of the field, as it is after, else before.
func (c FieldChange) Field() overlay.Field {
	if c.After != nil {
		return *c.After
	}
	return *c.Before
}

// Changes are the fields whose composed value differs between before and
// after, sorted by path.
func Changes(before, after *overlay.Provenance) []FieldChange {
	byKey := func(p *overlay.Provenance) map[overlay.Key]overlay.Field {
		m := map[overlay.Key]overlay.Field{}
		for _, f := range p.Fields() {
			m[f.Key] = f
		}
		return m
	}
	b, a := byKey(before), byKey(after)
	keys := slices.Collect(maps.Keys(b))
	for k := range a {
		if _, ok := b[k]; !ok {
			keys = append(keys, k)
		}
	}
	var out []FieldChange
	for _, k := range keys {
		fb, inB := b[k]
		fa, inA := a[k]
		if inB && inA && fb.Value == fa.Value {
			continue
		}
		var c FieldChange
		if inB {
			c.Before = &fb
		}
		if inA {
			c.After = &fa
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(x, y FieldChange) int { return strings.Compare(x.Field().Path, y.Field().Path) })
	return out
}

// ShadowChange is a field a Shadow layer would have changed on a pod.
type ShadowChange struct {
	// Layer is the Shadow layer responsible.
	Layer string `json:"layer"`
	// Field is the field's path, as explain shows it.
	Field string `json:"field"`
	// Now and Shadow are the values without and with the Shadow layers;
	// absent when unset.
	Now    *string `json:"now,omitempty"`
	Shadow *string `json:"shadow,omitempty"`
}

// ShadowOf is what the Shadow layers that match pod would change of its
// composition res (Compose's or Admit's, which leave them out): every
// field whose value they would change, with the Shadow layer responsible.
// A pod no Shadow layer matches costs nothing more (ShadowLayers is an
// index lookup, nothing is composed). Admit's provenance is partial: the
// pod is composed again, with Compose's, to compare.
func ShadowOf(snap *overlay.Snapshot, cluster Cluster, pod *corev1.Pod, res *Result) ([]ShadowChange, error) {
	if !res.Spark {
		return nil, nil
	}
	t := TargetOf(cluster, pod, res.Role)
	shadow := snap.ShadowLayers(t)
	if len(shadow) == 0 {
		return nil, nil
	}
	would, err := renderStored(snap, cluster, pod, snap.ComposeShadow)
	if err != nil {
		return nil, err
	}
	if res.Composition.Provenance.Partial() {
		if res, err = Render(snap, cluster, pod); err != nil {
			return nil, err
		}
	}
	var out []ShadowChange
	for _, c := range Changes(res.Composition.Provenance, would.Composition.Provenance) {
		f := c.Field()
		if !AppliesToPod(f.Key) {
			continue
		}
		sc := ShadowChange{Field: f.Path, Layer: shadow[0]}
		if c.After != nil && slices.Contains(shadow, c.After.Winner.Layer) {
			sc.Layer = c.After.Winner.Layer
		} else if c.Before != nil && slices.Contains(shadow, c.Before.Winner.Layer) {
			sc.Layer = c.Before.Winner.Layer
		}
		if c.Before != nil {
			sc.Now = &c.Before.Value
		}
		if c.After != nil {
			sc.Shadow = &c.After.Value
		}
		out = append(out, sc)
	}
	return out, nil
}
