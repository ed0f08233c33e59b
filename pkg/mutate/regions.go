package mutate

import (
	"fmt"
	"reflect"
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
		{regionRuntimeClass, func(p *corev1.Pod) (any, bool) { return p.Spec.RuntimeClassName, p.Spec.RuntimeClassName != nil }},
		{regionOverhead, func(p *corev1.Pod) (any, bool) { return p.Spec.Overhead, len(p.Spec.Overhead) > 0 }},
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
// regions (paths of podRegions, each once, in canonical order as
// touchedRegions gives them): each region is diffed on its own, in
// typed form (typedDiff), giving the operations the generic diff of the
// whole pods gives, in the same canonical order. Nothing of the pods is
// encoded but what changed.
func regionPatch(before, after *corev1.Pod, regions []string) ([]jsonpatch.Operation, error) {
	all := podRegions()
	var d differ
	for _, path := range regions {
		r, ok := all[path]
		if !ok {
			return nil, fmt.Errorf("no pod region %s", path)
		}
		b, inBefore := r.get(before)
		a, inAfter := r.get(after)
		var err error
		switch {
		case !inBefore && !inAfter:
		case !inBefore:
			err = d.add(path, reflect.ValueOf(a))
		case !inAfter:
			d.remove(path)
		default:
			err = d.typedDiff(path, reflect.ValueOf(b), reflect.ValueOf(a))
		}
		if err != nil {
			return nil, err
		}
	}
	if d.ops == nil {
		d.ops = []jsonpatch.Operation{}
	}
	return d.ops, nil
}
