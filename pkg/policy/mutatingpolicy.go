package policy

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// MutatingAdmissionPolicyPolicy names the refusals of the API server's
// MutatingAdmissionPolicy admission, as the composer predicts them.
const MutatingAdmissionPolicyPolicy = "mutating-admission-policy"

// MutatingPolicies are the API server's MutatingAdmissionPolicies on one
// pod's creation, where the composer applies them: after the in-tree
// plugins and before the webhooks, on each of the API server's two
// passes. The webhook never has them: the API server applied them before
// it sees a pod.
type MutatingPolicies interface {
	// Changed reports whether they changed the pod on the first pass.
	Changed() bool
	// Reinvoke is pod as they leave it on the second pass.
	Reinvoke(ctx context.Context, pod *corev1.Pod) (*corev1.Pod, error)
}

// MutatingAdmission applies the cluster's MutatingAdmissionPolicies to
// the creation of pod by username ("" for a user not known), as the API
// server's first pass does: the pod as they leave it and the creation,
// for the second pass (Reinvoked); an error is their refusal, in the API
// server's words. pod is not changed.
type MutatingAdmission func(ctx context.Context, pod *corev1.Pod, username string) (*corev1.Pod, MutatingPolicies, error)

// MutatingPolicyRefused is err, a MutatingAdmissionPolicy's refusal of
// the creation of an object of kind ("pod", "SparkApplication") in the
// API server's words, as a RefusedError.
func MutatingPolicyRefused(kind string, err error) *RefusedError {
	return &RefusedError{reason: err.Error(), violations: []Violation{{Policy: MutatingAdmissionPolicyPolicy, Enforcement: v1alpha1.EnforcementDeny,
		Message: fmt.Sprintf("%s: %v (the API server's MutatingAdmissionPolicy admission refuses the %s before any webhook)", MutatingAdmissionPolicyPolicy, err, kind)}}}
}

// MutatingPolicyUnreadable is the webhook's refusal of an object of kind
// that the cluster's MutatingAdmissionPolicies changed into one it cannot
// read (err), as a RefusedError: the webhook answers the API server an
// error, which refuses the creation. The policies' change is its cause, so
// it is theirs (MutatingAdmissionPolicyPolicy).
func MutatingPolicyUnreadable(kind string, err error) *RefusedError {
	reason := fmt.Sprintf("the %s as the cluster's MutatingAdmissionPolicies leave it, which the webhook cannot read: %v", kind, err)
	return &RefusedError{reason: reason, byWebhook: true, violations: []Violation{{Policy: MutatingAdmissionPolicyPolicy, Enforcement: v1alpha1.EnforcementDeny,
		Message: fmt.Sprintf("%s: %s (the webhook refuses it)", MutatingAdmissionPolicyPolicy, reason)}}}
}

// launchedMutatingRefusal is a MutatingAdmissionPolicy's refusal of the
// pods of role an application (of kind) launches, named as the
// application's: the operator's submission, or the driver's executors,
// would be refused every time.
func launchedMutatingRefusal(kind, app string, role v1alpha1.Role, err error) Violation {
	var refused *RefusedError
	if errors.As(err, &refused) {
		err = errors.New(refused.reason)
	}
	return Violation{Policy: MutatingAdmissionPolicyPolicy, Enforcement: v1alpha1.EnforcementDeny,
		Message: fmt.Sprintf("%s: %s %q: %s pod: %v (the API server's MutatingAdmissionPolicy admission refuses it before any webhook)", MutatingAdmissionPolicyPolicy, kind, app, role, err)}
}
