package policy

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// LimitRangerPolicy is the policy name of the LimitRanger plugin's
// refusals of a pod, as the composer predicts them from the LimitRanges
// it is given (overlay.Inputs.LimitRanges): withLimits.
const LimitRangerPolicy = "limit-ranger"

// withLimits is d with the LimitRanger plugin's refusals of the creation
// of pod, as the mutating webhooks leave it, in the namespace of req
// (mutate.LimitRefusals), each a violation of LimitRangerPolicy. The
// plugin judges creations only (containers cannot change after), and
// in-place resizes, which a dry run does not make. In the webhook the
// snapshot holds no LimitRange, and d is returned as it is.
func withLimits(d Decision, snap *overlay.Snapshot, pod *corev1.Pod, req Request) Decision {
	if req.Old != nil || (req.Operation != "" && req.Operation != "CREATE") {
		return d
	}
	ns := req.Namespace
	if ns == "" {
		ns = pod.Namespace
	}
	refusals := mutate.LimitRefusals(snap.LimitRanges(ns), pod)
	if len(refusals) == 0 {
		return d
	}
	d.Violations = slices.Clone(d.Violations)
	for _, r := range refusals {
		d.Violations = append(d.Violations, Violation{Policy: LimitRangerPolicy, Enforcement: v1alpha1.EnforcementDeny,
			Message: fmt.Sprintf("%s: %s (the API server's LimitRanger admission refuses the pod after the mutating webhooks, before any validating webhook)", LimitRangerPolicy, r)})
	}
	sortViolations(d.Violations)
	return d
}

// launchedLimits is vs with the LimitRanger plugin's refusals of the pod
// of role an application (of kind) launches, composed, named as the
// application's (`limit-ranger: SparkApplication "etl-report": executor
// pod: LimitRange "limits": ...`): the operator's submission, or the
// driver's executors, would be refused every time.
func launchedLimits(vs []Violation, kind, app string, role v1alpha1.Role, refusals []mutate.LimitRefusal) []Violation {
	for _, r := range refusals {
		vs = append(vs, Violation{Policy: LimitRangerPolicy, Enforcement: v1alpha1.EnforcementDeny,
			Message: fmt.Sprintf("%s: %s %q: %s pod: %s (the API server's LimitRanger admission)", LimitRangerPolicy, kind, app, role, r)})
	}
	return vs
}
