package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/test/fixtures"
)

// echoPods answers with everything a pod handler reads of a request: the
// request without its objects, and the pods decodePod and decodeOldPod
// give (or their errors), as the allowed response's message. podsDecoded
// records whether the last request's pods came decoded with the review.
type echoPods struct{ podsDecoded bool }

func (e *echoPods) Handle(_ context.Context, req admission.Request) admission.Response {
	_, newDecoded := req.Object.Object.(*corev1.Pod)
	_, oldDecoded := req.OldObject.Object.(*corev1.Pod)
	e.podsDecoded = newDecoded || oldDecoded
	seen := map[string]any{}
	pod, err := decodePod(req)
	seen["object"], seen["objectError"] = pod, errText(err)
	if req.OldObject.Raw != nil || req.OldObject.Object != nil {
		old, err := decodeOldPod(req)
		seen["oldObject"], seen["oldObjectError"] = old, errText(err)
	}
	req.Object, req.OldObject = runtime.RawExtension{}, runtime.RawExtension{}
	seen["request"] = req.AdmissionRequest
	out, err := json.Marshal(seen)
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, err)
	}
	return admission.Allowed(string(out))
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// reviewCase is a body sent to both servers, and whether the handler
// gets its pods decoded with the review (podReviews serves it itself and
// it carries a pod; else controller-runtime serves it, or there is no pod).
type reviewCase struct {
	name        string
	body        []byte
	contentType string
	podsDecoded bool
}

func reviewCases(tb testing.TB) []reviewCase {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(fixtures.Examples(), "pods", "*.yaml"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no example pods (%v)", err)
	}
	var out []reviewCase
	for _, f := range files {
		p := fixtures.Pod(tb, filepath.Base(f))
		out = append(out,
			reviewCase{name: "create " + filepath.Base(f), body: reviewOf(tb, admissionv1.Create, "", p, nil), podsDecoded: true},
			reviewCase{name: "update " + filepath.Base(f), body: reviewOf(tb, admissionv1.Update, "", p, p), podsDecoded: true})
	}
	executor := fixtures.Pod(tb, "executor.yaml")
	v1beta1 := bytes.Replace(reviewOf(tb, admissionv1.Create, "", executor, nil), []byte(`admission.k8s.io/v1"`), []byte(`admission.k8s.io/v1beta1"`), 1)
	noType := bytes.Replace(reviewOf(tb, admissionv1.Create, "", executor, nil), []byte(`"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1",`), nil, 1)
	huge := executor.DeepCopy()
	huge.Annotations = map[string]string{"big": strings.Repeat("x", mutate.MaxPodBytes)}
	raw := func(s string) []byte { return []byte(s) }
	out = append(out,
		reviewCase{name: "delete", body: reviewOf(tb, admissionv1.Delete, "", nil, executor), podsDecoded: true},
		reviewCase{name: "no object", body: raw(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u"}}`)},
		reviewCase{name: "null object", body: raw(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","object":null}}`)},
		reviewCase{name: "empty object", body: raw(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","object":{}}}`), podsDecoded: true},
		reviewCase{name: "pod says v1 Pod", body: raw(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","namespace":"n","object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}}}`), podsDecoded: true},
		reviewCase{name: "keys in other cases", body: raw(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"UID":"u","object":{"Metadata":{"name":"p"},"spec":{"Containers":[{"name":"c"}]}}}}`), podsDecoded: true},
		reviewCase{name: "over the pod bound", body: reviewOf(tb, admissionv1.Create, "", huge, nil)},
		reviewCase{name: "v1beta1", body: v1beta1},
		reviewCase{name: "no apiVersion and kind", body: noType},
		reviewCase{name: "another version", body: raw(`{"apiVersion":"admission.k8s.io/v2","kind":"AdmissionReview","request":{"uid":"u","object":{}}}`)},
		reviewCase{name: "another kind", body: raw(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionResponse","request":{"uid":"u","object":{}}}`)},
		reviewCase{name: "kind in other case", body: raw(`{"apiVersion":"admission.k8s.io/v1","Kind":"AdmissionReview","request":{"uid":"u","object":{}}}`)},
		reviewCase{name: "no request", body: raw(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`)},
		reviewCase{name: "request null", body: raw(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":null}`)},
		reviewCase{name: "an Eviction", body: raw(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","object":{"apiVersion":"policy/v1","kind":"Eviction"}}}`)},
		reviewCase{name: "old object a Service", body: raw(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","object":{},"oldObject":{"kind":"Service"}}}`)},
		reviewCase{name: "object a list", body: raw(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","object":[]}}`)},
		reviewCase{name: "a type error in the pod", body: raw(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","object":{"spec":5}}}`)},
		reviewCase{name: "a type error in the request", body: raw(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":5,"object":{}}}`)},
		reviewCase{name: "kind a number", body: raw(`{"apiVersion":"admission.k8s.io/v1","kind":5,"request":{"uid":"u"}}`)},
		reviewCase{name: "not JSON", body: raw(`{"apiVersion":`)},
		reviewCase{name: "trailing bytes", body: raw(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u"}} x`)},
		reviewCase{name: "YAML", body: raw("apiVersion: admission.k8s.io/v1\nkind: AdmissionReview\nrequest:\n  uid: u\n  object: {}\n")},
		reviewCase{name: "a list", body: raw(`[]`)},
		reviewCase{name: "empty", body: nil},
		reviewCase{name: "text/plain", body: reviewOf(tb, admissionv1.Create, "", executor, nil), contentType: "text/plain"},
	)
	return out
}

// serveReview sends body to srv as the API server does, and returns the
// answer.
func serveReview(srv http.Handler, body []byte, contentType string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/?timeout=10s", bytes.NewReader(body))
	if body == nil {
		req.Body = http.NoBody
	}
	if contentType == "" {
		contentType = "application/json"
	}
	req.Header.Set("Content-Type", contentType)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	return rec
}

// sameAnswer fails t unless both recorders hold the same answer: status,
// headers and body, byte for byte.
func sameAnswer(t *testing.T, name string, want, got *httptest.ResponseRecorder) {
	t.Helper()
	if got.Code != want.Code || fmt.Sprint(got.Header()) != fmt.Sprint(want.Header()) || !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
		t.Fatalf("%s: controller-runtime answers %d %v\n%s\npodReviews answers %d %v\n%s",
			name, want.Code, want.Header(), want.Body.String(), got.Code, got.Header(), got.Body.String())
	}
}

// TestPodReviewsAreTheWebhooks holds podReviews to controller-runtime's
// admission.Webhook, what it replaces for pods: on every case both give
// the same answer, byte for byte, with a handler that echoes what it read
// and with the mutating handler on the example pods; the reviews the API
// server sends take the one-pass path, the rest are controller-runtime's.
func TestPodReviewsAreTheWebhooks(t *testing.T) {
	echo := &echoPods{}
	ours, theirs := podReviewServer(echo), reviewServer(echo)
	for _, c := range reviewCases(t) {
		want := serveReview(theirs, c.body, c.contentType)
		echo.podsDecoded = false
		got := serveReview(ours, c.body, c.contentType)
		sameAnswer(t, c.name, want, got)
		if echo.podsDecoded != c.podsDecoded {
			t.Errorf("%s: served with the review's pods decoded %v, want %v", c.name, echo.podsDecoded, c.podsDecoded)
		}
	}

	h, _, store := newTestHandlers(t)
	store.swap(fixtures.Snapshot(t, "prod-a"))
	h.Cluster = mutate.Cluster{Name: "prod-a", Pool: "batch"}
	for _, name := range []string{"driver.yaml", "executor.yaml"} {
		body := reviewOf(t, admissionv1.Create, "", fixtures.Pod(t, name), nil)
		want := serveReview(reviewServer(h), body, "")
		got := serveReview(podReviewServer(h), body, "")
		sameAnswer(t, "mutate "+name, want, got)
		if !bytes.Contains(got.Body.Bytes(), []byte(`"patch":`)) {
			t.Errorf("mutate %s: no patch in %s", name, got.Body.String())
		}
	}
}

// TestPodReviewsReadErrors: a body that fails midway is answered as
// controller-runtime answers it, with what was read and the error.
func TestPodReviewsReadErrors(t *testing.T) {
	echo := &echoPods{}
	body := reviewOf(t, admissionv1.Create, "", fixtures.Pod(t, "executor.yaml"), nil)
	answer := func(srv http.Handler) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/", io.MultiReader(bytes.NewReader(body[:100]), errReader{errors.New("connection reset")}))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec
	}
	want, got := answer(reviewServer(echo)), answer(podReviewServer(echo))
	sameAnswer(t, "read error", want, got)
	if !strings.Contains(got.Body.String(), "connection reset") {
		t.Errorf("the answer does not name the read error: %s", got.Body.String())
	}
}

// FuzzPodReviews: on any body podReviews answers as controller-runtime
// does, but where a body the API server never sends lets them differ
// (divergentReview).
func FuzzPodReviews(f *testing.F) {
	for _, c := range reviewCases(f) {
		if c.contentType == "" && len(c.body) < 1<<16 {
			f.Add(c.body)
		}
	}
	echo := &echoPods{}
	ours, theirs := podReviewServer(echo), reviewServer(echo)
	f.Fuzz(func(t *testing.T, body []byte) {
		got := serveReview(ours, body, "")
		if divergentReview(body) {
			return // it must not panic
		}
		sameAnswer(t, fmt.Sprintf("%q", body), serveReview(theirs, body, ""), got)
	})
}

// divergentReview reports whether body is a review on which podReviews
// may answer otherwise than controller-runtime: a top-level key that is
// "apiVersion" or "kind" in other letter cases (apimachinery reads the
// review's type with encoding/json, which takes it for the field), or a
// pod's quantity podReviews refuses (checkReview: controller-runtime would
// take minutes to decode it). A body that is not JSON is not. A body with
// a name twice in an object is not either: podReviews leaves it to
// controller-runtime (decodeJSON refuses it).
func divergentReview(body []byte) bool {
	if checkReview(body, reviewTypeOf(podType)) != nil {
		return true
	}
	return typeKeysFolded(body)
}
