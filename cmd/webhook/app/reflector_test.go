package app

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	testingclock "k8s.io/utils/clock/testing"
)

// TestTimeoutOf: a list or watch that asks for a timeout gets it; one
// that asks for none has none.
func TestTimeoutOf(t *testing.T) {
	seconds := int64(300)
	if got := timeoutOf(metav1.ListOptions{TimeoutSeconds: &seconds}); got != 5*time.Minute {
		t.Errorf("timeout %s, want 5m", got)
	}
	if got := timeoutOf(metav1.ListOptions{}); got != 0 {
		t.Errorf("timeout %s, want none", got)
	}
}

// TestWatchBackoff: however many times in a row a watch fails (the API
// server restarting, then refusing while its RBAC warms), it tries again
// within 6 s, and starts from half a second once it has been well for the
// reset interval.
func TestWatchBackoff(t *testing.T) {
	clock := testingclock.NewFakeClock(time.Now())
	delay := watchBackoff().DelayWithReset(clock, 2*time.Minute)
	var most time.Duration
	for i := range 40 {
		d := delay()
		if d <= 0 || d > 6*time.Second {
			t.Fatalf("wait %d after errors in a row: %s, want within (0, 6s]", i+1, d)
		}
		most = max(most, d)
		clock.Step(d)
	}
	if most < 4*time.Second {
		t.Errorf("the longest wait was %s: the backoff never reached its 4 s cap", most)
	}
	clock.Step(3 * time.Minute)
	if d := delay(); d > 750*time.Millisecond {
		t.Errorf("first wait after a long quiet spell: %s, want the initial 0.5 s (up to half again)", d)
	}
}

// TestWatchFailuresAreCounted: a list or a watch the API server refuses
// counts in the watch's failures, one it answers does not, nor does a call
// ended by the watch's own context (the webhook stopping).
func TestWatchFailuresAreCounted(t *testing.T) {
	var refuse atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if refuse.Load() {
			http.Error(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","code":403}`, http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", runtime.ContentTypeJSON)
		if r.URL.Query().Get("watch") == "true" {
			return // a watch that ends at once
		}
		_, _ = w.Write([]byte(`{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[]}`))
	}))
	defer srv.Close()
	cfg := &rest.Config{Host: srv.URL, APIPath: "/api", ContentConfig: rest.ContentConfig{
		GroupVersion: &corev1.SchemeGroupVersion, NegotiatedSerializer: scheme.Codecs.WithoutConversion(), ContentType: runtime.ContentTypeJSON}}
	c, err := rest.RESTClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	failures := prometheus.NewCounter(prometheus.CounterOpts{Name: "failures"})
	lw := watched{resource: "pods", params: scheme.ParameterCodec, failures: failures}.listWatch(c)
	ctx := t.Context()

	if _, err := lw.ListWithContext(ctx, metav1.ListOptions{}); err != nil {
		t.Fatalf("list: %v", err)
	}
	w, err := lw.WatchWithContext(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("watch: %v", err)
	}
	w.Stop()
	if got := testutil.ToFloat64(failures); got != 0 {
		t.Errorf("%v failures counted of calls answered", got)
	}
	refuse.Store(true)
	if _, err := lw.ListWithContext(ctx, metav1.ListOptions{}); err == nil {
		t.Fatal("a refused list returned no error")
	}
	if _, err := lw.WatchWithContext(ctx, metav1.ListOptions{}); err == nil {
		t.Fatal("a refused watch returned no error")
	}
	if got := testutil.ToFloat64(failures); got != 2 {
		t.Errorf("%v failures counted of a refused list and a refused watch, want 2", got)
	}
	stopped, cancel := context.WithCancel(ctx)
	cancel()
	_, _ = lw.ListWithContext(stopped, metav1.ListOptions{})
	_, _ = lw.WatchWithContext(stopped, metav1.ListOptions{})
	if got := testutil.ToFloat64(failures); got != 2 {
		t.Errorf("%v failures counted after calls the watch's own context ended, want 2", got)
	}
}

// TestInformerWatchErrorsAreCounted: a failed list or watch of one of the
// manager's informers counts under the kind it watches; a watch that ended
// as watches do, and one ended by the informer's own context, do not.
func TestInformerWatchErrorsAreCounted(t *testing.T) {
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	r := toolscache.NewReflectorWithOptions(&toolscache.ListWatch{}, &corev1.Namespace{}, toolscache.NewStore(toolscache.MetaNamespaceKeyFunc), toolscache.ReflectorOptions{})
	ctx := t.Context()
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "namespaces"}, "", errors.New("no"))
	gone := &apierrors.StatusError{ErrStatus: metav1.Status{Status: metav1.StatusFailure, Code: http.StatusGone, Reason: metav1.StatusReasonGone}}
	for _, err := range []error{forbidden, io.EOF, io.ErrUnexpectedEOF, apierrors.NewResourceExpired("too old"), gone, errors.New("connection refused")} {
		m.informerWatchError(ctx, r, err)
	}
	stopped, cancel := context.WithCancel(ctx)
	cancel()
	m.informerWatchError(stopped, r, forbidden)
	if got := testutil.ToFloat64(m.watchFailures.WithLabelValues("Namespace")); got != 2 {
		t.Errorf("%v failures counted for Namespace, want 2 (forbidden, connection refused)", got)
	}
	if got := testutil.CollectAndCount(m.watchFailures); got != 1 {
		t.Errorf("%d kinds counted, want Namespace only", got)
	}
	var none *Metrics
	none.informerWatchError(ctx, r, forbidden) // no metrics: logs only
}
