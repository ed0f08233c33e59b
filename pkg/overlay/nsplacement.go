package overlay

import (
	"encoding/json"

	corev1 "k8s.io/api/core/v1"
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

// NamespacePlacement is what a namespace's annotations give each of its
// pods through the API server's PodNodeSelector and
// PodTolerationRestriction admission plugins, before any webhook sees the
// pod. Only platform admins may write those annotations (the
// strata-namespace-placement policy in the shipped manifests), so what
// they give is the platform's, never the tenant's: policies do not judge it
// as the tenant's own (policy's input.user).
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
