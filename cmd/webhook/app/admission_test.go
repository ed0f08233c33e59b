package app

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// TestPanicFailsOnlyItsRequest: a panic in a handler is recovered, counted
// and answered as an error for that request; the next request is served.
func TestPanicFailsOnlyItsRequest(t *testing.T) {
	h, _, _ := newTestHandlers(t, teamLayer())
	req := podRequest(t, pod(map[string]string{"spark-role": "driver"}))
	resp := h.Metrics.serve(context.Background(), "pod", req, func(context.Context, admission.Request) admission.Response {
		panic(fmt.Sprintf("boom in request %s", req.UID))
	})
	if resp.Allowed || resp.Result.Code != http.StatusInternalServerError || !strings.Contains(resp.Result.Message, "1") {
		t.Fatalf("after a panic: allowed %v result %+v", resp.Allowed, resp.Result)
	}
	if got := testutil.ToFloat64(h.Metrics.panics.WithLabelValues("pod")); got != 1 {
		t.Errorf("panics counted %v", got)
	}
	if resp := h.Handle(context.Background(), req); !resp.Allowed {
		t.Errorf("the next request: %v", resp.Result)
	}
}

// TestDeadline: the handlers get the deadline of the API server's call
// (its timeout parameter, capped), and a request past it is an error.
func TestDeadline(t *testing.T) {
	for query, want := range map[string]time.Duration{"?timeout=2s": 2 * time.Second, "": defaultDeadline, "?timeout=10m": maxDeadline, "?timeout=x": defaultDeadline,
		// No time at all, or less, is no timeout the API server sets: the default.
		"?timeout=0s": defaultDeadline, "?timeout=-5s": defaultDeadline} {
		var got time.Duration
		srv := withDeadline(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			d, ok := r.Context().Deadline()
			if !ok {
				t.Errorf("%q: no deadline", query)
			}
			got = time.Until(d)
		}))
		srv.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/mutate-v1-pod"+query, nil))
		if got > want || got < want-time.Second {
			t.Errorf("%q: deadline in %s, want %s", query, got, want)
		}
	}
	h, _, _ := newTestHandlers(t, teamLayer())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	resp := h.Handle(ctx, podRequest(t, pod(map[string]string{"spark-role": "driver"})))
	if resp.Allowed || resp.Result.Code != http.StatusGatewayTimeout {
		t.Errorf("past the deadline: allowed %v result %+v", resp.Allowed, resp.Result)
	}
}

// TestOversizedPodsAreRefusedEarly: pods over the documented bounds are
// denied with the bound, by both pod handlers.
func TestOversizedPodsAreRefusedEarly(t *testing.T) {
	h, _, _ := newTestHandlers(t, teamLayer())
	v := newTestPodValidator(t, teamLayer())
	many := func(n int, add func(*corev1.Pod, int)) *corev1.Pod {
		p := pod(map[string]string{"spark-role": "executor"})
		for i := range n {
			add(p, i)
		}
		return p
	}
	tests := map[string]struct {
		pod  *corev1.Pod
		want string
	}{
		"containers": {many(mutate.MaxContainers, func(p *corev1.Pod, i int) {
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: fmt.Sprint("c", i), Image: "i"})
		}), "containers; Strata admits at most 256"},
		"env": {many(mutate.MaxEnvVars+1, func(p *corev1.Pod, i int) {
			p.Spec.Containers[0].Env = append(p.Spec.Containers[0].Env, corev1.EnvVar{Name: fmt.Sprint("E", i)})
		}), "environment variables; Strata admits at most 65536"},
		"volumes": {many(mutate.MaxVolumes+1, func(p *corev1.Pod, i int) {
			p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: fmt.Sprint("v", i)})
		}), "volumes; Strata admits at most 1024"},
		"tolerations": {many(mutate.MaxTolerations+1, func(p *corev1.Pod, i int) {
			p.Spec.Tolerations = append(p.Spec.Tolerations, corev1.Toleration{Key: fmt.Sprint("t", i), Operator: corev1.TolerationOpExists})
		}), "tolerations; Strata admits at most 1024"},
	}
	for name, tt := range tests {
		for handler, handle := range map[string]func(context.Context, admission.Request) admission.Response{"mutate": h.Handle, "validate": v.Handle} {
			resp := handle(context.Background(), podRequest(t, tt.pod))
			if resp.Allowed || resp.Result.Code != http.StatusForbidden || !strings.Contains(resp.Result.Message, tt.want) {
				t.Errorf("%s, %s: allowed %v result %+v, want a denial naming the bound", name, handler, resp.Allowed, resp.Result)
			}
		}
	}
	big := rawRequest([]byte(`{"metadata":{"labels":{"spark-role":"driver"},"annotations":{"a":"`+strings.Repeat("x", mutate.MaxPodBytes)+`"}}}`), "etl")
	if resp := h.Handle(context.Background(), big); resp.Allowed || !strings.Contains(resp.Result.Message, "bytes; Strata admits at most") {
		t.Errorf("a pod over %d bytes: %+v", mutate.MaxPodBytes, resp.Result)
	}
	// Exactly at the bound (JSON's spaces fill it) is within it.
	atBound := []byte(`{"metadata":{"name":"p","labels":{"spark-role":"driver"}}}`)
	atBound = append(atBound[:len(atBound)-1], append(bytes.Repeat([]byte(" "), mutate.MaxPodBytes-len(atBound)), '}')...)
	if resp := h.Handle(context.Background(), rawRequest(atBound, "etl")); !resp.Allowed {
		t.Errorf("a pod of exactly %d bytes: %+v", mutate.MaxPodBytes, resp.Result)
	}
}

// TestDecodedPodIsInTheRequestsNamespace: a pod (or the stored pod of an
// UPDATE) whose body names no namespace is in the request's.
func TestDecodedPodIsInTheRequestsNamespace(t *testing.T) {
	req := rawRequest([]byte(`{"metadata":{"name":"p"}}`), "etl")
	req.OldObject.Raw = req.Object.Raw
	pod, err := decodePod(req)
	if err != nil || pod.Namespace != "etl" {
		t.Fatalf("decoded a pod in %q (%v), want etl", pod.Namespace, err)
	}
	if old, err := decodeOldPod(req); err != nil || old.Namespace != "etl" {
		t.Fatalf("decoded the stored pod in %q (%v), want etl", old.Namespace, err)
	}
}

// TestInvalidLayerRefusesOnlyWhatItMatches: with an invalid Layer in the
// snapshot, the pods it would match are refused naming it (by both pod
// handlers), every other pod is served.
func TestInvalidLayerRefusesOnlyWhatItMatches(t *testing.T) {
	h, _, store := newTestHandlers(t, teamLayer())
	bad := v1alpha1.Layer{Spec: v1alpha1.LayerSpec{Tier: v1alpha1.NamespaceOverrides,
		Match:  v1alpha1.Match{Namespaces: []string{"etl"}, Roles: []v1alpha1.Role{"drivers"}}, // a typo widens, never narrows
		Config: &v1alpha1.Config{Tolerations: []corev1.Toleration{{Key: "gpu", Operator: "Sometimes"}}}}}
	bad.Name = "broken"
	good := teamLayer()
	snap, err := overlay.Compile(overlay.Inputs{Layers: []overlay.LayerSource{{Layer: good}, {Layer: bad}}})
	if err == nil || snap == nil || snap.Broken() != 1 || snap.LayerCount() != 1 {
		t.Fatalf("compile: err %v, snapshot %v", err, snap)
	}
	store.swap(snap)
	v := newTestPodValidator(t)
	v.Store = store
	for _, role := range []string{"driver", "executor"} {
		p := pod(map[string]string{"spark-role": role})
		p.Namespace = "etl"
		for handler, handle := range map[string]func(context.Context, admission.Request) admission.Response{"mutate": h.Handle, "validate": v.Handle} {
			resp := handle(context.Background(), podRequest(t, p))
			if resp.Allowed || resp.Result.Code != http.StatusServiceUnavailable || !strings.Contains(resp.Result.Message, `Layer "broken"`) {
				t.Errorf("%s in etl, %s: allowed %v result %+v", role, handler, resp.Allowed, resp.Result)
			}
		}
	}
	plain := pod(map[string]string{"app": "web"})
	plain.Namespace = "etl"
	if resp := v.Handle(context.Background(), podRequest(t, plain)); resp.Allowed {
		t.Error("a plain pod in etl got past an invalid Layer that may hold its rules")
	}
	other := pod(map[string]string{"spark-role": "driver"})
	other.Namespace = "geo"
	if resp := h.Handle(context.Background(), podRequest(t, other)); !resp.Allowed || len(opsOf(t, resp)) == 0 {
		t.Errorf("a pod the invalid Layer does not match: %+v", resp.Result)
	}
}

// TestPodValidatorOperations: UPDATE and the subresources are judged with
// the stored pod; DELETE and CONNECT are not judged.
func TestPodValidatorOperations(t *testing.T) {
	l := teamLayer()
	l.Spec.Config.Isolation = &v1alpha1.Isolation{AllowedRegistries: []string{"mirror.internal"}}
	v := newTestPodValidator(t, l)
	old := pod(map[string]string{"app": "web"})
	old.Namespace = "etl"
	old.Spec.Containers[0].Image = "mirror.internal/web:1"
	changed := old.DeepCopy()
	changed.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debug", Image: "docker.io/busybox"}}}
	req := podRequest(t, changed)
	req.Operation, req.SubResource = admissionv1.Update, "ephemeralcontainers"
	req.OldObject = podRequest(t, old).Object
	if resp := v.Handle(context.Background(), req); resp.Allowed || !strings.Contains(resp.Result.Message, `container "debug" image "docker.io/busybox"`) {
		t.Errorf("ephemeral container from a foreign registry: %+v", resp.Result)
	}
	req.OldObject.Raw = []byte("{")
	if resp := v.Handle(context.Background(), req); resp.Allowed || resp.Result.Code != http.StatusBadRequest {
		t.Errorf("an UPDATE whose stored pod does not decode: %+v", resp.Result)
	}
	for _, op := range []admissionv1.Operation{admissionv1.Delete, admissionv1.Connect} {
		r := podRequest(t, changed)
		r.Operation = op
		if resp := v.Handle(context.Background(), r); !resp.Allowed {
			t.Errorf("%s: %+v", op, resp.Result)
		}
	}
}

// TestShutdownDoesNotFailRequestsInFlight: a request whose server is
// shutting down (its context cancelled) is still decided, within the
// call's deadline.
func TestShutdownDoesNotFailRequestsInFlight(t *testing.T) {
	h, _, _ := newTestHandlers(t, teamLayer())
	var got admission.Response
	srv := withDeadline(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		got = h.Handle(r.Context(), podRequest(t, pod(map[string]string{"spark-role": "driver"})))
	}))
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the server's base context ends with the manager's
	srv.ServeHTTP(httptest.NewRecorder(), httptest.NewRequestWithContext(ctx, http.MethodPost, "/mutate-v1-pod?timeout=5s", nil))
	if !got.Allowed || len(opsOf(t, got)) == 0 {
		t.Fatalf("request in flight during shutdown: %+v", got.Result)
	}
}

// TestLimitInFlight: past max requests at once, one more is answered at
// once with 429 and Retry-After (which the API server's client retries),
// and counted; when a slot frees, requests are served again.
func TestLimitInFlight(t *testing.T) {
	shed := prometheus.NewCounter(prometheus.CounterOpts{Name: "shed"})
	release, entered := make(chan struct{}), make(chan struct{}, 2)
	h := limitInFlight(2, 0, shed)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		entered <- struct{}{}
		<-release
		w.WriteHeader(http.StatusOK)
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	done := make(chan int, 2)
	for range 2 {
		go func() {
			resp, err := http.Get(srv.URL)
			if err != nil {
				done <- 0
				return
			}
			_ = resp.Body.Close()
			done <- resp.StatusCode
		}()
	}
	<-entered
	<-entered
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" || testutil.ToFloat64(shed) != 1 {
		t.Fatalf("third request: %d, Retry-After %q, shed %v", resp.StatusCode, resp.Header.Get("Retry-After"), testutil.ToFloat64(shed))
	}
	close(release)
	for range 2 {
		if code := <-done; code != http.StatusOK {
			t.Fatalf("a request within the limit got %d", code)
		}
	}
	resp, err = http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("after the slots freed: %d", resp.StatusCode)
	}
}

// TestNoLimitInFlight: a limit of zero or less serves every request.
func TestNoLimitInFlight(t *testing.T) {
	for _, max := range []int{0, -1} {
		shed := prometheus.NewCounter(prometheus.CounterOpts{Name: "shed"})
		h := limitInFlight(max, int64(max), shed)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusOK)
		}))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/validate-v1-pod", nil))
		if rec.Code != http.StatusOK || testutil.ToFloat64(shed) != 0 {
			t.Errorf("--max-in-flight %d: %d, shed %v", max, rec.Code, testutil.ToFloat64(shed))
		}
	}
}

// TestInFlightBytes: request bodies together hold at most the byte limit;
// large ones (over 1/16 of it) at most half of it, so a flood of large
// requests never sheds a small one; a body of unknown length weighs as the
// largest review; a request larger than the large share is served when no
// other large one is; what a shed request took is given back.
func TestInFlightBytes(t *testing.T) {
	const limit = 1 << 20 // large: over 64 KiB; their share 512 KiB
	type step struct {
		size    int64 // -1: unknown
		served  bool
		release int // when > 0, release the step of that number (1-based) first
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"small ones fill the whole limit", append(slices.Repeat([]step{{size: 64 << 10, served: true}}, 16),
			step{size: 1, served: false}, step{size: 64 << 10, served: true, release: 3})},
		{"large ones get half", []step{{size: 200 << 10, served: true}, {size: 200 << 10, served: true},
			{size: 200 << 10, served: false}, {size: 60 << 10, served: true}, {size: 60 << 10, served: true}}},
		{"a flood of large ones leaves room for small ones", []step{{size: 3 << 20, served: true}, {size: 65 << 10, served: false},
			{size: 64 << 10, served: true}, {size: 64 << 10, served: true}, {size: 64 << 10, served: true}}},
		{"one larger than the share is served alone", []step{{size: 3 << 20, served: true}, {size: 3 << 20, served: false},
			{size: 3 << 20, served: true, release: 1}}},
		{"unknown length weighs as the largest review", []step{{size: -1, served: true}, {size: 100 << 10, served: false},
			{size: 64 << 10, served: true}}},
		{"a shed large request gives back its bytes", []step{{size: 512 << 10, served: true}, {size: 65 << 10, served: false},
			{size: 64 << 10, served: true}, {size: 64 << 10, served: true}, {size: 64 << 10, served: true}, {size: 64 << 10, served: true},
			{size: 64 << 10, served: true}, {size: 64 << 10, served: true}, {size: 64 << 10, served: true}, {size: 64 << 10, served: true},
			{size: 1, served: false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newInFlight(0, limit)
			holds := make([]held, len(tt.steps))
			for i, s := range tt.steps {
				if s.release > 0 {
					l.release(holds[s.release-1])
					holds[s.release-1] = held{}
				}
				h, ok := l.acquire(s.size)
				if ok != s.served {
					t.Fatalf("step %d (%d bytes): served %v, want %v", i+1, s.size, ok, s.served)
				}
				holds[i] = h
			}
			for _, h := range holds {
				l.release(h)
			}
			// Everything given back: the whole limit, and the whole share.
			if !l.bytes.TryAcquire(limit) || !l.large.TryAcquire(limit/2) {
				t.Fatal("not everything was given back")
			}
		})
	}
}

// TestLimitBytesInFlight: through the handler, a large request in flight
// has a second large one answered 429 with Retry-After and counted, while
// a small one is served; with both limits set, the request count still
// applies.
func TestLimitBytesInFlight(t *testing.T) {
	shed := prometheus.NewCounter(prometheus.CounterOpts{Name: "shed"})
	release, entered := make(chan struct{}), make(chan struct{}, 1)
	h := limitInFlight(2, 1<<20, shed)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > 64<<10 {
			entered <- struct{}{}
			<-release
		}
		w.WriteHeader(http.StatusOK)
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	post := func(size int) *http.Response {
		resp, err := http.Post(srv.URL, "application/json", bytes.NewReader(make([]byte, size)))
		if err != nil {
			t.Error(err)
			return nil
		}
		_ = resp.Body.Close()
		return resp
	}
	done := make(chan *http.Response)
	go func() { done <- post(3 << 20) }()
	<-entered
	if resp := post(100 << 10); resp == nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("a second large request: %+v", resp)
	}
	if got := testutil.ToFloat64(shed); got != 1 {
		t.Fatalf("shed %v, want 1", got)
	}
	if resp := post(10 << 10); resp == nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("a small request beside a large one: %+v", resp)
	}
	close(release)
	if resp := <-done; resp == nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the large request: %+v", resp)
	}
	if resp := post(100 << 10); resp == nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("a large request once the first is done: %+v", resp)
	}
}
