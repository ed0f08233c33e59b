package overlay

import (
	"encoding/json"
	"maps"
	"slices"
	"sync"

	corev1 "k8s.io/api/core/v1"
)

// BoundGroup is namespaces whose LimitRanges and ResourceQuotas bound
// their pods alike: the same LimitRange specs, and ResourceQuotas of the
// same resource names, scopes and scope selectors (what the API server
// requires of a pod's containers depends on those, not on the amounts),
// each in name order.
type BoundGroup struct {
	// Ranges and Quotas are the first namespace's, shared: the caller
	// must not change them.
	Ranges     []*corev1.LimitRange
	Quotas     []*corev1.ResourceQuota
	Namespaces []string
}

// boundGroups are a snapshot's NamespacesByBounds, computed on first use
// and shared by the snapshots of the same LimitRanges and ResourceQuotas.
type boundGroups struct {
	once   sync.Once
	groups []BoundGroup
}

// NamespacesByBounds groups the namespaces of LimitRanges or
// ResourceQuotas by what those bound, groups in the order of their first
// namespace, each group's namespaces in name order. The work is linear in
// the LimitRanges and ResourceQuotas, once for the snapshots of the same
// (a Layer's change keeps them). The result is shared: callers must not
// change it.
func (s *Snapshot) NamespacesByBounds() []BoundGroup {
	if s.bounds == nil { // a Snapshot not built by a Compiler
		return s.groupByBounds()
	}
	s.bounds.once.Do(func() { s.bounds.groups = s.groupByBounds() })
	return s.bounds.groups
}

func (s *Snapshot) groupByBounds() []BoundGroup {
	type quotaShape struct {
		Names         []corev1.ResourceName       `json:"names"`
		Scopes        []corev1.ResourceQuotaScope `json:"scopes"`
		ScopeSelector *corev1.ScopeSelector       `json:"scopeSelector"`
	}
	type shape struct {
		Ranges []corev1.LimitRangeSpec `json:"ranges"`
		Quotas []quotaShape            `json:"quotas"`
	}
	namespaces := slices.Concat(slices.Collect(maps.Keys(s.limitRanges)), slices.Collect(maps.Keys(s.resourceQuotas)))
	slices.Sort(namespaces)
	var (
		out   []BoundGroup
		byKey = map[string]int{}
	)
	for _, ns := range slices.Compact(namespaces) {
		ranges, quotas := s.limitRanges[ns], s.resourceQuotas[ns]
		var sh shape
		for _, lr := range ranges {
			sh.Ranges = append(sh.Ranges, lr.Spec)
		}
		for _, q := range quotas {
			sh.Quotas = append(sh.Quotas, quotaShape{Names: slices.Sorted(maps.Keys(QuotaHard(q))), Scopes: q.Spec.Scopes, ScopeSelector: q.Spec.ScopeSelector})
		}
		raw, err := json.Marshal(sh) // maps are written in key order
		if err != nil {
			continue // quantities, names and strings only: never
		}
		if at, ok := byKey[string(raw)]; ok {
			out[at].Namespaces = append(out[at].Namespaces, ns)
			continue
		}
		byKey[string(raw)] = len(out)
		out = append(out, BoundGroup{Ranges: ranges, Quotas: quotas, Namespaces: []string{ns}})
	}
	return out
}
