package overlay

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
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
	// NamespaceTolerationsWhitelistAnnotation holds the tolerations, a
	// JSON list, PodTolerationRestriction lets the namespace's pods have:
	// it refuses a pod holding one none of them covers.
	NamespaceTolerationsWhitelistAnnotation = "scheduler.alpha.kubernetes.io/tolerationsWhitelist"
)

// NamespacePlacementPolicy is the ValidatingAdmissionPolicy of the shipped
// manifests that keeps a Namespace's placement annotations to platform
// admins.
const NamespacePlacementPolicy = "strata-namespace-placement"

// NamespacePlacement is what the API server's PodNodeSelector and
// PodTolerationRestriction admission plugins give each pod of a namespace,
// before any webhook sees the pod: the node selector and default
// tolerations of the namespace's annotations, or, for each the namespace
// has no annotation of, the cluster's defaults of the plugins'
// configuration (Inputs.ClusterPlacement). The cluster's defaults are the
// platform's; the namespace's annotations are while
// NamespacePlacementPolicy keeps them to platform admins
// (NamespacePlacementGuarded). Policies do not judge what is the
// platform's as the tenant's own (policy's input.user).
type NamespacePlacement struct {
	// NodeSelector is the namespace's node selector; nil when it has none.
	NodeSelector map[string]string
	// Tolerations are the namespace's default tolerations; nil when none.
	Tolerations []corev1.Toleration
	// ClusterNodeSelector and ClusterTolerations report that NodeSelector
	// and Tolerations are the cluster's defaults, the namespace having no
	// annotation of its own that replaces them.
	ClusterNodeSelector, ClusterTolerations bool
	// NodeSelectorWhitelist, when not empty, is what the namespace's pods
	// may select (PodNodeSelector's entry for the namespace): the plugin
	// refuses a pod whose node selector is not within it.
	NodeSelectorWhitelist map[string]string
	// TolerationsWhitelist, when not empty, is what the namespace's pods
	// may tolerate (its tolerationsWhitelist annotation, else the cluster's
	// whitelist): PodTolerationRestriction refuses a pod holding a
	// toleration none of them covers.
	TolerationsWhitelist []corev1.Toleration
	// ClusterWhitelist reports that TolerationsWhitelist is the cluster's,
	// the namespace having no annotation of its own that replaces it.
	ClusterWhitelist bool
	// UnreadableNodeSelector, UnreadableTolerations and UnreadableWhitelist
	// say why PodNodeSelector cannot read the namespace's node selector
	// annotation, and PodTolerationRestriction its default tolerations or
	// its tolerations whitelist annotation; "" when it can. A plugin that
	// cannot read them refuses every pod of the namespace (the default
	// tolerations on a pod's creation only).
	UnreadableNodeSelector, UnreadableTolerations, UnreadableWhitelist string
}

// ClusterPlacement is what the configuration of the API server's
// PodNodeSelector and PodTolerationRestriction plugins (in the
// AdmissionConfiguration of its --admission-control-config-file) gives the
// pods of every namespace without annotations of its own: the node
// selector clusterDefaultNodeSelector and the default tolerations.
type ClusterPlacement struct {
	// NodeSelector is PodNodeSelector's clusterDefaultNodeSelector; nil
	// when none.
	NodeSelector map[string]string
	// Tolerations are PodTolerationRestriction's default tolerations; nil
	// when none.
	Tolerations []corev1.Toleration
	// NodeSelectorWhitelists are PodNodeSelector's other entries: by
	// namespace, what its pods may select.
	NodeSelectorWhitelists map[string]map[string]string
	// TolerationsWhitelist is PodTolerationRestriction's whitelist, for
	// namespaces without a tolerationsWhitelist annotation.
	TolerationsWhitelist []corev1.Toleration
}

// knownNamespace is what a snapshot keeps of a Namespace.
type knownNamespace struct {
	// labels are its labels, kubernetes.io/metadata.name among them
	// (namespaceLabels).
	labels map[string]string
	// placement is what its annotations place its pods with.
	placement annotatedPlacement
}

// annotatedPlacement is what a namespace's annotations give its pods, and
// which of the two plugins' defaults they replace.
type annotatedPlacement struct {
	NamespacePlacement
	// ownNodeSelector, ownTolerations and ownWhitelist: the namespace's
	// annotation decides, whatever it gives (nothing, when it is empty or
	// the plugin cannot read it), and the cluster's does not apply.
	ownNodeSelector, ownTolerations, ownWhitelist bool
}

func knownNamespaceOf(ns *corev1.Namespace) *knownNamespace {
	return &knownNamespace{labels: namespaceLabels(ns.Name, ns.Labels), placement: namespacePlacementOf(ns.Annotations)}
}

// namespacePlacementOf reads the two annotations as the plugins read them.
// An annotation the plugin cannot read gives nothing: the plugin refuses
// every pod of such a namespace, and nothing a pod holds is then the
// platform's for it. PodNodeSelector falls back on the cluster's default
// only when the namespace has no node selector annotation;
// PodTolerationRestriction when the namespace has no tolerations
// annotation, or one that is JSON null.
func namespacePlacementOf(annotations map[string]string) annotatedPlacement {
	var out annotatedPlacement
	if s, ok := annotations[NamespaceNodeSelectorAnnotation]; ok {
		out.ownNodeSelector = true
		switch sel, err := labels.ConvertSelectorToLabelsMap(s); {
		case err != nil:
			out.UnreadableNodeSelector = fmt.Sprintf("annotation %s: %s", NamespaceNodeSelectorAnnotation, strings.TrimPrefix(err.Error(), "<nil>: "))
		case len(sel) > 0:
			out.NodeSelector = sel
		}
	}
	for _, a := range []struct {
		key        string
		ts         *[]corev1.Toleration
		own        *bool
		unreadable *string
	}{{NamespaceTolerationsAnnotation, &out.Tolerations, &out.ownTolerations, &out.UnreadableTolerations},
		{NamespaceTolerationsWhitelistAnnotation, &out.TolerationsWhitelist, &out.ownWhitelist, &out.UnreadableWhitelist}} {
		var err error
		if *a.ts, *a.own, err = annotatedTolerations(annotations, a.key); err != nil {
			*a.unreadable = fmt.Sprintf("annotation %s: %v", a.key, err)
		}
	}
	return out
}

// annotatedTolerations reads the tolerations of the annotation key as
// PodTolerationRestriction does, and whether the namespace decides them:
// an annotation absent, or JSON null, leaves them to the cluster's. err
// is why the plugin cannot read it (it then refuses every pod).
func annotatedTolerations(annotations map[string]string, key string) (ts []corev1.Toleration, own bool, err error) {
	s, ok := annotations[key]
	if !ok || s == "" {
		return nil, ok, nil
	}
	switch err := json.Unmarshal([]byte(s), &ts); {
	case err != nil:
		return nil, true, err
	case ts == nil:
		return nil, false, nil // null: the plugin's nil, as if absent
	case len(ts) > 0:
		return ts, true, nil
	}
	return nil, true, nil
}

// NamespacePlacement returns what the plugins give the pods of the named
// namespace: its annotations' node selector and tolerations, and the
// cluster's defaults for each it has no annotation of. A namespace the
// snapshot does not know gets the cluster's defaults, as one without
// annotations does. The result is shared: callers must not change it.
func (s *Snapshot) NamespacePlacement(name string) NamespacePlacement {
	out := NamespacePlacement{NodeSelector: s.admission.ClusterPlacement.NodeSelector, Tolerations: s.admission.ClusterPlacement.Tolerations,
		ClusterNodeSelector: len(s.admission.ClusterPlacement.NodeSelector) > 0, ClusterTolerations: len(s.admission.ClusterPlacement.Tolerations) > 0,
		NodeSelectorWhitelist: s.admission.ClusterPlacement.NodeSelectorWhitelists[name], TolerationsWhitelist: s.admission.ClusterPlacement.TolerationsWhitelist,
		ClusterWhitelist: len(s.admission.ClusterPlacement.TolerationsWhitelist) > 0}
	ns, ok := s.namespaces[name]
	if !ok {
		return out
	}
	out.UnreadableNodeSelector, out.UnreadableTolerations, out.UnreadableWhitelist =
		ns.placement.UnreadableNodeSelector, ns.placement.UnreadableTolerations, ns.placement.UnreadableWhitelist
	if ns.placement.ownWhitelist {
		out.TolerationsWhitelist, out.ClusterWhitelist = ns.placement.TolerationsWhitelist, false
	}
	if ns.placement.ownNodeSelector {
		out.NodeSelector, out.ClusterNodeSelector = ns.placement.NodeSelector, false
	}
	if ns.placement.ownTolerations {
		out.Tolerations, out.ClusterTolerations = ns.placement.Tolerations, false
	}
	return out
}

// PlatformPlacement returns what of NamespacePlacement(name) is the
// platform's: the cluster's defaults always (only platform admins
// configure the API server), the namespace's own annotations only while
// NamespacePlacementGuarded. The result is shared: callers must not
// change it.
func (s *Snapshot) PlatformPlacement(name string) NamespacePlacement {
	p := s.NamespacePlacement(name)
	if !s.placementGuarded {
		if !p.ClusterNodeSelector {
			p.NodeSelector = nil
		}
		if !p.ClusterTolerations {
			p.Tolerations = nil
		}
	}
	return p
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

// PlacementGroup is the namespaces the placement plugins treat alike: what
// they give and allow the pods of each (NamespacePlacement) is the same.
type PlacementGroup struct {
	Placement NamespacePlacement
	// Namespaces are the group's namespaces, by name.
	Namespaces []string
}

// placementGroups holds NamespacesByPlacement once computed.
type placementGroups struct {
	once   sync.Once
	groups []PlacementGroup
}

// NamespacesByPlacement groups the snapshot's namespaces by what the
// placement plugins give and allow their pods, leaving out those they give
// and allow nothing to; groups in the order of their first namespace. The
// work is linear in the namespaces, once for the snapshots of the same
// namespaces and placement (a Layer's change keeps them). The result is
// shared: callers must not change it.
func (s *Snapshot) NamespacesByPlacement() []PlacementGroup {
	if s.groups == nil { // a Snapshot not built by a Compiler
		return s.groupByPlacement()
	}
	s.groups.once.Do(func() { s.groups.groups = s.groupByPlacement() })
	return s.groups.groups
}

func (s *Snapshot) groupByPlacement() []PlacementGroup {
	var (
		out   []PlacementGroup
		byKey = map[string]int{}
	)
	for _, name := range sortedKeys(s.namespaces) {
		p := s.NamespacePlacement(name)
		if len(p.NodeSelector) == 0 && len(p.Tolerations) == 0 && len(p.NodeSelectorWhitelist) == 0 && len(p.TolerationsWhitelist) == 0 {
			continue
		}
		raw, err := json.Marshal(p) // maps are written in key order: a key of the placement
		if err != nil {
			continue // only strings and lists of them: never
		}
		if at, ok := byKey[string(raw)]; ok {
			out[at].Namespaces = append(out[at].Namespaces, name)
			continue
		}
		byKey[string(raw)] = len(out)
		out = append(out, PlacementGroup{Placement: p, Namespaces: []string{name}})
	}
	return out
}

// Alone returns a snapshot of Layer l alone with s's other inputs (its
// Namespaces, classes, admission policies and admission configuration):
// what l composes by itself in this cluster, to warn of it when l is
// written. A PriorityClass or RuntimeClass l names that s lacks is left to
// its own checks (PriorityClassesPartial), not an error of the
// composition. The error lists l's problems; the snapshot is then nil. s
// is not changed.
func (s *Snapshot) Alone(l *v1alpha1.Layer) (*Snapshot, error) {
	if errs := ValidateLayer(l); len(errs) > 0 {
		return nil, &LayerError{Layer: l.Name, Fields: errs}
	}
	cl := compileLayer(l.DeepCopy())
	out := *s
	out.layers, out.shadows, out.broken, out.partialClasses = 1, 0, nil, true
	if l.Spec.IsShadow() {
		out.shadows = 1
	}
	out.index = indexLayers([]*compiledLayer{cl})
	return &out, nil
}
