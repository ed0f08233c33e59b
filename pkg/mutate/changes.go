package mutate

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
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
// field whose value on the pod they would change, with the Shadow layer
// responsible, and every list whose meaningful order they would change
// (OrderChanges); nothing when the pod would be the same.
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
	// A change of the composition that would not change the pod's values
	// (a sidecar mode without sidecars, an init container a container of
	// its name keeps out, an element a Shadow layer names only moving in
	// its list) is none: the report counts the pods a Shadow layer would
	// change.
	now, then := inKeyOrder(res.Pod), inKeyOrder(would.Pod)
	if same, err := samePod(now, then); err != nil || same {
		return nil, err
	}
	if res.Composition.Provenance.Partial() {
		if res, err = Render(snap, cluster, pod); err != nil {
			return nil, err
		}
	}
	var out []ShadowChange
	for _, o := range OrderChanges(now, then, res.Role) {
		out = append(out, ShadowChange{Field: o.Field, Layer: shadow[0], Now: &o.Before, Shadow: &o.After})
	}
	for _, c := range Changes(res.Composition.Provenance, would.Composition.Provenance) {
		f := c.Field()
		if !AppliesToPod(f.Key) {
			continue
		}
		// A change the pod would not show is none: a value the pod would
		// hold anyway (IRSA's AWS_ROLE_ARN over a layer's), a sidecar mode
		// when the containers would be the same.
		if a, b, found := currents(f.Key, now, then); found {
			if reflect.DeepEqual(a, b) {
				continue
			}
		} else if same, err := sameRegions(f.Key, now, then); err != nil {
			return nil, err
		} else if same {
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

// sameRegions reports whether the pod regions the renderer of key's field
// writes are the same in two compositions of a pod; false for a field
// rendered anywhere (a pod patch) or nowhere.
func sameRegions(key overlay.Key, now, would *corev1.Pod) (bool, error) {
	field, ok := overlay.FieldOf(key.Root)
	if !ok {
		return false, nil
	}
	rows := podRowOf()
	if row := rows[field.Name]; len(row.touches) == 0 && row.renderedWith != "" {
		i := slices.IndexFunc(overlay.Fields(), func(f overlay.ConfigField) bool { return f.Name == row.renderedWith })
		field = overlay.Fields()[i]
	}
	regions, anywhere := touchedRegions(rows, []overlay.ConfigField{field})
	if anywhere || len(regions) == 0 {
		return false, nil
	}
	ops, err := regionPatch(now, would, regions)
	return len(ops) == 0, err
}

// inKeyOrder is a copy of pod with the keyed lists whose order means
// nothing in the order of their keys: tolerations, volumes, mounts, the
// containers after the Spark container. Where an element stands is the
// place of the lowest layer that names it, not a value of the pod's. The
// lists whose order means something (OrderChanges) are left as they are.
func inKeyOrder(pod *corev1.Pod) *corev1.Pod {
	out := pod.DeepCopy()
	slices.SortStableFunc(out.Spec.Tolerations, func(a, b corev1.Toleration) int {
		return strings.Compare(overlay.TolerationKey(&a), overlay.TolerationKey(&b))
	})
	slices.SortStableFunc(out.Spec.Volumes, func(a, b corev1.Volume) int { return strings.Compare(a.Name, b.Name) })
	if len(out.Spec.Containers) > 1 {
		slices.SortStableFunc(out.Spec.Containers[1:], func(a, b corev1.Container) int { return strings.Compare(a.Name, b.Name) })
	}
	for _, cs := range [][]corev1.Container{out.Spec.InitContainers, out.Spec.Containers} {
		for i := range cs {
			slices.SortStableFunc(cs[i].VolumeMounts, func(a, b corev1.VolumeMount) int {
				return strings.Compare(overlay.VolumeMountKey(&a), overlay.VolumeMountKey(&b))
			})
		}
	}
	return out
}

// OrderChange is a list of a pod whose elements stand in another order in
// another composition of it, where their order means something: the
// Spark container's env (a variable may refer to those before it) and
// envFrom (of a key several sources hold, the last one's value wins), and
// the init containers (run one after another). An element's place is the
// lowest layer's that names it, so a change of layers can move it without
// changing its value.
type OrderChange struct {
	// Field is the list's path, as explain names it, with " (order)".
	Field string `json:"field"`
	// Before and After are the keys both compositions hold, in each
	// one's order.
	Before string `json:"before"`
	After  string `json:"after"`
}

// OrderChanges are the lists of pod, composed as role, whose order differs
// between before and after.
func OrderChanges(before, after *corev1.Pod, role v1alpha1.Role) []OrderChange {
	var out []OrderChange
	add := func(field string, a, b []string) {
		inBoth := func(keys, other []string) []string {
			return slices.DeleteFunc(slices.Clone(keys), func(k string) bool { return !slices.Contains(other, k) })
		}
		if x, y := inBoth(a, b), inBoth(b, a); !slices.Equal(x, y) {
			out = append(out, OrderChange{Field: field + " (order)", Before: strings.Join(x, ", "), After: strings.Join(y, ", ")})
		}
	}
	spark := func(pod *corev1.Pod) *corev1.Container {
		if i := sparkContainer(pod, role); i >= 0 {
			return &pod.Spec.Containers[i]
		}
		return &corev1.Container{}
	}
	add(overlay.PathEnv, keysOf(spark(before).Env, overlay.EnvKey), keysOf(spark(after).Env, overlay.EnvKey))
	add(overlay.PathEnvFrom, keysOf(spark(before).EnvFrom, overlay.EnvFromKey), keysOf(spark(after).EnvFrom, overlay.EnvFromKey))
	add(overlay.PathInitContainers, keysOf(before.Spec.InitContainers, overlay.ContainerKey), keysOf(after.Spec.InitContainers, overlay.ContainerKey))
	return out
}

// keysOf are the keys of list's elements, in order.
func keysOf[T any](list []T, key func(*T) string) []string {
	out := make([]string, len(list))
	for i := range list {
		out[i] = key(&list[i])
	}
	return out
}

// samePod reports whether two compositions of a pod give the same pod,
// the layers they name (strata.dev/layers) aside.
func samePod(now, would *corev1.Pod) (bool, error) {
	ops, err := Patch(now, would)
	if err != nil {
		return false, err
	}
	for _, op := range ops {
		if op.Path != "/metadata/annotations/strata.dev~1layers" && op.Path != "/metadata/annotations" {
			return false, nil
		}
		if op.Path == "/metadata/annotations" && !onlyLayersAnnotation(op.Value) {
			return false, nil
		}
	}
	return true, nil
}

// onlyLayersAnnotation reports whether an annotations value a patch sets
// holds strata.dev/layers alone.
func onlyLayersAnnotation(v any) bool {
	raw, err := json.Marshal(v)
	if err != nil {
		return false
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return false
	}
	_, layers := m[v1alpha1.LayersAnnotation]
	return len(m) == 1 && layers
}
