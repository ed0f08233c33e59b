package app

import (
	"context"
	"net/http"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
)

// PodPath is where the pod mutating handler is served.
const PodPath = "/mutate-v1-pod"

// ephemeralContainers is the subresource ephemeral containers are added
// through.
const ephemeralContainers = "ephemeralcontainers"

// auditLayersKey is the audit annotation listing the applied layers; the API
// server prefixes it with the webhook's name.
const auditLayersKey = "layers"

// PodMutator composes the layers onto Spark pods. It is thin: everything it
// does to a pod is mutate.Admit, the composer CLI's code path (Compose)
// with only the provenance its patch and warnings are made of.
type PodMutator struct {
	Store   *Store
	Cluster mutate.Cluster
	Metrics *Metrics
	// Namespaces reads a Namespace the cache does not have yet; optional.
	Namespaces client.Reader
	// Shadow records what Shadow layers would have changed; optional.
	Shadow *ShadowRecorder
}

var _ admission.Handler = (*PodMutator)(nil)

// Handle composes one pod as it is created, and mirrors the images of the
// ephemeral containers added to one (mutate.MirrorEphemeral). Pods that are
// not Spark pods, and any other update, are allowed unchanged. It has no side effects, so dryRun requests need nothing
// special, and composing a composed pod returns an empty patch, so it is
// safe under reinvocationPolicy IfNeeded.
//
// A denial is a documented bound the pod exceeds; a composition the API
// server would refuse (a layer's mount of a volume the pod lacks, a
// podPatch that does not apply to it or leaves it invalid) is answered
// 422 Invalid, final (composeFailed); anything else that keeps Strata
// from composing (no snapshot yet, a Namespace it cannot read, an invalid
// Layer that matches the pod, a class a layer names that the cluster
// lacks) is an error, counted as one and left to the webhook's
// failurePolicy.
func (h *PodMutator) Handle(ctx context.Context, req admission.Request) admission.Response {
	return h.Metrics.serve(ctx, "pod", req, h.handle)
}

func (h *PodMutator) handle(ctx context.Context, req admission.Request) admission.Response {
	pod, err := decodePod(req)
	if err != nil {
		return refuseUndecodable(err)
	}
	if _, spark := mutate.SparkRole(pod); !spark {
		return admission.Allowed("not a Spark pod")
	}
	served := h.Store.Load()
	if served == nil {
		return admission.Errored(http.StatusServiceUnavailable, errNoSnapshot)
	}
	snap, err := snapshotWithNamespace(ctx, served.Snapshot, h.Namespaces, pod.Namespace)
	if err != nil {
		return admission.Errored(http.StatusServiceUnavailable, err)
	}
	if err := blocked(snap, h.Cluster, pod); err != nil {
		return admission.Errored(http.StatusServiceUnavailable, err)
	}
	switch {
	case req.Operation == admissionv1.Update && req.SubResource == ephemeralContainers:
		old, err := decodeOldPod(req)
		if err != nil {
			return admission.Errored(http.StatusBadRequest, err)
		}
		return patched(mutate.MirrorEphemeral(snap, h.Cluster, pod, old))
	case req.Operation != admissionv1.Create:
		return admission.Allowed("a pod is composed when it is created")
	}
	res, err := mutate.Admit(snap, h.Cluster, pod)
	if err != nil {
		log.FromContext(ctx).Info("cannot compose pod", "reason", err.Error(), "generation", served.Generation)
		return composeFailed(err)
	}
	if resp, late := expired(ctx); late {
		return resp
	}
	resp := patched(res.Patch)
	resp.Warnings = res.WarningsFor(snap, req.UserInfo.Username)
	if len(res.Composition.Layers) > 0 {
		resp.AuditAnnotations = map[string]string{auditLayersKey: strings.Join(res.Composition.Layers, ",")}
	}
	h.shadow(ctx, snap, pod, res, &resp)
	// Checked first: the arguments would be built (and allocated) on
	// every admission, logged or not.
	if l := log.FromContext(ctx).V(1); l.Enabled() {
		l.Info("composed pod", "role", res.Role, "layers", res.Composition.Layers,
			"operations", len(res.Patch), "generation", served.Generation)
	}
	return resp
}

// shadow records what the Shadow layers that match pod would have changed:
// an audit annotation, strata_shadow_changes_total, the layers' reports.
// It never changes the answer: the pod is admitted exactly as without
// them, and a Shadow layer that fails to compose is only logged.
func (h *PodMutator) shadow(ctx context.Context, snap *overlay.Snapshot, pod *corev1.Pod, res *mutate.Result, resp *admission.Response) {
	changes, err := mutate.ShadowOf(snap, h.Cluster, pod, res)
	if err != nil {
		log.FromContext(ctx).Info("cannot compose the Shadow layers", "reason", err.Error())
		return
	}
	if len(changes) == 0 {
		return
	}
	if resp.AuditAnnotations == nil {
		resp.AuditAnnotations = map[string]string{}
	}
	resp.AuditAnnotations[auditShadowKey] = shadowAudit(changes)
	for _, c := range changes {
		h.Metrics.shadow.WithLabelValues(c.Layer).Inc()
	}
	h.Shadow.Record(pod.Namespace+"/"+podName(pod), changes)
}

func podName(pod *corev1.Pod) string {
	if pod.Name != "" {
		return pod.Name
	}
	return pod.GenerateName
}
