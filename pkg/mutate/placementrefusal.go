package mutate

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// placementWarning is the warning that the API server's PodNodeSelector or
// PodTolerationRestriction admission plugin will refuse the pod for what
// composition set of its node selector and tolerations; "" for none. Both
// plugins judge every pod again after the mutating webhooks: a node
// selector entry that conflicts with the namespace's (its annotation, or
// the cluster's default), or that the namespace's whitelist does not
// hold, and a toleration no entry of the namespace's tolerations
// whitelist covers, refuse the pod, whatever set them.
//
// Only what composition changed is judged (before is the pod as the
// webhook receives it, after the plugins gave it the namespace's
// placement). A key of the namespace's node selector that before lacks is
// left out: the plugin gives it to the pod before any webhook, so a pod
// written without it (a dry run's file) cannot tell what the layers would
// do to it.
func placementWarning(snap *overlay.Snapshot, before *corev1.Pod, res *Result) string {
	reasons := placementRefusals(snap.NamespacePlacement(before.Namespace), before, res.Pod)
	if len(reasons) == 0 {
		return ""
	}
	return fmt.Sprintf("The API server will refuse the pod for what the layers set of its placement in namespace %q: %s",
		before.Namespace, strings.Join(reasons, "; "))
}

// placementRefusals are the reasons, each led by its plugin's name, the
// placement plugins refuse after for what composition changed of before
// in a namespace of placement p (placementWarning).
func placementRefusals(p overlay.NamespacePlacement, before, after *corev1.Pod) []string {
	if len(p.NodeSelector) == 0 && len(p.NodeSelectorWhitelist) == 0 && len(p.TolerationsWhitelist) == 0 {
		return nil
	}
	var reasons []string
	for _, k := range slices.Sorted(maps.Keys(after.Spec.NodeSelector)) {
		v := after.Spec.NodeSelector[k]
		old, had := before.Spec.NodeSelector[k]
		if had && old == v {
			continue // not composition's
		}
		pinned, isPinned := p.NodeSelector[k]
		switch {
		case isPinned && !had:
			continue
		case isPinned && pinned != v:
			reasons = append(reasons, fmt.Sprintf("PodNodeSelector: node selector %s=%s conflicts with the namespace's %s=%s", k, v, k, pinned))
		case len(p.NodeSelectorWhitelist) > 0 && !hasEntry(p.NodeSelectorWhitelist, k, v):
			reasons = append(reasons, fmt.Sprintf("PodNodeSelector: node selector %s=%s is not in the namespace's whitelist %s", k, v, renderSelector(p.NodeSelectorWhitelist)))
		}
	}
	if len(p.TolerationsWhitelist) > 0 {
		for i := range after.Spec.Tolerations {
			t := &after.Spec.Tolerations[i]
			if HoldsToleration(before.Spec.Tolerations, t) {
				continue // not composition's
			}
			if !slices.ContainsFunc(p.TolerationsWhitelist, func(w corev1.Toleration) bool { return tolerationCovers(&w, t) }) {
				reasons = append(reasons, fmt.Sprintf("PodTolerationRestriction: toleration %s is not covered by the namespace's whitelist",
					strconv.Quote(overlay.RenderToleration(t))))
			}
		}
	}
	return reasons
}

// LayerPlacementWarnings warns, when Layer l is written, of the
// namespaces of served whose placement plugins would refuse the Spark
// pods l composes there on cluster (placementRefusals): l is composed
// alone (overlay.Snapshot.Alone) onto a driver and an executor as
// spark-submit creates them, given the namespace's placement as the
// plugins give it before any webhook, in the first namespace l matches of
// each group the plugins treat alike (overlay.Snapshot.NamespacesByPlacement).
// The API server would refuse every such pod, in words that name no
// layer; the Layer webhook and the composer say it when the Layer is
// written. A Layer that does not compile is left to what refuses it. The
// work is linear in the namespaces (each group scanned until l matches,
// and once more when it is refused there), with at most two compositions
// per group, and stops when ctx is done (the request's deadline), saying
// how many groups it left.
func LayerPlacementWarnings(ctx context.Context, l *v1alpha1.Layer, cluster Cluster, served *overlay.Snapshot) []string {
	placed := served.NamespacesByPlacement()
	groups := make([]namespaceGroup, len(placed))
	for i, g := range placed {
		groups[i] = namespaceGroup{namespaces: g.Namespaces, refusals: func(trial *overlay.Snapshot, role v1alpha1.Role, ns string) []string {
			pod := submittedPod(role, ns)
			pod.Spec.NodeSelector = maps.Clone(g.Placement.NodeSelector)
			pod.Spec.Tolerations = slices.Clone(g.Placement.Tolerations)
			res, err := Compose(trial, cluster, pod)
			if err != nil {
				return nil
			}
			return placementRefusals(g.Placement, pod, res.Pod)
		}}
	}
	return layerGroupWarnings(ctx, l, cluster, served, groups, "the placement", "placed alike")
}

// hasEntry reports whether m holds k with the value v.
func hasEntry(m map[string]string, k, v string) bool {
	mv, ok := m[k]
	return ok && mv == v
}

// renderSelector writes a node selector as the plugins read one:
// key=value, comma-separated, in key order.
func renderSelector(m map[string]string) string {
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ",")
}
