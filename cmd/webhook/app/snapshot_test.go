package app

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// TestRebuildsAreSpaced: a change that comes within minInterval of the last
// rebuild is not built at once but folded into a rebuild that is due when
// the interval has passed; the first snapshot is never delayed. A rebuild
// with nothing changed builds nothing; every one comes back within
// recheckInterval, so a change no event asked for is not left behind.
func TestRebuildsAreSpaced(t *testing.T) {
	scheme, err := NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	l := teamLayer()
	m, _, _ := newTestHandlers(t)
	b := &snapshotBuilder{reader: fake.NewClientBuilder().WithScheme(scheme).Build(),
		store: &Store{}, metrics: m.Metrics, minInterval: time.Hour}
	watchLayers(t, b, &l)
	ctx := context.Background()
	if res, err := b.Reconcile(ctx, snapshotKey); err != nil || res.RequeueAfter != recheckInterval || b.store.Load() == nil {
		t.Fatalf("first rebuild delayed or failed: %v %v", res, err)
	}
	b.changed.layer(l.Name)
	if res, err := b.Reconcile(ctx, snapshotKey); err != nil || res.RequeueAfter <= recheckInterval || b.store.Load().Generation != 1 {
		t.Fatalf("a rebuild within the interval was not deferred: %v %v, generation %d", res, err, b.store.Load().Generation)
	}
	b.lastBuild = time.Now().Add(-2 * time.Hour)
	if res, err := b.Reconcile(ctx, snapshotKey); err != nil || res.RequeueAfter != recheckInterval || b.store.Load().Generation != 2 {
		t.Fatalf("the deferred rebuild did not happen: %v %v", res, err)
	}
	b.lastBuild = time.Now().Add(-2 * time.Hour)
	if res, err := b.Reconcile(ctx, snapshotKey); err != nil || res.RequeueAfter != recheckInterval || b.store.Load().Generation != 2 {
		t.Fatalf("a recheck with nothing changed: %v %v, generation %d, want no new snapshot", res, err, b.store.Load().Generation)
	}
	if got := b.store.Load().Match(overlay.Target{Namespace: "etl", Role: v1alpha1.RoleDriver}); len(got) != 1 {
		t.Fatalf("the snapshot holds %d layers, want the one Layer", len(got))
	}
}

// TestRebuildReadsWhatChanged: after the first snapshot, a rebuild reads
// the Layers the watch saw change (created, changed or deleted) and the
// Namespaces when one changed, and nothing else; a read that fails leaves
// the changes for the next rebuild.
func TestRebuildReadsWhatChanged(t *testing.T) {
	scheme, err := NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	first := teamLayer()
	failList := false
	c := fake.NewClientBuilder().WithScheme(scheme).WithInterceptorFuncs(interceptor.Funcs{
		List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
			if failList {
				return errors.New("cache unavailable")
			}
			return c.List(ctx, list, opts...)
		},
	}).Build()
	m, _, _ := newTestHandlers(t)
	b := &snapshotBuilder{reader: c, store: &Store{}, metrics: m.Metrics}
	layers := watchLayers(t, b, &first)
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

	second := teamLayer()
	second.Name = "second"
	if err := errors.Join(layers.Add(&second), layers.Delete(first.DeepCopy())); err != nil {
		t.Fatal(err)
	}
	b.changed.other()
	failList = true
	if _, err := b.Reconcile(ctx, snapshotKey); err == nil {
		t.Fatal("a rebuild whose reads failed served a snapshot")
	}
	failList = false
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
	panics := false
	c := fake.NewClientBuilder().WithScheme(scheme).WithInterceptorFuncs(interceptor.Funcs{
		List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
			if panics {
				panic("a bug reading Namespaces")
			}
			return c.List(ctx, list, opts...)
		},
	}).Build()
	m, _, _ := newTestHandlers(t)
	b := &snapshotBuilder{reader: c, store: &Store{}, metrics: m.Metrics}
	layers := watchLayers(t, b, &first)
	if _, err := b.Reconcile(ctx, snapshotKey); err != nil {
		t.Fatal(err)
	}
	second := teamLayer()
	second.Name = "second"
	if err := layers.Add(&second); err != nil {
		t.Fatal(err)
	}
	b.changed.other()
	panics = true
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the rebuild did not panic")
			}
		}()
		_, _ = b.Reconcile(ctx, snapshotKey)
	}()
	panics = false
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

// watchLayers gives b a Layer watch whose first list was layers, and
// returns it; asks for rebuilds are dropped (the tests reconcile).
func watchLayers(t *testing.T, b *snapshotBuilder, layers ...*v1alpha1.Layer) *layerWatch {
	t.Helper()
	b.layers = newLayerWatch(&b.changed, func() {})
	list := make([]any, len(layers))
	for i, l := range layers {
		list[i] = l.DeepCopy()
	}
	if err := b.layers.Replace(list, ""); err != nil {
		t.Fatal(err)
	}
	return b.layers
}

// TestFirstRebuildWaitsForTheLayers: before the Layer watch's first list
// is in, a rebuild serves nothing (a snapshot without the Layers would
// admit pods unchanged) and keeps what changed; the list asks for the
// rebuild, which serves every Layer.
func TestFirstRebuildWaitsForTheLayers(t *testing.T) {
	scheme, err := NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	m, _, _ := newTestHandlers(t)
	b := &snapshotBuilder{reader: fake.NewClientBuilder().WithScheme(scheme).Build(), store: &Store{}, metrics: m.Metrics}
	asks := 0
	b.layers = newLayerWatch(&b.changed, func() { asks++ })
	b.changed.other()
	ctx := context.Background()
	if _, err := b.Reconcile(ctx, snapshotKey); err != nil || b.store.Load() != nil {
		t.Fatalf("a rebuild before the Layers were listed served a snapshot (%v)", err)
	}
	l := teamLayer()
	if err := b.layers.Replace([]any{&l}, "1"); err != nil || asks != 1 {
		t.Fatalf("the first list asked for %d rebuilds (%v), want 1", asks, err)
	}
	if _, err := b.Reconcile(ctx, snapshotKey); err != nil || b.store.Load() == nil || b.store.Load().LayerCount() != 1 {
		t.Fatalf("the rebuild after the first list did not serve its Layer (%v)", err)
	}
}

// TestBadLayerIsReported: a Layer that does not compile, at the first
// rebuild or a later one, gets a Warning Event naming the generation that
// leaves it out, once; each snapshot built with a Layer left out is
// counted.
func TestBadLayerIsReported(t *testing.T) {
	scheme, err := NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	bad := func(name string) *v1alpha1.Layer {
		l := teamLayer()
		l.Name = name
		l.Spec.Config.Tolerations = []corev1.Toleration{{Key: "gpu", Operator: "Sometimes"}}
		return &l
	}
	good := teamLayer()
	m, _, _ := newTestHandlers(t)
	rec := events.NewFakeRecorder(10)
	b := &snapshotBuilder{reader: fake.NewClientBuilder().WithScheme(scheme).Build(), store: &Store{}, metrics: m.Metrics, recorder: rec}
	layers := watchLayers(t, b, &good, bad("bad-at-start"))
	reconcile := func(wantEvent string, wantErrors float64) {
		t.Helper()
		if _, err := b.Reconcile(ctx, snapshotKey); err != nil {
			t.Fatal(err)
		}
		var got []string
		for len(rec.Events) > 0 {
			got = append(got, <-rec.Events)
		}
		if wantEvent == "" && len(got) != 0 || wantEvent != "" && (len(got) != 1 || !strings.Contains(got[0], wantEvent)) {
			t.Fatalf("events %q, want one holding %q", got, wantEvent)
		}
		if n := testutil.ToFloat64(m.Metrics.compileErrors); n != wantErrors {
			t.Fatalf("%v compile errors counted, want %v", n, wantErrors)
		}
	}
	reconcile(`Warning CompileFailed layer not loaded; pods it matches are refused until it is fixed (generation 1): Layer "bad-at-start": spec.config.tolerations[0].operator`, 1)

	other := teamLayer()
	other.Name = "other"
	if err := layers.Add(&other); err != nil {
		t.Fatal(err)
	}
	reconcile("", 2)

	if err := layers.Add(bad("bad-later")); err != nil {
		t.Fatal(err)
	}
	reconcile(`(generation 3): Layer "bad-later"`, 3)
}

// TestEverySnapshotHasTheAdmissionConfiguration: the PodSecurity and
// PodNodeSelector admission's configuration the webhook was given (--admission-config)
// is in the first snapshot and in every rebuild, of Layers or of the
// cluster's other objects.
func TestEverySnapshotHasTheAdmissionConfiguration(t *testing.T) {
	scheme, err := NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := loadAdmission(writePodSecurity(t, "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n"+
		"- {name: PodSecurity, configuration: {apiVersion: pod-security.admission.config.k8s.io/v1, kind: PodSecurityConfiguration, defaults: {enforce: baseline}}}\n"+
		"- {name: PodNodeSelector, configuration: {podNodeSelectorPluginConfig: {clusterDefaultNodeSelector: zone=shared}}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	m, _, _ := newTestHandlers(t)
	first := teamLayer()
	b := &snapshotBuilder{reader: fake.NewClientBuilder().WithScheme(scheme).Build(), store: &Store{}, metrics: m.Metrics, admission: cfg}
	layers := watchLayers(t, b, &first)
	for i, change := range []func(){
		func() {},
		func() {
			second := teamLayer()
			second.Name = "second"
			if err := layers.Add(&second); err != nil {
				t.Fatal(err)
			}
		},
		func() { b.changed.other() },
	} {
		change()
		if _, err := b.Reconcile(context.Background(), snapshotKey); err != nil {
			t.Fatal(err)
		}
		snap := b.store.Load().Snapshot
		if lv, ok := mutate.PodSecurityEnforced(snap.PodSecurity(), "etl", snap.NamespaceLabels("etl")); !ok || lv.String() != "baseline:latest" {
			t.Errorf("rebuild %d: a namespace without labels enforces %v (%v), want the configured baseline:latest", i, lv, ok)
		}
		if p := snap.PlatformPlacement("etl"); p.NodeSelector["zone"] != "shared" {
			t.Errorf("rebuild %d: a namespace without annotations is placed by %+v, want the cluster's default node selector zone=shared", i, p)
		}
	}
}

// TestLoadAdmissionFlag: --admission-config is read as the API server
// reads it (PodSecurity's with the plugin's own library); a file it would
// refuse is refused, naming the flag.
func TestLoadAdmissionFlag(t *testing.T) {
	if _, err := loadAdmission(""); err != nil {
		t.Errorf("no file: %v", err)
	}
	bad := writePodSecurity(t, "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\ndefaults: {enforce: strict}\n")
	if _, err := loadAdmission(bad); err == nil || !strings.HasPrefix(err.Error(), "--admission-config: "+bad+": PodSecurityConfiguration: defaults.enforce: Invalid value") {
		t.Errorf("an unknown level: %v", err)
	}
	if _, err := loadAdmission(filepath.Join(t.TempDir(), "absent.yaml")); err == nil || !strings.HasPrefix(err.Error(), "--admission-config: ") {
		t.Errorf("a missing file: %v", err)
	}
}

// writePodSecurity writes content to a file of its own and returns its path.
func writePodSecurity(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "podsecurity.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSnapshotRetriesAreBounded: however many rebuilds in a row fail, the
// next is tried within recheckInterval, not after controller-runtime's
// default backoff (up to 1,000 s) while the webhook serves a stale
// snapshot.
func TestSnapshotRetriesAreBounded(t *testing.T) {
	limiter := snapshotRateLimiter()
	var last time.Duration
	for range 50 {
		last = limiter.When(snapshotKey)
		if last > recheckInterval {
			t.Fatalf("a retry after %s, want within %s", last, recheckInterval)
		}
	}
	if last != recheckInterval {
		t.Errorf("the retries settle at %s, want %s", last, recheckInterval)
	}
	limiter.Forget(snapshotKey)
	if first := limiter.When(snapshotKey); first > time.Second {
		t.Errorf("the first retry after a success: %s", first)
	}
}

// TestPlacementPolicyChanged: of the cluster's ValidatingAdmissionPolicies
// and bindings, only the placement policy and its bindings rebuild a
// snapshot, on creation, deletion and a change of spec (generation), and a
// binding moved to or from it; another policy, or a status update, does
// not.
func TestPlacementPolicyChanged(t *testing.T) {
	policy := func(name string, generation int64) *admissionregistrationv1.ValidatingAdmissionPolicy {
		return &admissionregistrationv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: name, Generation: generation}}
	}
	binding := func(policy string, generation int64) *admissionregistrationv1.ValidatingAdmissionPolicyBinding {
		return &admissionregistrationv1.ValidatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: "b", Generation: generation},
			Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: policy}}
	}
	const placement = overlay.NamespacePlacementPolicy
	for _, tc := range []struct {
		name     string
		old, now client.Object
		want     bool
	}{
		{"the policy's spec", policy(placement, 1), policy(placement, 2), true},
		{"the policy's status", policy(placement, 1), policy(placement, 1), false},
		{"another policy's spec", policy("gatekeeper-x", 1), policy("gatekeeper-x", 2), false},
		{"a binding of it", binding(placement, 1), binding(placement, 2), true},
		{"a binding moved to it", binding("other", 1), binding(placement, 2), true},
		{"a binding moved from it", binding(placement, 1), binding("other", 2), true},
		{"another binding", binding("other", 1), binding("other", 2), false},
	} {
		if got := placementPolicyChanged.Update(event.UpdateEvent{ObjectOld: tc.old, ObjectNew: tc.now}); got != tc.want {
			t.Errorf("an update of %s: rebuilds %v, want %v", tc.name, got, tc.want)
		}
	}
	for _, tc := range []struct {
		obj  client.Object
		want bool
	}{{policy(placement, 1), true}, {binding(placement, 1), true}, {policy("other", 1), false}, {binding("other", 1), false}} {
		if got := placementPolicyChanged.Create(event.CreateEvent{Object: tc.obj}); got != tc.want {
			t.Errorf("creating %s: rebuilds %v, want %v", tc.obj.GetName(), got, tc.want)
		}
		if got := placementPolicyChanged.Delete(event.DeleteEvent{Object: tc.obj}); got != tc.want {
			t.Errorf("deleting %s: rebuilds %v, want %v", tc.obj.GetName(), got, tc.want)
		}
	}
}

// TestNamespaceReadChanged: a Namespace's labels and annotations rebuild a
// snapshot; its status and finalizers, which the namespace controller
// rewrites while it deletes one, do not.
func TestNamespaceReadChanged(t *testing.T) {
	was := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "etl", Labels: map[string]string{"team": "etl"},
		Annotations: map[string]string{overlay.NamespaceNodeSelectorAnnotation: "pool=etl"}}}
	relabelled, annotated, terminating := was.DeepCopy(), was.DeepCopy(), was.DeepCopy()
	relabelled.Labels["team"] = "geo"
	annotated.Annotations[overlay.NamespaceNodeSelectorAnnotation] = "pool=geo"
	terminating.Status.Phase = corev1.NamespaceTerminating
	terminating.Finalizers = []string{"kubernetes"}
	for _, tc := range []struct {
		name string
		now  *corev1.Namespace
		want bool
	}{{"its labels", relabelled, true}, {"its annotations", annotated, true}, {"its status and finalizers", terminating, false}} {
		if got := namespaceReadChanged.Update(event.UpdateEvent{ObjectOld: was, ObjectNew: tc.now}); got != tc.want {
			t.Errorf("an update of %s: rebuilds %v, want %v", tc.name, got, tc.want)
		}
	}
	if !namespaceReadChanged.Create(event.CreateEvent{Object: was}) || !namespaceReadChanged.Delete(event.DeleteEvent{Object: was}) {
		t.Error("a Namespace's creation or deletion rebuilds no snapshot")
	}
}

// Every kind readOthers reads is watched, so a change of it rebuilds the
// snapshot, and every kind watched is read, so a rebuild it asks for sees
// it: a kind added to one and forgotten in the other fails here.
func TestOtherWatchesAreWhatIsRead(t *testing.T) {
	scheme, err := NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	var read []string
	c := fake.NewClientBuilder().WithScheme(scheme).WithInterceptorFuncs(interceptor.Funcs{
		List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
			read = append(read, strings.TrimSuffix(reflect.TypeOf(list).Elem().Name(), "List"))
			return c.List(ctx, list, opts...)
		},
	}).Build()
	b := &snapshotBuilder{reader: c}
	if _, err := b.readOthers(context.Background()); err != nil {
		t.Fatal(err)
	}
	var watched []string
	for _, w := range otherWatches() {
		watched = append(watched, reflect.TypeOf(w.object).Elem().Name())
	}
	slices.Sort(read)
	slices.Sort(watched)
	if !slices.Equal(read, watched) {
		t.Errorf("readOthers reads %v, the snapshot's watches watch %v", read, watched)
	}
}
