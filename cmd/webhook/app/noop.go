package app

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// NoopPath is where the no-op handler is served, with --serve-noop only.
const NoopPath = "/noop-v1-pod"

// NoopHandler is the floor Strata's handlers are measured against: it does
// what every admission must (read the AdmissionReview, decode its pod,
// observe the request) and allows the pod. The load tool (test/load) and
// the handler benchmarks run the same load against it, served by the same
// binary with the same TLS setup, and report each handler's cost as a
// ratio to it. It is never registered with the API server.
type NoopHandler struct {
	Metrics *Metrics
}

var _ admission.Handler = (*NoopHandler)(nil)

// Handle decodes the pod and allows it.
func (h *NoopHandler) Handle(ctx context.Context, req admission.Request) admission.Response {
	return h.Metrics.serve(ctx, "noop", req, func(_ context.Context, req admission.Request) admission.Response {
		if _, err := decodePod(req); err != nil {
			return refuseUndecodable(err)
		}
		return admission.Allowed("")
	})
}
