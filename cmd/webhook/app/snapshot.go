package app

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// Served is a snapshot with its generation.
type Served struct {
	*overlay.Snapshot
	// Generation counts the good configurations loaded, from 1.
	Generation int64
	// replaced is closed when a newer snapshot is served.
	replaced chan struct{}
	// until is when it stopped being served; zero while it is.
	until time.Time
}

// Store holds the snapshot being served. Every admission loads it once, so
// it sees one consistent configuration; a new one is swapped in whole. It
// keeps the snapshots it served last (Recent), so that a pod composed with
// one of them, by another replica or before the Layers changed, can be
// judged with the Layers that composed it.
type Store struct {
	current atomic.Pointer[Served]

	mu sync.Mutex
	// recent are the snapshots served before the current one, newest
	// last, at most keptSnapshots, each replaced within keptFor.
	recent []*Served
}

// keptSnapshots and keptFor bound what a Store keeps of what it served:
// the snapshots of the last seconds, where a pod composed by one replica
// reaches another's judgment, or the next generation's, in milliseconds.
const (
	keptSnapshots = 8
	keptFor       = 10 * time.Second
)

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
	return s.swapAt(snap, time.Now())
}

// swapAt is swap at the time now: the one served so far is kept
// (Recent) as replaced then.
func (s *Store) swapAt(snap *overlay.Snapshot, now time.Time) *Served {
	next := &Served{Snapshot: snap, Generation: 1, replaced: make(chan struct{})}
	s.mu.Lock()
	defer s.mu.Unlock()
	prev := s.current.Load()
	if prev != nil {
		next.Generation = prev.Generation + 1
		prev.until = now
		s.recent = append(s.recent, prev)
	}
	s.current.Store(next)
	if prev != nil {
		close(prev.replaced) // after the store: who waits on it loads next
	}
	s.trimLocked(now)
	return next
}

// trimLocked forgets the snapshots replaced more than keptFor before now,
// and all but the newest keptSnapshots.
func (s *Store) trimLocked(now time.Time) {
	drop := max(0, len(s.recent)-keptSnapshots)
	for drop < len(s.recent) && now.Sub(s.recent[drop].until) > keptFor {
		drop++
	}
	s.recent = slices.Delete(s.recent, 0, drop)
}

// Recent returns the snapshots served before the current one and replaced
// within keptFor, newest first.
func (s *Store) Recent() []*Served {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.trimLocked(time.Now())
	out := slices.Clone(s.recent)
	slices.Reverse(out)
	return out
}

// Newer waits until a snapshot newer than served is served, and returns
// it; nil when none is within wait or before ctx ends.
func (s *Store) Newer(ctx context.Context, served *Served, wait time.Duration) *Served {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-served.replaced:
		return s.Load()
	case <-timer.C:
	case <-ctx.Done():
	}
	return nil
}

// snapshotKey is the one request the snapshot controller works on: every
// change of a Layer, Namespace, PriorityClass, RuntimeClass or admission
// policy enqueues it, and the work queue folds a burst of changes into one
// rebuild.
var snapshotKey = reconcile.Request{NamespacedName: types.NamespacedName{Name: "snapshot"}}

// snapshotBuilder rebuilds the snapshot from the Layer watch and the
// informer cache of Namespaces, PriorityClasses and RuntimeClasses.
type snapshotBuilder struct {
	layers   *layerWatch
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
	// changed is what the watches saw change since the last rebuild;
	// compiled says the compiler has a snapshot to change.
	changed  changeSet
	compiled bool
	// admission is the API server's admission configuration
	// (--admission-config), given to every snapshot.
	admission overlay.Admission
}

// changeSet collects, from the watch events, the names of the Layers that
// changed and whether a Namespace, PriorityClass or RuntimeClass did, so a rebuild reads
// and compiles only those: with thousands of Layers, one change costs the
// webhook the changed Layer, not a copy of every Layer.
type changeSet struct {
	mu     sync.Mutex
	layers map[string]bool
	others bool
}

// layer notes that the named Layer changed. It reports whether the set
// was empty: only the first change since a rebuild took the set needs to
// ask for one, the rebuild that takes it comes anyway for the rest.
func (c *changeSet) layer(name string) (first bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	first = c.emptyLocked()
	if c.layers == nil {
		c.layers = map[string]bool{}
	}
	c.layers[name] = true
	return first
}

// other notes that a Namespace, PriorityClass or RuntimeClass changed, as layer does.
func (c *changeSet) other() (first bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	first = c.emptyLocked()
	c.others = true
	return first
}

func (c *changeSet) emptyLocked() bool { return len(c.layers) == 0 && !c.others }

// empty reports whether nothing changed since the last rebuild took the set.
func (c *changeSet) empty() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.emptyLocked()
}

// take returns what changed and starts a new set.
func (c *changeSet) take() (layers map[string]bool, others bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	layers, others = c.layers, c.others
	c.layers, c.others = nil, false
	return layers, others
}

// putBack returns what a failed rebuild took, to be read again.
func (c *changeSet) putBack(layers map[string]bool, others bool) {
	for name := range layers {
		c.layer(name)
	}
	if others {
		c.other()
	}
}

// rebuildInterval is the default minInterval. A Layer change reaches
// admissions at most this much later; a GitOps sync that applies
// thousands of Layers rebuilds the snapshot ten times a second, not once
// per Layer.
const rebuildInterval = 100 * time.Millisecond

// recheckInterval is how often the snapshot controller looks for changes
// no event asked it to rebuild (none should be left so; one that is is
// logged and rebuilt), and the longest it waits to retry a rebuild that
// failed: the webhook serves the last snapshot meanwhile, so a stale
// configuration lasts seconds, never the minutes of controller-runtime's
// default retry backoff (up to 1,000 s).
const recheckInterval = 5 * time.Second

// snapshotRateLimiter spaces the retries of a failed rebuild: 100 ms
// doubling to recheckInterval.
func snapshotRateLimiter() workqueue.TypedRateLimiter[reconcile.Request] {
	return workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](100*time.Millisecond, recheckInterval)
}

func (b *snapshotBuilder) setupWithManager(mgr ctrl.Manager) error {
	// A change asks for a rebuild only when it is the first since the last
	// one took the set: the rebuild already asked for (waiting out
	// minInterval, or retried after a failed read) takes the others. A
	// GitOps sync of thousands of Layers so costs a few reconciles, not one
	// per event.
	enqueue := func(record func(client.Object) bool) handler.EventHandler {
		return handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
			if !record(o) {
				return nil
			}
			return []reconcile.Request{snapshotKey}
		})
	}
	other := enqueue(func(client.Object) bool { return b.changed.other() })
	// The Layer watch notes each change itself and asks for a rebuild
	// through asked; one pending ask is enough.
	asked := make(chan event.TypedGenericEvent[struct{}], 1)
	b.layers = newLayerWatch(&b.changed, func() {
		select {
		case asked <- event.TypedGenericEvent[struct{}]{}:
		default:
		}
	})
	var failures prometheus.Counter
	if b.metrics != nil {
		failures = b.metrics.watchFailures.WithLabelValues("Layer")
	}
	if err := b.layers.start(mgr, failures); err != nil {
		return err
	}
	rebuild := handler.TypedEnqueueRequestsFromMapFunc(func(context.Context, struct{}) []reconcile.Request {
		return []reconcile.Request{snapshotKey}
	})
	bld := ctrl.NewControllerManagedBy(mgr).
		Named("strata-snapshot").
		// A process may run the webhook more than once (the end-to-end tests
		// restart it); each run has its own manager.
		WithOptions(controller.Options{SkipNameValidation: ptr.To(true), RateLimiter: snapshotRateLimiter()}).
		WatchesRawSource(source.Channel(asked, rebuild))
	for _, w := range otherWatches() {
		bld = bld.Watches(w.object, other, builder.WithPredicates(w.changed...))
	}
	return bld.Complete(b)
}

// otherWatch is a watch of a kind a snapshot reads besides the Layers
// (readOthers), and which of its changes rebuild one (every change where
// none is given).
type otherWatch struct {
	object  client.Object
	changed []predicate.Predicate
}

// otherWatches are the watches of every kind readOthers reads, which keep
// the cache it reads them from; TestOtherWatchesAreWhatIsRead holds the two
// together.
func otherWatches() []otherWatch {
	return []otherWatch{
		{object: &corev1.Namespace{}, changed: []predicate.Predicate{namespaceReadChanged}},
		{object: &schedulingv1.PriorityClass{}},
		{object: &nodev1.RuntimeClass{}},
		// What the LimitRanger plugin gives and refuses, warned of
		// (mutate.LayerLimitWarnings).
		{object: &corev1.LimitRange{}},
		// What the ResourceQuota admission requires of pods, warned of
		// (mutate.QuotaRefusals). A quota's usage changes with every pod
		// created or deleted in its namespace, which changes nothing a
		// snapshot holds: only a change of what it bounds rebuilds one.
		{object: &corev1.ResourceQuota{}, changed: []predicate.Predicate{quotaBoundsChanged}},
		// Whether the policy keeping Namespaces' placement annotations to
		// platform admins is in force (overlay.NamespacePlacementGuarded):
		// only it and its bindings, of the cluster's many.
		{object: &admissionregistrationv1.ValidatingAdmissionPolicy{}, changed: []predicate.Predicate{placementPolicyChanged}},
		{object: &admissionregistrationv1.ValidatingAdmissionPolicyBinding{}, changed: []predicate.Predicate{placementPolicyChanged}},
	}
}

// Reconcile compiles the cached Layers, Namespaces, PriorityClasses and
// RuntimeClasses into a snapshot and serves it: the first time all of
// them, then only what the watches saw change (overlay.Compiler.Update).
// A Layer that does not compile is left out, gets a Warning Event, and
// the pods it would match are refused until it is fixed
// (Snapshot.Blocked); every other pod is served as usual, so one bad
// Layer is not an outage, at startup or later.
func (b *snapshotBuilder) Reconcile(ctx context.Context, _ reconcile.Request) (reconcile.Result, error) {
	first := !b.compiled
	if first && !b.layers.isSynced() {
		// Never a snapshot without the Layers: the first list, once in,
		// asks for this rebuild again.
		return reconcile.Result{RequeueAfter: recheckInterval}, nil
	}
	if !first && b.changed.empty() {
		// The periodic recheck, with nothing to do.
		return reconcile.Result{RequeueAfter: recheckInterval}, nil
	}
	if wait := b.minInterval - time.Since(b.lastBuild); wait > 0 && !first {
		return reconcile.Result{RequeueAfter: wait}, nil
	}
	b.lastBuild = time.Now()
	// Taken before reading: a change seen from now on rebuilds again.
	layerNames, others := b.changed.take()
	// A rebuild that panics (controller-runtime recovers it and retries
	// the request, or the process restarts) must not lose what it took,
	// and leaves the compiler in a state no one has tested: the retry
	// reads and compiles everything again.
	defer func() {
		if r := recover(); r != nil {
			b.compiled = false
			b.changed.putBack(layerNames, others)
			panic(r)
		}
	}()
	var (
		snap    *overlay.Snapshot
		changed map[string]*v1alpha1.Layer
		err     error
	)
	if first {
		var in overlay.Inputs
		if in, err = b.readAll(ctx); err != nil {
			b.changed.putBack(layerNames, others)
			return reconcile.Result{}, err
		}
		changed = make(map[string]*v1alpha1.Layer, len(in.Layers))
		for i := range in.Layers {
			changed[in.Layers[i].Layer.Name] = &in.Layers[i].Layer
		}
		snap, err = b.compiler.Compile(in)
		b.compiled = true
	} else {
		var refreshed *overlay.Inputs
		if changed, refreshed, err = b.readChanges(ctx, layerNames, others); err != nil {
			b.changed.putBack(layerNames, others)
			return reconcile.Result{}, err
		}
		snap, err = b.compiler.Update(changed, refreshed)
	}
	b.metrics.brokenLayers.Set(float64(snap.Broken()))
	if err != nil {
		// Not returned: retrying cannot fix a bad Layer; its next change will.
		b.metrics.compileErrors.Inc()
		b.reportCompileError(changed, err)
	}
	served := b.store.swap(snap)
	b.metrics.layersLoaded.Set(float64(snap.LayerCount()))
	b.metrics.generation.Set(float64(served.Generation))
	b.log.Info("serving new snapshot", "generation", served.Generation, "layers", snap.LayerCount(),
		"changedLayers", len(changed), "namespacesOrClassesChanged", first || others)
	return reconcile.Result{RequeueAfter: recheckInterval}, nil
}

// readAll reads every Layer, Namespace, PriorityClass and RuntimeClass.
func (b *snapshotBuilder) readAll(ctx context.Context) (overlay.Inputs, error) {
	// Everything but the Layers, as a rebuild of the others reads it.
	in, err := b.readOthers(ctx)
	// Not copied: compiling reads the Layers and copies only the ones it
	// keeps.
	layers := b.layers.list()
	in.Layers = make([]overlay.LayerSource, len(layers))
	for i, l := range layers {
		in.Layers[i] = overlay.LayerSource{Layer: *l}
	}
	return in, err
}

// readChanges reads the named Layers (nil for one that is gone) and, when
// others, the Namespaces, PriorityClasses and RuntimeClasses.
func (b *snapshotBuilder) readChanges(ctx context.Context, names map[string]bool, others bool) (map[string]*v1alpha1.Layer, *overlay.Inputs, error) {
	layers := make(map[string]*v1alpha1.Layer, len(names))
	for name := range names {
		layers[name] = b.layers.get(name) // shared: compiling copies what it keeps
	}
	if !others {
		return layers, nil, nil
	}
	in, err := b.readOthers(ctx)
	return layers, &in, err
}

// readOthers reads what a snapshot is compiled from besides the Layers,
// from the cache the watches of setupWithManager keep (overlay.ReadCluster:
// the Namespaces, PriorityClasses, RuntimeClasses, admission policies,
// LimitRanges and ResourceQuotas), with the admission configuration read
// at start (--admission-config).
func (b *snapshotBuilder) readOthers(ctx context.Context) (overlay.Inputs, error) {
	in, err := overlay.ReadCluster(func(list overlay.ObjectList) error { return b.reader.List(ctx, list) }, overlay.ClusterParts{})
	if err != nil {
		return overlay.Inputs{}, err
	}
	in.Admission = b.admission
	return in, nil
}

// quotaBoundsChanged passes a ResourceQuota's creation and deletion, and
// an update of what it bounds (its spec, or the hard limits its status
// records), not one of its usage alone.
var quotaBoundsChanged = predicate.TypedFuncs[client.Object]{
	UpdateFunc: func(e event.UpdateEvent) bool {
		was, wasQuota := e.ObjectOld.(*corev1.ResourceQuota)
		is, isQuota := e.ObjectNew.(*corev1.ResourceQuota)
		return !wasQuota || !isQuota || !equality.Semantic.DeepEqual(was.Spec, is.Spec) || !equality.Semantic.DeepEqual(was.Status.Hard, is.Status.Hard)
	},
}

// namespaceReadChanged passes a Namespace's creation and deletion, and an
// update of what a snapshot reads of it: its labels (which Layers match
// it) and annotations (what the placement plugins give its pods). Its
// status, finalizers and managed fields, which the namespace controller
// rewrites while it deletes one, rebuild nothing.
var namespaceReadChanged = predicate.TypedFuncs[client.Object]{
	UpdateFunc: func(e event.UpdateEvent) bool {
		return !maps.Equal(e.ObjectOld.GetLabels(), e.ObjectNew.GetLabels()) || !maps.Equal(e.ObjectOld.GetAnnotations(), e.ObjectNew.GetAnnotations())
	},
}

// placementPolicyChanged passes the creation, deletion and change of spec
// of the ValidatingAdmissionPolicy that keeps Namespaces' placement
// annotations to platform admins (overlay.NamespacePlacementPolicy) and of
// a binding of it, before or after the change: whether it is in force is
// all a snapshot reads of them. Clusters hold many others, some
// generated by policy engines and rewritten often, and a policy's status
// (its type checking) changes no generation; neither rebuilds a snapshot.
var placementPolicyChanged = predicate.TypedFuncs[client.Object]{
	CreateFunc: func(e event.CreateEvent) bool { return ofPlacementPolicy(e.Object) },
	DeleteFunc: func(e event.DeleteEvent) bool { return ofPlacementPolicy(e.Object) },
	UpdateFunc: func(e event.UpdateEvent) bool {
		return (ofPlacementPolicy(e.ObjectOld) || ofPlacementPolicy(e.ObjectNew)) && e.ObjectOld.GetGeneration() != e.ObjectNew.GetGeneration()
	},
}

// ofPlacementPolicy reports whether obj is the placement policy or one of
// its bindings; anything else (not expected here) passes.
func ofPlacementPolicy(obj client.Object) bool {
	switch o := obj.(type) {
	case *admissionregistrationv1.ValidatingAdmissionPolicy:
		return o.Name == overlay.NamespacePlacementPolicy
	case *admissionregistrationv1.ValidatingAdmissionPolicyBinding:
		return o.Spec.PolicyName == overlay.NamespacePlacementPolicy
	}
	return true
}

// reportCompileError logs err and gives each changed Layer it names a
// Warning Event; a Layer that did not change had its Event when it did.
func (b *snapshotBuilder) reportCompileError(changed map[string]*v1alpha1.Layer, err error) {
	generation := int64(0)
	if cur := b.store.Load(); cur != nil {
		generation = cur.Generation
	}
	b.log.Error(err, "layers do not compile; they are left out and the pods they match are refused", "servingGeneration", generation)
	for _, e := range joinedErrors(err) {
		var le *overlay.LayerError
		if errors.As(e, &le) {
			if l := changed[le.Layer]; l != nil {
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
