package overlay

import (
	"cmp"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	resourcequotaapi "k8s.io/apiserver/pkg/admission/plugin/resourcequota/apis/resourcequota"
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

// LimitedResources are the resources and scopes the API server's
// ResourceQuota admission lets a pod consume only where a ResourceQuota of
// its namespace covers them (Inputs.LimitedResources); nil for none.
// Shared: not to be changed.
func (s *Snapshot) LimitedResources() []resourcequotaapi.LimitedResource {
	return s.admission.LimitedResources
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
	out.bounds = &boundGroups{}
	return &out
}

// WithoutResourceQuota returns a copy of s whose namespace holds no
// ResourceQuota of name: what the namespace's pods meet once it is
// deleted, to warn of it. s is not changed.
func (s *Snapshot) WithoutResourceQuota(namespace, name string) *Snapshot {
	if len(s.resourceQuotas[namespace]) == 0 {
		return s
	}
	out := *s
	out.resourceQuotas = maps.Clone(s.resourceQuotas)
	out.resourceQuotas[namespace] = slices.DeleteFunc(slices.Clone(s.resourceQuotas[namespace]), func(q *corev1.ResourceQuota) bool { return q.Name == name })
	out.bounds = &boundGroups{}
	return &out
}
