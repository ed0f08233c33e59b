package mutate

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	resourcev1 "k8s.io/api/resource/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	resourcequotaapi "k8s.io/apiserver/pkg/admission/plugin/resourcequota/apis/resourcequota"

	"github.com/strata-dev/strata/pkg/overlay"
)

// The ResourceQuota admission may be configured (the limitedResources of
// its ResourceQuotaConfiguration, in the API server's
// AdmissionConfiguration) to let a pod consume a resource, or be in a
// scope, only where a ResourceQuota of its namespace covers it: platforms
// keep GPUs (`matchContains: [nvidia.com/gpu]`) and high priority classes
// (`matchScopes: [{scopeName: PriorityClass, operator: In, values:
// [spark-critical]}]`) to the namespaces given a quota of them. A layer
// that gives executors a GPU, or drivers a priority class so limited, has
// every such pod refused in each namespace without that quota. This
// follows the plugin's CheckRequest of Kubernetes 1.37.

// UncoveredRefusals returns why the ResourceQuota admission, configured
// with limited (overlay.Snapshot.LimitedResources), refuses the creation
// of pod in a namespace of quotas for want of a quota covering what it
// consumes, in the plugin's words, as QuotaRefusals with Uncovered set:
//
//   - `insufficient quota to consume: requests.nvidia.com/gpu`: the
//     resources pod uses (QuotaUsage, above zero) whose name contains a
//     matchContains of a limited entry for pods, of which no quota whose
//     scopes hold pod has a hard limit;
//   - `insufficient quota to match these scopes: [{PriorityClass In
//     [spark-critical]}]`: the matchScopes of limited (of every entry,
//     whatever its resource, as the plugin takes them) pod is in, of
//     whose scope name no quota of the namespace selects pod by a scope
//     or a scope selector requirement.
//
// The plugin judges them after the containers (QuotaRefusals) and before
// what is left of each quota (QuotaExceeded), and names the first;
// each is returned here. PodQuotaUnjudged reports a configuration under
// which the plugin judges nothing.
func UncoveredRefusals(limited []resourcequotaapi.LimitedResource, quotas []*corev1.ResourceQuota, pod *corev1.Pod) []QuotaRefusal {
	if len(limited) == 0 {
		return nil
	}
	return uncovered(limited, quotas, limitedObject{
		resource: "pods",
		usage:    func() corev1.ResourceList { return QuotaUsage(pod) },
		inScope:  func(s corev1.ScopedResourceSelectorRequirement) bool { return podInQuotaScope(s, pod) },
		held:     func(q *corev1.ResourceQuota) bool { return quotaScopesMatch(q, pod) },
		counted:  podQuotaResource,
	})
}

// UncoveredClaimRefusals returns why the ResourceQuota admission,
// configured with limited, refuses the PersistentVolumeClaim Spark
// creates as claim in a namespace of quotas for want of a quota covering
// what it consumes, as UncoveredRefusals a pod's: `insufficient quota to
// consume: gp3.storageclass.storage.k8s.io/requests.storage` where
// limitedResources keeps a storage class's claims to namespaces with a
// quota of them. A claim's only scope is its VolumeAttributesClass, which
// Spark's claims name none of. Nothing of a claim whose size is no
// quantity: none is created.
func UncoveredClaimRefusals(limited []resourcequotaapi.LimitedResource, quotas []*corev1.ResourceQuota, claim SparkClaim) []QuotaRefusal {
	usage, ok := claim.QuotaUsage()
	if len(limited) == 0 || !ok || quotaUnjudged(limited, corev1.ResourceQuotaScopeVolumeAttributesClass) {
		return nil
	}
	return uncovered(limited, quotas, limitedObject{
		resource: "persistentvolumeclaims",
		usage:    func() corev1.ResourceList { return usage },
		inScope:  claimInScope,
		held:     claimInQuotaScopes,
		counted:  claimQuotaResource,
	})
}

// limitedObject is what the plugin's check of limitedResources reads of
// the object created: its resource, its usage, whether it is in a scope,
// whether a quota's scopes hold it, and whether a quota's hard limit of a
// resource counts it (its evaluator's MatchingResources).
type limitedObject struct {
	resource string
	usage    func() corev1.ResourceList
	inScope  func(corev1.ScopedResourceSelectorRequirement) bool
	held     func(*corev1.ResourceQuota) bool
	counted  func(corev1.ResourceName) bool
}

// uncovered is the plugin's check of limitedResources of obj in a
// namespace of quotas (UncoveredRefusals).
func uncovered(limited []resourcequotaapi.LimitedResource, quotas []*corev1.ResourceQuota, obj limitedObject) []QuotaRefusal {
	var (
		matchContains []string
		limitedScopes []corev1.ScopedResourceSelectorRequirement
	)
	for _, l := range limited {
		if l.APIGroup == "" && l.Resource == obj.resource {
			matchContains = append(matchContains, l.MatchContains...)
		}
		for _, s := range l.MatchScopes {
			if obj.inScope(s) {
				limitedScopes = append(limitedScopes, s)
			}
		}
	}
	covered, scopeNames := map[corev1.ResourceName]bool{}, map[corev1.ResourceQuotaScope]bool{}
	for _, q := range quotas {
		for _, s := range quotaScopeSelectors(q) {
			if obj.inScope(s) {
				scopeNames[s.ScopeName] = true
			}
		}
		if !obj.held(q) {
			continue
		}
		for name := range overlay.QuotaHard(q) {
			if obj.counted(name) {
				covered[name] = true
			}
		}
	}
	var (
		out      []QuotaRefusal
		consumed []string
	)
	if len(matchContains) > 0 {
		for name, q := range obj.usage() {
			if q.Sign() <= 0 || covered[name] {
				continue
			}
			if slices.ContainsFunc(matchContains, func(sub string) bool { return strings.Contains(string(name), sub) }) {
				consumed = append(consumed, string(name))
			}
		}
	}
	if len(consumed) > 0 {
		slices.Sort(consumed)
		out = append(out, QuotaRefusal{Uncovered: true, Reason: "insufficient quota to consume: " + strings.Join(slices.Compact(consumed), ",")})
	}
	var uncovered []corev1.ScopedResourceSelectorRequirement
	for _, s := range limitedScopes {
		if !scopeNames[s.ScopeName] {
			uncovered = append(uncovered, s)
		}
	}
	if len(uncovered) > 0 {
		out = append(out, QuotaRefusal{Uncovered: true, Reason: fmt.Sprintf("insufficient quota to match these scopes: %v", uncovered)})
	}
	return out
}

// claimInScope reports whether a claim Spark creates, which names no
// VolumeAttributesClass, is in the scope of req, as the claims' evaluator
// judges it: only a VolumeAttributesClass scope that does not require
// one (DoesNotExist, NotIn) holds it.
func claimInScope(req corev1.ScopedResourceSelectorRequirement) bool {
	return req.ScopeName == corev1.ResourceQuotaScopeVolumeAttributesClass &&
		(req.Operator == corev1.ScopeSelectorOpDoesNotExist || req.Operator == corev1.ScopeSelectorOpNotIn)
}

// claimQuotaResource reports whether a quota's hard limit of name bounds
// claims, as the claims' evaluator's MatchingResources tells: their
// count, their storage, each also of a storage class.
func claimQuotaResource(name corev1.ResourceName) bool {
	switch name {
	case "count/persistentvolumeclaims", corev1.ResourcePersistentVolumeClaims, corev1.ResourceRequestsStorage:
		return true
	}
	s := string(name)
	return strings.HasSuffix(s, ".storageclass.storage.k8s.io/"+string(corev1.ResourcePersistentVolumeClaims)) ||
		strings.HasSuffix(s, ".storageclass.storage.k8s.io/"+string(corev1.ResourceRequestsStorage))
}

// addedUncoveredRefusals are UncoveredRefusals of after that before does
// not meet: what a composition made the pod consume, or the scope it put
// it in, that limited keeps to namespaces with a covering quota.
func addedUncoveredRefusals(limited []resourcequotaapi.LimitedResource, quotas []*corev1.ResourceQuota, before, after *corev1.Pod) []string {
	if len(limited) == 0 {
		return nil
	}
	had := map[string]bool{}
	for _, r := range UncoveredRefusals(limited, quotas, before) {
		had[r.Reason] = true
	}
	var out []string
	for _, r := range UncoveredRefusals(limited, quotas, after) {
		if !had[r.Reason] {
			out = append(out, r.String())
		}
	}
	return out
}

// PodQuotaUnjudged reports whether limited holds a scope selector
// requirement of a priority class the plugin cannot read (an operator it
// does not know; In or NotIn without values, or with one that is no label
// value; DoesNotExist with values): the ResourceQuota admission, failing
// to read it for each pod, then judges no pod by any quota of any
// namespace, nor by limited, and admits every pod. The API server does
// not validate limitedResources' scopes.
func PodQuotaUnjudged(limited []resourcequotaapi.LimitedResource) bool {
	return quotaUnjudged(limited, corev1.ResourceQuotaScopePriorityClass)
}

// quotaUnjudged reports whether limited holds a requirement of scope
// (the one scope whose selector the evaluator of an object parses) the
// plugin cannot read, so that it judges no such object.
func quotaUnjudged(limited []resourcequotaapi.LimitedResource, scope corev1.ResourceQuotaScope) bool {
	return len(unreadableScopes(limited, scope)) > 0
}

// unreadableScopes are the requirements of scope in limited the plugin
// cannot read, each named by its field and why.
func unreadableScopes(limited []resourcequotaapi.LimitedResource, scope corev1.ResourceQuotaScope) []string {
	var out []string
	for i, l := range limited {
		for j, s := range l.MatchScopes {
			if s.ScopeName != scope || s.Operator == corev1.ScopeSelectorOpExists {
				continue
			}
			at := fmt.Sprintf("limitedResources[%d].matchScopes[%d]", i, j)
			op, ok := map[corev1.ScopeSelectorOperator]selection.Operator{corev1.ScopeSelectorOpIn: selection.In,
				corev1.ScopeSelectorOpNotIn: selection.NotIn, corev1.ScopeSelectorOpDoesNotExist: selection.DoesNotExist}[s.Operator]
			if !ok {
				out = append(out, fmt.Sprintf("%s: operator %q is not a scope selector operator", at, s.Operator))
				continue
			}
			if _, err := labels.NewRequirement(string(s.ScopeName), op, s.Values); err != nil {
				out = append(out, fmt.Sprintf("%s: %v", at, err))
			}
		}
	}
	return out
}

// LimitedResourcesWarnings warns of a configuration of the ResourceQuota
// admission under which it judges no pod, or no claim, by any quota: a
// scope selector requirement of limited it cannot read (PodQuotaUnjudged),
// which the API server does not validate. The webhook logs them at start;
// the composer prints them.
func LimitedResourcesWarnings(limited []resourcequotaapi.LimitedResource) []string {
	var out []string
	for _, of := range []struct {
		scope   corev1.ResourceQuotaScope
		objects string
	}{{corev1.ResourceQuotaScopePriorityClass, "pod"}, {corev1.ResourceQuotaScopeVolumeAttributesClass, "PersistentVolumeClaim"}} {
		for _, why := range unreadableScopes(limited, of.scope) {
			out = append(out, fmt.Sprintf("the API server's ResourceQuota admission cannot read %s, and so judges no %s of any namespace by any ResourceQuota", why, of.objects))
		}
	}
	return out
}

// quotaScopeSelectors are q's scopes, each as a requirement that the scope
// exists, then its scope selector's requirements.
func quotaScopeSelectors(q *corev1.ResourceQuota) []corev1.ScopedResourceSelectorRequirement {
	var out []corev1.ScopedResourceSelectorRequirement
	for _, scope := range q.Spec.Scopes {
		out = append(out, corev1.ScopedResourceSelectorRequirement{ScopeName: scope, Operator: corev1.ScopeSelectorOpExists})
	}
	if sel := q.Spec.ScopeSelector; sel != nil {
		out = append(out, sel.MatchExpressions...)
	}
	return out
}

// podQuotaResources are the resources the pod evaluator counts by name
// (its podResources); podQuotaResource adds those of huge pages and
// extended resources.
var podQuotaResources = []corev1.ResourceName{"count/pods", corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage,
	corev1.ResourceRequestsCPU, corev1.ResourceRequestsMemory, corev1.ResourceRequestsEphemeralStorage,
	corev1.ResourceLimitsCPU, corev1.ResourceLimitsMemory, corev1.ResourceLimitsEphemeralStorage, corev1.ResourcePods}

// podQuotaResource reports whether a quota's hard limit of name bounds
// pods, as the pod evaluator's MatchingResources tells.
func podQuotaResource(name corev1.ResourceName) bool {
	s := string(name)
	switch {
	case slices.Contains(podQuotaResources, name),
		strings.HasPrefix(s, corev1.ResourceHugePagesPrefix), strings.HasPrefix(s, corev1.ResourceRequestsHugePagesPrefix):
		return true
	}
	if !strings.HasPrefix(s, corev1.DefaultResourceRequestsPrefix) {
		return false
	}
	return !nativeResourceName(name) || strings.HasPrefix(s, corev1.DefaultResourceRequestsPrefix+resourcev1.ResourceDeviceClassPrefix)
}

// nativeResourceName reports whether name is Kubernetes' own: no domain,
// or one of *kubernetes.io.
func nativeResourceName(name corev1.ResourceName) bool {
	return !strings.Contains(string(name), "/") || strings.Contains(string(name), corev1.ResourceDefaultNamespacePrefix)
}
