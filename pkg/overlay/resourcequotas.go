package overlay

import (
	"cmp"
	"encoding/json"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// resourceQuotasOf files quotas by namespace, each namespace's in name
// order, copied.
func resourceQuotasOf(quotas []corev1.ResourceQuota) map[string][]*corev1.ResourceQuota {
	if len(quotas) == 0 {
		return nil
	}
	out := map[string][]*corev1.ResourceQuota{}
	for i := range quotas {
		q := quotas[i].DeepCopy()
		out[q.Namespace] = append(out[q.Namespace], q)
	}
	for _, list := range out {
		slices.SortStableFunc(list, func(a, b *corev1.ResourceQuota) int { return cmp.Compare(a.Name, b.Name) })
	}
	return out
}

// ResourceQuotas returns the ResourceQuotas of the named namespace, in
// name order (Inputs.ResourceQuotas). They are shared: the caller must not
// change them.
func (s *Snapshot) ResourceQuotas(namespace string) []*corev1.ResourceQuota {
	return s.resourceQuotas[namespace]
}

// QuotaGroup is namespaces whose ResourceQuotas constrain their pods
// alike: the same resource names, scopes and scope selectors, in name
// order (what the API server requires of a pod's containers depends on
// those, not on the amounts).
type QuotaGroup struct {
	// Quotas are the first namespace's ResourceQuotas, shared: the caller
	// must not change them.
	Quotas     []*corev1.ResourceQuota
	Namespaces []string
}

// NamespacesByQuotas groups the namespaces of ResourceQuotas by what
// their quotas constrain, groups in the order of their first namespace,
// each group's namespaces in name order. The work is linear in the
// ResourceQuotas.
func (s *Snapshot) NamespacesByQuotas() []QuotaGroup {
	type shape struct {
		Names         []corev1.ResourceName       `json:"names"`
		Scopes        []corev1.ResourceQuotaScope `json:"scopes"`
		ScopeSelector *corev1.ScopeSelector       `json:"scopeSelector"`
	}
	var (
		out   []QuotaGroup
		byKey = map[string]int{}
	)
	for _, ns := range sortedKeys(s.resourceQuotas) {
		quotas := s.resourceQuotas[ns]
		shapes := make([]shape, len(quotas))
		for i, q := range quotas {
			shapes[i] = shape{Names: slices.Sorted(maps.Keys(QuotaHard(q))), Scopes: q.Spec.Scopes, ScopeSelector: q.Spec.ScopeSelector}
		}
		raw, err := json.Marshal(shapes)
		if err != nil {
			continue // names and strings only: never
		}
		if at, ok := byKey[string(raw)]; ok {
			out[at].Namespaces = append(out[at].Namespaces, ns)
			continue
		}
		byKey[string(raw)] = len(out)
		out = append(out, QuotaGroup{Quotas: quotas, Namespaces: []string{ns}})
	}
	return out
}

// QuotaHard is the hard limits of q the API server's ResourceQuota
// admission enforces: those the quota controller records in its status,
// copied from its spec within seconds of each change; its spec's where it
// has no status yet (a quota read from a file).
func QuotaHard(q *corev1.ResourceQuota) corev1.ResourceList {
	if q.Status.Hard != nil {
		return q.Status.Hard
	}
	return q.Spec.Hard
}

// WithResourceQuota returns a copy of s whose namespace of q holds q, in
// place of a ResourceQuota of its name: what the namespace's pods meet
// once q is written, to warn of it. s is not changed.
func (s *Snapshot) WithResourceQuota(q *corev1.ResourceQuota) *Snapshot {
	var quotas []corev1.ResourceQuota
	for _, have := range s.resourceQuotas[q.Namespace] {
		if have.Name != q.Name {
			quotas = append(quotas, *have)
		}
	}
	written := q.DeepCopy()
	written.Status = corev1.ResourceQuotaStatus{} // as the controller will record it: its spec
	quotas = append(quotas, *written)
	out := *s
	out.resourceQuotas = maps.Clone(s.resourceQuotas)
	if out.resourceQuotas == nil {
		out.resourceQuotas = map[string][]*corev1.ResourceQuota{}
	}
	out.resourceQuotas[q.Namespace] = resourceQuotasOf(quotas)[q.Namespace]
	return &out
}
