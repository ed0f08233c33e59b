package mutate

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1alpha1"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
)

// launchedPlacementWarnings adds to each role of out the warning that the
// namespace's placement plugins will refuse the pod the application
// launches of it for what the layers set of its node selector and
// tolerations (placementRefusals): the pod the composed application
// launches, given the namespace's placement as the plugins give it and
// composed as the pod webhook composes it, against the one the
// application as written (in) launches, given the same. As with Pod
// Security (launchedPodSecurityWarnings), the plugins refuse that pod to
// the Spark Operator or the driver, in words that name no layer, and the
// application's creation is where its user can be told.
func launchedPlacementWarnings(snap *overlay.Snapshot, cluster Cluster, in *sparkv1beta2.SparkApplication, out *AppResult) error {
	ns := out.App.App.Namespace
	p := snap.NamespacePlacement(ns)
	if len(p.NodeSelector) == 0 && len(p.NodeSelectorWhitelist) == 0 && len(p.TolerationsWhitelist) == 0 {
		return nil
	}
	for _, role := range Roles() {
		before, err := LaunchedPod(in, role)
		if err != nil {
			return nil //nolint:nilerr // the validating webhook refuses the size
		}
		launched, err := LaunchedPod(&out.App.App, role)
		if err != nil {
			return nil //nolint:nilerr // as above
		}
		for _, pod := range []*corev1.Pod{before, launched} {
			pod.Namespace = ns
			givePlacement(pod, p)
		}
		pod, err := Admit(snap, cluster, launched)
		if err != nil {
			return err
		}
		if reasons := placementRefusals(p, before, pod.Pod); len(reasons) > 0 {
			res := out.Role(role)
			res.Warnings = append(res.Warnings, fmt.Sprintf("the pod it launches: The API server will refuse the pod for what the layers set of its placement in namespace %q: %s",
				ns, strings.Join(reasons, "; ")))
		}
	}
	return nil
}

// givePlacement gives pod what the placement plugins give every pod of a
// namespace placed by p before any webhook: the namespace's node selector
// under the pod's own entries, and its default tolerations the pod lacks.
func givePlacement(pod *corev1.Pod, p overlay.NamespacePlacement) {
	if len(p.NodeSelector) > 0 {
		sel := maps.Clone(p.NodeSelector)
		maps.Copy(sel, pod.Spec.NodeSelector)
		pod.Spec.NodeSelector = sel
	}
	for i := range p.Tolerations {
		if !HoldsToleration(pod.Spec.Tolerations, &p.Tolerations[i]) {
			pod.Spec.Tolerations = append(slices.Clip(pod.Spec.Tolerations), p.Tolerations[i])
		}
	}
}

// givePinnedSelector gives a role's template pod the node selector entries
// the namespace's placement p pins its pods to that the application does
// not set itself: the launched pod holds them before any webhook, so a
// default layer must not fill those keys in the application, where the
// plugin would find them conflicting. They are the template's, so
// projection does not write them into the application. It returns the
// keys given.
func givePinnedSelector(template *corev1.Pod, p overlay.NamespacePlacement) []string {
	var given []string
	for _, k := range slices.Sorted(maps.Keys(p.NodeSelector)) {
		if _, own := template.Spec.NodeSelector[k]; !own {
			if template.Spec.NodeSelector == nil {
				template.Spec.NodeSelector = map[string]string{}
			}
			template.Spec.NodeSelector[k] = p.NodeSelector[k]
			given = append(given, k)
		}
	}
	return given
}

// connectPlacementWarnings are the warnings that the namespace's
// placement plugins will refuse a pod a SparkConnect launches (its
// server's, which the operator creates, and its executors', which the
// server creates) for what the layers set of its node selector and
// tolerations (placementRefusals): the pod the composed SparkConnect
// launches, given the namespace's placement and composed as the pod
// webhook composes it, against the one the SparkConnect as written (in)
// launches, given the same. As launchedPlacementWarnings for an
// application: the plugins refuse those pods to their creators, and the
// SparkConnect's creator sees only a server that never starts or never
// gets executors. A size Spark would not accept launches nothing.
func connectPlacementWarnings(snap *overlay.Snapshot, cluster Cluster, in, composed *sparkv1alpha1.SparkConnect) ([]string, error) {
	ns := in.Metadata.Namespace
	p := snap.NamespacePlacement(ns)
	if len(p.NodeSelector) == 0 && len(p.NodeSelectorWhitelist) == 0 && len(p.TolerationsWhitelist) == 0 {
		return nil, nil
	}
	var out []string
	for _, role := range Roles() {
		before, launched, ok := connectPods(in, composed, role)
		if !ok {
			return nil, nil
		}
		for _, pod := range []*corev1.Pod{before, launched} {
			pod.Namespace = ns
			givePlacement(pod, p)
		}
		res, err := Admit(snap, cluster, launched)
		if err != nil {
			return nil, err
		}
		if reasons := placementRefusals(p, before, res.Pod); len(reasons) > 0 {
			out = append(out, fmt.Sprintf("%s: The API server will refuse the pod for what the layers set of its placement in namespace %q: %s",
				connectPodName(role), ns, strings.Join(reasons, "; ")))
		}
	}
	return out, nil
}
