package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gomodules.xyz/jsonpatch/v2"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
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

// limitInFlight serves at most max requests at once, across every handler
// it wraps (they share the CPU); one more is answered at once with 429 Too
// Many Requests and Retry-After: 1, which the API server's webhook client
// honours by calling again a second later, within the webhook's timeout.
// Past its capacity a webhook that queued every request would answer them
// all late, and hold each one's memory meanwhile; shed requests are
// counted. max <= 0 serves everything.
func limitInFlight(max int, shed prometheus.Counter) func(http.Handler) http.Handler {
	if max <= 0 {
		return func(h http.Handler) http.Handler { return h }
	}
	slots := make(chan struct{}, max)
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case slots <- struct{}{}:
				defer func() { <-slots }()
				h.ServeHTTP(w, r)
			default:
				shed.Inc()
				w.Header().Set("Retry-After", "1")
				http.Error(w, "Strata's webhook is at capacity; retry", http.StatusTooManyRequests)
			}
		})
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
// refused (errRefused): a refusal is a denial that says why, anything
// else a bad request.
func refuseUndecodable(err error) admission.Response {
	var refused errRefused
	if errors.As(err, &refused) {
		return admission.Denied(refused.Error())
	}
	return admission.Errored(http.StatusBadRequest, err)
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
