package app

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/policy"
)

// ScheduledAppPolicyPath is where ScheduledAppValidator is served.
const ScheduledAppPolicyPath = "/validate-sparkoperator-k8s-io-v1beta2-scheduledsparkapplication"

// ScheduledAppValidator judges ScheduledSparkApplications when they are
// written, by the SparkApplication each run is (policy.Check.ScheduledRun):
// a schedule whose every run would be refused is refused at once. Each run
// still passes the SparkApplication webhooks when the operator creates it,
// composed and judged against what is live then and with how often its
// schedule runs, so nothing here is a way around them. Its creator is
// warned as a SparkApplication's is, of the overrides and Pod Security of
// every run (mutate.AppResult.ScheduleWarnings). An UPDATE is judged only
// when what a run is made of changes (the template, or the labels
// the runs carry) or when it runs (limits.minSubmissionIntervalSeconds
// bounds how often): suspending a schedule is never refused.
type ScheduledAppValidator struct {
	Store    *Store
	Policies *PolicyStore
	Cluster  mutate.Cluster
	Metrics  *Metrics
	// Namespaces reads a Namespace the cache does not have yet; optional.
	Namespaces client.Reader
}

var _ admission.Handler = (*ScheduledAppValidator)(nil)

// Handle judges one schedule, as AppValidator judges an application.
func (h *ScheduledAppValidator) Handle(ctx context.Context, req admission.Request) admission.Response {
	return h.Metrics.serve(ctx, "scheduledsparkapplication-policy", req, h.handle)
}

func (h *ScheduledAppValidator) handle(ctx context.Context, req admission.Request) admission.Response {
	if req.Operation != admissionv1.Create && req.Operation != admissionv1.Update {
		return admission.Allowed("")
	}
	run, schedule, err := decodeRun(req.Object.Raw, req.Namespace)
	if err != nil {
		return refuseUndecodable(err)
	}
	if req.Operation == admissionv1.Update {
		same, err := sameRun(req.OldObject.Raw, req.Object.Raw)
		if err != nil {
			return admission.Errored(http.StatusBadRequest, err)
		}
		if same {
			return admission.Allowed("what each run is made of is unchanged")
		}
	}
	if err := mutate.CheckApp(&run.App); err != nil {
		return refuseUndecodable(errRefused{fmt.Errorf("%w%s", err, policy.EachRun(schedule))})
	}
	served, engine := h.Store.Load(), h.Policies.Load()
	if served == nil || engine == nil {
		return admission.Errored(http.StatusServiceUnavailable, errNoSnapshot)
	}
	snap, err := appSnapshot(ctx, served.Snapshot, h.Namespaces, h.Cluster, run)
	if err != nil {
		return admission.Errored(http.StatusServiceUnavailable, err)
	}
	// The run as the SparkApplication webhook will compose it.
	composed, err := mutate.ComposeApp(snap, h.Cluster, run)
	if err != nil {
		log.FromContext(ctx).Info("cannot compose the run of a ScheduledSparkApplication", "reason", err.Error(), "generation", served.Generation)
		return composeFailed(err)
	}
	check := &policy.Check{Engine: engine, Snapshot: snap, Cluster: h.Cluster}
	request := policy.Request{Operation: string(admissionv1.Create), Namespace: run.App.Namespace, UserInfo: req.UserInfo,
		DryRun: req.DryRun != nil && *req.DryRun}
	decision, err := check.ScheduledRun(ctx, schedule, &composed.App.App, request)
	if err != nil {
		if resp, late := expired(ctx); late {
			return resp
		}
		return cannotJudge(ctx, "ScheduledSparkApplication", served.Generation, err)
	}
	// No webhook composes the schedule itself, and each run's warnings go
	// to the operator, which creates it: the schedule's creator is told
	// here what the SparkApplication's creator is told, of its own values
	// every run has a layer override (named in the template) and of the
	// pods every run launches that Pod Security will refuse.
	resp := h.Metrics.verdict(ctx, decision)
	for _, w := range composed.ScheduleWarnings(schedule) {
		resp.Warnings = append(resp.Warnings, cut(w))
	}
	return resp
}

// decodeRun decodes the run of the ScheduledSparkApplication of a request
// (sparkv1beta2.RunOf), bounded as decodeApp bounds an application; one
// written without a namespace in its body is in the request's namespace.
func decodeRun(raw []byte, namespace string) (run *sparkv1beta2.Object, schedule sparkv1beta2.Schedule, err error) {
	run, err = decodeBounded(sparkv1beta2.ScheduledKind, raw, namespace, func(raw []byte) (*sparkv1beta2.Object, error) {
		var err error
		run, schedule, err = sparkv1beta2.RunOf(raw)
		return run, err
	})
	return run, schedule, err
}

// sameRun reports whether two encodings of a ScheduledSparkApplication
// make the same runs at the same times: equal templates, labels and
// schedules.
func sameRun(old, now []byte) (bool, error) {
	type made struct {
		Metadata struct {
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
		Spec struct {
			Schedule string          `json:"schedule"`
			Template json.RawMessage `json:"template"`
		} `json:"spec"`
	}
	var a, b made
	if err := json.Unmarshal(old, &a); err != nil {
		return false, fmt.Errorf("decoding the stored object: %w", err)
	}
	if err := json.Unmarshal(now, &b); err != nil {
		return false, err
	}
	if !maps.Equal(a.Metadata.Labels, b.Metadata.Labels) || a.Spec.Schedule != b.Spec.Schedule {
		return false, nil
	}
	return sameJSON(a.Spec.Template, b.Spec.Template)
}
