package policy

import (
	"fmt"
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
// creation before any webhook, as the composer predicts it: the placement
// plugins of pp (mutate.PlacePod) with the placement snap gives pod's
// namespace, then RuntimeClass's (AdmitRuntimeClass), in the API server's
// order. A placement plugin's refusal is a *PlacementRefusedError, whose
// Decision is the verdict; out is then still the pod as the plugins would
// leave it, so that a dry run can show what the layers would do to it.
// Any other error is RuntimeClass's refusal. note is AdmitRuntimeClass's.
func AdmitPod(snap *overlay.Snapshot, pod *corev1.Pod, pp mutate.PlacementPlugins) (out *corev1.Pod, note string, err error) {
	placed, refusals := mutate.PlacePod(snap.NamespacePlacement(pod.Namespace), pod, pp)
	out, note, err = AdmitRuntimeClass(snap, placed)
	if len(refusals) == 0 {
		return out, note, err
	}
	// The placement plugins run first: theirs is the API server's answer.
	if err != nil {
		out, note = placed, ""
	}
	return out, note, &PlacementRefusedError{Refusals: refusals}
}

// PlacementRefusedError is the placement plugins' refusal of a pod before
// any webhook (AdmitPod).
type PlacementRefusedError struct {
	Refusals []mutate.PlacementRefusal
}

func (e *PlacementRefusedError) Error() string {
	parts := make([]string, len(e.Refusals))
	for i, r := range e.Refusals {
		parts[i] = r.String()
	}
	return "refused by the API server before any webhook: " + strings.Join(parts, "; ")
}

// Decision is the refusal as a verdict: a violation of each plugin's
// policy, as Check.Placement names them.
func (e *PlacementRefusedError) Decision() Decision {
	var d Decision
	for _, r := range e.Refusals {
		name := placementPolicy(r.Plugin)
		d.Violations = append(d.Violations, Violation{Policy: name, Enforcement: v1alpha1.EnforcementDeny,
			Message: fmt.Sprintf("%s: %s (the API server's %s admission refuses the pod before any webhook)", name, r.Reason, r.Plugin)})
	}
	sortViolations(d.Violations)
	return d
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
