package app

import (
	"context"
	"encoding/json"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/strata-dev/strata/pkg/mutate"
)

// LimitRangePath is where LimitRangeWarner is served.
const LimitRangePath = "/validate-v1-limitrange"

// LimitRangeWarner warns whoever writes a LimitRange of the containers the
// served layers add to the Spark pods of its namespace that it would have
// the API server refuse (mutate.NamespaceLimitWarnings): a minimum above
// what a platform sidecar requests refuses every Spark pod there, in words
// that name no layer. It never refuses a LimitRange (the webhook
// configuration ignores its failures too): LimitRanges are the cluster's
// to set.
type LimitRangeWarner struct {
	Store   *Store
	Metrics *Metrics
	// Cluster is this cluster's identity, which the layers match.
	Cluster mutate.Cluster
}

var _ admission.Handler = (*LimitRangeWarner)(nil)

// Handle warns of one LimitRange create or update.
func (h *LimitRangeWarner) Handle(ctx context.Context, req admission.Request) admission.Response {
	return h.Metrics.serve(ctx, "limitrange", req, h.handle)
}

func (h *LimitRangeWarner) handle(_ context.Context, req admission.Request) admission.Response {
	if req.Operation != admissionv1.Create && req.Operation != admissionv1.Update {
		return admission.Allowed("")
	}
	served := h.Store.Load()
	var lr corev1.LimitRange
	// The API server decoded and validated it already; one this cannot
	// read is not warned of.
	if served == nil || json.Unmarshal(req.Object.Raw, &lr) != nil {
		return admission.Allowed("")
	}
	if lr.Namespace == "" {
		lr.Namespace = req.Namespace
	}
	return admission.Allowed("").WithWarnings(mutate.NamespaceLimitWarnings(served.WithLimitRange(&lr), h.Cluster, lr.Namespace)...)
}
