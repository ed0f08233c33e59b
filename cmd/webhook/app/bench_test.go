package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/policy"
	"github.com/strata-dev/strata/test/fixtures"
)

// BenchmarkPodMutator is one admission of the example driver inside the
// webhook: decode the AdmissionRequest's pod, compose, patch, metrics.
func BenchmarkPodMutator(b *testing.B) {
	h, _, store := newTestHandlers(b)
	store.swap(fixtures.Snapshot(b, "prod-a"))
	h.Cluster.Name, h.Cluster.Pool = "prod-a", "batch"
	pod := fixtures.Pod(b, "driver.yaml")
	raw, _ := json.Marshal(pod)
	req := rawRequest(raw, pod.Namespace)
	b.ReportAllocs()
	for b.Loop() {
		if resp := h.Handle(context.Background(), req); !resp.Allowed || len(resp.Patch) == 0 {
			b.Fatalf("unexpected response %v", resp.Result)
		}
	}
}

// BenchmarkHandlers runs each handler on the example executor next to the
// no-op handler (decode the pod, allow it), the floor, in the same run: in
// a cluster with the example Layers and 100 live pods, and in one with
// 5,000 more Layers (matching no pod) and 50,000 live pods. Compare each
// line with noop of the same size.
func BenchmarkHandlers(b *testing.B) {
	for _, size := range []struct{ others, pods int }{{0, 100}, {5000, 50000}} {
		cases, layers := handlerCases(b, size.others, size.pods)
		for _, c := range cases {
			raw, err := json.Marshal(c.pod)
			if err != nil {
				b.Fatal(err)
			}
			req := rawRequest(raw, c.pod.Namespace)
			b.Run(fmt.Sprintf("%s/layers=%d/pods=%d", c.name, layers, size.pods), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if resp := c.handler.Handle(context.Background(), req); !resp.Allowed {
						b.Fatalf("%s: not allowed: %v", c.name, resp.Result)
					}
				}
			})
		}
	}
}

// BenchmarkServeHTTP is BenchmarkHandlers served as Setup serves them
// (podReviewServer), without TLS: the AdmissionReview decoded, the handler,
// the response (a patch, for mutate) encoded. It is what a request costs
// the webhook past the TLS and HTTP/2 the load tool adds, each line next
// to the no-op handler's in the same run.
func BenchmarkServeHTTP(b *testing.B) {
	cases, layers := handlerCases(b, 0, 100)
	for _, c := range cases {
		raw, err := json.Marshal(c.pod)
		if err != nil {
			b.Fatal(err)
		}
		req := rawRequest(raw, c.pod.Namespace)
		review := admissionv1.AdmissionReview{TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
			Request: &req.AdmissionRequest}
		body, err := json.Marshal(review)
		if err != nil {
			b.Fatal(err)
		}
		server := podReviewServer(c.handler) // as Setup serves it
		b.Run(fmt.Sprintf("%s/layers=%d/pods=100", c.name, layers), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				server.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte(`"allowed":true`)) {
					b.Fatalf("%s: %d %s", c.name, rec.Code, rec.Body.String())
				}
			}
		})
	}
}

// handlerCase is a handler and the pod a benchmark sends it.
type handlerCase struct {
	name    string
	handler admission.Handler
	pod     *corev1.Pod
}

// handlerCases are the no-op, mutating and validating handlers of a
// cluster with the example Layers and others more (matching no pod) and
// pods live pods: the example executor as created for the first two, as
// the mutating webhook left it for the validator. It returns the Layers
// the cluster has.
func handlerCases(b *testing.B, others, pods int) ([]handlerCase, int) {
	b.Helper()
	h := newTestPodValidator(b)
	h.Store.swap(fixtures.SnapshotWithOthers(b, "prod-a", others))
	h.Cluster = mutate.Cluster{Name: "prod-a", Pool: "batch"}
	h.Ledger = policy.NewLedger(time.Minute)
	h.Live = livePods(pods)
	mutator := &PodMutator{Store: h.Store, Cluster: h.Cluster, Metrics: h.Metrics}
	noop := &NoopHandler{Metrics: h.Metrics}
	created := fixtures.Pod(b, "executor.yaml")
	stored, err := mutate.Compose(h.Store.Load().Snapshot, h.Cluster, created)
	if err != nil {
		b.Fatal(err)
	}
	return []handlerCase{{"noop", noop, created}, {"mutate", mutator, created}, {"validate", h, stored.Pod}},
		h.Store.Load().LayerCount()
}

// livePods is a tracker of fixtures.LivePods(n).
func livePods(n int) *policy.Tracker {
	t := policy.NewTracker()
	for _, p := range fixtures.LivePods(n) {
		t.Upsert(p)
	}
	return t
}

// BenchmarkDecodePod decodes the example executor as a review carries it:
// with admission.Decoder (apimachinery's serializer, which reads the whole
// document once more to find its kind) and as the webhook does
// (decodePodJSON).
func BenchmarkDecodePod(b *testing.B) {
	raw, err := json.Marshal(fixtures.Pod(b, "executor.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	decoder := podDecoder(b)
	for _, c := range []struct {
		name   string
		decode func(*corev1.Pod) error
	}{
		{"decoder", func(p *corev1.Pod) error { return decoder.DecodeRaw(runtime.RawExtension{Raw: raw}, p) }},
		{"webhook", func(p *corev1.Pod) error { return decodePodJSON(raw, p) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.decode(&corev1.Pod{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeReview decodes the AdmissionReview of the example
// executor and its pod: as controller-runtime's admission.Webhook does and
// the handler after it (the review with apimachinery's serializer, then
// the pod, decodePodJSON), and in one pass (decodePodReview).
func BenchmarkDecodeReview(b *testing.B) {
	body := reviewOf(b, admissionv1.Create, "", fixtures.Pod(b, "executor.yaml"), nil)
	codecs := serializer.NewCodecFactory(reviewScheme(b))
	for _, c := range []struct {
		name   string
		decode func() (*corev1.Pod, error)
	}{
		{"controller-runtime", func() (*corev1.Pod, error) {
			review := admissionv1.AdmissionReview{}
			if _, _, err := codecs.UniversalDeserializer().Decode(body, nil, &review); err != nil {
				return nil, err
			}
			return decodePod(admission.Request{AdmissionRequest: *review.Request})
		}},
		{"one-pass", func() (*corev1.Pod, error) {
			req, ok := decodePodReview(body)
			if !ok {
				return nil, fmt.Errorf("not a pod review")
			}
			return decodePod(req)
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if pod, err := c.decode(); err != nil || pod.Name == "" {
					b.Fatal(pod, err)
				}
			}
		})
	}
}

func reviewScheme(tb testing.TB) *runtime.Scheme {
	tb.Helper()
	scheme := runtime.NewScheme()
	if err := admissionv1.AddToScheme(scheme); err != nil {
		tb.Fatal(err)
	}
	return scheme
}
