package mutate

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	resourcehelper "k8s.io/component-helpers/resource"

	"github.com/strata-dev/strata/pkg/overlay"
)

// The API server's ResourceQuota admission plugin is on by default. Last
// of all, after the validating webhooks, it refuses a pod created in a namespace one of
// whose ResourceQuotas bounds cpu or memory (cpu, memory, requests.cpu,
// requests.memory, limits.cpu, limits.memory) unless each of its
// containers and init containers requests, or limits, what the quota
// bounds: a sidecar a layer injects without a memory limit, in a
// namespace whose quota bounds limits.memory, has every Spark pod of the
// namespace refused (`failed quota: compute: must specify limits.memory
// for: log-shipper`). The composer predicts it (QuotaRefusals) from the
// ResourceQuotas it is given; the webhook warns of it. What a pod would
// use beyond what is left of a quota depends on what runs, and is not
// predicted. This follows the plugin and the pod evaluator of Kubernetes
// 1.37 (k8s.io/apiserver's resourcequota plugin, k8s.io/kubernetes'
// pkg/quota/v1/evaluator/core), which Strata cannot import:
// k8s.io/kubernetes is not a library module.

// quotaValidated are the resources a ResourceQuota bounds that each
// container of a pod must request or limit (the plugin's validationSet),
// each with what of a container's resources counts as it.
var quotaValidated = map[corev1.ResourceName]struct {
	resource corev1.ResourceName
	limit    bool
}{
	corev1.ResourceCPU:            {corev1.ResourceCPU, false},
	corev1.ResourceRequestsCPU:    {corev1.ResourceCPU, false},
	corev1.ResourceLimitsCPU:      {corev1.ResourceCPU, true},
	corev1.ResourceMemory:         {corev1.ResourceMemory, false},
	corev1.ResourceRequestsMemory: {corev1.ResourceMemory, false},
	corev1.ResourceLimitsMemory:   {corev1.ResourceMemory, true},
}

// QuotaRefusal is why the ResourceQuota admission refuses a pod.
type QuotaRefusal struct {
	// Quota is the name of the ResourceQuota the pod fails.
	Quota string
	// Reason is the plugin's words: "must specify limits.memory for:
	// log-shipper", or, of a quota the pod exceeds, "requested:
	// limits.cpu=2, used: limits.cpu=99, limited: limits.cpu=100".
	Reason string
	// Exceeded is a quota whose hard limits the pod passes, with what
	// the quota records as used.
	Exceeded bool
	// Uncovered is a refusal for want of a quota covering what the pod
	// consumes (UncoveredRefusals): Quota is empty, and Reason the
	// plugin's whole words.
	Uncovered bool
}

func (r QuotaRefusal) String() string {
	if r.Uncovered {
		return r.Reason
	}
	if r.Exceeded {
		return fmt.Sprintf("exceeded quota: %s, %s", r.Quota, r.Reason)
	}
	return fmt.Sprintf("failed quota: %s: %s", r.Quota, r.Reason)
}

// QuotaExceeded returns, of quotas (in the order given) whose scopes hold
// pod, those whose hard limit of a resource pod's usage (QuotaUsage)
// passes, added to what the quota records as used (its status's; none
// for a quota read from a file, when the pod alone is judged), in the
// plugin's words. The plugin judges it after QuotaRefusals, and names the
// first quota only; each is returned here.
func QuotaExceeded(quotas []*corev1.ResourceQuota, pod *corev1.Pod) []QuotaRefusal {
	if len(quotas) == 0 {
		return nil
	}
	return exceeded(quotas, QuotaUsage(pod), func(q *corev1.ResourceQuota) bool { return quotaScopesMatch(q, pod) })
}

// ClaimQuotaExceeded is QuotaExceeded of the PersistentVolumeClaim Spark
// creates as claim (its QuotaUsage): a spill volume larger than what is
// left of a quota of storage is refused, and its pod with it. Nothing of
// a claim whose size is no quantity: none is created.
func ClaimQuotaExceeded(quotas []*corev1.ResourceQuota, claim SparkClaim) []QuotaRefusal {
	usage, ok := claim.QuotaUsage()
	if len(quotas) == 0 || !ok {
		return nil
	}
	return exceeded(quotas, usage, claimInQuotaScopes)
}

// exceeded are the quotas holds reports true of whose hard limit of a
// resource usage passes, with what they record as used (QuotaExceeded).
func exceeded(quotas []*corev1.ResourceQuota, usage corev1.ResourceList, holds func(*corev1.ResourceQuota) bool) []QuotaRefusal {
	var out []QuotaRefusal
	for _, q := range quotas {
		if !holds(q) {
			continue
		}
		hard, used := overlay.QuotaHard(q), q.Status.Used
		requested, wasUsed, limited := corev1.ResourceList{}, corev1.ResourceList{}, corev1.ResourceList{}
		for _, name := range slices.Sorted(maps.Keys(hard)) {
			u, ok := usage[name]
			if !ok || u.IsZero() {
				continue
			}
			total := u.DeepCopy()
			if was, ok := used[name]; ok {
				total.Add(was)
			}
			if limit := hard[name]; total.Cmp(limit) > 0 {
				requested[name], limited[name] = u, limit
				if was, ok := used[name]; ok {
					wasUsed[name] = was
				}
			}
		}
		if len(requested) > 0 {
			out = append(out, QuotaRefusal{Quota: q.Name, Exceeded: true,
				Reason: fmt.Sprintf("requested: %s, used: %s, limited: %s", quotaList(requested), quotaList(wasUsed), quotaList(limited))})
		}
	}
	return out
}

// quotaList writes l as the plugin does: name=quantity, in name order,
// comma-separated.
func quotaList(l corev1.ResourceList) string {
	parts := make([]string, 0, len(l))
	for _, name := range slices.Sorted(maps.Keys(l)) {
		v := l[name]
		parts = append(parts, string(name)+"="+v.String())
	}
	return strings.Join(parts, ",")
}

// QuotaRefusals returns why the ResourceQuota admission refuses the
// creation of pod, as the mutating webhooks leave it, in a namespace of
// quotas: for each quota (in the order given) that bounds cpu or memory
// and whose scopes the pod is in, the resources it bounds that some
// container or init container neither requests nor limits as the quota
// counts them, each with those containers, in name order. The plugin
// names only the first quota the pod fails; each is returned here. A pod
// that sets pod-level resources is not held to its containers'. A limit
// without its request counts as requested, as the API server's defaults
// leave it.
func QuotaRefusals(quotas []*corev1.ResourceQuota, pod *corev1.Pod) []QuotaRefusal {
	return quotaRefusals(quotas, pod, func(string) bool { return true })
}

// addedQuotaRefusals are the ResourceQuota admission's refusals of after
// for the containers after holds that before does not: what a
// composition added.
func addedQuotaRefusals(quotas []*corev1.ResourceQuota, before, after *corev1.Pod) []string {
	own := map[string]bool{}
	for _, c := range slices.Concat(before.Spec.InitContainers, before.Spec.Containers) {
		own[c.Name] = true
	}
	var out []string
	for _, r := range quotaRefusals(quotas, after, func(name string) bool { return !own[name] }) {
		out = append(out, r.String())
	}
	return out
}

// quotaRefusals is QuotaRefusals of the containers of pod judged reports
// true of, by name.
func quotaRefusals(quotas []*corev1.ResourceQuota, pod *corev1.Pod, judged func(container string) bool) []QuotaRefusal {
	if len(quotas) == 0 || resourcehelper.IsPodLevelResourcesSet(pod) {
		return nil
	}
	var out []QuotaRefusal
	for _, q := range quotas {
		var required []corev1.ResourceName
		for name := range overlay.QuotaHard(q) {
			if _, ok := quotaValidated[name]; ok {
				required = append(required, name)
			}
		}
		if len(required) == 0 || !quotaScopesMatch(q, pod) {
			continue
		}
		slices.Sort(required)
		missing := map[corev1.ResourceName][]string{}
		for _, c := range slices.Concat(pod.Spec.Containers, pod.Spec.InitContainers) {
			if !judged(c.Name) {
				continue
			}
			requests, limits := defaultedRequests(&c.Resources), c.Resources.Limits
			for _, name := range required {
				counted := quotaValidated[name]
				list := requests
				if counted.limit {
					list = limits
				}
				if _, ok := list[counted.resource]; !ok && !slices.Contains(missing[name], c.Name) {
					missing[name] = append(missing[name], c.Name)
				}
			}
		}
		if len(missing) == 0 {
			continue
		}
		var parts []string
		for _, name := range slices.Sorted(maps.Keys(missing)) {
			containers := missing[name]
			slices.Sort(containers)
			parts = append(parts, fmt.Sprintf("%s for: %s", name, strings.Join(containers, ",")))
		}
		out = append(out, QuotaRefusal{Quota: q.Name, Reason: "must specify " + strings.Join(parts, "; ")})
	}
	return out
}

// constraining are those of quotas that bound what a container must
// request or limit: the only ones QuotaRefusals may refuse a pod for.
// Most quotas of a cluster bound counts of objects, or storage.
func constraining(quotas []*corev1.ResourceQuota) []*corev1.ResourceQuota {
	var out []*corev1.ResourceQuota
	for _, q := range quotas {
		for name := range overlay.QuotaHard(q) {
			if _, ok := quotaValidated[name]; ok {
				out = append(out, q)
				break
			}
		}
	}
	return out
}

// quotaScopesMatch reports whether pod is in every scope of q: its
// scopes, and its scope selector's requirements.
func quotaScopesMatch(q *corev1.ResourceQuota, pod *corev1.Pod) bool {
	for _, req := range quotaScopeSelectors(q) {
		if !podInQuotaScope(req, pod) {
			return false
		}
	}
	return true
}

// podInQuotaScope reports whether pod is in the scope of req, as the
// pod evaluator judges it: a scope it does not know of pods (one of
// persistent volume claims) holds none.
func podInQuotaScope(req corev1.ScopedResourceSelectorRequirement, pod *corev1.Pod) bool {
	switch req.ScopeName {
	case corev1.ResourceQuotaScopeTerminating:
		return terminating(pod)
	case corev1.ResourceQuotaScopeNotTerminating:
		return !terminating(pod)
	case corev1.ResourceQuotaScopeBestEffort:
		return BestEffort(pod)
	case corev1.ResourceQuotaScopeNotBestEffort:
		return !BestEffort(pod)
	case corev1.ResourceQuotaScopePriorityClass:
		class := pod.Spec.PriorityClassName
		switch req.Operator {
		case corev1.ScopeSelectorOpExists:
			return class != ""
		case corev1.ScopeSelectorOpDoesNotExist:
			return class == ""
		case corev1.ScopeSelectorOpIn:
			return class != "" && slices.Contains(req.Values, class)
		case corev1.ScopeSelectorOpNotIn:
			return class == "" || !slices.Contains(req.Values, class)
		}
		return false
	case corev1.ResourceQuotaScopeCrossNamespacePodAffinity:
		return crossNamespaceAffinity(pod)
	}
	return false
}

// terminating reports whether pod has an active deadline.
func terminating(pod *corev1.Pod) bool {
	return pod.Spec.ActiveDeadlineSeconds != nil && *pod.Spec.ActiveDeadlineSeconds >= 0
}

// crossNamespaceAffinity reports whether a pod (anti-)affinity term of pod
// names namespaces or selects them.
func crossNamespaceAffinity(pod *corev1.Pod) bool {
	a := pod.Spec.Affinity
	if a == nil {
		return false
	}
	cross := func(t *corev1.PodAffinityTerm) bool { return len(t.Namespaces) != 0 || t.NamespaceSelector != nil }
	anyOf := func(required []corev1.PodAffinityTerm, preferred []corev1.WeightedPodAffinityTerm) bool {
		for i := range required {
			if cross(&required[i]) {
				return true
			}
		}
		for i := range preferred {
			if cross(&preferred[i].PodAffinityTerm) {
				return true
			}
		}
		return false
	}
	if p := a.PodAffinity; p != nil && anyOf(p.RequiredDuringSchedulingIgnoredDuringExecution, p.PreferredDuringSchedulingIgnoredDuringExecution) {
		return true
	}
	p := a.PodAntiAffinity
	return p != nil && anyOf(p.RequiredDuringSchedulingIgnoredDuringExecution, p.PreferredDuringSchedulingIgnoredDuringExecution)
}
