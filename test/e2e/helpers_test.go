package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	composer "github.com/strata-dev/strata/cmd/composer/app"
	webhookapp "github.com/strata-dev/strata/cmd/webhook/app"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/manifest"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/controlplane"
	"github.com/strata-dev/strata/test/fixtures"
)

var (
	exampleLayers = filepath.Join(controlplane.RepoRoot(), "examples", "layers", "clusters", "prod-a")
)

// applyExampleRepo creates the Namespaces, PriorityClasses and Layers of the
// example repository, and waits until the webhook serves them.
func applyExampleRepo(ctx context.Context) error {
	in, err := manifest.LoadRepo(filesys.MakeFsOnDisk(), exampleLayers)
	if err != nil {
		return err
	}
	for i := range in.Namespaces {
		if err := cp.Client.Create(ctx, &in.Namespaces[i]); err != nil {
			return err
		}
	}
	for i := range in.PriorityClasses {
		if err := cp.Client.Create(ctx, &in.PriorityClasses[i]); err != nil {
			return err
		}
	}
	for i := range in.Layers {
		if err := cp.Client.Create(ctx, &in.Layers[i].Layer); err != nil {
			return err
		}
	}
	return waitFor(30*time.Second, func() bool {
		s := cp.Webhook.Store.Load()
		return s.LayerCount() == len(in.Layers) && len(s.Match(targetFor("etl"))) > 0
	})
}

func waitFor(timeout time.Duration, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("condition not met within %s", timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// refusedOnceInForce is what try returns once an admission policy is in
// force: try is repeated until the API server refuses it (Forbidden), as it
// does once it has compiled a ValidatingAdmissionPolicy just created, and
// each try it lets through is undone by undo. Without a refusal within
// 10 s it is the last try's error, or an error saying so.
func refusedOnceInForce(try, undo func() error) error {
	var err error
	if waitFor(10*time.Second, func() bool {
		if err = try(); err == nil {
			err = undo()
			return false
		}
		return apierrors.IsForbidden(err)
	}) != nil && err == nil {
		return errors.New("never refused")
	}
	return err
}

// waitForGeneration waits until the webhook serves a snapshot newer than gen.
func waitForGeneration(t *testing.T, gen int64) {
	t.Helper()
	if err := waitFor(30*time.Second, func() bool { return cp.Webhook.Store.Load().Generation > gen }); err != nil {
		t.Fatalf("webhook did not load a new snapshot: %v", err)
	}
}

// examplePod reads an example pod and renames it, so every test has its own.
func examplePod(t testing.TB, file, name string) *corev1.Pod {
	t.Helper()
	pod := fixtures.Pod(t, file)
	pod.Name = name
	return pod
}

// composeWithCLI runs `composer compose -o json` on pod, in-process.
func composeWithCLI(t *testing.T, pod *corev1.Pod) *corev1.Pod {
	t.Helper()
	in, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := composer.Run(context.Background(), []string{"compose", "-f", "-", "--layers", exampleLayers,
		"--cluster", cluster.Name, "--pool", cluster.Pool, "-o", "json"},
		composer.Streams{In: bytes.NewReader(in), Out: &out, Err: &errOut})
	if code != composer.ExitOK {
		t.Fatalf("composer exited %d: %s", code, errOut.String())
	}
	var composed corev1.Pod
	if err := json.Unmarshal(out.Bytes(), &composed); err != nil {
		t.Fatal(err)
	}
	return &composed
}

// warningCollector records the warnings the API server returns.
type warningCollector struct {
	mu       sync.Mutex
	warnings []string
}

func (w *warningCollector) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.warnings = append(w.warnings, text)
}

func (w *warningCollector) all() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.warnings...)
}

// clientWithWarnings returns a client whose warnings are collected.
func clientWithWarnings(t *testing.T) (client.Client, *warningCollector) {
	t.Helper()
	w := &warningCollector{}
	cfg := rest.CopyConfig(cp.Config)
	cfg.WarningHandler = w
	c, err := client.New(cfg, client.Options{Scheme: cp.Client.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	return c, w
}

// normalized drops what differs between two stores of the same pod, and
// sorts its tolerations: they are a set to the scheduler, and the API server
// appends its not-ready/unreachable ones before the webhook runs (so they
// come first in the stored pod) but after it in a pod composed offline.
func normalized(pod *corev1.Pod) *corev1.Pod {
	p := pod.DeepCopy()
	slices.SortStableFunc(p.Spec.Tolerations, func(a, b corev1.Toleration) int {
		return strings.Compare(overlay.TolerationKey(&a), overlay.TolerationKey(&b))
	})
	p.UID, p.ResourceVersion, p.Generation = "", "", 0
	p.CreationTimestamp = p.CreationTimestamp.Rfc3339Copy()
	p.CreationTimestamp.Time = time.Time{}
	p.ManagedFields = nil
	return p
}

func targetFor(namespace string) overlay.Target {
	return overlay.Target{Cluster: cluster.Name, Pool: cluster.Pool, Namespace: namespace, Role: v1alpha1.RoleDriver}
}

// admit sends pod to the in-process pod handler as the API server would on create.
func admit(t *testing.T, pod *corev1.Pod) admission.Response {
	t.Helper()
	raw, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	return cp.Webhook.Pods.Handle(context.Background(), admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID:       "e2e",
		Kind:      metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
		Resource:  metav1.GroupVersionResource{Version: "v1", Resource: "pods"},
		Namespace: pod.Namespace,
		Name:      pod.Name,
		Operation: admissionv1.Create,
		Object:    runtime.RawExtension{Raw: raw},
	}})
}

// metricValue returns the value of a counter or gauge, the first series
// whose labels match labels (nil for any).
func metricValue(t *testing.T, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := cp.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if v, ok := labels[l.GetName()]; ok && v != l.GetValue() {
					continue metrics
				}
			}
			if m.Counter != nil {
				return m.Counter.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("metric %s%v not found", name, labels)
	return 0
}

// createLayer creates l, waits until the webhook serves it to an
// executor of namespace, and returns the warnings its creation got; at
// cleanup it deletes l and waits until the webhook no longer serves it,
// so the next test's waits are not met by it.
func createLayer(t *testing.T, l *v1alpha1.Layer, namespace string) []string {
	t.Helper()
	ctx := context.Background()
	c, warnings := clientWithWarnings(t)
	if err := c.Create(ctx, l); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cp.Client.Delete(ctx, l); err == nil {
			waitForLayerGone(t, l, namespace)
		}
	})
	waitForLayerServed(t, l, namespace)
	return warnings.all()
}

// waitForLayerServed waits until the webhook's snapshot serves l as it is
// now (its resourceVersion; a Shadow layer by its name) to an executor of
// namespace. A new generation alone may be another test's change arriving
// late.
func waitForLayerServed(t *testing.T, l *v1alpha1.Layer, namespace string) {
	t.Helper()
	waitForLayer(t, l, namespace, false)
}

// waitForLayerGone waits until the webhook's snapshot serves no Layer of
// l's name to an executor of namespace: a test that deletes a Layer waits
// for it, so the next test's wait for a new generation is not met by it.
func waitForLayerGone(t *testing.T, l *v1alpha1.Layer, namespace string) {
	t.Helper()
	waitForLayer(t, l, namespace, true)
}

func waitForLayer(t *testing.T, l *v1alpha1.Layer, namespace string, gone bool) {
	t.Helper()
	target := targetFor(namespace)
	target.Role = v1alpha1.RoleExecutor
	served := func() (rv string, ok bool) {
		s := cp.Webhook.Store.Load().Snapshot
		for _, m := range s.Match(target) {
			if m.Name == l.Name {
				return m.ResourceVersion, true
			}
		}
		return l.ResourceVersion, slices.Contains(s.ShadowLayers(target), l.Name)
	}
	if err := waitFor(30*time.Second, func() bool {
		rv, ok := served()
		return ok != gone && (gone || rv == l.ResourceVersion)
	}); err != nil {
		rv, ok := served()
		t.Fatalf("the webhook serves Layer %s: %v (resourceVersion %q), want served %v at %q", l.Name, ok, rv, !gone, l.ResourceVersion)
	}
}

// impersonating is a client of user, in groups and system:authenticated.
func impersonating(t *testing.T, user string, groups ...string) client.Client {
	t.Helper()
	c, _ := impersonatingWithWarnings(t, user, groups...)
	return c
}

// impersonatingWithWarnings is impersonating, with the warnings the API
// server returns to it.
func impersonatingWithWarnings(t *testing.T, user string, groups ...string) (client.Client, *warningCollector) {
	t.Helper()
	w := &warningCollector{}
	cfg := rest.CopyConfig(cp.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: append(groups, "system:authenticated")}
	cfg.WarningHandler = w
	c, err := client.New(cfg, client.Options{Scheme: cp.Client.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	return c, w
}

// allow grants subject rule cluster-wide, through a ClusterRole and
// binding named name, until the test ends.
func allow(t *testing.T, name string, rule rbacv1.PolicyRule, subject rbacv1.Subject) {
	t.Helper()
	ctx := context.Background()
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: []rbacv1.PolicyRule{rule}}
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
		Subjects: []rbacv1.Subject{subject}}
	for _, o := range []client.Object{role, binding} {
		if err := cp.Client.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cp.Client.Delete(ctx, o) })
	}
	// The API server's authorizer learns of the binding through its own
	// watch: wait until it grants the rule's first verb on its first
	// resource, or the test's first request may be refused by RBAC.
	user, groups := subject.Name, []string{"system:authenticated"}
	switch subject.Kind {
	case rbacv1.ServiceAccountKind:
		user, groups = "system:serviceaccount:"+subject.Namespace+":"+subject.Name, append(groups, "system:serviceaccounts")
	case rbacv1.GroupKind:
		user, groups = "e2e-member-of-"+subject.Name, append(groups, subject.Name)
	}
	resource, sub, _ := strings.Cut(rule.Resources[0], "/")
	if err := waitFor(10*time.Second, func() bool {
		review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: user, Groups: groups,
			ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: rule.Verbs[0], Group: rule.APIGroups[0], Resource: resource, Subresource: sub}}}
		return cp.Client.Create(ctx, review) == nil && review.Status.Allowed
	}); err != nil {
		t.Fatalf("granting %s: %v", name, err)
	}
}

// kubeconfigFile is a kubeconfig of the test's API server, as the
// administrator, written to a file of the test's own.
func kubeconfigFile(t *testing.T) string {
	t.Helper()
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, cp.KubeConfig(), 0o600); err != nil {
		t.Fatal(err)
	}
	return kubeconfig
}

// replicaServingAll starts, until the test ends, a replica with its own
// serving certificate, the policies of policiesDir ("" for the built-in)
// and the options configure sets, and points every webhook configuration at
// it (pointWebhooksAt: probeMayFail where its policies refuse the probe).
func replicaServingAll(t *testing.T, policiesDir string, probeMayFail bool, configure ...func(*webhookapp.Options)) *controlplane.Replica {
	t.Helper()
	ca := newTestCA(t)
	certDir := t.TempDir()
	ca.writeServing(t, certDir)
	port := freePort(t)
	r, err := cp.StartReplica(context.Background(), "127.0.0.1", port, certDir, policiesDir, configure...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Stop() })
	t.Cleanup(pointWebhooksAt(t, fmt.Sprintf("127.0.0.1:%d", port), ca.PEM, func() float64 { return metricOf(t, r, "strata_admissions_total") }, probeMayFail))
	return r
}
