package app

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1alpha1"
	"github.com/strata-dev/strata/pkg/policy"
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
	// A change of the metadata alone (the operator's finalizers) is not
	// composed again: a Layer changed since would change a running
	// server's configuration.
	if _, resp, done := connectOf(req); done {
		return resp
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
		if mutate.IsInvalidComposition(err) {
			return invalidObject(err)
		}
		return admission.Errored(http.StatusBadRequest, err) // what it holds cannot be read
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

// ConnectPolicyPath is where the SparkConnect policy handler is served.
const ConnectPolicyPath = "/validate-sparkoperator-k8s-io-v1alpha1-sparkconnect"

// ConnectValidator judges SparkConnects when they are created or their
// spec changes, as the applications their servers run, by the pods they
// launch (policy.Check.Connect): one that could never fit is refused when
// it is written, not executor by executor. Safety does not depend on it:
// each pod is judged, and reserves its quota, when it is created.
type ConnectValidator struct {
	Store    *Store
	Policies *PolicyStore
	Live     policy.LiveState
	Synced   func() bool
	Cluster  mutate.Cluster
	Metrics  *Metrics
	// Namespaces reads a Namespace the cache does not have yet; optional.
	Namespaces client.Reader
	// Owners reads the Service the operator would create for the server,
	// so one it would take over is refused; optional.
	Owners policy.OwnerLookup
}

var _ admission.Handler = (*ConnectValidator)(nil)

// Handle judges one SparkConnect, as AppValidator judges an application.
func (h *ConnectValidator) Handle(ctx context.Context, req admission.Request) admission.Response {
	return h.Metrics.serve(ctx, "sparkconnect-policy", req, h.handle)
}

func (h *ConnectValidator) handle(ctx context.Context, req admission.Request) admission.Response {
	if req.Operation != admissionv1.Create && req.Operation != admissionv1.Update {
		return admission.Allowed("")
	}
	conn, resp, done := connectOf(req)
	if done {
		return resp
	}
	conn.Metadata.Namespace = req.Namespace
	served, engine := h.Store.Load(), h.Policies.Load()
	if served == nil || engine == nil {
		return admission.Errored(http.StatusServiceUnavailable, errNoSnapshot)
	}
	if !h.Synced() {
		return admission.Errored(http.StatusServiceUnavailable, errNotSynced)
	}
	snap, err := snapshotWithNamespace(ctx, served.Snapshot, h.Namespaces, req.Namespace)
	if err != nil {
		return admission.Errored(http.StatusServiceUnavailable, err)
	}
	check := &policy.Check{Engine: engine, Snapshot: snap, Cluster: h.Cluster, Owners: h.Owners}
	request := policy.Request{Operation: string(req.Operation), Namespace: req.Namespace, UserInfo: req.UserInfo,
		DryRun: req.DryRun != nil && *req.DryRun}
	decision, err := check.Connect(ctx, conn, request, h.Live)
	if err != nil {
		if resp, late := expired(ctx); late {
			return resp
		}
		return cannotJudge(ctx, "SparkConnect", served.Generation, err)
	}
	return h.Metrics.verdict(ctx, decision)
}

// connectOf is the SparkConnect of req, or, when done, the answer to it
// before any work: refused over the byte bound or for what Strata refuses
// in a spec (mutate.CheckConnect), invalid when it does not decode, and
// allowed as it is when an UPDATE leaves the spec alone (its metadata,
// the operator's finalizers, can always change, even of one stored before
// a rule was added).
func connectOf(req admission.Request) (c *sparkv1alpha1.SparkConnect, resp admission.Response, done bool) {
	if n := len(req.Object.Raw); n > mutate.MaxPodBytes {
		return nil, admission.Denied(fmt.Sprintf("%s is %d bytes; Strata admits at most %d", sparkv1alpha1.Kind, n, mutate.MaxPodBytes)), true
	}
	if resp, done := unchangedSpec(req); done {
		return nil, resp, true
	}
	_, c, err := sparkv1alpha1.Decode(req.Object.Raw)
	if err != nil {
		return nil, refuseUndecodable(errInvalid{err}), true
	}
	if err := mutate.CheckConnect(&c.Spec); err != nil {
		return nil, admission.Denied(err.Error()), true
	}
	return c, admission.Response{}, false
}
