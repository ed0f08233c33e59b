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
// (mutate.LimitRefusals), each a violation of LimitRangerPolicy, and, in
// a namespace of LimitRanges, whose default limits may fall under what a
// container requests, the API server's refusal of a request its limit
// makes invalid (mutate.InvalidRequests). The
// plugin judges creations only (containers cannot change after), and
// in-place resizes, which a dry run does not make (Check.LimitRanger).
func withLimits(d Decision, snap *overlay.Snapshot, pod *corev1.Pod, req Request) Decision {
	ns, created := creation(req, pod)
	if !created {
		return d
	}
	ranges := snap.LimitRanges(ns)
	if len(ranges) == 0 {
		return d
	}
	refusals, invalid := mutate.LimitRefusals(ranges, pod), mutate.InvalidRequests(pod)
	if len(refusals) == 0 && len(invalid) == 0 {
		return d
	}
	d.Violations = slices.Clone(d.Violations)
	for _, r := range refusals {
		d.Violations = append(d.Violations, Violation{Policy: LimitRangerPolicy, Enforcement: v1alpha1.EnforcementDeny,
			Message: fmt.Sprintf("%s: %s (the API server's LimitRanger admission refuses the pod after the mutating webhooks, before any validating webhook)", LimitRangerPolicy, r)})
	}
	for _, e := range invalid {
		d.Violations = append(d.Violations, Violation{Policy: LimitRangerPolicy, Enforcement: v1alpha1.EnforcementDeny,
			Message: fmt.Sprintf("%s: %s (the API server refuses the pod as invalid after the mutating webhooks: a LimitRange's default limit under a request, say)", LimitRangerPolicy, e.Error())})
	}
	sortViolations(d.Violations)
	return d
}

// launchedLimits is vs with the LimitRanger plugin's refusals of the pod
// of role an application (of kind) launches, composed, in a namespace of
// ranges, and the API server's refusal of a request its limit makes
// invalid there, named as the application's (`limit-ranger:
// SparkApplication "etl-report": executor pod: LimitRange "limits":
// ...`): the operator's submission, or the driver's executors, would be
// refused every time.
func launchedLimits(vs []Violation, kind, app string, role v1alpha1.Role, ranges []*corev1.LimitRange, pod *corev1.Pod) []Violation {
	if len(ranges) == 0 {
		return vs
	}
	pod = ServerDefaults(pod) // as the API server validates it
	for _, r := range mutate.LimitRefusals(ranges, pod) {
		vs = append(vs, Violation{Policy: LimitRangerPolicy, Enforcement: v1alpha1.EnforcementDeny,
			Message: fmt.Sprintf("%s: %s %q: %s pod: %s (the API server's LimitRanger admission)", LimitRangerPolicy, kind, app, role, r)})
	}
	for _, e := range mutate.InvalidRequests(pod) {
		vs = append(vs, Violation{Policy: LimitRangerPolicy, Enforcement: v1alpha1.EnforcementDeny,
			Message: fmt.Sprintf("%s: %s %q: %s pod: %s (the API server refuses the pod as invalid)", LimitRangerPolicy, kind, app, role, e.Error())})
	}
	return vs
}

// launchedClaimLimits is vs with the API server's refusals of the
// PersistentVolumeClaims Spark creates for the pods of role an
// application (of kind) launches with conf, its effective configuration,
// in a namespace of ranges (mutate.SparkClaims, mutate.ClaimRefusals),
// named as the application's (`limit-ranger: SparkApplication
// "etl-report": executor: the PersistentVolumeClaim Spark creates for
// volume "spill" (...): LimitRange "storage": ...`): spark-submit, or the
// driver, would have each refused before the pod it is for.
func launchedClaimLimits(vs []Violation, kind, app string, role v1alpha1.Role, ranges []*corev1.LimitRange, conf map[string]string) []Violation {
	for _, claim := range mutate.SparkClaims(conf, role) {
		if _, err := claim.Storage(); err != nil {
			vs = append(vs, Violation{Policy: LimitRangerPolicy, Enforcement: v1alpha1.EnforcementDeny,
				Message: fmt.Sprintf("%s: %s %q: %s: %v (no claim can be created)", LimitRangerPolicy, kind, app, role, err)})
			continue
		}
		for _, r := range mutate.ClaimRefusals(ranges, claim) {
			vs = append(vs, Violation{Policy: LimitRangerPolicy, Enforcement: v1alpha1.EnforcementDeny,
				Message: fmt.Sprintf("%s: %s %q: %s: %s: %s (the API server's LimitRanger admission)", LimitRangerPolicy, kind, app, role, claim, r)})
		}
	}
	return vs
}

// creation reports whether req creates pod, and in which namespace: what
// the API server's LimitRanger and ResourceQuota admission judge of a
// pod's containers, which cannot change after.
func creation(req Request, pod *corev1.Pod) (namespace string, created bool) {
	if req.Old != nil || (req.Operation != "" && req.Operation != "CREATE") {
		return "", false
	}
	if req.Namespace != "" {
		return req.Namespace, true
	}
	return pod.Namespace, true
}
