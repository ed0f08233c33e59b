package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/semaphore"
	"gomodules.xyz/jsonpatch/v2"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/strata-dev/strata/pkg/mutate"
)

// Deadlines. The API server calls a webhook with ?timeout=<timeoutSeconds>
// and drops the answer after it; a handler works no longer than that.
const (
	defaultDeadline = 10 * time.Second
	maxDeadline     = 30 * time.Second
)

// errDeadline: the request's deadline passed before the handler finished.
var errDeadline = errors.New("the admission request's deadline passed before Strata could decide")

// withDeadline gives each request's context the deadline the API server set
// for the call (the timeout query parameter), at most maxDeadline, so that
// no request, however crafted, keeps a replica busy after its answer no
// longer counts. That deadline is the only end of the request's context: a
// replica shutting down (SIGTERM) stops accepting requests but finishes
// those in flight, rather than failing them.
func withDeadline(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := defaultDeadline
		if t, err := time.ParseDuration(r.URL.Query().Get("timeout")); err == nil && t > 0 {
			d = min(t, maxDeadline)
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), d)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// limitInFlight serves at most maxRequests requests at once, whose bodies
// together hold at most maxBytes bytes, across every handler it wraps
// (they share the CPU and the memory); a request past either limit is
// answered at once with 429 Too Many Requests and Retry-After: 1, which
// the API server's webhook client honours by calling again a second
// later, within the webhook's timeout. Past its capacity a webhook that
// queued every request would answer them all late, and hold each one's
// memory meanwhile; shed requests are counted. A limit <= 0 is no limit.
//
// The bytes bound memory: what serving a request holds grows with its
// body, ~20 times it for the largest (a SparkApplication of almost 3 MiB
// holds ~65 MiB while it is composed), so a few large requests at once,
// which any tenant allowed to create SparkApplications can send, would
// take a replica past its memory limit where a count of requests would
// not notice them. A request is weighed by its Content-Length (the API
// server always sends one; a body of unknown length weighs as the largest
// review), and those over 1/largeShare of maxBytes together use at most
// half of it, so a flood of large requests never sheds the usual small
// ones. golang.org/x/sync's semaphores keep the counts (inFlight);
// TryAcquire, not Acquire: a request waiting for room would hold its
// connection's stream and its body meanwhile, and those behind it in line
// would wait too.
func limitInFlight(maxRequests int, maxBytes int64, shed prometheus.Counter) func(http.Handler) http.Handler {
	l := newInFlight(maxRequests, maxBytes)
	if l == nil {
		return func(h http.Handler) http.Handler { return h }
	}
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			held, ok := l.acquire(r.ContentLength)
			if !ok {
				shed.Inc()
				w.Header().Set("Retry-After", "1")
				http.Error(w, "Strata's webhook is at capacity; retry", http.StatusTooManyRequests)
				return
			}
			defer l.release(held)
			h.ServeHTTP(w, r)
		})
	}
}

// largeShare: a request whose body is over 1/largeShare of the bytes in
// flight a replica serves is a large one (512 KiB of the default 8 MiB).
const largeShare = 16

// inFlight is what a replica serves at once; a nil semaphore is no limit.
type inFlight struct {
	requests, bytes, large *semaphore.Weighted
	maxBytes               int64
}

// held is what one request holds of an inFlight.
type held struct{ request, bytes, large int64 }

// newInFlight is the limit of maxRequests and maxBytes (<= 0: none); nil
// when neither is set.
func newInFlight(maxRequests int, maxBytes int64) *inFlight {
	if maxRequests <= 0 && maxBytes <= 0 {
		return nil
	}
	l := &inFlight{maxBytes: maxBytes}
	if maxRequests > 0 {
		l.requests = semaphore.NewWeighted(int64(maxRequests))
	}
	if maxBytes > 0 {
		l.bytes, l.large = semaphore.NewWeighted(maxBytes), semaphore.NewWeighted(maxBytes/2)
	}
	return l
}

// acquire takes room for one request whose body holds size bytes (-1:
// unknown) in every limit, or none of it.
func (l *inFlight) acquire(size int64) (held, bool) {
	var h held
	if l.requests != nil {
		if !l.requests.TryAcquire(1) {
			return h, false
		}
		h.request = 1
	}
	if l.bytes == nil {
		return h, true
	}
	if size < 0 || size > maxReviewBytes {
		size = maxReviewBytes
	}
	large := size > l.maxBytes/largeShare
	if large {
		// At most the whole share: a request larger than it is served
		// when no other large one is.
		size = min(size, l.maxBytes/2)
	}
	if !l.bytes.TryAcquire(size) {
		l.release(h)
		return held{}, false
	}
	h.bytes = size
	if large {
		if !l.large.TryAcquire(size) {
			l.release(h)
			return held{}, false
		}
		h.large = size
	}
	return h, true
}

// release gives back what h holds.
func (l *inFlight) release(h held) {
	if h.large > 0 {
		l.large.Release(h.large)
	}
	if h.bytes > 0 {
		l.bytes.Release(h.bytes)
	}
	if h.request > 0 {
		l.requests.Release(h.request)
	}
}

// serve runs one handler's work on req: it recovers a panic (logged with
// the request's uid, counted, and failing that request only) and observes
// the outcome and latency.
func (m *Metrics) serve(ctx context.Context, handler string, req admission.Request,
	handle func(context.Context, admission.Request) admission.Response) (resp admission.Response) {
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			m.panics.WithLabelValues(handler).Inc()
			log.FromContext(ctx).Error(fmt.Errorf("panic: %v", r), "handler panicked; request failed",
				"handler", handler, "uid", req.UID, "stack", string(debug.Stack()))
			resp = admission.Errored(http.StatusInternalServerError, fmt.Errorf("internal error handling request %s", req.UID))
		}
		m.observe(handler, start, resp)
	}()
	if err := ctx.Err(); err != nil {
		return admission.Errored(http.StatusGatewayTimeout, errDeadline)
	}
	return handle(ctx, req)
}

// expired answers a request whose deadline passed mid-way.
func expired(ctx context.Context) (admission.Response, bool) {
	if ctx.Err() != nil {
		return admission.Errored(http.StatusGatewayTimeout, errDeadline), true
	}
	return admission.Response{}, false
}

// errRefused is a refusal of a request before any work on its object: over
// the documented bounds, or holding what Strata refuses to compose
// (mutate.CheckApp).
type errRefused struct{ err error }

func (e errRefused) Error() string { return e.err.Error() }

// errInvalid is a custom object whose body does not decode as its kind
// (a SparkApplication's or SparkConnect's field of another type). The API
// server checks a custom object against its CRD's schema after the
// mutating webhooks, so a mutating webhook is sent what a tenant wrote,
// mistyped or not; the API server would refuse it as invalid, and so does
// Strata (refuseUndecodable), rather than err.
type errInvalid struct{ err error }

func (e errInvalid) Error() string { return e.err.Error() }

// decodePod decodes the pod of the request (the new object of an UPDATE,
// the pod a subresource request carries), or takes the one decoded with
// the review (podReviews); a pod created without a namespace in its body
// is in the request's namespace. A pod over the documented bounds
// (mutate.CheckSize, mutate.MaxPodBytes) is refused with errRefused
// before any work on it.
func decodePod(req admission.Request) (*corev1.Pod, error) {
	pod, decoded := req.Object.Object.(*corev1.Pod)
	if !decoded {
		if n := len(req.Object.Raw); n > mutate.MaxPodBytes {
			return nil, errRefused{fmt.Errorf("pod is %d bytes; Strata admits at most %d", n, mutate.MaxPodBytes)}
		}
		pod = &corev1.Pod{}
		if err := decodePodJSON(req.Object.Raw, pod); err != nil {
			return nil, err
		}
	}
	if pod.Namespace == "" {
		pod.Namespace = req.Namespace
	}
	if err := mutate.CheckSize(pod); err != nil {
		return nil, errRefused{err}
	}
	return pod, nil
}

// decodeOldPod decodes the stored pod an UPDATE replaces, or takes the
// one decoded with the review.
func decodeOldPod(req admission.Request) (*corev1.Pod, error) {
	pod, decoded := req.OldObject.Object.(*corev1.Pod)
	if !decoded {
		pod = &corev1.Pod{}
		if err := decodePodJSON(req.OldObject.Raw, pod); err != nil {
			return nil, fmt.Errorf("decoding the stored pod: %w", err)
		}
	}
	if pod.Namespace == "" {
		pod.Namespace = req.Namespace
	}
	return pod, nil
}

// refuseUndecodable answers an object that could not be decoded or was
// refused (errRefused): a refusal is a denial that says why, an object
// that is not of its kind's schema (errInvalid) is invalid (422), anything
// else a bad request.
func refuseUndecodable(err error) admission.Response {
	var (
		refused errRefused
		invalid errInvalid
	)
	switch {
	case errors.As(err, &refused):
		return admission.Denied(refused.Error())
	case errors.As(err, &invalid):
		return invalidObject(err)
	}
	return admission.Errored(http.StatusBadRequest, err)
}

// invalidObject refuses an object as the API server refuses an invalid
// one: 422 Invalid, counted as outcome "invalid".
func invalidObject(err error) admission.Response {
	return admission.Response{AdmissionResponse: admissionv1.AdmissionResponse{Allowed: false, Result: &metav1.Status{
		Status: metav1.StatusFailure, Code: http.StatusUnprocessableEntity, Reason: metav1.StatusReasonInvalid, Message: err.Error()}}}
}

// composeFailed answers an object Strata could not compose or judge for
// err. A composition the layers make of it that the API server would
// refuse (mutate.InvalidCompositionError) is final: 422 Invalid, as the
// API server answers an invalid object, with the field and the layer
// named; the same layers and object give it every time, so a client
// (Spark's retries every 5xx) gains nothing by retrying, and a tenant's
// pod that meets one is no failure of the webhook to page anyone for
// (outcome "invalid", not "error"). Anything else is the webhook's
// failure: 500, left to the failurePolicy.
func composeFailed(err error) admission.Response {
	if mutate.IsInvalidComposition(err) {
		return invalidObject(err)
	}
	return admission.Errored(http.StatusInternalServerError, err)
}

// cannotJudge answers an object of kind the policies could not judge for
// err (composeFailed), logged: an invalid composition as what the object
// meets, anything else as the webhook's error.
func cannotJudge(ctx context.Context, kind string, generation int64, err error) admission.Response {
	if mutate.IsInvalidComposition(err) {
		log.FromContext(ctx).Info("composition invalid", "kind", kind, "reason", err.Error(), "generation", generation)
	} else {
		log.FromContext(ctx).Error(err, "cannot judge "+kind, "generation", generation)
	}
	return composeFailed(err)
}

// patched allows the object with ops, encoded as the API server receives
// them (mutate.EncodePatch): the response carries the encoded patch, so
// controller-runtime does not encode it again from the operations.
func patched(ops []jsonpatch.Operation) admission.Response {
	resp := admission.Allowed("")
	if len(ops) == 0 {
		return resp
	}
	patch, err := mutate.EncodePatch(ops)
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, fmt.Errorf("encoding the patch: %w", err))
	}
	patchType := admissionv1.PatchTypeJSONPatch
	resp.Patch, resp.PatchType = patch, &patchType
	return resp
}
