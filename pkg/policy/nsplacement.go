package policy

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
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
		t.Effect == corev1.TaintEffectNoSchedule && t.TolerationSeconds == nil && !bestEffort(pod)
}

// bestEffort reports whether pod is of the BestEffort QoS class, as the
// API server classes it: no positive CPU or memory request or limit, on
// the pod or any of its init and regular containers. The API server's own
// function lives in k8s.io/kubernetes, which is not a library, and its
// copy in k8s.io/kubectl (pkg/util/qos) would bring that module and its
// command-line dependencies in for these lines; TestBestEffort holds them
// to its cases.
func bestEffort(pod *corev1.Pod) bool {
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

// NamespacePlacementNote says what pod's namespace in snap gives it
// through the PodNodeSelector and PodTolerationRestriction plugins (its
// annotations, or the cluster's defaults), which the composer does not add
// (whether a cluster enables them is not among its inputs), and whether a
// pod holding it is judged as the platform's; "" when it gives nothing.
func NamespacePlacementNote(snap *overlay.Snapshot, pod *corev1.Pod) string {
	p := snap.NamespacePlacement(pod.Namespace)
	type part struct {
		text    string
		cluster bool
	}
	var gives []part
	if len(p.NodeSelector) > 0 {
		sel := make([]string, 0, len(p.NodeSelector))
		for _, k := range sortedKeys(p.NodeSelector) {
			sel = append(sel, k+"="+p.NodeSelector[k])
		}
		gives = append(gives, part{"node selector " + strings.Join(sel, ","), p.ClusterNodeSelector})
	}
	if len(p.Tolerations) > 0 {
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
		return fmt.Sprintf("Namespace %q gives its pods %s where the cluster enables the PodNodeSelector and PodTolerationRestriction admission plugins: not added here",
			pod.Namespace, strings.Join(texts, " and "))
	}
	return fmt.Sprintf("Namespace %q gives its pods %s where the cluster enables the PodNodeSelector and PodTolerationRestriction admission plugins: not added here; %s",
		pod.Namespace, strings.Join(texts, " and "), judged(gives[0].cluster, len(gives) == 2))
}
