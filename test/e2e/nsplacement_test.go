package e2e

import (
	"context"
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	composer "github.com/strata-dev/strata/cmd/composer/app"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// TestNamespacePlacementIsThePlatforms: the API server's PodNodeSelector
// and PodTolerationRestriction plugins (enabled in this suite) give every
// pod of a namespace the node selector and tolerations of its
// annotations, before any webhook. Only platform admins may write those
// annotations, so what they give is the platform's: a tenant's executor in
// a namespace pinned to the reserved node.strata.dev/pool=core nodes is
// admitted there, past a taint tenants may not tolerate; the same selector
// and toleration written by a tenant elsewhere are refused, as is
// anything the pod adds of its own. The memory-pressure toleration
// PodTolerationRestriction gives every pod that is not BestEffort is the
// API server's, in every namespace. Without the strata-namespace-placement
// policy in force, the namespace's annotations are judged as the tenant's.
func TestNamespacePlacementIsThePlatforms(t *testing.T) {
	ctx := context.Background()
	core := corev1.Toleration{Key: "node.strata.dev/core", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}
	tolerations, err := json.Marshal([]corev1.Toleration{core})
	if err != nil {
		t.Fatal(err)
	}
	pinned := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "e2e-pinned", Annotations: map[string]string{
		overlay.NamespaceNodeSelectorAnnotation: "node.strata.dev/pool=core",
		overlay.NamespaceTolerationsAnnotation:  string(tolerations),
	}}}
	if err := cp.Client.Create(ctx, pinned); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), pinned) })
	// The namespace's tenants may tolerate spot nodes only.
	createLayer(t, &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "e2e-pinned-tolerations"}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.NamespaceOverrides,
		Match: v1alpha1.Match{Namespaces: []string{pinned.Name}}, Config: &v1alpha1.Config{Isolation: &v1alpha1.Isolation{
			AllowedTolerations: []v1alpha1.TolerationPattern{{Key: "node.strata.dev/spot"}}}}}}, pinned.Name)

	pod := examplePod(t, "executor.yaml", "e2e-pinned-exec")
	pod.Namespace = pinned.Name
	if err := cp.Client.Create(ctx, pod); err != nil {
		t.Fatalf("an executor of a pinned namespace: %v", err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), pod) })
	var stored corev1.Pod
	if err := cp.Client.Get(ctx, client.ObjectKeyFromObject(pod), &stored); err != nil {
		t.Fatal(err)
	}
	memoryPressure := corev1.Toleration{Key: corev1.TaintNodeMemoryPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}
	if stored.Spec.NodeSelector["node.strata.dev/pool"] != "core" || !tolerates(stored.Spec.Tolerations, core) || !tolerates(stored.Spec.Tolerations, memoryPressure) {
		t.Errorf("stored nodeSelector %v, tolerations %v: want the namespace's and the memory-pressure toleration", stored.Spec.NodeSelector, stored.Spec.Tolerations)
	}

	// What the namespace gives is the platform's only in that namespace.
	byHand := examplePod(t, "executor.yaml", "e2e-pinned-by-hand")
	byHand.Spec.NodeSelector = map[string]string{"node.strata.dev/pool": "core"}
	byHand.Spec.Tolerations = append(byHand.Spec.Tolerations, core)
	err = cp.Client.Create(ctx, byHand)
	wantDenied(t, "the namespace's selector by hand", err, `node selector "node.strata.dev/pool=core" is reserved`)
	wantDenied(t, "the namespace's toleration by hand", err, `toleration "node.strata.dev/core:NoSchedule op=Exists" is not allowed for tenants`)
	// And nothing the pod adds of its own is.
	own := examplePod(t, "executor.yaml", "e2e-pinned-own")
	own.Namespace = pinned.Name
	own.Spec.Tolerations = append(own.Spec.Tolerations, corev1.Toleration{Key: "nvidia.com/gpu", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule})
	wantDenied(t, "a toleration of its own", cp.Client.Create(ctx, own), `toleration "nvidia.com/gpu:NoSchedule op=Exists" is not allowed for tenants`)

	// A tenant that may edit its Namespace may not write the annotations.
	allow(t, "e2e-tenant-edits-pinned", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get", "update", "patch", "create"}},
		rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "alice"})
	alice := impersonating(t, "alice")
	for _, tc := range []struct {
		namespace, annotation, value string
	}{
		{pinned.Name, overlay.NamespaceNodeSelectorAnnotation, "node.strata.dev/pool=gpu"},
		{pinned.Name, overlay.NamespaceTolerationsAnnotation, ""},
		{"etl", overlay.NamespaceNodeSelectorAnnotation, "node.strata.dev/pool=core"},
		{"etl", overlay.NamespaceTolerationsAnnotation, string(tolerations)},
		{"etl", "scheduler.alpha.kubernetes.io/tolerationsWhitelist", `[{"operator":"Exists"}]`},
	} {
		var ns corev1.Namespace
		if err := alice.Get(ctx, client.ObjectKey{Name: tc.namespace}, &ns); err != nil {
			t.Fatal(err)
		}
		if tc.value == "" {
			delete(ns.Annotations, tc.annotation)
		} else {
			metav1.SetMetaDataAnnotation(&ns.ObjectMeta, tc.annotation, tc.value)
		}
		wantDenied(t, "tenant writes "+tc.annotation+" on "+tc.namespace, alice.Update(ctx, &ns),
			"the Namespace annotation "+tc.annotation+" places the pods of the namespace")
	}
	created := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "e2e-alice-pinned", Annotations: pinned.Annotations}}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), created) })
	wantDenied(t, "tenant creates a pinned namespace", alice.Create(ctx, created), "the Namespace annotation ")
	// Other annotations stay the tenant's.
	var ns corev1.Namespace
	if err := alice.Get(ctx, client.ObjectKey{Name: pinned.Name}, &ns); err != nil {
		t.Fatal(err)
	}
	metav1.SetMetaDataAnnotation(&ns.ObjectMeta, "owner", "alice")
	if err := alice.Update(ctx, &ns); err != nil {
		t.Errorf("tenant writes another annotation: %v", err)
	}

	// Once the platform takes the toleration off the namespace, a pod
	// that writes it is the tenant's: the webhook reads the annotations as
	// they are now.
	if err := cp.Client.Get(ctx, client.ObjectKey{Name: pinned.Name}, &ns); err != nil {
		t.Fatal(err)
	}
	delete(ns.Annotations, overlay.NamespaceTolerationsAnnotation)
	if err := cp.Client.Update(ctx, &ns); err != nil {
		t.Fatal(err)
	}
	if err := waitFor(30*time.Second, func() bool {
		return !tolerates(cp.Webhook.Store.Load().NamespacePlacement(pinned.Name).Tolerations, core)
	}); err != nil {
		t.Fatalf("the webhook never saw the namespace's tolerations go: %v", err)
	}
	written := examplePod(t, "executor.yaml", "e2e-pinned-written")
	written.Namespace = pinned.Name
	written.Spec.Tolerations = append(written.Spec.Tolerations, core)
	wantDenied(t, "the namespace's former toleration", cp.Client.Create(ctx, written), `toleration "node.strata.dev/core:NoSchedule op=Exists" is not allowed for tenants`)

	// Without the policy that keeps the annotations to platform admins (a
	// platform whose multi-tenancy tool writes them deletes it), a tenant
	// may have written them: what they give is the tenant's again.
	binding := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{}
	if err := cp.Client.Get(ctx, client.ObjectKey{Name: overlay.NamespacePlacementPolicy}, binding); err != nil {
		t.Fatal(err)
	}
	if err := cp.Client.Delete(ctx, binding); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		restored := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: binding.Name}, Spec: binding.Spec}
		if err := cp.Client.Create(context.Background(), restored); err != nil {
			t.Errorf("restoring %s: %v", binding.Name, err)
		}
		if err := waitFor(30*time.Second, func() bool { return cp.Webhook.Store.Load().NamespacePlacementGuarded() }); err != nil {
			t.Errorf("the webhook never saw %s restored: %v", binding.Name, err)
		}
		// And the API server enforces it again before the tests after this
		// one write Namespaces.
		setSelector := func(c client.Client, value string) error {
			var ns corev1.Namespace
			if err := c.Get(context.Background(), client.ObjectKey{Name: pinned.Name}, &ns); err != nil {
				return err
			}
			metav1.SetMetaDataAnnotation(&ns.ObjectMeta, overlay.NamespaceNodeSelectorAnnotation, value)
			return c.Update(context.Background(), &ns)
		}
		if err := refusedOnceInForce(func() error { return setSelector(alice, "node.strata.dev/pool=probe") },
			func() error { return setSelector(cp.Client, "node.strata.dev/pool=batch") }); !apierrors.IsForbidden(err) {
			t.Errorf("%s restored, a tenant's write of the annotation: %v", binding.Name, err)
		}
	})
	if err := waitFor(30*time.Second, func() bool { return !cp.Webhook.Store.Load().NamespacePlacementGuarded() }); err != nil {
		t.Fatalf("the webhook never saw %s go: %v", binding.Name, err)
	}
	unguarded := examplePod(t, "executor.yaml", "e2e-pinned-unguarded")
	unguarded.Namespace = pinned.Name
	wantDenied(t, "the namespace's selector, unguarded", cp.Client.Create(ctx, unguarded), `node selector "node.strata.dev/pool=core" is reserved`)
}

// The cluster's defaults of the control plane's PodNodeSelector and
// PodTolerationRestriction plugins, which the webhook reads from the same
// AdmissionConfiguration (--admission-config).
const (
	podNodeSelectorConfiguration = `podNodeSelectorPluginConfig: {clusterDefaultNodeSelector: "node.strata.dev/zone=shared"}`
	podTolerationsConfiguration  = `apiVersion: podtolerationrestriction.admission.k8s.io/v1alpha1
kind: Configuration
default: [{key: node.strata.dev/shared, operator: Exists, effect: NoSchedule}]
`
)

var (
	// clusterNodeSelector and clusterToleration are what those defaults
	// give every pod of a namespace without annotations of its own.
	clusterNodeSelector = map[string]string{"node.strata.dev/zone": "shared"}
	clusterToleration   = corev1.Toleration{Key: "node.strata.dev/shared", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}
)

// withClusterNodeSelector is selector with the cluster's default node
// selector, as a pod of a namespace without annotations holds it.
func withClusterNodeSelector(selector map[string]string) map[string]string {
	out := maps.Clone(selector)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, clusterNodeSelector)
	return out
}

// TestClusterPlacementIsThePlatforms: the control plane's PodNodeSelector
// and PodTolerationRestriction plugins give every pod of a namespace
// without annotations the cluster's default node selector and toleration
// of their configuration, which the webhook reads from the same file.
// What they give is the platform's in every namespace it gives, though
// the namespace's layer reserves the selector's key and allows no such
// toleration; where a namespace's own annotation replaces a default, a pod
// that writes the default itself is the tenant's, and refused.
func TestClusterPlacementIsThePlatforms(t *testing.T) {
	ctx := context.Background()
	bare := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "e2e-cluster-placed"}}
	// Its own annotations give nothing: the defaults do not apply.
	own := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "e2e-own-placement", Annotations: map[string]string{
		overlay.NamespaceNodeSelectorAnnotation: "", overlay.NamespaceTolerationsAnnotation: "[]"}}}
	for _, ns := range []*corev1.Namespace{bare, own} {
		if err := cp.Client.Create(ctx, ns); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), ns) })
	}
	createLayer(t, &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "e2e-cluster-placed-isolation"}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.NamespaceOverrides,
		Match: v1alpha1.Match{Namespaces: []string{bare.Name, own.Name}}, Config: &v1alpha1.Config{Isolation: &v1alpha1.Isolation{
			ReservedNodeSelectors: []string{"node.strata.dev/zone"},
			AllowedTolerations:    []v1alpha1.TolerationPattern{{Key: "node.strata.dev/spot"}}}}}}, bare.Name)
	if err := waitFor(30*time.Second, func() bool {
		_, ok := cp.Webhook.Store.Load().NamespacePlacement(own.Name).NodeSelector["node.strata.dev/zone"]
		return !ok && cp.Webhook.Store.Load().NamespacePlacement(own.Name).Tolerations == nil
	}); err != nil {
		t.Fatalf("the webhook never saw %s: %v", own.Name, err)
	}

	pod := examplePod(t, "executor.yaml", "e2e-cluster-placed-exec")
	pod.Namespace = bare.Name
	if err := cp.Client.Create(ctx, pod); err != nil {
		t.Fatalf("an executor given the cluster's defaults: %v", err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), pod) })
	var stored corev1.Pod
	if err := cp.Client.Get(ctx, client.ObjectKeyFromObject(pod), &stored); err != nil {
		t.Fatal(err)
	}
	if stored.Spec.NodeSelector["node.strata.dev/zone"] != "shared" || !tolerates(stored.Spec.Tolerations, clusterToleration) {
		t.Errorf("stored nodeSelector %v, tolerations %v: want the cluster's defaults", stored.Spec.NodeSelector, stored.Spec.Tolerations)
	}

	// Where the namespace's annotations replace them, the defaults
	// written by hand are the tenant's.
	byHand := examplePod(t, "executor.yaml", "e2e-own-placement-exec")
	byHand.Namespace = own.Name
	byHand.Spec.NodeSelector = clusterNodeSelector
	byHand.Spec.Tolerations = append(byHand.Spec.Tolerations, clusterToleration)
	err := cp.Client.Create(ctx, byHand)
	wantDenied(t, "the cluster's selector by hand", err, `node selector "node.strata.dev/zone=shared" is reserved`)
	wantDenied(t, "the cluster's toleration by hand", err, `toleration "node.strata.dev/shared:NoSchedule op=Exists" is not allowed for tenants`)
}

// TestPlacementRefusalIsWarned: a layer that overrides the node selector
// a namespace is pinned to makes the API server's PodNodeSelector refuse
// every pod the layer matches there, after the mutating webhooks. The
// Layer webhook warns whoever writes the Layer, and the pod webhook warns
// each pod's creator why, naming both values.
func TestPlacementRefusalIsWarned(t *testing.T) {
	ctx := context.Background()
	ns := pinnedToCore(t, "e2e-pinned-conflict")
	const conflict = `PodNodeSelector: node selector node.strata.dev/pool=gpu conflicts with the namespace's node.strata.dev/pool=core`
	layer := &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "e2e-pinned-conflict-gpu"}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.NamespaceOverrides,
		Match: v1alpha1.Match{Namespaces: []string{ns.Name}}, Config: &v1alpha1.Config{NodeSelector: map[string]string{"node.strata.dev/pool": "gpu"}}}}
	if want, warnings := `spec: the API server will refuse the Spark driver and executor pods this Layer composes in namespace "`+ns.Name+`": `+conflict,
		createLayer(t, layer, ns.Name); !containsPart(warnings, want) {
		t.Errorf("the Layer's warnings %q, want one containing %q", warnings, want)
	}

	c, warnings := clientWithWarnings(t)
	pod := examplePod(t, "executor.yaml", "e2e-pinned-conflict-exec")
	pod.Namespace = ns.Name
	wantDenied(t, "a layer's selector against the namespace's", c.Create(ctx, pod), "pod node label selector conflicts with its namespace node label selector")
	if !containsPart(warnings.all(), conflict) {
		t.Errorf("the pod's warnings %q, want one containing %q", warnings.all(), conflict)
	}
}

// pinnedToCore creates a namespace of that name pinned by its
// node-selector annotation to node.strata.dev/pool=core, and waits until
// the webhook serves it.
func pinnedToCore(t *testing.T, name string) *corev1.Namespace {
	t.Helper()
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{
		overlay.NamespaceNodeSelectorAnnotation: "node.strata.dev/pool=core"}}}
	if err := cp.Client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), ns) })
	if err := waitFor(30*time.Second, func() bool {
		return cp.Webhook.Store.Load().NamespacePlacement(ns.Name).NodeSelector["node.strata.dev/pool"] == "core"
	}); err != nil {
		t.Fatalf("the webhook never saw %s: %v", ns.Name, err)
	}
	return ns
}

// TestComposerPredictsPlacementPlugins: given the plugins this API server
// enables (--admission-plugins) and its AdmissionConfiguration, the
// composer's dry run of a pod reaches the API server's verdict: admitted
// with the cluster's defaults or a namespace's pin; refused, in the API
// server's words, for a pool of the pod's own against the namespace's,
// for tolerations (the API server's own among them) outside a namespace's
// whitelist, for a namespace whose node selector annotation the plugin
// cannot read, and for the toleration ExtendedResourceToleration gives a
// pod that requests a GPU.
func TestComposerPredictsPlacementPlugins(t *testing.T) {
	ctx := context.Background()
	kubeconfig := kubeconfigFile(t)
	pinned := pinnedToCore(t, "e2e-predict-pinned")
	whitelisted := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "e2e-predict-whitelist", Annotations: map[string]string{
		"scheduler.alpha.kubernetes.io/tolerationsWhitelist": `[{"key":"node.strata.dev/shared","operator":"Exists"}]`}}}
	if err := cp.Client.Create(ctx, whitelisted); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), whitelisted) })
	unreadable := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "e2e-predict-unreadable", Annotations: map[string]string{
		overlay.NamespaceNodeSelectorAnnotation: "node.strata.dev/pool!=core"}}}
	if err := cp.Client.Create(ctx, unreadable); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), unreadable) })
	executor := func(name, ns string, edit func(*corev1.Pod)) *corev1.Pod {
		p := examplePod(t, "executor.yaml", name)
		if ns != "" {
			p.Namespace = ns
		}
		if edit != nil {
			edit(p)
		}
		return p
	}
	for _, tc := range []struct {
		name string
		pod  *corev1.Pod
		// refusal is the API server's words, in both verdicts; "" for
		// admitted.
		refusal string
	}{
		{"the cluster's defaults", executor("e2e-predict-defaults", "", nil), ""},
		{"a namespace's pin", executor("e2e-predict-pinned", pinned.Name, nil), ""},
		{"a pool of its own", executor("e2e-predict-own-pool", pinned.Name, func(p *corev1.Pod) {
			p.Spec.NodeSelector = map[string]string{"node.strata.dev/pool": "gpu"}
		}), "pod node label selector conflicts with its namespace node label selector"},
		{"outside the whitelist", executor("e2e-predict-whitelist", whitelisted.Name, nil),
			"pod tolerations (possibly merged with namespace default tolerations) conflict with its namespace whitelist"},
		{"a node selector annotation the plugin cannot read", executor("e2e-predict-unreadable", unreadable.Name, nil),
			`Invalid value: "node.strata.dev/pool!"`},
		// ExtendedResourceToleration gives it the GPU's toleration, the
		// tenant's, which the example tenants may not have.
		{"a GPU", executor("e2e-predict-gpu", "", func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources.Limits["nvidia.com/gpu"] = resource.MustParse("1")
		}), `toleration "nvidia.com/gpu:NoSchedule op=Exists" is not allowed`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := json.Marshal(tc.pod)
			if err != nil {
				t.Fatal(err)
			}
			code, _, errOut := runComposer(t, in, "compose", "-f", "-", "--kubeconfig", kubeconfig, "--cluster", cluster.Name, "--pool", cluster.Pool,
				"--cluster-config", cp.AdmissionConfigFile(), "--admission-plugins", "PodNodeSelector,PodTolerationRestriction,ExtendedResourceToleration", "--validate", "-o", "json")
			created := cp.Client.Create(ctx, tc.pod)
			if created == nil {
				t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), tc.pod) })
			}
			if tc.refusal == "" {
				if created != nil || code != composer.ExitOK {
					t.Errorf("the API server: %v; the composer: exit %d, %s; want both to admit it", created, code, errOut)
				}
				return
			}
			wantDenied(t, "the API server", created, tc.refusal)
			if code != composer.ExitDenied || !strings.Contains(errOut, tc.refusal) {
				t.Errorf("the composer: exit %d, %s; want a refusal containing %q", code, errOut, tc.refusal)
			}
		})
	}
}
