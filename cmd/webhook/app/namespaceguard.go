package app

import (
	"context"
	"fmt"
	"maps"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
	kjson "sigs.k8s.io/json"
)

// NamespaceGuardPath is where NamespaceGuard is served.
const NamespaceGuardPath = "/validate-v1-namespace"

// NamespaceGuard keeps to platform admins what of a Namespace decides
// which Layers apply to it: a label some Layer's namespace selector reads
// (setting group=geo would give a tenant geo's layers; adding a label a
// Layer selects the absence of takes the namespace out of it), and
// creating a namespace some Layer names (a former tenant's IAM role a Layer
// still grants). It reads the Layers from the snapshot, so a Layer that
// selects on a new key protects it as soon as it is served, with no list
// to keep. The webhook configuration sends it only creates and label
// changes by anyone but platform admins (matchConditions), so the
// platform's own Namespace writes never wait on it.
type NamespaceGuard struct {
	Store   *Store
	Metrics *Metrics
	// ToolManaged are label keys another admission controller sets on the
	// namespaces tenants create and keeps from tenants
	// (Options.ToolManagedNamespaceLabels): a tenant's request carries the
	// value that controller gave it, which the guard leaves alone.
	ToolManaged []string
}

var _ admission.Handler = (*NamespaceGuard)(nil)

// Handle judges one Namespace create or update.
func (h *NamespaceGuard) Handle(ctx context.Context, req admission.Request) admission.Response {
	return h.Metrics.serve(ctx, "namespace-guard", req, h.handle)
}

func (h *NamespaceGuard) handle(_ context.Context, req admission.Request) admission.Response {
	if req.Operation != admissionv1.Create && req.Operation != admissionv1.Update {
		return admission.Allowed("")
	}
	ns, err := decodeNamespace(req.Object.Raw)
	if err != nil {
		return admission.Errored(http.StatusBadRequest, err)
	}
	var old metav1.ObjectMeta
	if req.Operation == admissionv1.Update {
		stored, err := decodeNamespace(req.OldObject.Raw)
		if err != nil {
			return admission.Errored(http.StatusBadRequest, fmt.Errorf("the stored Namespace: %w", err))
		}
		old = stored
	}
	served := h.Store.Load()
	if served == nil {
		return admission.Errored(http.StatusServiceUnavailable, errNoSnapshot)
	}
	if req.Operation == admissionv1.Create {
		if layer, ok := served.LayerNaming(ns.Name); ok {
			return admission.Denied(fmt.Sprintf("namespaces: the Namespace %s is one Strata layers apply to (Layer %s names it); only platform admins (group strata:platform-admins) may create it",
				ns.Name, layer))
		}
	}
	changed := changedLabels(old.Labels, ns.Labels)
	for _, k := range h.ToolManaged {
		delete(changed, k)
	}
	if key, layer, ok := served.LayerSelectingBy(changed); ok {
		return admission.Denied(fmt.Sprintf("namespaces: the Namespace label %s decides which Strata layers apply to the namespace (Layer %s selects by it); only platform admins (group strata:platform-admins) may set, change or remove it",
			key, layer))
	}
	return admission.Allowed("")
}

// changedLabels are the keys whose values differ between old and now (set,
// changed or removed).
func changedLabels(old, now map[string]string) map[string]bool {
	out := map[string]bool{}
	for k, v := range now {
		if was, ok := old[k]; !ok || was != v {
			out[k] = true
		}
	}
	for k := range old {
		if _, ok := now[k]; !ok {
			out[k] = true
		}
	}
	return out
}

// namespaceObject is what the guard reads of a Namespace: its type, name
// and labels.
type namespaceObject struct {
	metav1.TypeMeta `json:",inline"`
	Metadata        metav1.ObjectMeta `json:"metadata"`
}

// decodeNamespace decodes a review's Namespace as the API server sends it
// (v1, case-sensitive field names): its name and labels.
func decodeNamespace(raw []byte) (metav1.ObjectMeta, error) {
	var o namespaceObject
	if err := kjson.UnmarshalCaseSensitivePreserveInts(raw, &o); err != nil {
		return metav1.ObjectMeta{}, fmt.Errorf("decoding the Namespace: %w", err)
	}
	if o.APIVersion != "v1" || o.Kind != "Namespace" {
		return metav1.ObjectMeta{}, fmt.Errorf("decoding the Namespace: the object is apiVersion %q kind %q, want a v1 Namespace", o.APIVersion, o.Kind)
	}
	return metav1.ObjectMeta{Name: o.Metadata.Name, Labels: maps.Clone(o.Metadata.Labels)}, nil
}
