package app

import (
	"context"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// TestRebuildsAreSpaced: a change that comes within minInterval of the last
// rebuild is not built at once but folded into a rebuild that is due when
// the interval has passed; the first snapshot is never delayed.
func TestRebuildsAreSpaced(t *testing.T) {
	scheme, err := NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	l := teamLayer()
	m, _, _ := newTestHandlers(t)
	b := &snapshotBuilder{reader: fake.NewClientBuilder().WithScheme(scheme).WithObjects(&l).Build(),
		store: &Store{}, metrics: m.Metrics, minInterval: time.Hour}
	ctx := context.Background()
	if res, err := b.Reconcile(ctx, snapshotKey); err != nil || res.RequeueAfter != 0 || b.store.Load() == nil {
		t.Fatalf("first rebuild delayed or failed: %v %v", res, err)
	}
	if res, err := b.Reconcile(ctx, snapshotKey); err != nil || res.RequeueAfter <= 0 || b.store.Load().Generation != 1 {
		t.Fatalf("a rebuild within the interval was not deferred: %v %v, generation %d", res, err, b.store.Load().Generation)
	}
	b.lastBuild = time.Now().Add(-2 * time.Hour)
	if res, err := b.Reconcile(ctx, snapshotKey); err != nil || res.RequeueAfter != 0 || b.store.Load().Generation != 2 {
		t.Fatalf("the deferred rebuild did not happen: %v %v", res, err)
	}
	if got := b.store.Load().Match(overlay.Target{Namespace: "etl", Role: v1alpha1.RoleDriver}); len(got) != 1 {
		t.Fatalf("the snapshot holds %d layers, want the one Layer", len(got))
	}
}
