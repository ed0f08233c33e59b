package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/pkg/policy"
)

// errNotSynced: the live state is not known yet, so quota cannot be checked.
var errNotSynced = errors.New("the webhook has not loaded the live pods yet")

// PodPolicyPath is where the pod validating handler is served.
const PodPolicyPath = "/validate-v1-pod"

// PodValidator runs the policies on every pod of a tenant namespace, Spark
// or not, on CREATE, UPDATE and the ephemeralcontainers and resize
// subresources, and on the status subresource where an UPDATE through it
// changes the labels or annotations (the API server takes both from a
// status update) or anyone but a kubelet or the cluster's controllers
// writes the phase (only they end a pod, which quota then stops counting),
// after every mutation. Its inventory is the tracker the
// watch of pods keeps, plus the Ledger's reservations; everything else is policy.Check,
// the composer's code path.
type PodValidator struct {
	Store    *Store
	Policies *PolicyStore
	Ledger   *policy.Ledger
	// Live is kept up to date by the watch of pods; Synced reports
	// whether its first list is in.
	Live    policy.LiveState
	Synced  func() bool
	Cluster mutate.Cluster
	Metrics *Metrics
	// Namespaces reads a Namespace the cache does not have yet; optional.
	Namespaces client.Reader
}

var _ admission.Handler = (*PodValidator)(nil)

// Handle checks one pod. Violations of deny policies refuse it, one line
// per violation; warn violations come back as warnings; dryrun violations
// are logged and counted only. A dry-run request reserves nothing. A
// denial is only ever a rule's verdict: what keeps Strata from judging (no
// snapshot or policies yet, live state not synced, a Namespace it cannot
// read, a policy that fails to evaluate) is an error, counted as one.
func (h *PodValidator) Handle(ctx context.Context, req admission.Request) admission.Response {
	return h.Metrics.serve(ctx, "pod-policy", req, h.handle)
}

func (h *PodValidator) handle(ctx context.Context, req admission.Request) admission.Response {
	if req.Operation != admissionv1.Create && req.Operation != admissionv1.Update {
		return admission.Allowed("")
	}
	pod, err := decodePod(req)
	if err != nil {
		return refuseUndecodable(err)
	}
	request := policy.Request{Operation: string(req.Operation), SubResource: req.SubResource, Namespace: pod.Namespace, UserInfo: req.UserInfo,
		DryRun: req.DryRun != nil && *req.DryRun}
	if req.Operation == admissionv1.Update {
		if request.Old, err = decodeOldPod(req); err != nil {
			return admission.Errored(http.StatusBadRequest, err)
		}
		if pod.DeletionTimestamp != nil {
			return admission.Allowed("the pod is being deleted")
		}
	}
	return h.judge(ctx, pod, request)
}

// judge runs the policies on pod, as request makes it. A Spark pod
// created while the Layers changed, whose composition another snapshot
// made and that this one refuses, is judged again with that snapshot
// (composingSnapshot).
func (h *PodValidator) judge(ctx context.Context, pod *corev1.Pod, request policy.Request) admission.Response {
	served, engine := h.Store.Load(), h.Policies.Load()
	if served == nil || engine == nil {
		return admission.Errored(http.StatusServiceUnavailable, errNoSnapshot)
	}
	if !h.Synced() {
		return admission.Errored(http.StatusServiceUnavailable, errNotSynced)
	}
	res, decision, resp := h.judgeWith(ctx, served, engine, pod, request)
	if resp != nil {
		return *resp
	}
	if !decision.Allowed() {
		if other := h.composingSnapshot(ctx, served, pod, request, res); other != nil {
			if _, decision, resp = h.judgeWith(ctx, other, engine, pod, request); resp != nil {
				return *resp
			}
			h.Metrics.judgedAtComposition.Inc()
			log.FromContext(ctx).Info("pod judged with the snapshot that composed it", "generation", other.Generation,
				"servedGeneration", served.Generation, "layers", pod.Annotations[v1alpha1.LayersAnnotation], "allowed", decision.Allowed())
		}
	}
	return h.Metrics.verdict(ctx, decision)
}

// judgeWith runs the policies on pod with the snapshot served: the
// composition it judges by (nil for a pod of no Spark role) and the
// decision, or the response of an error that kept it from judging.
func (h *PodValidator) judgeWith(ctx context.Context, served *Served, engine *policy.Engine, pod *corev1.Pod,
	request policy.Request) (*mutate.Result, policy.Decision, *admission.Response) {
	fail := func(resp admission.Response) (*mutate.Result, policy.Decision, *admission.Response) {
		return nil, policy.Decision{}, &resp
	}
	snap, err := snapshotWithNamespace(ctx, served.Snapshot, h.Namespaces, pod.Namespace)
	if err != nil {
		return fail(admission.Errored(http.StatusServiceUnavailable, err))
	}
	if err := blocked(snap, h.Cluster, pod); err != nil {
		return fail(admission.Errored(http.StatusServiceUnavailable, err))
	}
	check := &policy.Check{Engine: engine, Snapshot: snap, Cluster: h.Cluster, Ledger: h.Ledger}
	res, decision, err := check.Pod(ctx, pod, request, h.Live)
	if err != nil {
		if resp, late := expired(ctx); late {
			return fail(resp)
		}
		return fail(cannotJudge(ctx, "pod", served.Generation, err))
	}
	return res, decision, nil
}

// A tenant writes as many violations as an object's bytes hold (a
// toleration each, a pod affinity term each), and each message quotes
// what it wrote; a denial goes back through the API server into its audit
// log, and a dryrun violation into the webhook's. So an answer names at
// most maxViolationLines violations of each enforcement, each cut to
// maxViolationBytes, and counts the rest; the composer lists them all.
const (
	maxViolationLines = 20
	maxViolationBytes = 2048
)

// verdict answers a decision: deny violations refuse, one line each; warn
// violations come back as warnings; dryrun violations are logged and
// counted only. Every violation is counted; each answer and log is
// bounded (maxViolationLines).
func (m *Metrics) verdict(ctx context.Context, decision policy.Decision) admission.Response {
	logger := log.FromContext(ctx)
	var denials, warnings []string
	dryrun := 0
	for _, v := range decision.Violations {
		m.violations.WithLabelValues(v.Policy, string(v.Enforcement)).Inc()
		switch v.Enforcement {
		case v1alpha1.EnforcementDeny:
			denials = append(denials, v.Message)
		case v1alpha1.EnforcementWarn:
			warnings = append(warnings, v.Message)
		default:
			if dryrun++; dryrun <= maxViolationLines {
				logger.Info("policy violation (dryrun)", "policy", v.Policy, "check", v.Check, "message", cut(v.Message))
			}
		}
	}
	if dryrun > maxViolationLines {
		logger.Info("more policy violations (dryrun)", "count", dryrun-maxViolationLines)
	}
	if len(denials) > 0 {
		return admission.Denied(strings.Join(bounded(denials), "\n")).WithWarnings(bounded(warnings)...)
	}
	return admission.Allowed("").WithWarnings(bounded(warnings)...)
}

// bounded is messages as an answer names them: the first
// maxViolationLines, each cut, and a line counting the rest.
func bounded(messages []string) []string {
	out := make([]string, 0, min(len(messages), maxViolationLines+1))
	for i, msg := range messages {
		if i == maxViolationLines {
			more := "and 1 more violation"
			if rest := len(messages) - i; rest > 1 {
				more = fmt.Sprintf("and %d more violations", rest)
			}
			out = append(out, more)
			break
		}
		out = append(out, cut(msg))
	}
	return out
}

// cut is msg in at most maxViolationBytes, at a character's boundary,
// marked where it was cut.
func cut(msg string) string {
	if len(msg) <= maxViolationBytes {
		return msg
	}
	end := maxViolationBytes
	for end > 0 && !utf8.RuneStart(msg[end]) {
		end--
	}
	return msg[:end] + "… (cut)"
}
