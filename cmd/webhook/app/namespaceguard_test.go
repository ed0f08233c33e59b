package app

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// newTestNamespaceGuard serves a snapshot of a Layer selecting namespaces
// by group=geo and one naming namespace old-team.
func newTestNamespaceGuard(t testing.TB) *NamespaceGuard {
	t.Helper()
	geo := teamLayer()
	geo.Name, geo.Spec.Match = "tenant-geo", v1alpha1.Match{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"group": "geo"}}}
	old := teamLayer()
	old.Name, old.Spec.Match = "tenant-old-team", v1alpha1.Match{Namespaces: []string{"old-team"}}
	mutator, _, store := newTestHandlers(t, geo, old)
	return &NamespaceGuard{Store: store, Metrics: mutator.Metrics}
}

func namespaceJSON(t testing.TB, name string, labels map[string]string) []byte {
	t.Helper()
	raw, err := json.Marshal(corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}, ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func namespaceRequest(op admissionv1.Operation, object, old []byte) admission.Request {
	return admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID: "1", Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Namespace"},
		Resource:  metav1.GroupVersionResource{Version: "v1", Resource: "namespaces"},
		Operation: op, Object: runtime.RawExtension{Raw: object}, OldObject: runtime.RawExtension{Raw: old}, UserInfo: userInfo("alice"),
	}}
}

// TestNamespaceGuard: a label some Layer selects by cannot be set, changed
// or removed, nor a namespace some Layer names created; anything else can.
func TestNamespaceGuard(t *testing.T) {
	g := newTestNamespaceGuard(t)
	ns := func(name string, labels map[string]string) []byte { return namespaceJSON(t, name, labels) }
	const byGroup = `namespaces: the Namespace label group decides which Strata layers apply to the namespace (Layer tenant-geo selects by it); only platform admins (group strata:platform-admins) may set, change or remove it`
	checkAnswers(t, context.Background(), g, []answerCase{
		{"set a selected label", namespaceRequest(admissionv1.Update, ns("etl", map[string]string{"group": "geo"}), ns("etl", nil)), false, http.StatusForbidden, byGroup},
		{"change it", namespaceRequest(admissionv1.Update, ns("etl", map[string]string{"group": "geo"}), ns("etl", map[string]string{"group": "core"})), false, http.StatusForbidden, byGroup},
		{"remove it", namespaceRequest(admissionv1.Update, ns("etl", map[string]string{"owner": "a"}), ns("etl", map[string]string{"group": "core", "owner": "a"})), false, http.StatusForbidden, byGroup},
		{"create with it", namespaceRequest(admissionv1.Create, ns("new", map[string]string{"group": "geo"}), nil), false, http.StatusForbidden, byGroup},
		{"another label", namespaceRequest(admissionv1.Update, ns("etl", map[string]string{"group": "core", "owner": "b"}), ns("etl", map[string]string{"group": "core", "owner": "a"})), true, http.StatusOK, ""},
		{"create a namespace a Layer names", namespaceRequest(admissionv1.Create, ns("old-team", nil), nil), false, http.StatusForbidden,
			`namespaces: the Namespace old-team is one Strata layers apply to (Layer tenant-old-team names it); only platform admins (group strata:platform-admins) may create it`},
		{"update a namespace a Layer names", namespaceRequest(admissionv1.Update, ns("old-team", map[string]string{"owner": "b"}), ns("old-team", nil)), true, http.StatusOK, ""},
		{"create another", namespaceRequest(admissionv1.Create, ns("fresh", map[string]string{"owner": "b"}), nil), true, http.StatusOK, ""},
		{"not a Namespace", namespaceRequest(admissionv1.Create, []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}`), nil), false, http.StatusBadRequest, "want a v1 Namespace"},
		{"a delete", namespaceRequest(admissionv1.Delete, nil, ns("etl", nil)), true, http.StatusOK, ""},
	})
	// A label another admission controller sets and keeps from tenants
	// (--tool-managed-namespace-labels) is left to it; the others are not.
	g.ToolManaged = []string{"group"}
	checkAnswers(t, context.Background(), g, []answerCase{
		{"create with a tool's label", namespaceRequest(admissionv1.Create, ns("new", map[string]string{"group": "geo"}), nil), true, http.StatusOK, ""},
		{"change a tool's label", namespaceRequest(admissionv1.Update, ns("etl", map[string]string{"group": "geo"}), ns("etl", map[string]string{"group": "core"})), true, http.StatusOK, ""},
		{"create a namespace a Layer names, with a tool's label", namespaceRequest(admissionv1.Create, ns("old-team", map[string]string{"group": "geo"}), nil), false, http.StatusForbidden,
			`namespaces: the Namespace old-team is one Strata layers apply to`},
	})
	g.ToolManaged = []string{"owner"}
	checkAnswers(t, context.Background(), g, []answerCase{
		{"another tool's label", namespaceRequest(admissionv1.Create, ns("new", map[string]string{"group": "geo", "owner": "a"}), nil), false, http.StatusForbidden, byGroup},
	})
	// No snapshot yet: an error, never a label let through.
	mutator, _, store := newTestHandlers(t)
	blind := &NamespaceGuard{Store: store, Metrics: mutator.Metrics}
	if resp := blind.Handle(context.Background(), namespaceRequest(admissionv1.Create, ns("new", nil), nil)); resp.Allowed || resp.Result.Code != http.StatusServiceUnavailable {
		t.Errorf("no snapshot: allowed %v, code %d", resp.Allowed, resp.Result.Code)
	}
}

// TestChangedLabels: set, changed and removed keys, each once.
func TestChangedLabels(t *testing.T) {
	got := changedLabels(map[string]string{"a": "1", "b": "2", "c": "3"}, map[string]string{"a": "1", "b": "9", "d": "4"})
	if want := map[string]bool{"b": true, "c": true, "d": true}; !reflect.DeepEqual(got, want) {
		t.Errorf("changed %v, want %v", got, want)
	}
	if got := changedLabels(nil, nil); len(got) != 0 {
		t.Errorf("nothing changed: %v", got)
	}
}

// FuzzNamespaceReviews: the namespace guard, AdmissionReview bytes in,
// answer out.
func FuzzNamespaceReviews(f *testing.F) {
	g := newTestNamespaceGuard(f)
	for _, r := range []admission.Request{
		namespaceRequest(admissionv1.Create, namespaceJSON(f, "old-team", map[string]string{"group": "geo"}), nil),
		namespaceRequest(admissionv1.Update, namespaceJSON(f, "etl", map[string]string{"owner": "a"}), namespaceJSON(f, "etl", map[string]string{"group": "core"})),
	} {
		f.Add(reviewOfRequest(f, r))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		fuzzReview(t, objectReviewServer(reflect.TypeFor[corev1.Namespace](), g), g.Metrics, "namespace-guard", raw)
	})
}
