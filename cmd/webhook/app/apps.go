package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/policy"
)

// Where the SparkApplication handlers are served.
const (
	AppPath       = "/mutate-sparkoperator-k8s-io-v1beta2-sparkapplication"
	AppPolicyPath = "/validate-sparkoperator-k8s-io-v1beta2-sparkapplication"
)

// AppMutator composes the layers onto SparkApplications on CREATE and on
// an UPDATE that changes the spec (the manifests never send it the status
// subresource, which the operator writes; an update of the metadata alone
// is left as it is). It is thin: everything it does to an
// application is mutate.ComposeApp, the composer CLI's code path.
type AppMutator struct {
	Store   *Store
	Cluster mutate.Cluster
	Metrics *Metrics
	// Namespaces reads a Namespace the cache does not have yet; optional.
	Namespaces client.Reader
}

var _ admission.Handler = (*AppMutator)(nil)

// Handle composes one application. Composing a composed application
// returns an empty patch, so it is safe under reinvocationPolicy
// IfNeeded. A denial is a documented bound the application exceeds;
// anything that keeps Strata from composing is an error.
func (h *AppMutator) Handle(ctx context.Context, req admission.Request) admission.Response {
	return h.Metrics.serve(ctx, "sparkapplication", req, h.handle)
}

func (h *AppMutator) handle(ctx context.Context, req admission.Request) admission.Response {
	app, err := decodeApp(req.Object.Raw, req.Namespace)
	if err != nil {
		return refuseUndecodable(err)
	}
	// An update that leaves the spec alone (the operator's finalizers and
	// labels) is not composed again: a Layer changed since would change a
	// running application's spec, which the operator answers by
	// resubmitting it. A spec the user changes is composed; one that
	// suspends the application is composed when it resumes. Neither is
	// refused by what Strata refuses in a spec (checkApp): an application
	// stored before a rule was added can still be suspended, and its
	// finalizers removed.
	if resp, done := unchangedSpec(req); done {
		return resp
	}
	if resp, done := suspending(req, app); done {
		return resp
	}
	if err := checkApp(app); err != nil {
		return refuseUndecodable(err)
	}
	served := h.Store.Load()
	if served == nil {
		return admission.Errored(http.StatusServiceUnavailable, errNoSnapshot)
	}
	snap, err := h.snapshotFor(ctx, served.Snapshot, app)
	if err != nil {
		return admission.Errored(http.StatusServiceUnavailable, err)
	}
	res, err := mutate.ComposeApp(snap, h.Cluster, app)
	if err != nil {
		log.FromContext(ctx).Info("cannot compose SparkApplication", "reason", err.Error(), "generation", served.Generation)
		return composeFailed(err)
	}
	if resp, late := expired(ctx); late {
		return resp
	}
	resp := patched(res.Patch)
	resp.Warnings = res.Warnings
	layers := appLayers(res)
	if len(layers) > 0 {
		resp.AuditAnnotations = map[string]string{auditLayersKey: strings.Join(layers, ",")}
	}
	log.FromContext(ctx).V(1).Info("composed SparkApplication", "layers", layers, "operations", len(res.Patch), "generation", served.Generation)
	return resp
}

// snapshotFor is the snapshot to compose app with: one that knows its
// Namespace, and no invalid Layer that would apply to either role.
func (h *AppMutator) snapshotFor(ctx context.Context, served *overlay.Snapshot, app *sparkv1beta2.Object) (*overlay.Snapshot, error) {
	return appSnapshot(ctx, served, h.Namespaces, h.Cluster, app)
}

func appSnapshot(ctx context.Context, served *overlay.Snapshot, namespaces client.Reader, cluster mutate.Cluster, app *sparkv1beta2.Object) (*overlay.Snapshot, error) {
	snap, err := snapshotWithNamespace(ctx, served, namespaces, app.App.Namespace)
	if err != nil {
		return nil, err
	}
	// A pod with no role is blocked by what would apply to either role.
	probe := &corev1.Pod{}
	probe.Namespace = app.App.Namespace
	if err := blocked(snap, cluster, probe); err != nil {
		return nil, err
	}
	return snap, nil
}

// appLayers are the layers applied to either role, each once, in order.
func appLayers(res *mutate.AppResult) []string {
	var out []string
	seen := map[string]bool{}
	for _, role := range mutate.Roles() {
		for _, l := range res.Role(role).Composition.Layers {
			if !seen[l] {
				seen[l] = true
				out = append(out, l)
			}
		}
	}
	return out
}

// decodeApp decodes the SparkApplication of a request; one created
// without a namespace in its body is in the request's namespace. One over
// the documented byte bound is refused with errRefused; what the handler
// then refuses in it is checkApp's.
func decodeApp(raw []byte, namespace string) (*sparkv1beta2.Object, error) {
	return decodeBounded(sparkv1beta2.Kind, raw, namespace, sparkv1beta2.Decode)
}

// decodeBounded decodes raw, an object of kind, as the SparkApplication
// decode makes of it, within the documented byte bound (errRefused beyond
// it); one without a namespace is in namespace. One that does not decode
// is not of its kind's schema (errInvalid).
func decodeBounded(kind string, raw []byte, namespace string, decode func([]byte) (*sparkv1beta2.Object, error)) (*sparkv1beta2.Object, error) {
	if n := len(raw); n > mutate.MaxPodBytes {
		return nil, errRefused{fmt.Errorf("%s is %d bytes; Strata admits at most %d", kind, n, mutate.MaxPodBytes)}
	}
	app, err := decode(raw)
	if err != nil {
		return nil, errInvalid{fmt.Errorf("%s is invalid: %w", kind, err)}
	}
	if app.App.Namespace == "" {
		app.App.Namespace = namespace
	}
	return app, nil
}

// checkApp refuses, with errRefused, what Strata refuses in an
// application before any work on it (mutate.CheckApp): the documented
// bounds, and a key spark-submit would read as another. The decoding is
// linear in the bytes, which decodeBounded bounds; so is this check.
func checkApp(app *sparkv1beta2.Object) error {
	if err := mutate.CheckApp(&app.App); err != nil {
		return errRefused{err}
	}
	return nil
}

// AppValidator judges SparkApplications at submission, as a whole and by
// the pods they will launch (policy.Check.App): an application that could
// never fit is refused before any of its executors is lost mid-run. An
// UPDATE is judged only when the spec changes, and never one that leaves
// the application suspended (suspending). It reserves nothing: the
// pods reserve their quota when they are created, and pass the pod
// policies then too.
type AppValidator struct {
	Store    *Store
	Policies *PolicyStore
	Live     policy.LiveState
	Synced   func() bool
	Cluster  mutate.Cluster
	Metrics  *Metrics
	// Namespaces reads a Namespace the cache does not have yet; optional.
	Namespaces client.Reader
	// Schedules finds the ScheduledSparkApplication an application is a
	// run of, so how often it runs is judged with each run; optional.
	Schedules policy.ScheduleLookup
	// Owners reads the Services and Ingresses the operator names after an
	// application, so one it would take over is refused; optional.
	Owners policy.OwnerLookup
}

var _ admission.Handler = (*AppValidator)(nil)

// Handle judges one application, as PodValidator judges a pod: deny
// violations refuse it, warn violations come back as warnings, dryrun
// violations are logged and counted.
func (h *AppValidator) Handle(ctx context.Context, req admission.Request) admission.Response {
	return h.Metrics.serve(ctx, "sparkapplication-policy", req, h.handle)
}

func (h *AppValidator) handle(ctx context.Context, req admission.Request) admission.Response {
	if req.Operation != admissionv1.Create && req.Operation != admissionv1.Update {
		return admission.Allowed("")
	}
	app, err := decodeApp(req.Object.Raw, req.Namespace)
	if err != nil {
		return refuseUndecodable(err)
	}
	if resp, done := unchangedSpec(req); done {
		return resp
	}
	if resp, done := suspending(req, app); done {
		return resp
	}
	if err := checkApp(app); err != nil {
		return refuseUndecodable(err)
	}
	served, engine := h.Store.Load(), h.Policies.Load()
	if served == nil || engine == nil {
		return admission.Errored(http.StatusServiceUnavailable, errNoSnapshot)
	}
	if !h.Synced() {
		return admission.Errored(http.StatusServiceUnavailable, errNotSynced)
	}
	request := policy.Request{Operation: string(req.Operation), Namespace: app.App.Namespace, UserInfo: req.UserInfo,
		DryRun: req.DryRun != nil && *req.DryRun}
	decision, resp := h.judgeWith(ctx, served, engine, app, request)
	if resp != nil {
		return *resp
	}
	if !decision.Allowed() {
		// Composed with other Layers, as a pod may be (composingSnapshot).
		if other := h.composingApp(ctx, served, app); other != nil {
			if decision, resp = h.judgeWith(ctx, other, engine, app, request); resp != nil {
				return *resp
			}
			h.Metrics.judgedAtComposition.Inc()
			log.FromContext(ctx).Info("SparkApplication judged with the snapshot that composed it", "generation", other.Generation,
				"servedGeneration", served.Generation, "allowed", decision.Allowed())
		}
	}
	return h.Metrics.verdict(ctx, decision)
}

// judgeWith runs the policies on app with the snapshot served: the
// decision, or the response of an error that kept it from judging.
func (h *AppValidator) judgeWith(ctx context.Context, served *Served, engine *policy.Engine, app *sparkv1beta2.Object,
	request policy.Request) (policy.Decision, *admission.Response) {
	fail := func(resp admission.Response) (policy.Decision, *admission.Response) { return policy.Decision{}, &resp }
	snap, err := appSnapshot(ctx, served.Snapshot, h.Namespaces, h.Cluster, app)
	if err != nil {
		return fail(admission.Errored(http.StatusServiceUnavailable, err))
	}
	check := &policy.Check{Engine: engine, Snapshot: snap, Cluster: h.Cluster, Schedules: h.Schedules, Owners: h.Owners}
	_, decision, err := check.App(ctx, &app.App, request, h.Live)
	if err != nil {
		if resp, late := expired(ctx); late {
			return fail(resp)
		}
		return fail(cannotJudge(ctx, "SparkApplication", served.Generation, err))
	}
	return decision, nil
}

// unchangedSpec answers an UPDATE that leaves the spec as it was: allowed
// as it is; done is false for any other request.
func unchangedSpec(req admission.Request) (resp admission.Response, done bool) {
	if req.Operation != admissionv1.Update {
		return admission.Response{}, false
	}
	same, err := sameSpec(req.OldObject.Raw, req.Object.Raw)
	if err != nil {
		return admission.Errored(http.StatusBadRequest, err), true
	}
	if same {
		return admission.Allowed("the spec is unchanged"), true
	}
	return admission.Response{}, false
}

// suspending answers an UPDATE that leaves app suspended (spec.suspend:
// true): allowed as it is, neither composed nor judged; done is false for
// any other request. A suspended application runs nothing (suspending one
// makes the operator delete its pods), and resuming it is an update of its
// spec, composed and judged in full as a submission is. So suspending is
// never refused: not by a limit lowered since the application started,
// nor by a Layer that cannot be served, and a queueing controller can
// always take an application's resources back.
func suspending(req admission.Request, app *sparkv1beta2.Object) (resp admission.Response, done bool) {
	if req.Operation != admissionv1.Update || !app.App.Spec.Suspended() {
		return admission.Response{}, false
	}
	return admission.Allowed("the application is suspended: it is composed and judged when it resumes"), true
}

// sameSpec reports whether two encodings of an object have equal specs.
func sameSpec(old, now []byte) (bool, error) {
	var a, b struct {
		Spec json.RawMessage `json:"spec"`
	}
	if err := json.Unmarshal(old, &a); err != nil {
		return false, fmt.Errorf("decoding the stored object: %w", err)
	}
	if err := json.Unmarshal(now, &b); err != nil {
		return false, err
	}
	return sameJSON(a.Spec, b.Spec)
}

// sameJSON reports whether two JSON values are equal, whatever their
// spacing and key order; an absent value is null.
func sameJSON(a, b json.RawMessage) (bool, error) {
	var x, y any
	if err := json.Unmarshal(orNull(a), &x); err != nil {
		return false, err
	}
	if err := json.Unmarshal(orNull(b), &y); err != nil {
		return false, err
	}
	xs, _ := json.Marshal(x) // encoding a decoded value does not fail; maps encode sorted
	ys, _ := json.Marshal(y)
	return bytes.Equal(xs, ys), nil
}

func orNull(raw json.RawMessage) []byte {
	if len(raw) == 0 {
		return []byte("null")
	}
	return raw
}
