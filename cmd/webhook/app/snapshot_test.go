package app

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

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

// TestRebuildReadsWhatChanged: after the first snapshot, a rebuild reads
// the Layers the watches named (created, changed or deleted) and the
// Namespaces when one changed, and nothing else; a read that fails leaves
// the changes for the next rebuild.
func TestRebuildReadsWhatChanged(t *testing.T) {
	scheme, err := NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	first := teamLayer()
	failGet := false
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(&first).WithInterceptorFuncs(interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if failGet {
				return errors.New("cache unavailable")
			}
			return c.Get(ctx, key, obj, opts...)
		},
	}).Build()
	m, _, _ := newTestHandlers(t)
	b := &snapshotBuilder{reader: c, store: &Store{}, metrics: m.Metrics}
	rebuild := func() *overlay.Snapshot {
		t.Helper()
		if _, err := b.Reconcile(ctx, snapshotKey); err != nil {
			t.Fatal(err)
		}
		return b.store.Load().Snapshot
	}
	names := func(s *overlay.Snapshot) []string {
		var out []string
		for _, l := range s.Match(overlay.Target{Namespace: "etl", Role: v1alpha1.RoleDriver}) {
			out = append(out, l.Name)
		}
		return out
	}
	if got := names(rebuild()); !slices.Equal(got, []string{"ns-etl"}) {
		t.Fatalf("first snapshot: %v", got)
	}

	second, unseen := teamLayer(), teamLayer()
	second.Name, unseen.Name = "second", "unseen"
	for _, l := range []*v1alpha1.Layer{&second, &unseen} {
		if err := c.Create(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Delete(ctx, &first); err != nil {
		t.Fatal(err)
	}
	b.changed.layer("second")
	b.changed.layer("ns-etl")
	failGet = true
	if _, err := b.Reconcile(ctx, snapshotKey); err == nil {
		t.Fatal("a rebuild whose reads failed served a snapshot")
	}
	failGet = false
	if got := names(rebuild()); !slices.Equal(got, []string{"second"}) {
		t.Fatalf("after the failed read, the rebuild gave %v, want the changes it had taken: [second]", got)
	}

	ns := &corev1.Namespace{}
	ns.Name, ns.Labels = "etl", map[string]string{"tier": "gold"}
	if err := c.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	if got := rebuild().NamespaceLabels("etl")["tier"]; got != "" {
		t.Fatalf("a Namespace no watch reported was read: tier=%q", got)
	}
	b.changed.other()
	if got := rebuild().NamespaceLabels("etl")["tier"]; got != "gold" {
		t.Fatalf("the changed Namespace was not read: tier=%q", got)
	}
}

// TestRebuildThatPanicsLosesNothing: a rebuild that panics after taking
// the changes (controller-runtime recovers the panic and retries) leaves
// them for the retry, which compiles everything again.
func TestRebuildThatPanicsLosesNothing(t *testing.T) {
	scheme, err := NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	first := teamLayer()
	panicOn := ""
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(&first).WithInterceptorFuncs(interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if key.Name == panicOn {
				panic("a bug on Layer " + key.Name)
			}
			return c.Get(ctx, key, obj, opts...)
		},
	}).Build()
	m, _, _ := newTestHandlers(t)
	b := &snapshotBuilder{reader: c, store: &Store{}, metrics: m.Metrics}
	if _, err := b.Reconcile(ctx, snapshotKey); err != nil {
		t.Fatal(err)
	}
	second := teamLayer()
	second.Name = "second"
	if err := c.Create(ctx, &second); err != nil {
		t.Fatal(err)
	}
	b.changed.layer("second")
	panicOn = "second"
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the rebuild did not panic")
			}
		}()
		_, _ = b.Reconcile(ctx, snapshotKey)
	}()
	panicOn = ""
	if b.store.Load().Generation != 1 {
		t.Fatal("a rebuild that panicked served a snapshot")
	}
	if _, err := b.Reconcile(ctx, snapshotKey); err != nil {
		t.Fatal(err)
	}
	if got := b.store.Load().LayerCount(); got != 2 {
		t.Fatalf("after the panic the retry serves %d Layers, want 2: the change it had taken was lost", got)
	}
}

// TestChangeSetAsksForOneRebuild: only the first change since a rebuild
// took the set asks for another; a failed rebuild's changes, put back,
// are already asked for (the failed reconcile is retried).
func TestChangeSetAsksForOneRebuild(t *testing.T) {
	var c changeSet
	if !c.layer("a") {
		t.Fatal("the first change did not ask for a rebuild")
	}
	if c.layer("b") || c.other() || c.layer("a") {
		t.Fatal("a change with one pending asked for another rebuild")
	}
	layers, others := c.take()
	if len(layers) != 2 || !others {
		t.Fatalf("took %v, %v", layers, others)
	}
	if !c.other() {
		t.Fatal("the first change after a rebuild took the set did not ask for one")
	}
	c.take()
	c.putBack(layers, others)
	if c.layer("c") {
		t.Fatal("a change with put-back ones pending asked for another rebuild")
	}
}
