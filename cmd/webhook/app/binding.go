package app

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
	kjson "sigs.k8s.io/json"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/policy"
)

// BindingPolicyPath is where BindingValidator is served.
const BindingPolicyPath = "/validate-v1-pod-binding"

// BindingValidator judges a binding of a pod of a tenant namespace to a
// node (pods/binding, and the older bindings resource) by anyone but the
// cluster's scheduler and kube-system's service accounts, whose bindings
// the webhook configuration leaves out.
// The API server writes a binding onto the stored pod with no admission of
// the pod: it sets spec.nodeName, and copies the binding's labels and
// annotations onto the pod. So a binding is judged as the UPDATE of the pod
// it makes, by PodValidator's check (policy.Check.Pod with the stored pod
// as the old one, request.subResource "binding"): it may not bring what
// the stored pod did not break, such as a reserved label, another tenant's
// IAM role annotation, or a node where nodes or taints are reserved. A
// binding must name the uid of the pod it binds (metadata.uid), so that
// the pod bound is the pod judged.
type BindingValidator struct {
	// Pods is the pod policy handler whose check a binding passes.
	Pods *PodValidator
	// Reader reads the pod bound from the API server: the webhook keeps no
	// pod whole.
	Reader  client.Reader
	Metrics *Metrics
}

var _ admission.Handler = (*BindingValidator)(nil)

// Handle judges one binding. A pod that cannot be read is an error,
// never a binding let through.
func (h *BindingValidator) Handle(ctx context.Context, req admission.Request) admission.Response {
	return h.Metrics.serve(ctx, "pod-binding-policy", req, h.handle)
}

func (h *BindingValidator) handle(ctx context.Context, req admission.Request) admission.Response {
	if req.Operation != admissionv1.Create {
		return admission.Allowed("")
	}
	binding, err := decodeBinding(req.Object.Raw)
	if err != nil {
		return admission.Errored(http.StatusBadRequest, err)
	}
	stored := &corev1.Pod{}
	if err := h.Reader.Get(ctx, client.ObjectKey{Namespace: req.Namespace, Name: binding.Name}, stored); err != nil {
		if apierrors.IsNotFound(err) {
			return admission.Errored(http.StatusNotFound, fmt.Errorf("binding pod %q: %w", binding.Name, err))
		}
		return admission.Errored(http.StatusServiceUnavailable, fmt.Errorf("reading pod %q to judge its binding: %w", binding.Name, err))
	}
	// The API server applies a binding to whichever pod has its name when
	// it writes it, unless the binding names the pod's uid: then it binds
	// that pod or none. Without the uid, a pod deleted and created again
	// under the same name after this read would be bound unjudged (a
	// plain pod's binding, allowed, landing on an executor that may not
	// have its labels or node). So a binding names the uid of the pod
	// judged, as the cluster's scheduler, Volcano and YuniKorn bind;
	// before any other answer, since "bound already" is true only of the
	// pod read.
	switch {
	case binding.UID == "" && req.SubResource == "":
		// The API server drops metadata.uid of what is created through the
		// older bindings resource, before admission and before it binds.
		return admission.Denied(fmt.Sprintf("binding: pod %q is bound through the bindings resource, whose metadata.uid the API server drops, "+
			"so it would bind whichever pod has that name, which need not be the pod judged; bind through pods/binding naming the pod's uid, as the cluster's scheduler does", binding.Name))
	case binding.UID == "":
		return admission.Denied(fmt.Sprintf("binding: the binding of pod %q names no metadata.uid: the API server would bind whichever pod has that name when it applies the binding, "+
			"which need not be the pod judged; name the uid of the pod bound, as the cluster's scheduler does", binding.Name))
	case binding.UID != stored.UID:
		return admission.Denied(fmt.Sprintf("binding: the binding of pod %q names uid %q, but the pod of that name is uid %q: it was replaced; bind the pod as it is now",
			binding.Name, binding.UID, stored.UID))
	}
	if stored.Spec.NodeName != "" {
		return admission.Allowed("the pod is bound already: the API server refuses another binding")
	}
	if stored.DeletionTimestamp != nil {
		return admission.Allowed("the pod is being deleted")
	}
	bound := boundPod(stored, binding)
	if err := mutate.CheckSize(bound); err != nil {
		return admission.Denied(err.Error())
	}
	return h.Pods.judge(ctx, bound, policy.Request{Operation: string(admissionv1.Update), SubResource: "binding",
		Namespace: stored.Namespace, UserInfo: req.UserInfo, DryRun: req.DryRun != nil && *req.DryRun, Old: stored})
}

// boundPod is stored as binding leaves it: on the binding's node, with the
// binding's labels and annotations over its own (the API server's
// BindingREST does the same).
func boundPod(stored *corev1.Pod, binding *corev1.Binding) *corev1.Pod {
	bound := stored.DeepCopy()
	bound.Spec.NodeName = binding.Target.Name
	if len(binding.Labels) > 0 {
		if bound.Labels == nil {
			bound.Labels = map[string]string{}
		}
		maps.Copy(bound.Labels, binding.Labels)
	}
	if len(binding.Annotations) > 0 {
		if bound.Annotations == nil {
			bound.Annotations = map[string]string{}
		}
		maps.Copy(bound.Annotations, binding.Annotations)
	}
	return bound
}

// errNoPodNamed: a binding must name the pod it binds.
var errNoPodNamed = errors.New("the binding names no pod (metadata.name)")

// decodeBinding decodes the Binding of a review, as the API server sends
// it (v1, case-sensitive field names).
func decodeBinding(raw []byte) (*corev1.Binding, error) {
	binding := &corev1.Binding{}
	if err := kjson.UnmarshalCaseSensitivePreserveInts(raw, binding); err != nil {
		return nil, fmt.Errorf("decoding the binding: %w", err)
	}
	if binding.APIVersion != "v1" || binding.Kind != "Binding" {
		return nil, fmt.Errorf("decoding the binding: the object is a %s %s, want a v1 Binding", binding.APIVersion, binding.Kind)
	}
	if binding.Name == "" {
		return nil, errNoPodNamed
	}
	return binding, nil
}
