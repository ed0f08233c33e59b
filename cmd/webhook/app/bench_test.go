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
		server, serve := podReviewServer(c.handler), reviewPost(b, c) // as Setup serves it
		b.Run(fmt.Sprintf("%s/layers=%d/pods=100", c.name, layers), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				serve(server)
			}
		})
	}
}

// BenchmarkServeOnNewGoroutines is BenchmarkServeHTTP with each request
// served on a goroutine of its own, as the HTTP/2 server serves them:
// "small" as it starts, "grown" with its stack grown first
// (withGrownStack), as Setup serves it.
func BenchmarkServeOnNewGoroutines(b *testing.B) {
	cases, layers := handlerCases(b, 0, 100)
	for _, c := range cases {
		serve := reviewPost(b, c)
		for _, s := range []struct {
			name   string
			server http.Handler
		}{{"small", podReviewServer(c.handler)}, {"grown", withGrownStack(podReviewServer(c.handler))}} {
			b.Run(fmt.Sprintf("%s/stack=%s/layers=%d/pods=100", c.name, s.name, layers), func(b *testing.B) {
				b.ReportAllocs()
				done := make(chan struct{})
				for b.Loop() {
					go func() {
						defer func() { done <- struct{}{} }()
						serve(s.server)
					}()
					<-done
				}
			})
		}
	}
}

// reviewPost returns a function that posts the AdmissionReview of c's pod
// to a server and fails the benchmark unless it is allowed.
func reviewPost(b *testing.B, c handlerCase) func(http.Handler) {
	b.Helper()
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
	return func(server http.Handler) {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		server.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte(`"allowed":true`)) {
			b.Errorf("%s: %d %s", c.name, rec.Code, rec.Body.String())
		}
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

// BenchmarkDecodeWatchedPod decodes a pod as the pod watch receives it,
// in protobuf: the example executor composed and running, with the
// managedFields of the three writers a running pod has (the client that
// created it, the scheduler, the kubelet). "whole" is client-go's decoding,
// "lean" the pod watch's (podPruner): what quota and the Reflector read.
func BenchmarkDecodeWatchedPod(b *testing.B) {
	pod := runningPod(b)
	enc, whole, lean := protobufCodec(b)
	data, err := runtime.Encode(enc, pod)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		decoder runtime.Decoder
	}{{"whole", whole}, {"lean", lean}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				obj, err := runtime.Decode(c.decoder, data)
				if err != nil || policy.LivePodOf(obj.(*corev1.Pod)).Usage.CPUMilli == 0 {
					b.Fatal(obj, err)
				}
			}
		})
	}
}

// runningPod is the example executor as composed, scheduled and running
// for a while: its status and the managedFields of its three writers.
func runningPod(b *testing.B) *corev1.Pod {
	b.Helper()
	res, err := mutate.Compose(fixtures.Snapshot(b, "prod-a"), mutate.Cluster{Name: "prod-a", Pool: "batch"}, fixtures.Pod(b, "executor.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	pod := res.Pod
	pod.ResourceVersion, pod.UID, pod.Spec.NodeName = "123456", "0c8a6b54-0f6e-4c7c-9f55-2f7d6a1f4e21", "node-17"
	start := metav1.NewTime(time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC))
	pod.Status = corev1.PodStatus{Phase: corev1.PodRunning, HostIP: "10.0.3.17", PodIP: "10.244.3.9", StartTime: &start,
		QOSClass: corev1.PodQOSBurstable, PodIPs: []corev1.PodIP{{IP: "10.244.3.9"}}, HostIPs: []corev1.HostIP{{IP: "10.0.3.17"}}}
	for _, c := range []corev1.PodConditionType{corev1.PodReadyToStartContainers, corev1.PodInitialized, corev1.PodReady, corev1.ContainersReady, corev1.PodScheduled} {
		pod.Status.Conditions = append(pod.Status.Conditions, corev1.PodCondition{Type: c, Status: corev1.ConditionTrue, LastTransitionTime: start})
	}
	status := func(c corev1.Container) corev1.ContainerStatus {
		return corev1.ContainerStatus{Name: c.Name, Image: c.Image, ImageID: c.Image + "@sha256:0123456789abcdef", Ready: true,
			ContainerID: "containerd://0123456789abcdef", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: start}},
			AllocatedResources: c.Resources.Requests, Resources: c.Resources.DeepCopy()}
	}
	for _, c := range pod.Spec.InitContainers {
		pod.Status.InitContainerStatuses = append(pod.Status.InitContainerStatuses, status(c))
	}
	for _, c := range pod.Spec.Containers {
		pod.Status.ContainerStatuses = append(pod.Status.ContainerStatuses, status(c))
	}
	spec, err := json.Marshal(pod.Spec)
	if err != nil {
		b.Fatal(err)
	}
	statusJSON, err := json.Marshal(pod.Status)
	if err != nil {
		b.Fatal(err)
	}
	for _, writer := range []struct {
		manager, subresource string
		fields               []byte
	}{{"spark-executor", "", spec}, {"kube-scheduler", "", []byte(`{"nodeName":""}`)}, {"kubelet", "status", statusJSON}} {
		fields, err := json.Marshal(map[string]any{"f:spec": fieldsOf(b, writer.fields)})
		if err != nil {
			b.Fatal(err)
		}
		pod.ManagedFields = append(pod.ManagedFields, metav1.ManagedFieldsEntry{Manager: writer.manager, Operation: metav1.ManagedFieldsOperationUpdate,
			APIVersion: "v1", Time: &start, FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(string(fields)), Subresource: writer.subresource})
	}
	return pod
}

// fieldsOf is a FieldsV1 set of the JSON document doc: every field, as
// "f:name", lists as their elements.
func fieldsOf(b *testing.B, doc []byte) any {
	b.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		b.Fatal(err)
	}
	var set func(any) any
	set = func(v any) any {
		out := map[string]any{}
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				out["f:"+k] = set(e)
			}
		case []any:
			for i, e := range x {
				out[fmt.Sprintf(`k:{"index":%d}`, i)] = set(e)
			}
		}
		return out
	}
	return set(v)
}
