package policy

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// ResourceQuotaPolicy is the policy name of the ResourceQuota admission's
// refusals of a pod for what its containers leave unsaid, as the composer
// predicts them from the ResourceQuotas it is given
// (overlay.Inputs.ResourceQuotas): withQuotas.
const ResourceQuotaPolicy = "resource-quota"

// withQuotas is d with the ResourceQuota admission's refusals of the
// creation of pod, as the mutating webhooks leave it, in the namespace of
// req (quotaRefusals), each a violation of ResourceQuotaPolicy.
// Only creations are judged: a pod's containers cannot change after.
func withQuotas(d Decision, snap *overlay.Snapshot, pod *corev1.Pod, req Request) Decision {
	ns, created := creation(req, pod)
	if !created {
		return d
	}
	refusals := quotaRefusals(snap, ns, pod)
	if len(refusals) == 0 {
		return d
	}
	d.Violations = slices.Clone(d.Violations)
	for _, r := range refusals {
		d.Violations = append(d.Violations, Violation{Policy: ResourceQuotaPolicy, Enforcement: v1alpha1.EnforcementDeny,
			Message: fmt.Sprintf("%s: %s (the API server's ResourceQuota admission refuses the pod last, after the validating webhooks)", ResourceQuotaPolicy, r)})
	}
	sortViolations(d.Violations)
	return d
}

// launchedQuotas is vs with the ResourceQuota admission's refusals of the
// pod of role an application (of kind) launches, composed, in a namespace
// of quotas, named as the application's (`resource-quota:
// SparkApplication "etl-report": executor pod: failed quota: compute:
// ...`): the operator's submission, or the driver's executors, would be
// refused every time.
func launchedQuotas(vs []Violation, kind, app string, role v1alpha1.Role, snap *overlay.Snapshot, namespace string, pod *corev1.Pod) []Violation {
	for _, r := range quotaRefusals(snap, namespace, pod) {
		vs = append(vs, Violation{Policy: ResourceQuotaPolicy, Enforcement: v1alpha1.EnforcementDeny,
			Message: fmt.Sprintf("%s: %s %q: %s pod: %s (the API server's ResourceQuota admission)", ResourceQuotaPolicy, kind, app, role, r)})
	}
	return vs
}

// launchedClaimQuotas is vs with the ResourceQuota admission's refusals of
// the PersistentVolumeClaims Spark creates for the pods of role an
// application (of kind) launches with conf, in namespace as snap holds
// it: for want of a quota covering what they consume
// (mutate.UncoveredClaimRefusals), else past what is left of a quota
// (mutate.ClaimQuotaExceeded), as the plugin judges them in turn. Each
// pod of the role fails without its claim.
func launchedClaimQuotas(vs []Violation, kind, app string, role v1alpha1.Role, snap *overlay.Snapshot, namespace string, conf map[string]string) []Violation {
	limited, quotas := snap.LimitedResources(), snap.ResourceQuotas(namespace)
	if len(limited) == 0 && len(quotas) == 0 {
		return vs
	}
	for _, claim := range mutate.SparkClaims(conf, role) {
		refusals := mutate.UncoveredClaimRefusals(limited, quotas, claim)
		if len(refusals) == 0 {
			refusals = mutate.ClaimQuotaExceeded(quotas, claim)
		}
		for _, r := range refusals {
			vs = append(vs, Violation{Policy: ResourceQuotaPolicy, Enforcement: v1alpha1.EnforcementDeny,
				Message: fmt.Sprintf("%s: %s %q: %s: %s: %s (the API server's ResourceQuota admission)", ResourceQuotaPolicy, kind, app, role, claim, r)})
		}
	}
	return vs
}

// quotaRefusals are why the ResourceQuota admission, configured as snap
// holds it, refuses pod in namespace, as the plugin judges in turn: what
// its containers leave unsaid of what a quota bounds
// (mutate.QuotaRefusals), else what it consumes that no quota covers
// (mutate.UncoveredRefusals), else the quotas it exceeds with what they
// record as used (mutate.QuotaExceeded). A configuration the plugin
// cannot read has it judge nothing (mutate.PodQuotaUnjudged).
func quotaRefusals(snap *overlay.Snapshot, namespace string, pod *corev1.Pod) []mutate.QuotaRefusal {
	limited, quotas := snap.LimitedResources(), snap.ResourceQuotas(namespace)
	if mutate.PodQuotaUnjudged(limited) {
		return nil
	}
	if r := mutate.QuotaRefusals(quotas, pod); len(r) > 0 {
		return r
	}
	if r := mutate.UncoveredRefusals(limited, quotas, pod); len(r) > 0 {
		return r
	}
	return mutate.QuotaExceeded(quotas, pod)
}
