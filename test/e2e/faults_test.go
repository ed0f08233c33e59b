package e2e

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	webhookapp "github.com/strata-dev/strata/cmd/webhook/app"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/controlplane"
)

// TestFaultsUnderLoad runs two webhook replicas behind one address (a TCP
// balancer on loopback standing in for the Service) and, during each run of
// 1,000 Spark pods created through the API server (2,000 admissions: the
// mutating and the policy webhook), injects one fault: SIGTERM to a replica,
// a serving-certificate rotation, a restart of the API server, and Layers
// changing all along. No admission may fail, and every pod must carry one
// snapshot generation's values (the churning Layer sets two labels, under
// a prefix reserved for the platform, to the same value each time). All
// along, too, a Layer that gives a label under
// a prefix reserved for the platform is created and deleted: a pod
// composed with it and judged without it, or the other way round, by
// another replica or the next generation, is still admitted.
func TestFaultsUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("long: 4 runs of 1,000 pods")
	}
	ctx := context.Background()
	const namespace = "faults"
	if err := cp.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}); err != nil {
		t.Fatal(err)
	}
	ca := newTestCA(t)
	certDir := t.TempDir()
	ca.writeServing(t, certDir)

	lb := newBalancer(t)
	replicas := map[string]*controlplane.Replica{}
	stopped := map[string]bool{}
	var mu sync.Mutex
	start := func(name string) {
		port := freePort(t)
		r, err := cp.StartReplica(ctx, "127.0.0.1", port, certDir, "")
		if err != nil {
			t.Fatalf("starting replica %s: %v", name, err)
		}
		mu.Lock()
		replicas[name] = r
		mu.Unlock()
		lb.add(name, fmt.Sprintf("127.0.0.1:%d", port))
	}
	start("a")
	start("b")
	t.Cleanup(func() {
		for _, r := range replicas {
			_ = r.Stop()
		}
	})
	served := func() float64 {
		mu.Lock()
		defer mu.Unlock()
		n := 0.0
		for _, r := range replicas {
			n += metricOf(t, r, "strata_admissions_total")
		}
		return n
	}
	restore := pointWebhooksAt(t, lb.addr, ca.PEM, served)
	// TLS below 1.2 is refused.
	if conn, err := tls.Dial("tcp", lb.addr, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS11}); err == nil { //nolint:gosec // a deliberately old client
		_ = conn.Close()
		t.Error("a TLS 1.1 handshake succeeded")
	}
	t.Cleanup(restore)

	churn := &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "faults-churn"}, Spec: v1alpha1.LayerSpec{
		Tier: v1alpha1.NamespaceOverrides, Match: v1alpha1.Match{Namespaces: []string{namespace}},
		Config: &v1alpha1.Config{Labels: map[string]string{churnA: "v0", churnB: "v0"}}}}
	if err := cp.Client.Create(ctx, churn); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(ctx, churn) })
	toggled := &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "faults-toggled"}, Spec: v1alpha1.LayerSpec{
		Tier: v1alpha1.NamespaceOverrides, Match: v1alpha1.Match{Namespaces: []string{namespace}},
		Config: &v1alpha1.Config{Labels: map[string]string{"platform.strata.dev/toggled": "on"}}}}

	phases := []struct {
		name  string
		fault func(t *testing.T)
	}{
		{"replica SIGTERM", func(t *testing.T) {
			// The Layers hold still while a replica stops and another
			// starts, the replicas serving them as they are: a replica
			// judges a pod with the Layers that composed it only where it
			// served them. A stopping one serves no more, and a2 served
			// none before its first (README, Rolling out a Layer).
			layerChanges.Lock()
			defer layerChanges.Unlock()
			for _, name := range []string{"a", "b"} {
				if err := waitFor(30*time.Second, func() bool { return servesLayersAsStored(replicas[name], namespace, churn.Name, toggled.Name) }); err != nil {
					t.Errorf("replica %s did not serve the Layers as stored: %v", name, err)
				}
			}
			lb.remove("a") // the endpoints controller drops a terminating pod first
			if err := replicas["a"].Stop(); err != nil {
				t.Errorf("stopping replica a: %v", err)
			}
			mu.Lock()
			stopped["a"] = true
			mu.Unlock()
			start("a2")
		}},
		{"certificate rotation", func(t *testing.T) {
			serial := ca.writeServing(t, certDir)
			if err := waitFor(30*time.Second, func() bool { return servedSerial(lb.addr) == serial }); err != nil {
				t.Errorf("the replicas did not serve the rotated certificate: %v", err)
			}
		}},
		{"API server restart", func(t *testing.T) {
			if err := cp.RestartAPIServer(); err != nil {
				t.Errorf("restarting the API server: %v", err)
				return
			}
			// Every webhook's watch of Layers is back within seconds of
			// the API server (whose RBAC refuses watches for a moment
			// after it starts): the churning Layer's next changes reach
			// each snapshot, the replicas' and the idle main webhook's.
			back := time.Now()
			mu.Lock()
			webhooks := []*webhookapp.Webhook{cp.Webhook}
			for name, r := range replicas {
				if !stopped[name] {
					webhooks = append(webhooks, r.Webhook)
				}
			}
			mu.Unlock()
			for i, w := range webhooks {
				gen := w.Store.Load().Generation
				if err := waitFor(15*time.Second, func() bool { return w.Store.Load().Generation > gen }); err != nil {
					t.Errorf("webhook %d of %d: its snapshot did not follow the Layer's changes within 15s of the API server's return (generation %d): %v",
						i+1, len(webhooks), gen, err)
					return
				}
			}
			t.Logf("every webhook followed the Layer's changes %s after the API server was back", time.Since(back).Round(time.Millisecond))
			// While it was away, the replicas' lists and watches failed,
			// and said so (the alert StrataWatchFailing reads this).
			failed := 0.0
			mu.Lock()
			for name, r := range replicas {
				if !stopped[name] {
					failed += metricOf(t, r, "strata_watch_failures_total")
				}
			}
			mu.Unlock()
			if failed == 0 {
				t.Error("no replica counted a failed list or watch while the API server was away (strata_watch_failures_total)")
			}
		}},
		{"layer churn", func(*testing.T) {}},
	}
	stopChurn := changeLayerContinuously(t, churn.Name)
	defer stopChurn()
	stopToggling := toggleLayerContinuously(toggled)
	defer stopToggling()
	t.Cleanup(func() { _ = cp.Client.Delete(ctx, toggled) })
	for _, phase := range phases {
		t.Run(phase.name, func(t *testing.T) {
			res := createUnderLoad(t, namespace, phase.name, 1000, 8, phase.fault)
			t.Logf("%s: %d pods created (%d admissions) in %s, %d retried while the API server was away",
				phase.name, res.created, 2*res.created, res.elapsed.Round(time.Millisecond), res.retried)
			if len(res.failures) > 0 {
				t.Errorf("%d failed admissions, first: %v", len(res.failures), res.failures[0])
			}
			if res.created < 1000 {
				t.Errorf("%d pods created, want 1000", res.created)
			}
			if len(res.inconsistent) > 0 {
				t.Errorf("%d pods composed from two generations, first: %s", len(res.inconsistent), res.inconsistent[0])
			}
		})
		if err := cp.Client.DeleteAllOf(ctx, &corev1.Pod{}, client.InNamespace(namespace), client.GracePeriodSeconds(0)); err != nil {
			t.Fatal(err)
		}
	}
	if gens := changes.Load(); gens < 10 {
		t.Errorf("the Layer changed only %d times during the runs", gens)
	}
	if n := toggles.Load(); n < 10 {
		t.Errorf("the toggled Layer was created or deleted only %d times during the runs", n)
	}
	judgedAtComposition := 0.0
	for name, r := range replicas {
		if p := metricOf(t, r, "strata_admission_panics_total"); p != 0 {
			t.Errorf("replica %s: %v panics", name, p)
		}
		judgedAtComposition += metricOf(t, r, "strata_pods_judged_at_composition_total")
	}
	// Without those judgments a few pods in a hundred were refused.
	if judgedAtComposition == 0 {
		t.Error("no pod was judged with the Layers that composed it: the toggled Layer raced no admission")
	}
	t.Logf("%v pods judged with the Layers that composed them", judgedAtComposition)
}

// churnA and churnB are the labels the churning Layer sets, under a
// prefix the example cluster reserves for the platform: a pod composed
// with one of its values and judged with the next is still admitted.
const (
	churnA = "platform.strata.dev/churn-a"
	churnB = "platform.strata.dev/churn-b"
)

var (
	changes atomic.Int64
	// layerChanges is held for each change of a Layer the test makes;
	// locked, it holds them still.
	layerChanges sync.RWMutex
)

// servesLayersAsStored reports whether r serves, for executors of
// namespace, each of the named Layers as the API server stores it: of its
// resourceVersion, or not at all where it is gone.
func servesLayersAsStored(r *controlplane.Replica, namespace string, names ...string) bool {
	served := map[string]string{}
	for _, l := range r.Webhook.Store.Load().Match(overlay.Target{Namespace: namespace, Role: v1alpha1.RoleExecutor}) {
		served[l.Name] = l.ResourceVersion
	}
	for _, name := range names {
		var l v1alpha1.Layer
		switch err := cp.Client.Get(context.Background(), client.ObjectKey{Name: name}, &l); {
		case apierrors.IsNotFound(err):
			if _, ok := served[name]; ok {
				return false
			}
		case err != nil || served[name] != l.ResourceVersion:
			return false
		}
	}
	return true
}

// changeLayerContinuously sets both churn labels of the Layer to a new
// value every 25 ms until stopped.
func changeLayerContinuously(t *testing.T, name string) func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 1; ctx.Err() == nil; i++ {
			layerChanges.RLock()
			var l v1alpha1.Layer
			if err := cp.Client.Get(ctx, client.ObjectKey{Name: name}, &l); err == nil {
				v := fmt.Sprintf("v%d", i)
				l.Spec.Config.Labels[churnA], l.Spec.Config.Labels[churnB] = v, v
				if cp.Client.Update(ctx, &l) == nil {
					changes.Add(1)
				}
			}
			layerChanges.RUnlock()
			select {
			case <-ctx.Done():
			case <-time.After(25 * time.Millisecond):
			}
		}
	}()
	return func() { cancel(); <-done }
}

var toggles atomic.Int64

// toggleLayerContinuously creates layer, deletes it 150 ms later, and so
// on until stopped.
func toggleLayerContinuously(layer *v1alpha1.Layer) func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ctx.Err() == nil; i++ {
			var err error
			layerChanges.RLock()
			if i%2 == 0 {
				err = cp.Client.Create(ctx, layer.DeepCopy())
			} else {
				err = cp.Client.Delete(ctx, layer.DeepCopy())
			}
			layerChanges.RUnlock()
			if err == nil {
				toggles.Add(1)
			}
			select {
			case <-ctx.Done():
			case <-time.After(150 * time.Millisecond):
			}
		}
	}()
	return func() { cancel(); <-done }
}

type loadResult struct {
	created, retried int
	failures         []error
	inconsistent     []string
	elapsed          time.Duration
}

// createUnderLoad creates n example executors at the given concurrency
// (closed loop), calling fault once a quarter of them are in. An error
// that did not come from a webhook (the API server unreachable while it
// restarts) is retried; any other error is a failed admission.
func createUnderLoad(t *testing.T, namespace, run string, n, concurrency int, fault func(*testing.T)) loadResult {
	ctx := context.Background()
	var (
		mu   sync.Mutex
		res  loadResult
		next atomic.Int64
		wg   sync.WaitGroup
		once sync.Once
		// faulted: the fault has returned.
		faulted sync.WaitGroup
	)
	template := examplePod(t, "executor.yaml", "x")
	template.Namespace = namespace
	prefix := strings.ReplaceAll(strings.ToLower(run), " ", "-")
	begin := time.Now()
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if i == n/4 {
					faulted.Add(1)
					go func() { defer faulted.Done(); once.Do(func() { fault(t) }) }()
				}
				pod := template.DeepCopy()
				pod.Name = fmt.Sprintf("%s-exec-%d", prefix, i)
				created, retries, err := createRetrying(ctx, pod)
				mu.Lock()
				res.retried += retries
				switch {
				case err != nil:
					res.failures = append(res.failures, err)
				default:
					res.created++
					if created.Labels[churnA] != created.Labels[churnB] || created.Labels[churnA] == "" {
						res.inconsistent = append(res.inconsistent, fmt.Sprintf("%s: %s=%q %s=%q", pod.Name, churnA, created.Labels[churnA], churnB, created.Labels[churnB]))
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(begin)
	faulted.Wait() // the fault's own checks end inside the run
	return res
}

func createRetrying(ctx context.Context, pod *corev1.Pod) (*corev1.Pod, int, error) {
	deadline := time.Now().Add(time.Minute)
	for retries := 0; ; retries++ {
		p := pod.DeepCopy()
		err := cp.Client.Create(ctx, p)
		switch {
		case err == nil:
			return p, retries, nil
		case apierrors.IsAlreadyExists(err): // created before the connection broke
			var stored corev1.Pod
			if err := cp.Client.Get(ctx, client.ObjectKeyFromObject(pod), &stored); err != nil {
				return nil, retries, err
			}
			return &stored, retries, nil
		case strings.Contains(err.Error(), "webhook") || time.Now().After(deadline) || !apiServerAway(err):
			return nil, retries, err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// apiServerAway reports whether err says the API server itself could not
// be reached or was not ready, not that anything refused the pod.
func apiServerAway(err error) bool {
	var urlErr *url.Error
	var netErr net.Error
	return errors.As(err, &urlErr) || errors.As(err, &netErr) || errors.Is(err, io.EOF) ||
		apierrors.IsServiceUnavailable(err) || apierrors.IsTimeout(err) || apierrors.IsServerTimeout(err) ||
		apierrors.IsTooManyRequests(err) || strings.Contains(err.Error(), "connection refused")
}

// pointWebhooksAt sends every Strata webhook to addr with caPEM, and
// returns what restores the configurations as they were.
func pointWebhooksAt(t *testing.T, addr string, caPEM []byte, replicasServed func() float64, probeMayFail ...bool) func() {
	ctx := context.Background()
	var mwc, appMWC admissionregistrationv1.MutatingWebhookConfiguration
	var vwc admissionregistrationv1.ValidatingWebhookConfiguration
	if err := cp.Client.Get(ctx, client.ObjectKey{Name: "strata-mutating"}, &mwc); err != nil {
		t.Fatal(err)
	}
	if err := cp.Client.Get(ctx, client.ObjectKey{Name: "00-strata-sparkapplications"}, &appMWC); err != nil {
		t.Fatal(err)
	}
	if err := cp.Client.Get(ctx, client.ObjectKey{Name: "strata-validating"}, &vwc); err != nil {
		t.Fatal(err)
	}
	origM, origA, origV := mwc.DeepCopy(), appMWC.DeepCopy(), vwc.DeepCopy()
	retarget := func(cc *admissionregistrationv1.WebhookClientConfig) {
		u, err := url.Parse(*cc.URL)
		if err != nil {
			t.Fatal(err)
		}
		u.Host = addr
		s := u.String()
		cc.URL, cc.CABundle = &s, caPEM
	}
	for _, m := range []*admissionregistrationv1.MutatingWebhookConfiguration{&mwc, &appMWC} {
		for i := range m.Webhooks {
			retarget(&m.Webhooks[i].ClientConfig)
		}
		if err := cp.Client.Update(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	for i := range vwc.Webhooks {
		retarget(&vwc.Webhooks[i].ClientConfig)
	}
	if err := cp.Client.Update(ctx, &vwc); err != nil {
		t.Fatal(err)
	}
	// The API server takes a moment to call the new address.
	probe := examplePod(t, "executor.yaml", "faults-probe")
	probe.Namespace = "webhook-probes"
	if err := cp.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: probe.Namespace}}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	if err := waitFor(30*time.Second, func() bool {
		p := probe.DeepCopy()
		p.Name = fmt.Sprintf("faults-probe-%d", time.Now().UnixNano())
		before := replicasServed()
		err := cp.Client.Create(ctx, p)
		return (err == nil || len(probeMayFail) > 0) && replicasServed() > before
	}); err != nil {
		t.Fatalf("the API server does not call the replicas: %v", err)
	}
	return func() {
		for _, obj := range []client.Object{origM, origA, origV} {
			var current client.Object = &admissionregistrationv1.MutatingWebhookConfiguration{}
			if _, ok := obj.(*admissionregistrationv1.ValidatingWebhookConfiguration); ok {
				current = &admissionregistrationv1.ValidatingWebhookConfiguration{}
			}
			if err := cp.Client.Get(ctx, client.ObjectKeyFromObject(obj), current); err != nil {
				t.Errorf("restoring %s: %v", obj.GetName(), err)
				continue
			}
			obj.SetResourceVersion(current.GetResourceVersion())
			if err := cp.Client.Update(ctx, obj); err != nil {
				t.Errorf("restoring %s: %v", obj.GetName(), err)
			}
		}
	}
}

// metricOf sums the counter name of a replica over its series, those
// with label=value when given.
func metricOf(t *testing.T, r *controlplane.Replica, name string, labelValue ...string) float64 {
	t.Helper()
	families, err := r.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			if len(labelValue) == 2 {
				for _, l := range m.GetLabel() {
					if l.GetName() == labelValue[0] && l.GetValue() != labelValue[1] {
						continue series
					}
				}
			}
			total += m.GetCounter().GetValue()
		}
	}
	return total
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}

// balancer is a TCP load balancer on loopback: each connection goes to the
// next backend that accepts it, as kube-proxy spreads a Service's
// connections over its ready endpoints.
type balancer struct {
	addr     string
	mu       sync.Mutex
	backends map[string]string
	order    []string
	next     int
}

func newBalancer(t *testing.T) *balancer {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &balancer{addr: l.Addr().String(), backends: map[string]string{}}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go b.serve(conn)
		}
	}()
	return b
}

func (b *balancer) add(name, addr string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.backends[name] = addr
	b.order = append(b.order, name)
}

func (b *balancer) remove(name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.backends, name)
	for i, n := range b.order {
		if n == name {
			b.order = append(b.order[:i], b.order[i+1:]...)
			break
		}
	}
}

func (b *balancer) serve(conn net.Conn) {
	defer func() { _ = conn.Close() }()
	b.mu.Lock()
	var addrs []string
	for i := range b.order {
		addrs = append(addrs, b.backends[b.order[(b.next+i)%len(b.order)]])
	}
	b.next++
	b.mu.Unlock()
	for _, addr := range addrs {
		backend, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			continue
		}
		defer func() { _ = backend.Close() }()
		done := make(chan struct{}, 2)
		go func() { _, _ = io.Copy(backend, conn); done <- struct{}{} }()
		go func() { _, _ = io.Copy(conn, backend); done <- struct{}{} }()
		<-done
		return
	}
}

// testCA is a controlplane.CA with test-failing helpers.
type testCA struct{ *controlplane.CA }

func newTestCA(t *testing.T) *testCA {
	ca, err := controlplane.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{ca}
}

// writeServing writes a new serving certificate into dir (a rotation) and
// returns its serial number.
func (ca *testCA) writeServing(t *testing.T, dir string) int64 {
	n, err := ca.WriteServing(dir)
	if err != nil {
		t.Error(err)
	}
	return n
}

// servedSerial is the serial number of the certificate a new connection to
// addr is served; 0 when the handshake fails.
func servedSerial(addr string) int64 {
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // reads the served certificate only
	if err != nil {
		return 0
	}
	defer func() { _ = conn.Close() }()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
}
