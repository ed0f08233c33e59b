package app

import (
	"context"
	"fmt"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/policy"
	"github.com/strata-dev/strata/pkg/policy/volcanov1beta1"
)

// PodGroupPolicyPath is where PodGroupValidator is served.
const PodGroupPolicyPath = "/validate-scheduling-volcano-sh-v1beta1-podgroup"

// PodGroupValidator judges Volcano PodGroups of tenant namespaces by the
// policies' PodGroup rules (policy.Check.PodGroup): Volcano queues, ranks
// and preempts a PodGroup's pods as one gang by the PodGroup's own class,
// and spark-submit creates the PodGroup with the submitter's credentials,
// so a tenant writes it; so does the Spark Operator, with an application's
// batchSchedulerOptions. An UPDATE is judged only when the class, the queue
// or minResources (what Volcano holds for the gang) changes: Volcano writes
// a PodGroup's status many times.
type PodGroupValidator struct {
	Store    *Store
	Policies *PolicyStore
	Cluster  mutate.Cluster
	Metrics  *Metrics
	// Namespaces reads a Namespace the cache does not have yet; optional.
	Namespaces client.Reader
	// PodGroups lists a namespace's PodGroups (policy.PodGroupsIn of the
	// API reader), so what a PodGroup holds is judged with what the
	// namespace's other gangs waiting to run hold; optional (nil judges
	// each alone).
	PodGroups policy.PodGroupLookup
	// Admitted counts the PodGroups this replica admitted until a list
	// shows them, and takes namespaces' turns; required with PodGroups.
	Admitted *admittedGangs
}

var _ admission.Handler = (*PodGroupValidator)(nil)

// Handle judges one PodGroup.
func (h *PodGroupValidator) Handle(ctx context.Context, req admission.Request) admission.Response {
	return h.Metrics.serve(ctx, "podgroup-policy", req, h.handle)
}

func (h *PodGroupValidator) handle(ctx context.Context, req admission.Request) admission.Response {
	if req.Operation != admissionv1.Create && req.Operation != admissionv1.Update {
		return admission.Allowed("")
	}
	pg, err := decodePodGroup(req.Object.Raw, req.Namespace)
	if err != nil {
		return admission.Errored(http.StatusBadRequest, err)
	}
	if req.Operation == admissionv1.Update {
		old, err := decodePodGroup(req.OldObject.Raw, req.Namespace)
		if err != nil {
			return admission.Errored(http.StatusBadRequest, fmt.Errorf("the stored PodGroup: %w", err))
		}
		if old.PriorityClassName == pg.PriorityClassName && old.Queue == pg.Queue && equality.Semantic.DeepEqual(old.MinResources, pg.MinResources) {
			return admission.Allowed("the PodGroup's priority class, queue and minResources are unchanged")
		}
	}
	served, engine := h.Store.Load(), h.Policies.Load()
	if served == nil || engine == nil {
		return admission.Errored(http.StatusServiceUnavailable, errNoSnapshot)
	}
	snap, err := snapshotWithNamespace(ctx, served.Snapshot, h.Namespaces, pg.Namespace)
	if err != nil {
		return admission.Errored(http.StatusServiceUnavailable, err)
	}
	check := &policy.Check{Engine: engine, Snapshot: snap, Cluster: h.Cluster}
	if h.PodGroups != nil {
		// The namespace's turn, so that two PodGroups judged at once
		// count each other's hold.
		done, err := h.Admitted.turn(ctx, pg.Namespace)
		if err != nil { // only ever the request's deadline
			if resp, late := expired(ctx); late {
				return resp
			}
			return admission.Errored(http.StatusInternalServerError, err)
		}
		defer done()
		check.PodGroups = h.Admitted.lookup(h.PodGroups)
	}
	dryRun := req.DryRun != nil && *req.DryRun
	decision, err := check.PodGroup(ctx, pg, policy.Request{Operation: string(req.Operation), Namespace: pg.Namespace,
		UserInfo: req.UserInfo, DryRun: dryRun})
	if err != nil {
		if resp, late := expired(ctx); late {
			return resp
		}
		log.FromContext(ctx).Error(err, "cannot judge PodGroup", "generation", served.Generation)
		return admission.Errored(http.StatusInternalServerError, err)
	}
	if h.PodGroups != nil && decision.Allowed() && !dryRun {
		h.Admitted.admit(pg)
	}
	return h.Metrics.verdict(ctx, decision)
}

// decodePodGroup decodes the PodGroup of a review, as the API server sends
// it; one written without a namespace in its body is in the request's
// namespace.
func decodePodGroup(raw []byte, namespace string) (volcanov1beta1.PodGroup, error) {
	pg, err := volcanov1beta1.Decode(raw)
	if err != nil {
		return volcanov1beta1.PodGroup{}, err
	}
	if pg.Namespace == "" {
		pg.Namespace = namespace
	}
	return pg, nil
}
