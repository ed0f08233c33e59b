package policy

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// runtimeClassCheck is isolation's check of a SparkApplication whose pods
// the API server's RuntimeClass plugin would refuse.
const runtimeClassCheck = "runtimeClass"

// AdmitRuntimeClass is mutate.WithRuntimeClass of pod and the RuntimeClass of
// snap it names. When pod names a class snap does not hold (a dry run not
// given the cluster's RuntimeClasses), pod is returned as it is, with a
// note saying it is judged without what the class would add.
func AdmitRuntimeClass(snap *overlay.Snapshot, pod *corev1.Pod) (out *corev1.Pod, note string, err error) {
	name := pod.Spec.RuntimeClassName
	if name == nil {
		return pod, "", nil
	}
	rc, ok := snap.RuntimeClass(*name)
	if !ok {
		return pod, fmt.Sprintf("RuntimeClass %q is not known here: judged without the overhead, node selectors and tolerations the API server gives a pod of it", *name), nil
	}
	if out, err = mutate.WithRuntimeClass(pod, rc); err != nil {
		return nil, "", fmt.Errorf("RuntimeClass %q: %w", *name, err)
	}
	return out, "", nil
}

// AdmitPod is pod as the API server's admission plugins leave its
// creation before any webhook, as the composer predicts it: LimitRanger's
// defaults of the LimitRanges snap holds of pod's namespace
// (mutate.LimitPod), the placement plugins of pp (mutate.PlacePod) with
// the placement snap gives the namespace, then RuntimeClass's
// (AdmitRuntimeClass), in the API server's order. A plugin's refusal is
// a *RefusedError, whose Decision is the verdict; out is then still the
// pod as far as the plugins would have left it, so that a dry run can
// show what the layers would do to it. note is AdmitRuntimeClass's.
func AdmitPod(snap *overlay.Snapshot, pod *corev1.Pod, pp mutate.PlacementPlugins) (out *corev1.Pod, note string, err error) {
	limited := mutate.LimitPod(snap.LimitRanges(pod.Namespace), pod)
	placed, refusals := mutate.PlacePod(snap.NamespacePlacement(pod.Namespace), limited, pp)
	out, note, err = AdmitRuntimeClass(snap, placed)
	if err != nil {
		out, note = placed, ""
	}
	switch {
	case len(refusals) > 0:
		// The placement plugins run first: theirs is the API server's
		// answer.
		return out, note, placementRefused(refusals)
	case err != nil:
		return out, note, &RefusedError{reason: err.Error(), violations: []Violation{{Policy: isolationPolicy, Check: runtimeClassCheck, Enforcement: v1alpha1.EnforcementDeny,
			Message: fmt.Sprintf("%s: %v (the API server's RuntimeClass admission refuses the pod before any webhook)", isolationPolicy, err)}}}
	}
	return out, note, nil
}

// RefusedError is the refusal of a pod by the API server's admission
// plugins before any webhook (AdmitPod).
type RefusedError struct {
	reason     string
	violations []Violation
	// byWebhook: the webhook refuses the object, not the API server's
	// admission before it (MutatingPolicyUnreadable).
	byWebhook bool
}

func (e *RefusedError) Error() string {
	if e.byWebhook {
		return "refused by the webhook: " + e.reason
	}
	return "refused by the API server before any webhook: " + e.reason
}

// Decision is the refusal as a verdict: a violation of each placement
// plugin's policy, as Check.Placement names them, or isolation's
// runtimeClass check, as Check.App names an application's launched pods
// the RuntimeClass plugin refuses.
func (e *RefusedError) Decision() Decision {
	return Decision{Violations: slices.Clone(e.violations)}
}

// placementRefused is the placement plugins' refusals as a RefusedError.
func placementRefused(refusals []mutate.PlacementRefusal) *RefusedError {
	e := &RefusedError{}
	parts := make([]string, len(refusals))
	for i, r := range refusals {
		parts[i] = r.String()
		name := placementPolicy(r.Plugin)
		e.violations = append(e.violations, Violation{Policy: name, Enforcement: v1alpha1.EnforcementDeny,
			Message: fmt.Sprintf("%s: %s (the API server's %s admission refuses the pod before any webhook)", name, r.Reason, r.Plugin)})
	}
	e.reason = strings.Join(parts, "; ")
	sortViolations(e.violations)
	return e
}

// runtimeSelects reports whether the RuntimeClass scheduling s selects
// nodes whose label k has the value v.
func runtimeSelects(s *nodev1.Scheduling, k, v string) bool {
	if s == nil {
		return false
	}
	rv, ok := s.NodeSelector[k]
	return ok && rv == v
}

// runtimeScheduled reports whether t is one of the tolerations of the
// RuntimeClass scheduling s, as the plugin merged it into the pod.
func runtimeScheduled(s *nodev1.Scheduling, t *corev1.Toleration) bool {
	return s != nil && mutate.HoldsToleration(s.Tolerations, t)
}
