package app

import (
	"context"
	"encoding/json"
	"slices"

	admissionv1 "k8s.io/api/admission/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
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

// Handle warns of one LimitRange create, update or deletion.
func (h *LimitRangeWarner) Handle(ctx context.Context, req admission.Request) admission.Response {
	return h.Metrics.serve(ctx, "limitrange", req, func(_ context.Context, req admission.Request) admission.Response {
		return warnOfBounds(req, h.Store, h.Cluster, (*overlay.Snapshot).WithLimitRange, (*overlay.Snapshot).WithoutLimitRange)
	})
}

// warnOfBounds allows the create, update or deletion of a LimitRange or a
// ResourceQuota of req with the warnings of what, once it is written (with
// gives the served snapshot so), the API server would refuse of the Spark
// pods the layers compose in its namespace; once it is deleted (without),
// of what it would refuse then and does not now: a quota that covered
// what the plugin's configuration limits, a LimitRange whose default
// limits reached a sidecar a quota requires them of. What the webhook
// cannot read (the API server decoded and validated it already) is not
// warned of.
func warnOfBounds[T any, PT interface {
	*T
	client.Object
}](req admission.Request, store *Store, cluster mutate.Cluster, with func(*overlay.Snapshot, PT) *overlay.Snapshot,
	without func(s *overlay.Snapshot, namespace, name string) *overlay.Snapshot) admission.Response {
	served := store.Load()
	if served == nil {
		return admission.Allowed("")
	}
	switch req.Operation {
	case admissionv1.Create, admissionv1.Update:
		obj := PT(new(T))
		if json.Unmarshal(req.Object.Raw, obj) != nil {
			return admission.Allowed("")
		}
		if obj.GetNamespace() == "" {
			obj.SetNamespace(req.Namespace)
		}
		return admission.Allowed("").WithWarnings(mutate.NamespaceLimitWarnings(with(served.Snapshot, obj), cluster, obj.GetNamespace())...)
	case admissionv1.Delete:
		now := mutate.NamespaceLimitWarnings(served.Snapshot, cluster, req.Namespace)
		var warnings []string
		for _, w := range mutate.NamespaceLimitWarnings(without(served.Snapshot, req.Namespace, req.Name), cluster, req.Namespace) {
			if !slices.Contains(now, w) {
				warnings = append(warnings, "once it is deleted, "+w)
			}
		}
		return admission.Allowed("").WithWarnings(warnings...)
	}
	return admission.Allowed("")
}

// ResourceQuotaPath is where ResourceQuotaWarner is served.
const ResourceQuotaPath = "/validate-v1-resourcequota"

// ResourceQuotaWarner warns whoever writes a ResourceQuota of the
// containers the served layers add to the Spark pods of its namespace
// that its admission would have the API server refuse
// (mutate.NamespaceLimitWarnings): a quota of limits.cpu where a platform
// sidecar limits no cpu refuses every Spark pod there, in words that name
// no layer. It never refuses a ResourceQuota (the webhook configuration
// ignores its failures too).
type ResourceQuotaWarner struct {
	Store   *Store
	Metrics *Metrics
	// Cluster is this cluster's identity, which the layers match.
	Cluster mutate.Cluster
}

var _ admission.Handler = (*ResourceQuotaWarner)(nil)

// Handle warns of one ResourceQuota create, update or deletion.
func (h *ResourceQuotaWarner) Handle(ctx context.Context, req admission.Request) admission.Response {
	return h.Metrics.serve(ctx, "resourcequota", req, func(_ context.Context, req admission.Request) admission.Response {
		return warnOfBounds(req, h.Store, h.Cluster, (*overlay.Snapshot).WithResourceQuota, (*overlay.Snapshot).WithoutResourceQuota)
	})
}
