package app

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"reflect"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/strata-dev/strata/pkg/mutate"
)

// podReviews serves the AdmissionReviews of a pod handler: what
// controller-runtime's admission.Webhook.ServeHTTP does, with the review
// and its pods decoded in one pass. The handler is the webhook's own
// (admission.Webhook.Handle: the request's logger, the response's uid,
// panics recovered); only reading the review differs.
//
// Why not controller-runtime's alone: it decodes the body with
// apimachinery's serializer, which reads the whole review with
// encoding/json to learn its kind, then decodes it, keeping each pod as
// raw JSON that the handler decodes once more. That is three readings of
// the pod for one decode, ~40% of the floor's CPU in process (the example
// executor's review: 66 → 33 µs, BenchmarkDecodeReview), paid by every
// pod the cluster creates. Here the pods are decoded with the review, by
// the decoder decodePodJSON uses, and handed to the handler as
// req.Object.Object (decodePod takes them from there).
//
// Only the review the API server sends takes this path: an
// admission.k8s.io/v1 AdmissionReview (apiVersion and kind spelt so) with
// a request, whose pods decode and are v1 Pods or say no kind, as
// application/json, at most mutate.MaxPodBytes long. Anything else (an
// error to answer, a v1beta1 review, a larger body) is served by
// controller-runtime's ServeHTTP from the same bytes, so every answer but
// the common one is its answer, byte for byte; TestPodReviewsAreTheWebhooks
// and FuzzPodReviews hold the common one to it too. A body with a name
// twice in an object, or a string that is not UTF-8, is not decoded here
// (decodeJSON) and goes to controller-runtime. One difference is left, in
// bodies the API server never sends: a review that also has a key "Kind"
// (or "APIVERSION", any other letter case) is read by its "kind", where
// apimachinery may take the other. Whoever can send such a body can send
// the review it is read as.
type podReviews struct {
	webhook *admission.Webhook
	// fallback serves what webhook serves by its own ServeHTTP, its
	// pods' quantities checked first (refuseUnboundedQuantities).
	fallback http.Handler
	// review is the type the review is read as to check its quantities.
	review reflect.Type
}

var _ http.Handler = podReviews{}

// reviewServer serves h's AdmissionReviews with controller-runtime, each
// admission logged with requestLogger.
func reviewServer(h admission.Handler) *admission.Webhook {
	return &admission.Webhook{Handler: h, LogConstructor: requestLogger}
}

// objectReviewServer serves the AdmissionReviews of h, a handler that
// decodes a review's objects as objectType (a Layer, a SparkApplication),
// with controller-runtime, a review whose quantities would run away refused
// before it is decoded (refuseUnboundedQuantities).
func objectReviewServer(objectType reflect.Type, h admission.Handler) http.Handler {
	return refuseUnboundedQuantities(objectType, reviewServer(h))
}

// podReviewServer serves the AdmissionReviews of h, a pod handler, each
// review decoded with its pods (podReviews).
func podReviewServer(h admission.Handler) http.Handler {
	webhook := reviewServer(h)
	return podReviews{webhook: webhook, fallback: refuseUnboundedQuantities(podType, webhook), review: reviewTypeOf(podType)}
}

// podType is what a pod handler decodes a review's objects as.
var podType = reflect.TypeFor[corev1.Pod]()

// podReview is an AdmissionReview whose pods decode with it: a field at
// the shallower depth wins over the embedded request's RawExtensions.
type podReview struct {
	metav1.TypeMeta `json:",inline"`
	Request         *podReviewRequest `json:"request,omitempty"`
}

type podReviewRequest struct {
	admissionv1.AdmissionRequest
	Object    *corev1.Pod `json:"object,omitempty"`
	OldObject *corev1.Pod `json:"oldObject,omitempty"`
}

// ServeHTTP answers one AdmissionReview.
func (s podReviews) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Body == nil || r.Body == http.NoBody {
		s.fallback.ServeHTTP(w, r)
		return
	}
	limited := &io.LimitedReader{R: r.Body, N: mutate.MaxPodBytes + 1}
	body, err := io.ReadAll(limited)
	if err != nil || limited.N <= 0 || r.Header.Get("Content-Type") != "application/json" {
		// What was read goes first, then the rest of the body, or the
		// error that stopped the reading.
		var rest io.Reader = r.Body
		if err != nil {
			rest = errReader{err}
		}
		s.fallBack(w, r, io.MultiReader(bytes.NewReader(body), rest))
		return
	}
	if err := checkReview(body, s.review); err != nil {
		writeErrored(w, body, err)
		return
	}
	req, ok := decodePodReview(body)
	if !ok {
		s.fallBack(w, r, bytes.NewReader(body))
		return
	}
	resp := s.webhook.Handle(r.Context(), req)
	review := admissionv1.AdmissionReview{Response: &resp.AdmissionResponse}
	review.SetGroupVersionKind(admissionv1.SchemeGroupVersion.WithKind("AdmissionReview"))
	if err := json.NewEncoder(w).Encode(review); err != nil {
		// The connection, most likely; controller-runtime logs it too.
		log.FromContext(r.Context()).Error(err, "unable to encode and write the response", "requestID", req.UID)
	}
}

// fallBack serves r with body as its body, by controller-runtime.
func (s podReviews) fallBack(w http.ResponseWriter, r *http.Request, body io.Reader) {
	r2 := *r
	r2.Body = io.NopCloser(body)
	s.fallback.ServeHTTP(w, &r2)
}

// decodePodReview decodes body as the AdmissionReview of a pod, and
// whether it is one this path serves (podReviews).
func decodePodReview(body []byte) (admission.Request, bool) {
	var review podReview
	if err := decodeJSON(body, &review); err != nil {
		return admission.Request{}, false
	}
	if review.APIVersion != admissionv1.SchemeGroupVersion.String() || review.Kind != "AdmissionReview" || review.Request == nil {
		return admission.Request{}, false
	}
	in := review.Request
	req := admission.Request{AdmissionRequest: in.AdmissionRequest}
	for _, p := range []struct {
		pod *corev1.Pod
		to  *runtime.RawExtension
	}{{in.Object, &req.Object}, {in.OldObject, &req.OldObject}} {
		if p.pod == nil {
			continue
		}
		if !isV1Pod(p.pod) {
			return admission.Request{}, false
		}
		*p.to = runtime.RawExtension{Object: p.pod}
	}
	return req, true
}

// errReader fails every read with err.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
