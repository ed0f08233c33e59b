package policy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// What the API server's PodNodeSelector and PodTolerationRestriction
// admission plugins give a pod, where a cluster enables them, is the
// platform's: the cluster's default node selector and tolerations of the
// plugins' configuration, the namespace's own node selector and default
// tolerations (overlay.NamespacePlacement) while a policy keeps them to
// platform admins (overlay.Snapshot.PlatformPlacement), and the toleration
// of node.kubernetes.io/memory-pressure PodTolerationRestriction gives
// every pod that is not BestEffort. None of them is judged as what the
// tenant wrote (input.user).

// namespaceSelects reports whether the namespace's placement p selects
// nodes whose label k has the value v.
func namespaceSelects(p *overlay.NamespacePlacement, k, v string) bool {
	nv, ok := p.NodeSelector[k]
	return ok && nv == v
}

// namespacePlaced reports whether t is one of the tolerations the
// placement plugins give pod: one of the namespace's own, exactly, or the
// memory-pressure toleration of a pod that is not BestEffort. The
// memory-pressure taint is the node lifecycle controller's, which takes it
// off any node without memory pressure, so it never keeps a pod off nodes
// a platform reserved.
func namespacePlaced(p *overlay.NamespacePlacement, pod *corev1.Pod, t *corev1.Toleration) bool {
	if mutate.HoldsToleration(p.Tolerations, t) {
		return true
	}
	return t.Key == corev1.TaintNodeMemoryPressure && t.Operator == corev1.TolerationOpExists && t.Value == "" &&
		t.Effect == corev1.TaintEffectNoSchedule && t.TolerationSeconds == nil && !mutate.BestEffort(pod)
}

// NamespacePlacementNote says what pod's namespace in snap gives it
// through the PodNodeSelector and PodTolerationRestriction plugins (its
// annotations, or the cluster's defaults) that the composer does not add,
// the plugin not being among those pp enables (AdmitPod adds what they
// give), and whether a pod holding it is judged as the platform's; "" when
// it gives nothing more.
func NamespacePlacementNote(snap *overlay.Snapshot, pod *corev1.Pod, pp mutate.PlacementPlugins) string {
	p := snap.NamespacePlacement(pod.Namespace)
	type part struct {
		text    string
		cluster bool
	}
	var gives []part
	if len(p.NodeSelector) > 0 && !pp.PodNodeSelector {
		sel := make([]string, 0, len(p.NodeSelector))
		for _, k := range sortedKeys(p.NodeSelector) {
			sel = append(sel, k+"="+p.NodeSelector[k])
		}
		gives = append(gives, part{"node selector " + strings.Join(sel, ","), p.ClusterNodeSelector})
	}
	if len(p.Tolerations) > 0 && !pp.PodTolerationRestriction {
		ts := make([]string, len(p.Tolerations))
		for i := range p.Tolerations {
			ts[i] = strconv.Quote(overlay.RenderToleration(&p.Tolerations[i]))
		}
		gives = append(gives, part{"tolerations " + strings.Join(ts, ", "), p.ClusterTolerations})
	}
	if len(gives) == 0 {
		return ""
	}
	judged := func(cluster, both bool) string {
		from, them := "its annotation", "it"
		if cluster {
			from = "the cluster's default"
		}
		if both {
			from, them = from+"s", "them"
		}
		switch {
		case cluster, snap.NamespacePlacementGuarded():
			return fmt.Sprintf("from %s, judged as the platform's where a pod holds %s", from, them)
		}
		return fmt.Sprintf("from %s, judged as the tenant's where a pod holds %s, the %s policy not being in force", from, them, overlay.NamespacePlacementPolicy)
	}
	texts := make([]string, len(gives))
	for i, g := range gives {
		texts[i] = g.text
	}
	if len(gives) == 2 && gives[0].cluster != gives[1].cluster {
		// From two sources: each says its own.
		for i, g := range gives {
			texts[i] += " (" + judged(g.cluster, false) + ")"
		}
		return fmt.Sprintf("Namespace %q gives its pods %s where the cluster enables the PodNodeSelector and PodTolerationRestriction admission plugins: not added here, --admission-plugins not naming them",
			pod.Namespace, strings.Join(texts, " and "))
	}
	return fmt.Sprintf("Namespace %q gives its pods %s where the cluster enables the PodNodeSelector and PodTolerationRestriction admission plugins: not added here, --admission-plugins not naming them; %s",
		pod.Namespace, strings.Join(texts, " and "), judged(gives[0].cluster, len(gives) == 2))
}

// Policy names of the placement plugins' refusals (Check.Placement).
const (
	PodNodeSelectorPolicy          = "pod-node-selector"
	PodTolerationRestrictionPolicy = "pod-toleration-restriction"
)

// withPlacement is d with the refusals of pod by the API server's
// placement plugins of pp added (mutate.PlacementRefusals), each a
// violation of its plugin's policy: PodNodeSelector judges a pod's
// creation, PodTolerationRestriction its creation and its updates. Both
// judge the pod after the mutating webhooks, before any validating one.
func withPlacement(d Decision, snap *overlay.Snapshot, pod *corev1.Pod, req Request, pp mutate.PlacementPlugins) Decision {
	if req.Old != nil || (req.Operation != "" && req.Operation != "CREATE") {
		if req.Operation == "DELETE" || req.Operation == "CONNECT" {
			return d
		}
		pp.PodNodeSelector = false
	}
	if !pp.Any() {
		return d
	}
	ns := req.Namespace
	if ns == "" {
		ns = pod.Namespace
	}
	p := snap.NamespacePlacement(ns)
	if req.Old != nil || (req.Operation != "" && req.Operation != "CREATE") {
		// PodTolerationRestriction reads the default tolerations on a
		// creation only.
		p.UnreadableTolerations = ""
	}
	reasons := mutate.PlacementRefusals(p, pod, pp)
	if len(reasons) == 0 {
		return d
	}
	d.Violations = slices.Clone(d.Violations)
	for _, r := range reasons {
		name := placementPolicy(r.Plugin)
		d.Violations = append(d.Violations, Violation{Policy: name, Enforcement: v1alpha1.EnforcementDeny,
			Message: fmt.Sprintf("%s: %s (the API server's %s admission refuses the pod after the mutating webhooks, before any validating webhook)", name, r.Reason, r.Plugin)})
	}
	sortViolations(d.Violations)
	return d
}

// placementPolicy is the policy name of a placement plugin's refusals.
func placementPolicy(plugin string) string {
	if plugin == mutate.PodTolerationRestrictionPlugin {
		return PodTolerationRestrictionPolicy
	}
	return PodNodeSelectorPolicy
}

// launchedPlacement is vs with the placement plugins' refusals of the pod
// of role an application (of kind) launches, named as the application's
// (`pod-node-selector: SparkApplication "etl-report": executor pod: ...`):
// the operator's submission, or the driver's executors, would be refused
// every time.
func launchedPlacement(vs []Violation, kind, app string, role v1alpha1.Role, refusals []mutate.PlacementRefusal) []Violation {
	for _, r := range refusals {
		name := placementPolicy(r.Plugin)
		vs = append(vs, Violation{Policy: name, Enforcement: v1alpha1.EnforcementDeny,
			Message: fmt.Sprintf("%s: %s %q: %s pod: %s (the API server's %s admission)", name, kind, app, role, r.Reason, r.Plugin)})
	}
	return vs
}
