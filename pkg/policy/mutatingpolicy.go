package policy

import (
	"context"
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

// MutatingPolicyRefused is err, a MutatingAdmissionPolicy's refusal of a
// pod in the API server's words, as a RefusedError.
func MutatingPolicyRefused(err error) *RefusedError {
	return &RefusedError{reason: err.Error(), violations: []Violation{{Policy: MutatingAdmissionPolicyPolicy, Enforcement: v1alpha1.EnforcementDeny,
		Message: fmt.Sprintf("%s: %v (the API server's MutatingAdmissionPolicy admission refuses the pod before any webhook)", MutatingAdmissionPolicyPolicy, err)}}}
}
