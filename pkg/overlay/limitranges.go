package overlay

import (
	"cmp"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// limitRangesOf files ranges by namespace, each namespace's in name order,
// copied, with the API server's defaults (a LimitRange read from a file
// has none yet).
//
// The API server's LimitRanger plugin lists a namespace's LimitRanges from
// its informer's cache, in no order it promises, and the first of them to
// default a resource of a container gives it. Name order is etcd's, the
// order of the plugin's own live lookup of a namespace its cache does not
// hold yet; where two LimitRanges of a namespace default the same
// resource, a cluster gives either.
func limitRangesOf(ranges []corev1.LimitRange) map[string][]*corev1.LimitRange {
	if len(ranges) == 0 {
		return nil
	}
	out := map[string][]*corev1.LimitRange{}
	for i := range ranges {
		lr := ranges[i].DeepCopy()
		for j := range lr.Spec.Limits {
			defaultLimitRangeItem(&lr.Spec.Limits[j])
		}
		out[lr.Namespace] = append(out[lr.Namespace], lr)
	}
	for _, list := range out {
		slices.SortStableFunc(list, func(a, b *corev1.LimitRange) int { return cmp.Compare(a.Name, b.Name) })
	}
	return out
}

// LimitRanges returns the LimitRanges of the named namespace, in name
// order, with the API server's defaults (Inputs.LimitRanges). They are
// shared: the caller must not change them.
func (s *Snapshot) LimitRanges(namespace string) []*corev1.LimitRange {
	return s.limitRanges[namespace]
}

// defaultLimitRangeItem gives a Container item the API server's defaults
// of a LimitRange (SetDefaults_LimitRangeItem): a maximum is the default
// limit of a resource without one, a default limit the default request of
// a resource without one, and else a minimum is. A LimitRange read from
// the cluster holds them already; giving them again changes nothing.
func defaultLimitRangeItem(item *corev1.LimitRangeItem) {
	if item.Type != corev1.LimitTypeContainer {
		return
	}
	fill := func(to *corev1.ResourceList, from corev1.ResourceList) {
		for name, q := range from {
			if _, ok := (*to)[name]; ok {
				continue
			}
			if *to == nil {
				*to = corev1.ResourceList{}
			}
			(*to)[name] = q.DeepCopy()
		}
	}
	fill(&item.Default, item.Max)
	fill(&item.DefaultRequest, item.Default)
	fill(&item.DefaultRequest, item.Min)
}

// WithLimitRange returns a copy of s whose namespace of lr holds lr, in
// place of a LimitRange of its name, with the API server's defaults: what
// the namespace's pods meet once lr is written, to warn of it. s is not
// changed.
func (s *Snapshot) WithLimitRange(lr *corev1.LimitRange) *Snapshot {
	var ranges []corev1.LimitRange
	for _, have := range s.limitRanges[lr.Namespace] {
		if have.Name != lr.Name {
			ranges = append(ranges, *have)
		}
	}
	ranges = append(ranges, *lr)
	out := *s
	out.limitRanges = maps.Clone(s.limitRanges)
	if out.limitRanges == nil {
		out.limitRanges = map[string][]*corev1.LimitRange{}
	}
	out.limitRanges[lr.Namespace] = limitRangesOf(ranges)[lr.Namespace]
	out.bounds = &boundGroups{}
	return &out
}

// WithoutLimitRange returns a copy of s whose namespace holds no
// LimitRange of name: what the namespace's pods meet once it is deleted,
// to warn of it. s is not changed.
func (s *Snapshot) WithoutLimitRange(namespace, name string) *Snapshot {
	if len(s.limitRanges[namespace]) == 0 {
		return s
	}
	out := *s
	out.limitRanges = maps.Clone(s.limitRanges)
	out.limitRanges[namespace] = slices.DeleteFunc(slices.Clone(s.limitRanges[namespace]), func(lr *corev1.LimitRange) bool { return lr.Name == name })
	out.bounds = &boundGroups{}
	return &out
}
