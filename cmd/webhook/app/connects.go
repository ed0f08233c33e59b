package app

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1alpha1"
)

// ConnectPath is where the SparkConnect handler is served.
const ConnectPath = "/mutate-sparkoperator-k8s-io-v1alpha1-sparkconnect"

// ConnectMutator composes the layers onto the Spark configuration of
// SparkConnects, on CREATE and on an UPDATE that changes the spec, as
// AppMutator does SparkApplications. It is thin: everything it does to
// one is mutate.ComposeConnect, the composer CLI's code path. The server
// and executor pods are composed as pods when the operator and the server
// create them.
type ConnectMutator struct {
	Store   *Store
	Cluster mutate.Cluster
	Metrics *Metrics
	// Namespaces reads a Namespace the cache does not have yet; optional.
	Namespaces client.Reader
}

var _ admission.Handler = (*ConnectMutator)(nil)

// Handle composes one SparkConnect. Composing a composed one returns an
// empty patch, so it is safe under reinvocationPolicy IfNeeded.
func (h *ConnectMutator) Handle(ctx context.Context, req admission.Request) admission.Response {
	return h.Metrics.serve(ctx, "sparkconnect", req, h.handle)
}

func (h *ConnectMutator) handle(ctx context.Context, req admission.Request) admission.Response {
	if n := len(req.Object.Raw); n > mutate.MaxPodBytes {
		return admission.Denied(fmt.Sprintf("%s is %d bytes; Strata admits at most %d", sparkv1alpha1.Kind, n, mutate.MaxPodBytes))
	}
	// A change of the metadata alone (the operator's finalizers) is not
	// composed again, nor refused for what Strata refuses in a spec
	// (mutate.CheckConnect): a Layer changed since would change a running
	// server's configuration, and one stored before a rule was added can
	// still have its finalizers removed.
	if resp, done := unchangedSpec(req); done {
		return resp
	}
	_, c, err := sparkv1alpha1.Decode(req.Object.Raw)
	if err != nil {
		return admission.Errored(http.StatusBadRequest, err)
	}
	if err := mutate.CheckConnect(&c.Spec); err != nil {
		return admission.Denied(err.Error())
	}
	served := h.Store.Load()
	if served == nil {
		return admission.Errored(http.StatusServiceUnavailable, errNoSnapshot)
	}
	namespace := req.Namespace
	snap, err := snapshotWithNamespace(ctx, served.Snapshot, h.Namespaces, namespace)
	if err != nil {
		return admission.Errored(http.StatusServiceUnavailable, err)
	}
	// Blocked by an invalid Layer that would apply to either role.
	probe := &corev1.Pod{}
	probe.Namespace = namespace
	if err := blocked(snap, h.Cluster, probe); err != nil {
		return admission.Errored(http.StatusServiceUnavailable, err)
	}
	res, err := mutate.ComposeConnect(snap, h.Cluster, req.Object.Raw, namespace)
	if err != nil {
		log.FromContext(ctx).Info("cannot compose SparkConnect", "reason", err.Error(), "generation", served.Generation)
		return admission.Errored(http.StatusBadRequest, err)
	}
	if resp, late := expired(ctx); late {
		return resp
	}
	resp := patched(res.Patch)
	resp.Warnings = res.Warnings
	layers := appLayers(res.Job)
	if len(layers) > 0 {
		resp.AuditAnnotations = map[string]string{auditLayersKey: strings.Join(layers, ",")}
	}
	log.FromContext(ctx).V(1).Info("composed SparkConnect", "layers", layers, "operations", len(res.Patch), "generation", served.Generation)
	return resp
}
