package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	composer "github.com/strata-dev/strata/cmd/composer/app"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// TestRuntimeClassSchedulingIsThePlatforms: the API server's RuntimeClass
// plugin merges a class's node selectors and tolerations into a pod that
// names it, before any webhook. Of a class tenants may name
// (allowedRuntimeClasses) they are the platform's, as the cluster's admins
// wrote the class: a tenant's pod of a sandboxed class is admitted onto
// nodes whose label is reserved and past taints tenants may not tolerate,
// while the same selector and toleration written by the tenant are
// refused, and so is a pod of a class meant for the platform's own pods.
// The dry run, reading the cluster, composes and judges the pod as the
// webhook is sent it.
func TestRuntimeClassSchedulingIsThePlatforms(t *testing.T) {
	ctx := context.Background()
	sandbox := corev1.Toleration{Key: "sandbox.strata.dev/runtime", Operator: corev1.TolerationOpEqual, Value: "gvisor", Effect: corev1.TaintEffectNoSchedule}
	rc := &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "e2e-sandboxed"}, Handler: "runsc",
		Overhead: &nodev1.Overhead{PodFixed: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("64Mi")}},
		// node.strata.dev/flavor is reserved in prod-a; etl may tolerate
		// node.strata.dev/spot only.
		Scheduling: &nodev1.Scheduling{NodeSelector: map[string]string{"node.strata.dev/flavor": "sandbox"}, Tolerations: []corev1.Toleration{sandbox}}}
	platforms := rc.DeepCopy()
	platforms.Name = "e2e-platform-only"
	createRuntimeClasses(t, rc, platforms)
	createLayer(t, &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "e2e-runtime-classes"}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.NamespaceOverrides,
		Match: v1alpha1.Match{Namespaces: []string{"etl"}}, Config: &v1alpha1.Config{Isolation: &v1alpha1.Isolation{AllowedRuntimeClasses: []string{rc.Name}}}}}, "etl")

	pod := examplePod(t, "executor.yaml", "e2e-sandboxed-exec")
	pod.Spec.RuntimeClassName = &rc.Name
	written := pod.DeepCopy()
	if err := cp.Client.Create(ctx, pod); err != nil {
		t.Fatalf("an executor of a sandboxed RuntimeClass: %v", err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), pod) })
	var stored corev1.Pod
	if err := cp.Client.Get(ctx, client.ObjectKeyFromObject(pod), &stored); err != nil {
		t.Fatal(err)
	}
	if got := stored.Spec.NodeSelector["node.strata.dev/flavor"]; got != "sandbox" {
		t.Errorf("stored nodeSelector %v: want the class's node.strata.dev/flavor=sandbox", stored.Spec.NodeSelector)
	}
	if !tolerates(stored.Spec.Tolerations, sandbox) || stored.Spec.Overhead.Cpu().String() != "250m" {
		t.Errorf("stored tolerations %v, overhead %v: want the class's", stored.Spec.Tolerations, stored.Spec.Overhead)
	}

	// What the class gives is the platform's only with the class.
	tenants := examplePod(t, "executor.yaml", "e2e-sandbox-by-hand")
	tenants.Spec.NodeSelector = map[string]string{"node.strata.dev/flavor": "sandbox"}
	tenants.Spec.Tolerations = append(tenants.Spec.Tolerations, sandbox)
	err := cp.Client.Create(ctx, tenants)
	wantDenied(t, "the class's selector by hand", err, `node selector "node.strata.dev/flavor=sandbox" is reserved`)
	wantDenied(t, "the class's toleration by hand", err, `toleration "sandbox.strata.dev/runtime=gvisor:NoSchedule" is not allowed for tenants`)

	// A class tenants may not name is refused, and what it gives is the
	// tenant's.
	other := examplePod(t, "executor.yaml", "e2e-platform-class-exec")
	other.Spec.RuntimeClassName = &platforms.Name
	err = cp.Client.Create(ctx, other)
	wantDenied(t, "a class tenants may not name", err, `isolation: RuntimeClass "e2e-platform-only" is not allowed for tenants; allowed: e2e-sandboxed (NamespaceOverrides layer "e2e-runtime-classes")`)
	wantDenied(t, "a class tenants may not name", err, `node selector "node.strata.dev/flavor=sandbox" is reserved`)

	// The dry run reads the class from the cluster and judges the pod as
	// the webhook is sent it: composed over what the class merged.
	dry := composeWithKubeconfig(t, written)
	if dry.Spec.NodeSelector["node.strata.dev/flavor"] != "sandbox" || !tolerates(dry.Spec.Tolerations, sandbox) || dry.Spec.Overhead.Cpu().String() != "250m" {
		t.Errorf("the dry run composed %v, %v, %v: want the class's node selector, toleration and overhead", dry.Spec.NodeSelector, dry.Spec.Tolerations, dry.Spec.Overhead)
	}
	// Without the cluster it says what it could not know, and judges by
	// the repository's layers, where etl may name gvisor only.
	in, err := json.Marshal(written)
	if err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runComposer(t, in, "compose", "-f", "-", "--layers", exampleLayers, "--cluster", cluster.Name, "--pool", cluster.Pool, "--validate", "-o", "json")
	if code != composer.ExitDenied || !strings.Contains(errOut, `RuntimeClass "e2e-sandboxed" is not known here`) ||
		!strings.Contains(errOut, `isolation: RuntimeClass "e2e-sandboxed" is not allowed for tenants; allowed: gvisor (ClusterOverrides layer "prod-a-overrides")`) {
		t.Errorf("a dry run without the cluster: exit %d: %s", code, errOut)
	}
}

// tolerates reports whether ts holds t.
func tolerates(ts []corev1.Toleration, t corev1.Toleration) bool {
	for _, x := range ts {
		if x.MatchToleration(&t) {
			return true
		}
	}
	return false
}

// TestLayerRuntimeClassSandboxesEveryPod: a NamespaceOverrides layer that
// names a RuntimeClass (runtimeClassName) puts every Spark pod of the
// namespace in it, through the real API server: a pod of no class, and one
// that named a class of its own, whose node selector, toleration and
// overhead (the API server's RuntimeClass plugin merged them before the
// webhook) give way to the layer's class's. The API server's plugin checks
// the overhead again after the webhooks, so a pod stored at all is one
// whose overhead is its class's. The layer's class is the platform's: not
// held to allowedRuntimeClasses, its node label reserved and its taint
// outside allowedTolerations. A pod without a Spark role, which the
// webhook does not compose, must name the class. A node selector the class
// gives another value is refused by name. A node selector the tenant's
// class gave that a default layer gives as well stays. The dry run,
// reading the cluster, composes the same.
func TestLayerRuntimeClassSandboxesEveryPod(t *testing.T) {
	ctx := context.Background()
	forcedTol := corev1.Toleration{Key: "sandbox.strata.dev/runtime", Operator: corev1.TolerationOpEqual, Value: "forced", Effect: corev1.TaintEffectNoSchedule}
	tenantTol := corev1.Toleration{Key: "sandbox.strata.dev/runtime", Operator: corev1.TolerationOpEqual, Value: "tenant", Effect: corev1.TaintEffectNoSchedule}
	forced := &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "e2e-forced-sandbox"}, Handler: "runsc",
		Overhead: &nodev1.Overhead{PodFixed: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("64Mi")}},
		// node.strata.dev/runtime is reserved in prod-a.
		Scheduling: &nodev1.Scheduling{NodeSelector: map[string]string{"node.strata.dev/runtime": "forced"}, Tolerations: []corev1.Toleration{forcedTol}}}
	tenants := &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "e2e-tenant-runtime"}, Handler: "kata",
		Overhead: &nodev1.Overhead{PodFixed: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}},
		Scheduling: &nodev1.Scheduling{NodeSelector: map[string]string{"node.strata.dev/runtime": "tenant", "e2e.strata.dev/disk": "ssd"},
			Tolerations: []corev1.Toleration{tenantTol}}}
	createRuntimeClasses(t, forced, tenants)
	createLayer(t, &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "e2e-sandbox-default-disk"}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.ClusterDefaults,
		Match: v1alpha1.Match{Namespaces: []string{"etl"}}, Config: &v1alpha1.Config{NodeSelector: map[string]string{"e2e.strata.dev/disk": "ssd"}}}}, "etl")
	createLayer(t, &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "e2e-sandbox-every-pod"}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.NamespaceOverrides,
		Match: v1alpha1.Match{Namespaces: []string{"etl"}}, Config: &v1alpha1.Config{RuntimeClassName: &forced.Name,
			Isolation: &v1alpha1.Isolation{AllowedRuntimeClasses: []string{tenants.Name}}}}}, "etl")

	noClass := examplePod(t, "executor.yaml", "e2e-forced-no-class")
	ownClass := examplePod(t, "executor.yaml", "e2e-forced-own-class")
	ownClass.Spec.RuntimeClassName = &tenants.Name
	for _, pod := range []*corev1.Pod{noClass, ownClass} {
		written := pod.DeepCopy()
		if err := cp.Client.Create(ctx, pod); err != nil {
			t.Fatalf("%s: %v", pod.Name, err)
		}
		t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), pod) })
		var stored corev1.Pod
		if err := cp.Client.Get(ctx, client.ObjectKeyFromObject(pod), &stored); err != nil {
			t.Fatal(err)
		}
		s := stored.Spec
		if s.RuntimeClassName == nil || *s.RuntimeClassName != forced.Name || s.NodeSelector["node.strata.dev/runtime"] != "forced" ||
			s.NodeSelector["e2e.strata.dev/disk"] != "ssd" ||
			!tolerates(s.Tolerations, forcedTol) || tolerates(s.Tolerations, tenantTol) ||
			s.Overhead.Cpu().String() != "250m" || s.Overhead.Memory().String() != "64Mi" {
			t.Errorf("%s stored: class %q, node selector %v, tolerations %v, overhead %v: want the layer's class's alone, and the default's disk",
				pod.Name, className(s.RuntimeClassName), s.NodeSelector, s.Tolerations, s.Overhead)
		}

		// The dry run reads the classes from the cluster and composes the
		// same.
		dry := composeWithKubeconfig(t, written)
		if d := dry.Spec; d.RuntimeClassName == nil || *d.RuntimeClassName != forced.Name || d.NodeSelector["node.strata.dev/runtime"] != "forced" ||
			d.NodeSelector["e2e.strata.dev/disk"] != "ssd" ||
			!tolerates(d.Tolerations, forcedTol) || tolerates(d.Tolerations, tenantTol) || d.Overhead.Cpu().String() != "250m" {
			t.Errorf("%s: the dry run composed class %q, node selector %v, tolerations %v, overhead %v: want what the webhook stored",
				pod.Name, className(d.RuntimeClassName), d.NodeSelector, d.Tolerations, d.Overhead)
		}
	}

	// A pod the webhook does not compose (no spark-role label) is not
	// given the class: it must name it, and then what the class gives it
	// is the platform's, as for a Spark pod.
	unlabelled := examplePod(t, "executor.yaml", "e2e-forced-unlabelled")
	delete(unlabelled.Labels, v1alpha1.RoleLabel)
	err := cp.Client.Create(ctx, unlabelled)
	wantDenied(t, "a pod without a Spark role naming no class", err,
		`isolation: the pod must run in RuntimeClass "e2e-forced-sandbox" (NamespaceOverrides layer "e2e-sandbox-every-pod"); it names none`)
	unlabelled = examplePod(t, "executor.yaml", "e2e-forced-unlabelled-in-class")
	delete(unlabelled.Labels, v1alpha1.RoleLabel)
	unlabelled.Spec.RuntimeClassName = &forced.Name
	unlabelled.Spec.Containers[0].Image = "mirror.prod-a.internal/apache/spark:3.5.3" // not composed: not mirrored
	if err := cp.Client.Create(ctx, unlabelled); err != nil {
		t.Errorf("a pod without a Spark role naming the layer's class: %v", err)
	} else {
		t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), unlabelled) })
	}

	// A node selector the layer's class gives another value: refused,
	// naming both, as the API server's plugin refuses it.
	conflict := examplePod(t, "executor.yaml", "e2e-forced-conflict")
	conflict.Spec.NodeSelector = map[string]string{"node.strata.dev/runtime": "mine"}
	err = cp.Client.Create(ctx, conflict)
	wantDenied(t, "a node selector the class gives another value", err,
		`spec.runtimeClassName: RuntimeClass "e2e-forced-sandbox": conflict: runtimeClass.scheduling.nodeSelector[node.strata.dev/runtime] = forced; pod.spec.nodeSelector[node.strata.dev/runtime] = mine`)
}

// TestLayerOverrideOfAClassSelectorIsRefusedByName: a layer that
// overrides a node selector key the class a pod names sets would have the
// API server's RuntimeClass plugin, run again after the webhooks, refuse
// the pod; the webhook refuses it itself, naming the layer, and the dry
// run, reading the cluster, refuses it the same way rather than compose a
// pod the API server would not store.
func TestLayerOverrideOfAClassSelectorIsRefusedByName(t *testing.T) {
	ctx := context.Background()
	class := &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "e2e-kept-class"}, Handler: "runsc",
		Scheduling: &nodev1.Scheduling{NodeSelector: map[string]string{"e2e.strata.dev/runtime": "kept"}}}
	createRuntimeClasses(t, class)
	createLayer(t, &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "e2e-class-selector-override"}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.NamespaceOverrides,
		Match: v1alpha1.Match{Namespaces: []string{"etl"}}, Config: &v1alpha1.Config{NodeSelector: map[string]string{"e2e.strata.dev/runtime": "other"},
			Isolation: &v1alpha1.Isolation{AllowedRuntimeClasses: []string{class.Name}}}}}, "etl")
	pod := examplePod(t, "executor.yaml", "e2e-kept-class-exec")
	pod.Spec.RuntimeClassName = &class.Name
	written := pod.DeepCopy()
	want := `spec.runtimeClassName: RuntimeClass "e2e-kept-class": conflict: runtimeClass.scheduling.nodeSelector[e2e.strata.dev/runtime] = kept; ` +
		`pod.spec.nodeSelector[e2e.strata.dev/runtime] = other, set by NamespaceOverrides layer "e2e-class-selector-override"`
	err := cp.Client.Create(ctx, pod)
	if err == nil {
		t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), pod) })
	}
	wantDenied(t, "a layer's override of the class's node selector", err, want)

	code, _, errOut := composeReadingTheCluster(t, written)
	if code == composer.ExitOK || !strings.Contains(errOut, want) {
		t.Errorf("the dry run: exit %d: %s", code, errOut)
	}
}

// composeWithKubeconfig runs `composer compose -o json` on pod, reading
// the cluster through its kubeconfig, in-process.
func composeWithKubeconfig(t *testing.T, pod *corev1.Pod) *corev1.Pod {
	t.Helper()
	code, out, errOut := composeReadingTheCluster(t, pod, "--validate")
	if code != composer.ExitOK {
		t.Fatalf("the dry run of %s: exit %d: %s", pod.Name, code, errOut)
	}
	var dry corev1.Pod
	if err := json.Unmarshal([]byte(out), &dry); err != nil {
		t.Fatal(err)
	}
	return &dry
}

// className is a pod's RuntimeClass, "" for none.
func className(name *string) string {
	if name == nil {
		return ""
	}
	return *name
}

// createRuntimeClasses creates classes, deleted when t ends, and waits
// until the webhook's snapshot holds them.
func createRuntimeClasses(t *testing.T, classes ...*nodev1.RuntimeClass) {
	t.Helper()
	for _, class := range classes {
		if err := cp.Client.Create(context.Background(), class); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), class) })
		if err := waitFor(30*time.Second, func() bool {
			_, ok := cp.Webhook.Store.Load().RuntimeClass(class.Name)
			return ok
		}); err != nil {
			t.Fatalf("the webhook never saw RuntimeClass %s: %v", class.Name, err)
		}
	}
}

// composeReadingTheCluster runs `composer compose -o json` with args on
// pod, reading the cluster through its kubeconfig, in-process.
func composeReadingTheCluster(t *testing.T, pod *corev1.Pod, args ...string) (code composer.ExitCode, out, errOut string) {
	t.Helper()
	kubeconfig := kubeconfigFile(t)
	in, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	return runComposer(t, in, append([]string{"compose", "-f", "-", "--kubeconfig", kubeconfig, "--cluster", cluster.Name, "--pool", cluster.Pool, "-o", "json"}, args...)...)
}
