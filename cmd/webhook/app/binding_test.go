package app

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// newTestBindingValidator judges bindings of the pods stored in reader
// with layers.
func newTestBindingValidator(t testing.TB, reader client.Reader, layers ...v1alpha1.Layer) *BindingValidator {
	t.Helper()
	pods := newTestPodValidator(t, layers...)
	return &BindingValidator{Pods: pods, Reader: reader, Metrics: pods.Metrics}
}

// storedPods is a reader of pods.
func storedPods(t testing.TB, pods ...*corev1.Pod) client.Reader {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	objs := make([]client.Object, len(pods))
	for i, p := range pods {
		p.UID = uidOf(p.Name)
		objs[i] = p
	}
	return fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build()
}

// bindingOf is a binding of the pod named pod, of uid uidOf(pod).
func bindingOf(pod string, node string, labels, annotations map[string]string) *corev1.Binding {
	return &corev1.Binding{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Binding"},
		ObjectMeta: metav1.ObjectMeta{Name: pod, UID: uidOf(pod), Labels: labels, Annotations: annotations},
		Target:     corev1.ObjectReference{Kind: "Node", Name: node}}
}

// uidOf is the uid the tests' stored pod of that name has.
func uidOf(pod string) types.UID { return types.UID("uid-" + pod) }

func bindingRequest(t testing.TB, b *corev1.Binding, user string) admission.Request {
	t.Helper()
	raw, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID: "1", Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Binding"}, Namespace: "etl", Name: b.Name,
		Resource: metav1.GroupVersionResource{Version: "v1", Resource: "pods"}, SubResource: "binding",
		Operation: admissionv1.Create, Object: runtime.RawExtension{Raw: raw}, UserInfo: userInfo(user),
	}}
}

func userInfo(name string) authenticationv1.UserInfo {
	return authenticationv1.UserInfo{Username: name}
}

// TestBindingValidator: a binding is judged as the UPDATE of the stored pod
// it makes (its node, its labels and annotations); a pod that cannot be
// read is an error, never a binding let through.
func TestBindingValidator(t *testing.T) {
	l := teamLayer()
	l.Spec.Config.Isolation = &v1alpha1.Isolation{ReservedNodeSelectors: []string{"pool=platform"},
		ReservedLabelPrefixes: []string{"platform.strata.dev/"}, PlacementControllers: []string{"system:serviceaccount:volcano-system:scheduler"}}
	stored := pod(map[string]string{"app": "web"})
	stored.Namespace = "etl"
	bound := stored.DeepCopy()
	bound.Name, bound.Spec.NodeName = "bound", "node-0"
	v := newTestBindingValidator(t, storedPods(t, stored, bound), l)
	ctx := context.Background()
	checkAnswers(t, ctx, v, []answerCase{
		{"a tenant names a node", bindingRequest(t, bindingOf("p", "node-1", nil, nil), "alice"), false, http.StatusForbidden,
			`isolation: binding the pod to node "node-1" bypasses node selection, which is reserved for the platform here (NamespaceOverrides layer "ns-etl")`},
		{"a placement controller names a node", bindingRequest(t, bindingOf("p", "node-1", nil, nil), "system:serviceaccount:volcano-system:scheduler"), true, http.StatusOK, ""},
		{"a placement controller brings a reserved label", bindingRequest(t,
			bindingOf("p", "node-1", map[string]string{"platform.strata.dev/tier": "gold"}, nil), "system:serviceaccount:volcano-system:scheduler"),
			false, http.StatusForbidden, `isolation: label "platform.strata.dev/tier" is reserved for the platform`},
		{"a reserved annotation", bindingRequest(t,
			bindingOf("p", "node-1", nil, map[string]string{"platform.strata.dev/owner": "x"}), "system:serviceaccount:volcano-system:scheduler"),
			false, http.StatusForbidden, `isolation: annotation "platform.strata.dev/owner" is reserved for the platform`},
		{"a pod bound already", bindingRequest(t, bindingOf("bound", "node-1", nil, nil), "alice"), true, http.StatusOK, ""},
		{"no such pod", bindingRequest(t, bindingOf("ghost", "node-1", nil, nil), "alice"), false, http.StatusNotFound, `binding pod "ghost"`},
		// The pod bound must be the pod judged: a binding names its uid,
		// before "bound already" lets a binding through.
		{"no uid", bindingRequest(t, withUID(bindingOf("p", "node-1", nil, nil), ""), "system:serviceaccount:volcano-system:scheduler"), false, http.StatusForbidden,
			`binding: the binding of pod "p" names no metadata.uid: the API server would bind whichever pod has that name when it applies the binding, which need not be the pod judged; name the uid of the pod bound, as the cluster's scheduler does`},
		{"the uid of a pod replaced since", bindingRequest(t, withUID(bindingOf("p", "node-1", nil, nil), "uid-before"), "system:serviceaccount:volcano-system:scheduler"), false, http.StatusForbidden,
			`binding: the binding of pod "p" names uid "uid-before", but the pod of that name is uid "uid-p": it was replaced; bind the pod as it is now`},
		{"through the bindings resource", func() admission.Request {
			r := bindingRequest(t, withUID(bindingOf("p", "node-1", nil, nil), ""), "system:serviceaccount:volcano-system:scheduler")
			r.Resource, r.SubResource = metav1.GroupVersionResource{Version: "v1", Resource: "bindings"}, ""
			return r
		}(), false, http.StatusForbidden, `binding: pod "p" is bound through the bindings resource, whose metadata.uid the API server drops, so it would bind whichever pod has that name, which need not be the pod judged; bind through pods/binding naming the pod's uid, as the cluster's scheduler does`},
		{"no uid, the pod bound already", bindingRequest(t, withUID(bindingOf("bound", "node-1", nil, nil), ""), "alice"), false, http.StatusForbidden,
			`binding: the binding of pod "bound" names no metadata.uid`},
		{"not a binding", func() admission.Request {
			r := bindingRequest(t, bindingOf("p", "node-1", nil, nil), "alice")
			r.Object.Raw = []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}`)
			return r
		}(), false, http.StatusBadRequest, "want a v1 Binding"},
		{"a binding of no pod", bindingRequest(t, bindingOf("", "node-1", nil, nil), "alice"), false, http.StatusBadRequest, "names no pod"},
	})

	// An unreadable pod fails closed.
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	failing := fake.NewClientBuilder().WithScheme(scheme).WithInterceptorFuncs(interceptor.Funcs{
		Get: func(context.Context, client.WithWatch, client.ObjectKey, client.Object, ...client.GetOption) error {
			return errors.New("forbidden")
		},
	}).Build()
	blind := newTestBindingValidator(t, failing, l)
	if resp := blind.Handle(ctx, bindingRequest(t, bindingOf("p", "node-1", nil, nil), "system:serviceaccount:volcano-system:scheduler")); resp.Allowed ||
		resp.Result.Code != http.StatusServiceUnavailable || !strings.Contains(resp.Result.Message, "forbidden") {
		t.Errorf("an unreadable pod: allowed %v, code %d, message %q", resp.Allowed, resp.Result.Code, resp.Result.Message)
	}
}

func withUID(b *corev1.Binding, uid types.UID) *corev1.Binding {
	b.UID = uid
	return b
}

// TestBoundPod: the pod a binding leaves, as the API server's BindingREST
// writes it: the binding's labels and annotations over the pod's own.
func TestBoundPod(t *testing.T) {
	stored := pod(map[string]string{"app": "web", "tier": "a"})
	got := boundPod(stored, bindingOf("p", "node-1", map[string]string{"tier": "b"}, map[string]string{"note": "n"}))
	want := stored.DeepCopy()
	want.Spec.NodeName, want.Labels["tier"], want.Annotations = "node-1", "b", map[string]string{"note": "n"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("bound pod %+v, want %+v", got, want)
	}
	if stored.Labels["tier"] != "a" || stored.Spec.NodeName != "" {
		t.Error("binding changed the stored pod")
	}
}

// FuzzBindingReviews: the binding handler, AdmissionReview bytes in,
// answer out.
func FuzzBindingReviews(f *testing.F) {
	l := teamLayer()
	l.Spec.Config.Isolation = &v1alpha1.Isolation{ReservedNodeSelectors: []string{"pool"}, ReservedLabelPrefixes: []string{"platform/"}}
	stored := pod(map[string]string{"app": "web"})
	stored.Namespace = "etl"
	v := newTestBindingValidator(f, storedPods(f, stored), l)
	for _, b := range []*corev1.Binding{bindingOf("p", "n", nil, nil), bindingOf("p", "n", map[string]string{"platform/x": "y"}, map[string]string{"a": "b"}),
		bindingOf("ghost", "n", nil, nil)} {
		f.Add(reviewOfRequest(f, bindingRequest(f, b, "alice")))
	}
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","operation":"CREATE","namespace":"etl","object":{"apiVersion":"v1","kind":"Binding","metadata":{"name":"p","labels":null},"target":{}}}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		fuzzReview(t, objectReviewServer(reflect.TypeFor[corev1.Binding](), v), v.Metrics, "pod-binding-policy", raw)
	})
}

// answerCase is a request to a handler and the answer it must get: allowed
// or not, the code, and a part of the message.
type answerCase struct {
	name    string
	req     admission.Request
	allowed bool
	code    int32
	message string
}

// checkAnswers sends each case's request to h and checks its answer.
func checkAnswers(t *testing.T, ctx context.Context, h admission.Handler, cases []answerCase) {
	t.Helper()
	for _, c := range cases {
		resp := h.Handle(ctx, c.req)
		if resp.Allowed != c.allowed || resp.Result.Code != c.code || !strings.Contains(resp.Result.Message, c.message) {
			t.Errorf("%s: allowed %v, code %d, message %q; want %v, %d, %q", c.name, resp.Allowed, resp.Result.Code, resp.Result.Message, c.allowed, c.code, c.message)
		}
	}
}

// reviewOfRequest is the AdmissionReview the API server would send of r.
func reviewOfRequest(t testing.TB, r admission.Request) []byte {
	t.Helper()
	review, err := json.Marshal(admissionv1.AdmissionReview{TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &r.AdmissionRequest})
	if err != nil {
		t.Fatal(err)
	}
	return review
}
