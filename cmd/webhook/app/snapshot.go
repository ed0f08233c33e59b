package app

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// Served is a snapshot with its generation.
type Served struct {
	*overlay.Snapshot
	// Generation counts the good configurations loaded, from 1.
	Generation int64
}

// Store holds the snapshot being served. Every admission loads it once, so
// it sees one consistent configuration; a new one is swapped in whole.
type Store struct {
	current atomic.Pointer[Served]
}

// NewStore returns a store serving snap as generation 1 (for tools and
// tests that drive the handlers without the snapshot controller).
func NewStore(snap *overlay.Snapshot) *Store {
	s := &Store{}
	s.swap(snap)
	return s
}

// Load returns the snapshot being served, or nil before the first one.
func (s *Store) Load() *Served { return s.current.Load() }

// swap serves snap as the next generation.
func (s *Store) swap(snap *overlay.Snapshot) *Served {
	next := &Served{Snapshot: snap, Generation: 1}
	if prev := s.current.Load(); prev != nil {
		next.Generation = prev.Generation + 1
	}
	s.current.Store(next)
	return next
}

// snapshotKey is the one request the snapshot controller works on: every
// change of a Layer, Namespace or PriorityClass enqueues it, and the work
// queue folds a burst of changes into one rebuild.
var snapshotKey = reconcile.Request{NamespacedName: types.NamespacedName{Name: "snapshot"}}

// snapshotBuilder rebuilds the snapshot from the informer cache.
type snapshotBuilder struct {
	reader   client.Reader
	store    *Store
	metrics  *Metrics
	recorder recorder.EventRecorder
	log      logr.Logger
	// compiler validates only the Layers that changed since the last
	// rebuild; Reconcile is its only user (one at a time).
	compiler overlay.Compiler
	// minInterval spaces rebuilds: changes that arrive within it of the
	// last rebuild are folded into the next one.
	minInterval time.Duration
	lastBuild   time.Time
}

// rebuildInterval is the default minInterval. A Layer change reaches
// admissions at most this much later; a GitOps sync that applies
// thousands of Layers rebuilds the snapshot ten times a second, not once
// per Layer.
const rebuildInterval = 100 * time.Millisecond

func (b *snapshotBuilder) setupWithManager(mgr ctrl.Manager) error {
	always := handler.EnqueueRequestsFromMapFunc(func(context.Context, client.Object) []reconcile.Request {
		return []reconcile.Request{snapshotKey}
	})
	return ctrl.NewControllerManagedBy(mgr).
		Named("strata-snapshot").
		// A process may run the webhook more than once (the end-to-end tests
		// restart it); each run has its own manager.
		WithOptions(controller.Options{SkipNameValidation: ptr.To(true)}).
		Watches(&v1alpha1.Layer{}, always).
		Watches(&corev1.Namespace{}, always).
		Watches(&schedulingv1.PriorityClass{}, always).
		Complete(b)
}

// Reconcile compiles the cached Layers, Namespaces and PriorityClasses into
// a snapshot and serves it. A Layer that does not compile is left out, gets
// a Warning Event, and the pods it would match are refused until it is
// fixed (Snapshot.Blocked); every other pod is served as usual, so one bad
// Layer is not an outage, at startup or later.
func (b *snapshotBuilder) Reconcile(ctx context.Context, _ reconcile.Request) (reconcile.Result, error) {
	if wait := b.minInterval - time.Since(b.lastBuild); wait > 0 && b.store.Load() != nil {
		return reconcile.Result{RequeueAfter: wait}, nil
	}
	b.lastBuild = time.Now()
	in, err := b.read(ctx)
	if err != nil {
		return reconcile.Result{}, err
	}
	snap, err := b.compiler.Compile(in)
	b.metrics.brokenLayers.Set(float64(snap.Broken()))
	if err != nil {
		// Not returned: retrying cannot fix a bad Layer; its next change will.
		b.metrics.compileErrors.Inc()
		b.reportCompileError(in, err)
	}
	served := b.store.swap(snap)
	b.metrics.layersLoaded.Set(float64(snap.LayerCount()))
	b.metrics.generation.Set(float64(served.Generation))
	b.log.Info("serving new snapshot", "generation", served.Generation, "layers", snap.LayerCount(),
		"namespaces", len(in.Namespaces), "priorityClasses", len(in.PriorityClasses))
	return reconcile.Result{}, nil
}

func (b *snapshotBuilder) read(ctx context.Context) (overlay.Inputs, error) {
	var (
		layers     v1alpha1.LayerList
		namespaces corev1.NamespaceList
		classes    schedulingv1.PriorityClassList
		in         overlay.Inputs
	)
	// Not copied out of the cache: compiling reads the Layers and copies
	// only the ones that changed.
	if err := b.reader.List(ctx, &layers, client.UnsafeDisableDeepCopy); err != nil {
		return in, fmt.Errorf("listing Layers: %w", err)
	}
	if err := b.reader.List(ctx, &namespaces); err != nil {
		return in, fmt.Errorf("listing Namespaces: %w", err)
	}
	if err := b.reader.List(ctx, &classes); err != nil {
		return in, fmt.Errorf("listing PriorityClasses: %w", err)
	}
	for i := range layers.Items {
		in.Layers = append(in.Layers, overlay.LayerSource{Layer: layers.Items[i]})
	}
	in.Namespaces, in.PriorityClasses = namespaces.Items, classes.Items
	return in, nil
}

func (b *snapshotBuilder) reportCompileError(in overlay.Inputs, err error) {
	generation := int64(0)
	if cur := b.store.Load(); cur != nil {
		generation = cur.Generation
	}
	b.log.Error(err, "layers do not compile; they are left out and the pods they match are refused", "servingGeneration", generation)
	byName := map[string]*v1alpha1.Layer{}
	for i := range in.Layers {
		byName[in.Layers[i].Layer.Name] = &in.Layers[i].Layer
	}
	for _, e := range joinedErrors(err) {
		var le *overlay.LayerError
		if errors.As(e, &le) {
			if l, ok := byName[le.Layer]; ok {
				b.recorder.Eventf(l, nil, corev1.EventTypeWarning, "CompileFailed", "Compile",
					"layer not loaded; pods it matches are refused until it is fixed (generation %d): %s", generation+1, le.Error())
			}
		}
	}
}

func joinedErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// blocked returns the error of an invalid Layer that would apply to pod:
// as its Spark role, or, for any other pod (judged as both roles), as
// either role.
func blocked(snap *overlay.Snapshot, cluster mutate.Cluster, pod *corev1.Pod) error {
	roles := []v1alpha1.Role{v1alpha1.RoleDriver, v1alpha1.RoleExecutor}
	if role, spark := mutate.SparkRole(pod); spark {
		roles = []v1alpha1.Role{role}
	}
	for _, role := range roles {
		if err := snap.Blocked(mutate.TargetOf(cluster, pod, role)); err != nil {
			return err
		}
	}
	return nil
}
