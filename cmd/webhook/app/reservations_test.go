package app

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/strata-dev/strata/pkg/policy"
)

// TestReservationCheck: a round releases the reservation of a pod the API
// server does not hold, keeps that of a pod it holds and of one it cannot
// be asked about, ends that of a pod the watch holds without asking, and
// leaves a reservation younger than its wait alone.
func TestReservationCheck(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	stored := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "etl", Name: "stored"}}
	pods := fake.NewClientBuilder().WithScheme(scheme).WithObjects(stored).WithInterceptorFuncs(interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if key.Name == "unreadable" {
				return errors.New("the API server is away")
			}
			return c.Get(ctx, key, obj, opts...)
		}}).Build()
	ledger := policy.NewLedger(time.Minute)
	reserve := func(name string) {
		pod := policy.LivePod{Key: "etl/" + name, Namespace: "etl", Usage: policy.Usage{Pods: 1}}
		if ok, err := ledger.Admit(pod, policy.NewTracker(), true, func(policy.Inventory) (bool, error) { return true, nil }); !ok || err != nil {
			t.Fatalf("%s: %v %v", name, ok, err)
		}
	}
	for _, name := range []string{"refused", "stored", "unreadable", "seen"} {
		reserve(name)
	}
	counted := prometheus.NewCounter(prometheus.CounterOpts{Name: "released"})
	// The watch holds "seen": its reservation ends without a question
	// (the fake API server holds no such pod).
	live := policy.TrackerOf([]policy.LivePod{{Key: "etl/seen", Namespace: "etl", Usage: policy.Usage{Pods: 1}}})
	c := &reservationCheck{ledger: ledger, live: live, pods: pods, after: 0, limit: 10, released: counted, log: logr.Discard()}
	if released := c.round(context.Background()); released != 1 || ledger.Reserved() != 2 || testutil.ToFloat64(counted) != 1 {
		t.Fatalf("released %d (counted %v), %d reserved: want the refused pod's released", released, testutil.ToFloat64(counted), ledger.Reserved())
	}
	reserve("refused") // created again, just now
	c.after = time.Hour
	if released := c.round(context.Background()); released != 0 || ledger.Reserved() != 3 {
		t.Fatalf("released %d, %d reserved: want none checked yet", released, ledger.Reserved())
	}
}
