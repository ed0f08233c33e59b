package mutate

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"gomodules.xyz/jsonpatch/v2"
	corev1 "k8s.io/api/core/v1"
)

// podRegion is a part of a pod that rendering may change, at a JSON
// pointer, with its typed value. Each row of the pod's field table names
// the regions its renderer touches (podField.touches); the patch diffs
// those regions only, never the whole pod.
type podRegion struct {
	path string
	// get returns the region's value as it encodes, and whether it is in
	// the pod's JSON at all (omitempty: an empty map, list or string, or a
	// nil pointer, is absent).
	get func(p *corev1.Pod) (any, bool)
}

// podRegions are every region a renderer may touch, by path (built once).
var podRegions = sync.OnceValue(func() map[string]podRegion {
	regions := []podRegion{
		{regionLabels, func(p *corev1.Pod) (any, bool) { return p.Labels, len(p.Labels) > 0 }},
		{regionAnnotations, func(p *corev1.Pod) (any, bool) { return p.Annotations, len(p.Annotations) > 0 }},
		{regionNodeSelector, func(p *corev1.Pod) (any, bool) { return p.Spec.NodeSelector, len(p.Spec.NodeSelector) > 0 }},
		{regionPriorityClass, func(p *corev1.Pod) (any, bool) { return p.Spec.PriorityClassName, p.Spec.PriorityClassName != "" }},
		{regionPriority, func(p *corev1.Pod) (any, bool) { return p.Spec.Priority, p.Spec.Priority != nil }},
		{regionPreemption, func(p *corev1.Pod) (any, bool) { return p.Spec.PreemptionPolicy, p.Spec.PreemptionPolicy != nil }},
		{regionScheduler, func(p *corev1.Pod) (any, bool) { return p.Spec.SchedulerName, p.Spec.SchedulerName != "" }},
		{regionServiceAccount, func(p *corev1.Pod) (any, bool) {
			return p.Spec.ServiceAccountName, p.Spec.ServiceAccountName != ""
		}},
		{regionDeprecatedSA, func(p *corev1.Pod) (any, bool) {
			return p.Spec.DeprecatedServiceAccount, p.Spec.DeprecatedServiceAccount != "" //nolint:staticcheck // kept equal, as the API server does
		}},
		{regionTolerations, func(p *corev1.Pod) (any, bool) { return p.Spec.Tolerations, len(p.Spec.Tolerations) > 0 }},
		{regionInitContainers, func(p *corev1.Pod) (any, bool) { return p.Spec.InitContainers, len(p.Spec.InitContainers) > 0 }},
		{regionContainers, func(p *corev1.Pod) (any, bool) { return p.Spec.Containers, len(p.Spec.Containers) > 0 }},
		{regionVolumes, func(p *corev1.Pod) (any, bool) { return p.Spec.Volumes, len(p.Spec.Volumes) > 0 }},
	}
	out := make(map[string]podRegion, len(regions))
	for _, r := range regions {
		out[r.path] = r
	}
	return out
})

// regionPatch is Patch for a composition whose renderers touched only
// regions (paths of podRegions): the regions that differ are diffed each on
// its own, exactly as the generic diff would diff them inside the whole
// pod, and the operations put in the same canonical order. Nothing else of
// the pods is encoded.
func regionPatch(before, after *corev1.Pod, regions []string) ([]jsonpatch.Operation, error) {
	before, after, ops, err := splitEnv(before, after)
	if err != nil {
		return nil, err
	}
	all := podRegions()
	// What canonicalOrder needs of before: that metadata and spec are
	// objects, and the shape of each region diffed inside.
	doc := map[string]any{"metadata": map[string]any{}, "spec": map[string]any{}}
	for _, path := range regions {
		r, ok := all[path]
		if !ok {
			return nil, fmt.Errorf("no pod region %s", path)
		}
		b, inBefore := r.get(before)
		a, inAfter := r.get(after)
		switch {
		case !inBefore && !inAfter:
		case !inBefore:
			v, err := toJSONValue(a)
			if err != nil {
				return nil, err
			}
			ops = append(ops, jsonpatch.Operation{Operation: "add", Path: path, Value: v})
		case !inAfter:
			ops = append(ops, jsonpatch.Operation{Operation: "remove", Path: path})
		case reflect.DeepEqual(b, a):
		case reflect.TypeOf(b).Kind() == reflect.Slice:
			listOps, shape, err := diffList(path, reflect.ValueOf(b), reflect.ValueOf(a))
			if err != nil {
				return nil, err
			}
			ops = append(ops, listOps...)
			setPointer(doc, path, shape)
		default:
			sub, shape, err := diffJSON(path, b, a)
			if err != nil {
				return nil, err
			}
			ops = append(ops, sub...)
			setPointer(doc, path, shape)
		}
	}
	return canonicalOrder(ops, doc), nil
}

// diffList diffs two lists as the generic diff does (removals from the end,
// then additions, then each element at the same index), but element by
// element in their typed form: only the elements that differ are encoded.
// shape is before's shape for canonicalOrder: a list whose diffed elements
// are decoded.
func diffList(path string, b, a reflect.Value) ([]jsonpatch.Operation, []any, error) {
	var ops []jsonpatch.Operation
	n := min(b.Len(), a.Len())
	for i := b.Len() - 1; i >= n; i-- {
		ops = append(ops, jsonpatch.Operation{Operation: "remove", Path: path + "/" + strconv.Itoa(i)})
	}
	for i := n; i < a.Len(); i++ {
		v, err := toJSONValue(a.Index(i).Interface())
		if err != nil {
			return nil, nil, err
		}
		ops = append(ops, jsonpatch.Operation{Operation: "add", Path: path + "/" + strconv.Itoa(i), Value: v})
	}
	shape := make([]any, b.Len())
	for i := range n {
		x, y := b.Index(i).Interface(), a.Index(i).Interface()
		if reflect.DeepEqual(x, y) {
			continue
		}
		sub, elem, err := diffJSON(path+"/"+strconv.Itoa(i), x, y)
		if err != nil {
			return nil, nil, err
		}
		ops = append(ops, sub...)
		shape[i] = elem
	}
	return ops, shape, nil
}

// diffJSON is the generic diff of two values at path, and before's shape.
func diffJSON(path string, b, a any) ([]jsonpatch.Operation, any, error) {
	x, err := json.Marshal(b)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding pod: %w", err)
	}
	y, err := json.Marshal(a)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding composed pod: %w", err)
	}
	sub, err := jsonpatch.CreatePatch(x, y)
	if err != nil {
		return nil, nil, fmt.Errorf("computing patch: %w", err)
	}
	for i := range sub {
		sub[i].Path = path + sub[i].Path
	}
	var shape any
	if err := json.Unmarshal(x, &shape); err != nil {
		return nil, nil, err
	}
	return sub, shape, nil
}

// setPointer sets the value at a JSON pointer of plain object keys,
// creating the objects on the way.
func setPointer(doc map[string]any, path string, v any) {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for _, p := range parts[:len(parts)-1] {
		next, ok := doc[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			doc[p] = next
		}
		doc = next
	}
	doc[parts[len(parts)-1]] = v
}
