package policy

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
)

// Reinvoked is the pod the API server stores of a creation, as the
// composer predicts it, from composed, the mutating webhook's composition
// of AdmitPod's pod. Once a webhook has changed a pod, the API server runs
// its in-tree mutating plugins again, every one of them (its admission
// reinvocation): LimitRanger gives the containers a layer injected the
// defaults the pod's own got, the placement plugins and RuntimeClass merge
// what they give again; and it calls the webhook again (its
// reinvocationPolicy is IfNeeded) when they changed the pod. The API
// server's defaults (ServerDefaults) come after, which the validating
// webhook and the plugins' validation see.
//
// What the plugins refuse on the second round they refuse of the stored
// pod too, which Check.Pod judges (withPlacement, withLimits): the
// refusals of the second round are left to it. pp is AdmitPod's.
//
// mp are the cluster's MutatingAdmissionPolicies on the pod's creation,
// where the composer applies them (nil for none): the second pass then
// also follows a policy's change of the first, and runs the policies
// again between the in-tree plugins and the webhook. A policy's refusal
// on the second pass is a *RefusedError (MutatingPolicyRefused).
func Reinvoked(ctx context.Context, snap *overlay.Snapshot, cluster mutate.Cluster, composed *mutate.Result, pp mutate.PlacementPlugins, mp MutatingPolicies) (*corev1.Pod, error) {
	pod := composed.Pod
	if len(composed.Patch) == 0 && (mp == nil || !mp.Changed()) {
		return pod, nil
	}
	// Its refusals are the stored pod's, which Check.Pod judges.
	again, _, _ := AdmitPod(snap, pod, pp)
	if mp != nil {
		var err error
		if again, err = mp.Reinvoke(ctx, again); err != nil {
			return nil, MutatingPolicyRefused("pod", err)
		}
	}
	if again != pod && !equality.Semantic.DeepEqual(again, pod) {
		res, err := mutate.Compose(snap, cluster, again)
		if err != nil {
			return nil, fmt.Errorf("composing the pod again after the API server's admission plugins ran again: %w", err)
		}
		pod = res.Pod
	}
	return pod, nil
}
