package app

import (
	"context"
	"errors"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/policy"
)

// podCreation is what the API server's admission makes of a pod's
// creation, as the dry run predicts it: compose, composer test and
// composer diff read a pod through it alike.
type podCreation struct {
	// admitted is the pod as the in-tree plugins and the
	// MutatingAdmissionPolicies leave it: what the webhook composes.
	admitted *corev1.Pod
	// classNote is policy.AdmitPod's.
	classNote string
	// changed: the MutatingAdmissionPolicies changed the pod, which was
	// beforePolicies (as the in-tree plugins left it) before them.
	changed        bool
	beforePolicies *corev1.Pod
	// refused is the API server's refusal before any webhook (its
	// plugins', a MutatingAdmissionPolicy's on either pass), or the
	// webhook's of a composition the API server would refuse
	// (policy.CompositionInvalid); nil for none. The pod is composed all
	// the same where it can be.
	refused *policy.RefusedError
	// composed is the webhook's composition of admitted; nil where a pod
	// refused first cannot be composed (a RuntimeClass it conflicts
	// with, say), which the webhook never sees, or where the composition
	// is invalid.
	composed *mutate.Result
	// stored is the pod the API server stores, after its second pass
	// (policy.Reinvoked); nil with composed.
	stored *corev1.Pod
}

// createPod is the creation of pod by user ("" for not known), as
// check's snapshot, cluster, placement plugins and MutatingAdmissionPolicies
// (check.Mutating, nil for none) have the API server admit it: its in-tree
// plugins (policy.AdmitPod), the policies, the webhook's composition, then
// the API server's second pass.
func createPod(ctx context.Context, check *policy.Check, pod *corev1.Pod, user string) (podCreation, error) {
	var c podCreation
	var err error
	c.admitted, c.classNote, err = policy.AdmitPod(check.Snapshot, pod, check.Placement)
	if err != nil && !errors.As(err, &c.refused) {
		return c, err
	}
	var policies policy.MutatingPolicies
	if check.Mutating != nil && c.refused == nil {
		// The policies run where the in-tree plugins left the pod.
		admitted, mp, err := check.Mutating(ctx, c.admitted, user)
		if err != nil {
			c.refused = policy.MutatingPolicyRefused("pod", err)
		} else {
			c.beforePolicies = c.admitted
			c.admitted, policies, c.changed = admitted, mp, mp.Changed()
		}
	}
	if c.composed, err = mutate.Compose(check.Snapshot, check.Cluster, c.admitted); err != nil {
		if c.refused == nil && mutate.IsInvalidComposition(err) {
			// The webhook refuses it (422): a verdict, not bad input.
			c.refused = policy.CompositionInvalid("pod", err)
		}
		if c.refused != nil {
			c.composed = nil
			return c, nil
		}
		return c, err
	}
	switch c.stored, err = policy.Reinvoked(ctx, check.Snapshot, check.Cluster, c.composed, check.Placement, policies); {
	case errors.As(err, &c.refused):
		// A policy refuses it on the second pass.
		c.stored = c.composed.Pod
	case mutate.IsInvalidComposition(err):
		// The webhook, called again, refuses what the policies made of it.
		c.refused, c.composed, c.stored = policy.CompositionInvalid("pod", err), nil, nil
	case err != nil:
		return c, err
	}
	return c, nil
}
