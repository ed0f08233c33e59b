package overlay

import (
	"encoding/json"
	"slices"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// The Namespace annotations the API server's PodNodeSelector and
// PodTolerationRestriction admission plugins read, where a cluster enables
// them.
const (
	// NamespaceNodeSelectorAnnotation holds the node selector
	// PodNodeSelector merges into every pod of the namespace, written as a
	// label selector of equalities ("pool=core,zone=a").
	NamespaceNodeSelectorAnnotation = "scheduler.alpha.kubernetes.io/node-selector"
	// NamespaceTolerationsAnnotation holds the tolerations, a JSON list,
	// PodTolerationRestriction merges into every pod the namespace creates.
	NamespaceTolerationsAnnotation = "scheduler.alpha.kubernetes.io/defaultTolerations"
)

// NamespacePlacementPolicy is the ValidatingAdmissionPolicy of the shipped
// manifests that keeps a Namespace's placement annotations to platform
// admins.
const NamespacePlacementPolicy = "strata-namespace-placement"

// NamespacePlacement is what a namespace's annotations give each of its
// pods through the API server's PodNodeSelector and
// PodTolerationRestriction admission plugins, before any webhook sees the
// pod. While NamespacePlacementPolicy keeps those annotations to platform
// admins (NamespacePlacementGuarded), what they give is the platform's,
// never the tenant's: policies do not judge it as the tenant's own
// (policy's input.user).
type NamespacePlacement struct {
	// NodeSelector is the namespace's node selector; nil when it has none.
	NodeSelector map[string]string
	// Tolerations are the namespace's default tolerations; nil when none.
	Tolerations []corev1.Toleration
}

// knownNamespace is what a snapshot keeps of a Namespace.
type knownNamespace struct {
	// labels are its labels, kubernetes.io/metadata.name among them
	// (namespaceLabels).
	labels map[string]string
	// placement is what its annotations place its pods with.
	placement NamespacePlacement
}

func knownNamespaceOf(ns *corev1.Namespace) *knownNamespace {
	return &knownNamespace{labels: namespaceLabels(ns.Name, ns.Labels), placement: namespacePlacementOf(ns.Annotations)}
}

// namespacePlacementOf reads the two annotations as the plugins read them.
// An annotation the plugin cannot read gives nothing: the plugin refuses
// every pod of such a namespace, and nothing a pod holds is then the
// platform's for it.
func namespacePlacementOf(annotations map[string]string) NamespacePlacement {
	var out NamespacePlacement
	if s := annotations[NamespaceNodeSelectorAnnotation]; s != "" {
		if sel, err := labels.ConvertSelectorToLabelsMap(s); err == nil && len(sel) > 0 {
			out.NodeSelector = sel
		}
	}
	if s := annotations[NamespaceTolerationsAnnotation]; s != "" {
		var ts []corev1.Toleration
		if err := json.Unmarshal([]byte(s), &ts); err == nil && len(ts) > 0 {
			out.Tolerations = ts
		}
	}
	return out
}

// NamespacePlacement returns what the named namespace's annotations give
// its pods; nothing for a namespace the snapshot does not know. The result
// is shared: callers must not change it.
func (s *Snapshot) NamespacePlacement(name string) NamespacePlacement {
	if ns, ok := s.namespaces[name]; ok {
		return ns.placement
	}
	return NamespacePlacement{}
}

// NamespacePlacementGuarded reports whether NamespacePlacementPolicy was
// in force when the snapshot was built: only then is what a namespace's
// annotations give its pods the platform's. A platform that deletes the
// policy (a multi-tenancy tool writes the annotations into tenants' own
// requests) has them judged as the tenant's, as a tenant could have
// written them.
func (s *Snapshot) NamespacePlacementGuarded() bool { return s.placementGuarded }

// placementGuarded reports whether NamespacePlacementPolicy is among
// policies, failing closed (failurePolicy Fail, as shipped), and bound to
// deny, every Namespace: a binding that only warns or audits, takes
// parameters, or leaves some Namespaces out does not count.
func placementGuarded(policies []admissionregistrationv1.ValidatingAdmissionPolicy, bindings []admissionregistrationv1.ValidatingAdmissionPolicyBinding) bool {
	at := slices.IndexFunc(policies, func(p admissionregistrationv1.ValidatingAdmissionPolicy) bool {
		return p.Name == NamespacePlacementPolicy
	})
	if at < 0 {
		return false
	}
	if fp := policies[at].Spec.FailurePolicy; fp != nil && *fp != admissionregistrationv1.Fail {
		return false
	}
	return slices.ContainsFunc(bindings, func(b admissionregistrationv1.ValidatingAdmissionPolicyBinding) bool {
		spec := &b.Spec
		return spec.PolicyName == NamespacePlacementPolicy && spec.ParamRef == nil &&
			slices.Contains(spec.ValidationActions, admissionregistrationv1.Deny) && everyObject(spec.MatchResources)
	})
}

// everyObject reports whether a binding's matchResources leave no
// Namespace out of its policy's.
func everyObject(m *admissionregistrationv1.MatchResources) bool {
	empty := func(s *metav1.LabelSelector) bool {
		return s == nil || (len(s.MatchLabels) == 0 && len(s.MatchExpressions) == 0)
	}
	return m == nil || (empty(m.NamespaceSelector) && empty(m.ObjectSelector) && len(m.ResourceRules) == 0 && len(m.ExcludeResourceRules) == 0)
}
