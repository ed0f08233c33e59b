package app

import (
	"context"
	"errors"

	admissionv1 "k8s.io/api/admission/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/manifest"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/pkg/policy"
)

// LayerPath is where the Layer validating handler is served.
const LayerPath = "/validate-strata-dev-v1alpha1-layer"

var errNoSnapshot = errors.New("the webhook has not loaded its layers yet")

// LayerValidator rejects a Layer that would not compile, with the message
// the composer CLI gives for it, so a bad layer never lands in the cluster.
type LayerValidator struct {
	Metrics *Metrics
	// Namespaces reads the Namespaces of the placement controllers a Layer
	// names, to warn of those tenants may impersonate, and the
	// RuntimeClasses it names, to warn of those that do not exist; nil
	// reads none (overlay.LayerWarnings).
	Namespaces client.Reader
	// Store, when set, holds the cluster's Namespaces, to warn of the
	// Pod Security levels they enforce that the Spark pods a Layer
	// composes would break (mutate.LayerPodSecurityWarnings), of the
	// placement their plugins would refuse those pods for
	// (mutate.LayerPlacementWarnings), and of the containers it adds their
	// LimitRanges would refuse (mutate.LayerLimitWarnings), on Cluster,
	// this cluster's identity.
	Store   *Store
	Cluster mutate.Cluster
	// Policies, when set, are the policies loaded, to warn of an
	// enforcement that names none of them (overlay.EnforcementWarnings).
	Policies *PolicyStore
}

var _ admission.Handler = (*LayerValidator)(nil)

// Handle validates one Layer on create or update.
func (h *LayerValidator) Handle(ctx context.Context, req admission.Request) admission.Response {
	return h.Metrics.serve(ctx, "layer", req, h.handle)
}

func (h *LayerValidator) handle(ctx context.Context, req admission.Request) admission.Response {
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
		return invalidLayer(req.Name, field.ErrorList{field.Invalid(field.NewPath("spec"), field.OmitValueType{}, err.Error())})
	}
	if errs := overlay.ValidateLayer(l); len(errs) > 0 {
		return invalidLayer(l.Name, errs)
	}
	warnings := layerWarnings(ctx, h.Namespaces, l)
	if engine := h.policiesLoad(); engine != nil {
		warnings = append(warnings, overlay.EnforcementWarnings(l, engine.Policies())...)
	}
	if served := h.storeLoad(); served != nil {
		warnings = append(warnings, mutate.LayerWarnings(ctx, l, h.Cluster, served.Snapshot)...)
	}
	return admission.Allowed("").WithWarnings(warnings...)
}

// policiesLoad is the policies loaded, nil without them.
func (h *LayerValidator) policiesLoad() *policy.Engine {
	if h.Policies == nil {
		return nil
	}
	return h.Policies.Load()
}

// storeLoad is the snapshot served, nil without one.
func (h *LayerValidator) storeLoad() *Served {
	if h.Store == nil {
		return nil
	}
	return h.Store.Load()
}

// invalidLayer answers as the API server answers an invalid object: 422
// Invalid, one cause per field (what kubectl prints and GitOps tools read),
// in the order validation found them.
func invalidLayer(name string, errs field.ErrorList) admission.Response {
	status := apierrors.NewInvalid(v1alpha1.GroupVersion.WithKind(v1alpha1.LayerKind).GroupKind(), name, errs).ErrStatus
	return admission.Response{AdmissionResponse: admissionv1.AdmissionResponse{Allowed: false, Result: &status}}
}
