package overlay

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation/field"
	resourcequotaapi "k8s.io/apiserver/pkg/admission/plugin/resourcequota/apis/resourcequota"
	psadmission "k8s.io/pod-security-admission/admission/api"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// LayerSource is a Layer and the file it was read from ("" for a Layer read
// from the cluster), so errors can name the file.
type LayerSource struct {
	Layer v1alpha1.Layer
	File  string
}

// Describe names the Layer and its file (when known) as a warning about it
// is led: `layers/ns.yaml: Layer "ns-etl": `.
func (src *LayerSource) Describe() string {
	prefix := fmt.Sprintf("Layer %q: ", src.Layer.Name)
	if src.File != "" {
		prefix = src.File + ": " + prefix
	}
	return prefix
}

// Inputs are what a Snapshot is compiled from: the Layers, the Namespaces
// (their labels select Layers; their annotations may place their pods,
// NamespacePlacement) and PriorityClasses composition refers to, and the
// RuntimeClasses whose scheduling the API server gives the pods that name
// them.
type Inputs struct {
	Layers          []LayerSource
	Namespaces      []corev1.Namespace
	PriorityClasses []schedulingv1.PriorityClass
	// PriorityClassesPartial says PriorityClasses and RuntimeClasses may
	// lack some of the cluster's: a dry run of a repository that does not
	// hold them. A class composition sets that the snapshot lacks is then
	// left to the webhook, not an error.
	PriorityClassesPartial bool
	// RuntimeClasses are the cluster's RuntimeClasses: the node selectors
	// and tolerations of a class's scheduling, which the API server merges
	// into a pod that names it before any webhook, are the platform's.
	RuntimeClasses []nodev1.RuntimeClass
	// AdmissionPolicies and AdmissionPolicyBindings are the cluster's
	// ValidatingAdmissionPolicies and their bindings: whether the one that
	// keeps a Namespace's placement annotations to platform admins is in
	// force decides whether what they give a pod is the platform's
	// (NamespacePlacementGuarded).
	AdmissionPolicies       []admissionregistrationv1.ValidatingAdmissionPolicy
	AdmissionPolicyBindings []admissionregistrationv1.ValidatingAdmissionPolicyBinding
	// MutatingPolicies are the cluster's MutatingAdmissionPolicies and
	// their bindings: the API server applies them before the webhooks
	// (and again after, where they ask for it). The dry run does not; it
	// names those that may change what it composes.
	MutatingPolicies MutatingPolicies
	// Admission is the configuration of the API server's admission
	// plugins Strata follows.
	Admission
	// LimitRanges are the cluster's LimitRanges: the API server's
	// LimitRanger plugin gives a pod created in their namespace their
	// default requests and limits before any webhook, and refuses it,
	// after the webhooks, outside their bounds: the composer predicts it,
	// the webhook warns of it.
	LimitRanges []corev1.LimitRange
	// ResourceQuotas are the cluster's ResourceQuotas: the API server's
	// ResourceQuota admission refuses a pod, after the webhooks, one of
	// whose containers does not request or limit the cpu or memory a
	// quota of its namespace bounds: the composer predicts it, the webhook
	// warns of it.
	ResourceQuotas []corev1.ResourceQuota
}

// Admission is what Strata follows of the configuration of the API
// server's admission plugins (the AdmissionConfiguration of its
// --admission-control-config-file): one value, so that a setting added
// here reaches every snapshot, the webhook's and the composer's alike.
type Admission struct {
	// PodSecurity is the configuration of the API server's PodSecurity
	// admission plugin: the level a namespace without its labels enforces,
	// and the namespaces, RuntimeClasses and users it exempts. nil is the
	// plugin's own default: privileged, nothing exempt.
	PodSecurity *psadmission.PodSecurityConfiguration
	// ClusterPlacement is what the configuration of the API server's
	// PodNodeSelector and PodTolerationRestriction plugins gives the pods
	// of namespaces without annotations of their own (NamespacePlacement).
	ClusterPlacement ClusterPlacement
	// LimitedResources are the configuration of the API server's
	// ResourceQuota admission (its limitedResources): the resources, and
	// the scopes, a pod may consume only where a ResourceQuota of its
	// namespace covers them. nil is the plugin's default: none.
	LimitedResources []resourcequotaapi.LimitedResource
}

// Snapshot is a compiled, immutable view of Inputs. It is safe for concurrent
// use; a webhook swaps whole snapshots, so every admission sees one
// consistent configuration.
type Snapshot struct {
	index layerIndex
	// layers and shadows count the valid layers, and those in Shadow mode.
	layers, shadows int
	broken          []brokenLayer
	namespaces      map[string]*knownNamespace
	priorityClasses map[string]*schedulingv1.PriorityClass
	partialClasses  bool
	runtimeClasses  map[string]*nodev1.RuntimeClass
	// placementGuarded: the policy keeping the namespaces' placement
	// annotations to platform admins is in force.
	placementGuarded bool
	// admission is Inputs.Admission.
	admission Admission
	// mutatingPolicies are Inputs.MutatingPolicies.
	mutatingPolicies MutatingPolicies
	// limitRanges are Inputs.LimitRanges by namespace (LimitRanges).
	limitRanges map[string][]*corev1.LimitRange
	// resourceQuotas are Inputs.ResourceQuotas by namespace
	// (ResourceQuotas).
	resourceQuotas map[string][]*corev1.ResourceQuota
	// groups are NamespacesByPlacement, computed on first use and shared
	// by the snapshots of the same namespaces and placement.
	groups *placementGroups
	// bounds are NamespacesByBounds, computed on first use and shared by
	// the snapshots of the same LimitRanges and ResourceQuotas.
	bounds *boundGroups
}

// brokenLayer is a Layer that does not compile: it is not applied, and the
// pods it would match are refused (see Blocked) rather than composed
// without it.
type brokenLayer struct {
	compiledLayer
	err *LayerError
}

type compiledLayer struct {
	layer    *v1alpha1.Layer
	selector labels.Selector // nil when the layer has no namespaceSelector
	rank     int             // the tier's Rank, for sorting
}

// reachOf is what an invalid Layer would match: its match, with every
// field that is itself invalid widened to match all, so a typo in a match
// refuses more pods, never fewer.
func reachOf(l *v1alpha1.Layer, errs field.ErrorList) compiledLayer {
	out := l.DeepCopy()
	m := &out.Spec.Match
	bad := func(name string) bool {
		return slices.ContainsFunc(errs, func(e *field.Error) bool { return strings.HasPrefix(e.Field, "spec.match."+name) })
	}
	if bad("pools") {
		m.Pools = nil
	}
	if bad("clusters") {
		m.Clusters = nil
	}
	if bad("namespaces[") {
		m.Namespaces = nil
	}
	if bad("roles") {
		m.Roles = nil
	}
	cl := compiledLayer{layer: out}
	if sel := m.NamespaceSelector; sel != nil && !bad("namespaceSelector") {
		cl.selector, _ = metav1.LabelSelectorAsSelector(sel)
	}
	return cl
}

// Blocked returns an error naming the first invalid Layer that would apply
// to t, and why it is invalid; nil when none would. Composing such a pod
// without the layer could give it less than the platform meant it to have.
func (s *Snapshot) Blocked(t Target) error {
	nsLabels := s.NamespaceLabels(t.Namespace)
	for _, b := range s.broken {
		if b.matches(t, nsLabels) {
			return fmt.Errorf("invalid Layer %q applies to this pod and is not loaded (fix it; `kubectl describe layer %s` shows the events): %s",
				b.layer.Name, b.layer.Name, strings.Join(b.err.Messages(), "; "))
		}
	}
	return nil
}

// Broken is the number of invalid Layers the snapshot knows.
func (s *Snapshot) Broken() int { return len(s.broken) }

// namespaceLabels returns the labels of a namespace as the API server stores
// them: it always sets kubernetes.io/metadata.name to the namespace's name.
func namespaceLabels(name string, l map[string]string) map[string]string {
	out := maps.Clone(l)
	if out == nil {
		out = map[string]string{}
	}
	out[corev1.LabelMetadataName] = name
	return out
}

// LayerCount is the number of Layers in the snapshot.
func (s *Snapshot) LayerCount() int { return s.layers }

// NamespaceLabels returns the labels of the named namespace. A namespace the
// snapshot does not know has only the kubernetes.io/metadata.name label.
func (s *Snapshot) NamespaceLabels(name string) labels.Set {
	if ns, ok := s.namespaces[name]; ok {
		return ns.labels
	}
	return namespaceLabels(name, nil)
}

// KnowsNamespace reports whether the snapshot holds the named Namespace.
func (s *Snapshot) KnowsNamespace(name string) bool {
	_, ok := s.namespaces[name]
	return ok
}

// NamespacesWhere are the Namespaces the snapshot holds that keep
// reports true of, by name and labels alone (what Layers match them by),
// sorted by name. The labels are shared: not to be changed.
func (s *Snapshot) NamespacesWhere(keep func(name string, labels map[string]string) bool) []corev1.Namespace {
	var out []corev1.Namespace
	for name, ns := range s.namespaces {
		if keep(name, ns.labels) {
			out = append(out, corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: ns.labels}})
		}
	}
	slices.SortFunc(out, func(a, b corev1.Namespace) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// NamespaceNames are the names of the Namespaces the snapshot holds that
// keep reports true of, sorted: NamespacesWhere by name alone, without
// building a Namespace of each (a cluster holds thousands).
func (s *Snapshot) NamespaceNames(keep func(name string) bool) []string {
	var out []string
	for name := range s.namespaces {
		if keep(name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// PodSecurity is the configuration of the API server's PodSecurity
// admission the snapshot was compiled with (Inputs.PodSecurity); nil for
// the plugin's default. Not to be changed.
func (s *Snapshot) PodSecurity() *psadmission.PodSecurityConfiguration {
	return s.admission.PodSecurity
}

// WithNamespace returns a snapshot that also holds ns (for a Namespace
// created a moment ago that the informer has not delivered yet). The
// receiver is not changed.
func (s *Snapshot) WithNamespace(ns *corev1.Namespace) *Snapshot {
	out := *s
	out.namespaces = maps.Clone(s.namespaces)
	out.groups = &placementGroups{}
	out.namespaces[ns.Name] = knownNamespaceOf(ns)
	return &out
}

// PriorityClass returns the named PriorityClass.
func (s *Snapshot) PriorityClass(name string) (*schedulingv1.PriorityClass, bool) {
	pc, ok := s.priorityClasses[name]
	return pc, ok
}

// RuntimeClass returns the named RuntimeClass.
func (s *Snapshot) RuntimeClass(name string) (*nodev1.RuntimeClass, bool) {
	rc, ok := s.runtimeClasses[name]
	return rc, ok
}

// PriorityClassesPartial reports whether the snapshot may lack some of the
// cluster's PriorityClasses (Inputs.PriorityClassesPartial).
func (s *Snapshot) PriorityClassesPartial() bool { return s.partialClasses }

// RuntimeClassesPartial reports whether the snapshot may lack some of the
// cluster's RuntimeClasses: the same inputs that may lack PriorityClasses
// (a dry run of a repository) may lack them.
func (s *Snapshot) RuntimeClassesPartial() bool { return s.partialClasses }

// GlobalDefaultPriorityClass returns the PriorityClass marked globalDefault,
// the one the API server gives pods that name no class.
func (s *Snapshot) GlobalDefaultPriorityClass() (*schedulingv1.PriorityClass, bool) {
	for _, name := range slices.Sorted(maps.Keys(s.priorityClasses)) {
		if pc := s.priorityClasses[name]; pc.GlobalDefault {
			return pc, true
		}
	}
	return nil, false
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
