package app

import (
	"context"
	"errors"

	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/manifest"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// LayerPath is where the Layer validating handler is served.
const LayerPath = "/validate-strata-dev-v1alpha1-layer"

var errNoSnapshot = errors.New("the webhook has not loaded its layers yet")

// LayerValidator rejects a Layer that would not compile, with the message
// the composer CLI gives for it, so a bad layer never lands in the cluster.
type LayerValidator struct {
	Metrics *Metrics
}

var _ admission.Handler = (*LayerValidator)(nil)

// Handle validates one Layer on create or update.
func (h *LayerValidator) Handle(ctx context.Context, req admission.Request) admission.Response {
	return h.Metrics.serve(ctx, "layer", req, h.handle)
}

func (h *LayerValidator) handle(_ context.Context, req admission.Request) admission.Response {
	if len(req.Object.Raw) == 0 { // DELETE carries no object
		return admission.Allowed("")
	}
	// Decoded strictly, as the CLI decodes: the schemaless parts of the CRD
	// (containers, env, volumes) keep unknown fields, which must be refused
	// rather than dropped.
	l, err := manifest.DecodeLayer(&manifest.Document{
		APIVersion: v1alpha1.GroupVersion.String(), Kind: v1alpha1.LayerKind, Name: req.Name, Raw: req.Object.Raw,
	})
	if err != nil {
		return admission.Denied(err.Error())
	}
	if errs := overlay.ValidateLayer(l); len(errs) > 0 {
		return admission.Denied((&overlay.LayerError{Layer: l.Name, Fields: errs}).Error())
	}
	return admission.Allowed("")
}
