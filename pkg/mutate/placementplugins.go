package mutate

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/strata-dev/strata/pkg/overlay"
)

// The names of the API server's placement admission plugins, as its
// --enable-admission-plugins takes them.
const (
	PodNodeSelectorPlugin            = "PodNodeSelector"
	PodTolerationRestrictionPlugin   = "PodTolerationRestriction"
	ExtendedResourceTolerationPlugin = "ExtendedResourceToleration"
)

// PlacementPlugins are the API server's PodNodeSelector,
// PodTolerationRestriction and ExtendedResourceToleration admission
// plugins a cluster enables; none is on by default. The webhook never
// runs them (the API server does, before and after the webhooks); the
// composer predicts what they do to a pod file where a cluster enables
// them (PlacePod, PlacementRefusals), so that its dry run judges the pod
// the webhook will be sent.
type PlacementPlugins struct {
	PodNodeSelector, PodTolerationRestriction bool
	// ExtendedResourceToleration gives a pod a toleration of each extended
	// resource it requests (nvidia.com/gpu, say), for nodes a platform
	// taints with the resource's name; it refuses nothing.
	ExtendedResourceToleration bool
}

// ParsePlacementPlugins reads plugin names as the API server's
// --enable-admission-plugins writes them. A name other than those of
// KnownPlacementPlugins is an error naming them: a typo would otherwise
// predict a cluster that does not exist.
func ParsePlacementPlugins(names []string) (PlacementPlugins, error) {
	var pp PlacementPlugins
	for _, n := range names {
		switch strings.TrimSpace(n) {
		case PodNodeSelectorPlugin:
			pp.PodNodeSelector = true
		case PodTolerationRestrictionPlugin:
			pp.PodTolerationRestriction = true
		case ExtendedResourceTolerationPlugin:
			pp.ExtendedResourceToleration = true
		default:
			return PlacementPlugins{}, fmt.Errorf("admission plugin %q is not one whose work is predicted here; known: %s (PodSecurity and RuntimeClass, on by default, always are)",
				n, strings.Join(KnownPlacementPlugins(), ", "))
		}
	}
	return pp, nil
}

// KnownPlacementPlugins are the names ParsePlacementPlugins reads.
func KnownPlacementPlugins() []string {
	return []string{PodNodeSelectorPlugin, PodTolerationRestrictionPlugin, ExtendedResourceTolerationPlugin}
}

// Any reports whether any plugin is enabled.
func (pp PlacementPlugins) Any() bool {
	return pp.PodNodeSelector || pp.PodTolerationRestriction || pp.ExtendedResourceToleration
}

// PlacePod returns pod as the API server leaves its creation in a
// namespace of placement p, before any webhook, with the placement
// plugins of pp, and their refusals of it (nil: admitted). PodNodeSelector
// refuses a node selector entry that gives a key of the namespace's
// another value, else merges the namespace's node selector into the
// pod's; DefaultTolerationSeconds (on by default, between the two) gives
// the not-ready and unreachable tolerations a pod without them lacks;
// PodTolerationRestriction merges the namespace's default tolerations,
// and the memory-pressure toleration of a pod that is not BestEffort,
// into the pod's; ExtendedResourceToleration, last, a toleration of each
// extended resource the pod requests. Each judges the pod as it leaves it
// (PlacementRefusals).
// A refused pod is given what the plugins give all the same, so that the
// rest of what judges it can go on. pod is not changed.
//
// DefaultTolerationSeconds is applied only with PodTolerationRestriction,
// whose whitelist judges its tolerations; the not-ready and unreachable
// tolerations matter to nothing else the composer judges.
func PlacePod(p overlay.NamespacePlacement, pod *corev1.Pod, pp PlacementPlugins) (*corev1.Pod, []PlacementRefusal) {
	if !pp.Any() {
		return pod, nil
	}
	out := pod.DeepCopy()
	var refusals []PlacementRefusal
	if pp.PodNodeSelector {
		// Refused before the merge, which keeps the pod's values; the
		// first refusal is the API server's answer.
		refusals = append(unreadable(p, pp), selectorConflicts(p, out)...)
		for k, v := range p.NodeSelector {
			if _, ok := out.Spec.NodeSelector[k]; ok {
				continue
			}
			if out.Spec.NodeSelector == nil {
				out.Spec.NodeSelector = map[string]string{}
			}
			out.Spec.NodeSelector[k] = v
		}
	}
	if pp.PodTolerationRestriction {
		out.Spec.Tolerations = withDefaultTolerationSeconds(out.Spec.Tolerations)
		extra := slices.Clone(p.Tolerations)
		if !BestEffort(out) {
			extra = append(extra, corev1.Toleration{Key: corev1.TaintNodeMemoryPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule})
		}
		if len(extra) > 0 {
			out.Spec.Tolerations = mergeTolerations(out.Spec.Tolerations, extra)
		}
	}
	if refusals == nil {
		refusals = PlacementRefusals(p, out, pp)
	}
	if pp.ExtendedResourceToleration {
		// After PodTolerationRestriction, whose whitelist judges these
		// after the webhooks (PlacementRefusals in the validation).
		withExtendedResourceTolerations(out)
	}
	return out, refusals
}

// withExtendedResourceTolerations gives pod what the
// ExtendedResourceToleration plugin gives it: for each extended resource
// its containers or init containers request (or limit, which requests it:
// the API server's defaults copy a limit without its request before any
// admission plugin), in name order, a toleration
// of key the resource's name, Exists, NoSchedule, replacing one of the
// pod's with the same key, effect, operator and value.
func withExtendedResourceTolerations(pod *corev1.Pod) {
	names := map[string]bool{}
	for _, cs := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
		for i := range cs {
			// A limit without its request requests it: the API server's
			// defaults, before any admission plugin, copy it.
			for _, l := range []corev1.ResourceList{cs[i].Resources.Requests, cs[i].Resources.Limits} {
				for name := range l {
					if isExtendedResourceName(name) {
						names[string(name)] = true
					}
				}
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(names)) {
		t := corev1.Toleration{Key: name, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}
		at := slices.IndexFunc(pod.Spec.Tolerations, func(c corev1.Toleration) bool {
			return c.Key == t.Key && c.Effect == t.Effect && c.Operator == t.Operator && c.Value == t.Value
		})
		if at < 0 {
			pod.Spec.Tolerations = append(pod.Spec.Tolerations, t)
		} else {
			pod.Spec.Tolerations[at] = t
		}
	}
}

// isExtendedResourceName reports whether name is an extended resource's,
// as the API server tells one (k8s.io/kubernetes's
// helper.IsExtendedResourceName, not a library Kubernetes publishes): a
// name with a domain other than *kubernetes.io, not a quota's requests.*
// name, that is a qualified name once prefixed with "requests.".
func isExtendedResourceName(name corev1.ResourceName) bool {
	s := string(name)
	if !strings.Contains(s, "/") || strings.Contains(s, corev1.ResourceDefaultNamespacePrefix) || strings.HasPrefix(s, corev1.DefaultResourceRequestsPrefix) {
		return false
	}
	return len(validation.IsQualifiedName(corev1.DefaultResourceRequestsPrefix+s)) == 0
}

// withDefaultTolerationSeconds is ts as the DefaultTolerationSeconds
// plugin leaves a new pod's: a toleration of each of the not-ready and
// unreachable NoExecute taints, for defaultTolerationSeconds, where none
// of ts tolerates it.
func withDefaultTolerationSeconds(ts []corev1.Toleration) []corev1.Toleration {
	for _, key := range []string{corev1.TaintNodeNotReady, corev1.TaintNodeUnreachable} {
		tolerated := slices.ContainsFunc(ts, func(t corev1.Toleration) bool {
			return (t.Key == key || t.Key == "") && (t.Effect == corev1.TaintEffectNoExecute || t.Effect == "")
		})
		if !tolerated {
			secs := int64(defaultTolerationSeconds)
			ts = append(ts, corev1.Toleration{Key: key, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &secs})
		}
	}
	return ts
}

// PlacementRefusal is one placement plugin's refusal of a pod: the
// plugin's name, and its reason, in the API server's words, then what of
// the pod it is about.
type PlacementRefusal struct {
	Plugin, Reason string
}

// String is the refusal led by its plugin's name.
func (r PlacementRefusal) String() string { return r.Plugin + ": " + r.Reason }

// PlacementRefusals are the placement plugins' refusals of pod in a
// namespace of placement p, as each plugin of pp judges a pod after the
// mutating webhooks (their validation), in the API server's words, then
// what of the pod they are about: PodNodeSelector refuses a node selector
// entry that conflicts with the namespace's, or that the namespace's
// whitelist does not hold; PodTolerationRestriction a toleration no entry
// of the namespace's tolerations whitelist covers; either refuses every
// pod of a namespace whose annotation it cannot read. The whole pod is
// judged, whoever set what (placementWarning judges what composition
// changed); nil when neither refuses it.
func PlacementRefusals(p overlay.NamespacePlacement, pod *corev1.Pod, pp PlacementPlugins) []PlacementRefusal {
	reasons := unreadable(p, pp)
	if len(reasons) > 0 {
		return reasons
	}
	if pp.PodNodeSelector {
		reasons = append(reasons, selectorConflicts(p, pod)...)
		if len(p.NodeSelectorWhitelist) > 0 {
			var outside []string
			for _, k := range slices.Sorted(maps.Keys(pod.Spec.NodeSelector)) {
				if v := pod.Spec.NodeSelector[k]; !hasEntry(p.NodeSelectorWhitelist, k, v) {
					outside = append(outside, k+"="+v)
				}
			}
			if len(outside) > 0 {
				reasons = append(reasons, PlacementRefusal{PodNodeSelectorPlugin, fmt.Sprintf("pod node label selector labels conflict with its namespace whitelist: %s not in %s",
					strings.Join(outside, ","), renderSelector(p.NodeSelectorWhitelist))})
			}
		}
	}
	if pp.PodTolerationRestriction && len(p.TolerationsWhitelist) > 0 {
		var outside []string
		for i := range pod.Spec.Tolerations {
			t := &pod.Spec.Tolerations[i]
			if !slices.ContainsFunc(p.TolerationsWhitelist, func(w corev1.Toleration) bool { return tolerationCovers(&w, t) }) {
				outside = append(outside, strconv.Quote(overlay.RenderToleration(t)))
			}
		}
		if len(outside) > 0 {
			scope := "namespace"
			if p.ClusterWhitelist {
				scope = "cluster"
			}
			reasons = append(reasons, PlacementRefusal{PodTolerationRestrictionPlugin, fmt.Sprintf("pod tolerations (possibly merged with namespace default tolerations) conflict with its %s whitelist: %s not covered",
				scope, strings.Join(outside, ", "))})
		}
	}
	return reasons
}

// unreadable is the refusal of every pod of a namespace whose annotations
// a plugin of pp cannot read (overlay.NamespacePlacement's Unreadable
// fields).
func unreadable(p overlay.NamespacePlacement, pp PlacementPlugins) []PlacementRefusal {
	var out []PlacementRefusal
	if pp.PodNodeSelector && p.UnreadableNodeSelector != "" {
		out = append(out, PlacementRefusal{PodNodeSelectorPlugin, "the namespace's " + p.UnreadableNodeSelector})
	}
	if pp.PodTolerationRestriction {
		for _, u := range []string{p.UnreadableTolerations, p.UnreadableWhitelist} {
			if u != "" {
				out = append(out, PlacementRefusal{PodTolerationRestrictionPlugin, "the namespace's " + u})
			}
		}
	}
	return out
}

// selectorConflicts is PodNodeSelector's refusal of pod's node selector
// entries that give a key of the namespace's another value.
func selectorConflicts(p overlay.NamespacePlacement, pod *corev1.Pod) []PlacementRefusal {
	var conflicts []string
	for _, k := range slices.Sorted(maps.Keys(p.NodeSelector)) {
		if v, ok := pod.Spec.NodeSelector[k]; ok && v != p.NodeSelector[k] {
			conflicts = append(conflicts, fmt.Sprintf("%s=%s against the namespace's %s=%s", k, v, k, p.NodeSelector[k]))
		}
	}
	if len(conflicts) == 0 {
		return nil
	}
	return []PlacementRefusal{{PodNodeSelectorPlugin, "pod node label selector conflicts with its namespace node label selector: " + strings.Join(conflicts, ", ")}}
}

// BestEffort reports whether pod is of the BestEffort QoS class, as the
// API server classes it: no positive CPU or memory request or limit, on
// the pod or any of its init and regular containers. The API server's own
// function lives in k8s.io/kubernetes, which is not a library, and its
// copy in k8s.io/kubectl (pkg/util/qos) would bring that module and its
// command-line dependencies in for these lines; TestBestEffort holds them
// to its cases.
func BestEffort(pod *corev1.Pod) bool {
	if r := pod.Spec.Resources; r != nil && (positiveCPUOrMemory(r.Requests) || positiveCPUOrMemory(r.Limits)) {
		return false
	}
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for i := range cs {
			if r := &cs[i].Resources; positiveCPUOrMemory(r.Requests) || positiveCPUOrMemory(r.Limits) {
				return false
			}
		}
	}
	return true
}

func positiveCPUOrMemory(l corev1.ResourceList) bool {
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if q, ok := l[name]; ok && q.Cmp(resource.Quantity{}) > 0 {
			return true
		}
	}
	return false
}
