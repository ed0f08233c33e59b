package e2e

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// TestSparkPodsAreComposed creates the example driver and executor exactly
// as spark-submit does and checks every composed field of the stored pods.
func TestSparkPodsAreComposed(t *testing.T) {
	ctx := context.Background()
	c, warnings := clientWithWarnings(t)

	driver := examplePod(t, "driver.yaml", "composed-driver")
	if err := c.Create(ctx, driver); err != nil {
		t.Fatalf("creating driver: %v", err)
	}
	got := &corev1.Pod{}
	if err := cp.Client.Get(ctx, client.ObjectKeyFromObject(driver), got); err != nil {
		t.Fatal(err)
	}
	wantLabels := map[string]string{
		"platform.strata.dev/cluster": "prod-a", "platform.strata.dev/pool": "batch", "team": "etl",
		"spark-role": "driver", "spark-app-name": "spark-pi", "spark-version": "3.5.3",
		"spark-app-selector": "spark-6d1e5f0c2a3b4c5d8e9f0a1b2c3d4e5f",
	}
	if !reflect.DeepEqual(got.Labels, wantLabels) {
		t.Errorf("labels = %v, want %v", got.Labels, wantLabels)
	}
	wantAnnotations := map[string]string{
		"cluster-autoscaler.kubernetes.io/safe-to-evict": "false",
		"platform.strata.dev/cost-center":                "etl",
		"iam.amazonaws.com/role":                         "arn:aws:iam::111122223333:role/spark-etl",
		v1alpha1.LayersAnnotation:                        "platform-defaults,pool-batch,prod-a-defaults,ns-etl-defaults,prod-a-overrides,ns-etl",
	}
	if !reflect.DeepEqual(got.Annotations, wantAnnotations) {
		t.Errorf("annotations = %v, want %v", got.Annotations, wantAnnotations)
	}
	if want := withClusterNodeSelector(map[string]string{"node.strata.dev/pool": "batch", "node.strata.dev/capacity": "on-demand"}); !reflect.DeepEqual(got.Spec.NodeSelector, want) {
		t.Errorf("nodeSelector = %v, want %v", got.Spec.NodeSelector, want)
	}
	if got.Spec.ServiceAccountName != "spark" || got.Spec.SchedulerName != "default-scheduler" {
		t.Errorf("serviceAccountName %q schedulerName %q", got.Spec.ServiceAccountName, got.Spec.SchedulerName)
	}
	assertPriority(t, got, "spark-driver-critical")
	if !hasToleration(got, "node.strata.dev/pool", corev1.TaintEffectNoSchedule) {
		t.Errorf("pool toleration missing: %v", got.Spec.Tolerations)
	}
	if !hasToleration(got, corev1.TaintNodeNotReady, corev1.TaintEffectNoExecute) {
		t.Errorf("the API server's own default toleration was lost: %v", got.Spec.Tolerations)
	}
	wantWarnings := []string{
		`metadata.labels.team "analytics" overridden by NamespaceOverrides layer "ns-etl"`,
		`spec.containers[spark-kubernetes-driver].image "docker.io/apache/spark:3.5.3" overridden by ClusterOverrides layer "prod-a-overrides"`,
		`spec.priorityClassName "spark-driver" overridden by NamespaceOverrides layer "ns-etl"`,
	}
	if w := warnings.all(); !reflect.DeepEqual(w, wantWarnings) {
		t.Errorf("warnings = %q, want %q", w, wantWarnings)
	}

	executor := examplePod(t, "executor.yaml", "composed-exec-1")
	if err := c.Create(ctx, executor); err != nil {
		t.Fatalf("creating executor: %v", err)
	}
	if err := cp.Client.Get(ctx, client.ObjectKeyFromObject(executor), got); err != nil {
		t.Fatal(err)
	}
	assertPriority(t, got, "spark-executor")
	if want := withClusterNodeSelector(map[string]string{"node.strata.dev/pool": "batch", "node.strata.dev/capacity": "spot"}); !reflect.DeepEqual(got.Spec.NodeSelector, want) {
		t.Errorf("executor nodeSelector = %v, want %v", got.Spec.NodeSelector, want)
	}
	if !hasToleration(got, "node.strata.dev/spot", corev1.TaintEffectNoSchedule) {
		t.Errorf("executor spot toleration missing: %v", got.Spec.Tolerations)
	}
	if len(got.OwnerReferences) != 1 || got.OwnerReferences[0].Kind != "Pod" {
		t.Errorf("owner reference to the driver lost: %v", got.OwnerReferences)
	}
}

// TestConnectServerIsComposedAsADriver: the Spark Operator's SparkConnect
// server pod (spark-role: connect-server) runs the Spark driver, and gets
// what the layers give drivers: their priority class, node placement and
// layers, its label left as the operator wrote it.
func TestConnectServerIsComposedAsADriver(t *testing.T) {
	ctx := context.Background()
	server := examplePod(t, "driver.yaml", "connect-e2e-server")
	server.Labels[v1alpha1.RoleLabel] = v1alpha1.ConnectServerRoleValue
	if err := cp.Client.Create(ctx, server); err != nil {
		t.Fatalf("creating the connect server: %v", err)
	}
	got := &corev1.Pod{}
	if err := cp.Client.Get(ctx, client.ObjectKeyFromObject(server), got); err != nil {
		t.Fatal(err)
	}
	assertPriority(t, got, "spark-driver-critical")
	if want := withClusterNodeSelector(map[string]string{"node.strata.dev/pool": "batch", "node.strata.dev/capacity": "on-demand"}); !reflect.DeepEqual(got.Spec.NodeSelector, want) {
		t.Errorf("nodeSelector = %v, want the drivers' %v", got.Spec.NodeSelector, want)
	}
	if got.Labels[v1alpha1.RoleLabel] != v1alpha1.ConnectServerRoleValue || got.Annotations[v1alpha1.LayersAnnotation] == "" {
		t.Errorf("labels %v, annotations %v", got.Labels, got.Annotations)
	}
}

// assertPriority checks the pod names class and carries that class's
// priority and preemption policy, not those of the class it arrived with.
func assertPriority(t *testing.T, pod *corev1.Pod, class string) {
	t.Helper()
	var pc schedulingv1.PriorityClass
	if err := cp.Client.Get(context.Background(), client.ObjectKey{Name: class}, &pc); err != nil {
		t.Fatal(err)
	}
	if pod.Spec.PriorityClassName != class {
		t.Errorf("%s: priorityClassName = %q, want %q", pod.Name, pod.Spec.PriorityClassName, class)
	}
	if pod.Spec.Priority == nil || *pod.Spec.Priority != pc.Value {
		t.Errorf("%s: priority = %s, want %d (PriorityClass %s)", pod.Name, fmtPtr(pod.Spec.Priority), pc.Value, class)
	}
	if pod.Spec.PreemptionPolicy == nil || pc.PreemptionPolicy == nil || *pod.Spec.PreemptionPolicy != *pc.PreemptionPolicy {
		t.Errorf("%s: preemptionPolicy = %v, want %v", pod.Name, pod.Spec.PreemptionPolicy, pc.PreemptionPolicy)
	}
}

// fmtPtr is *p as text, or "unset".
func fmtPtr[T any](p *T) string {
	if p == nil {
		return "unset"
	}
	return fmt.Sprint(*p)
}

func hasToleration(pod *corev1.Pod, key string, effect corev1.TaintEffect) bool {
	return slices.ContainsFunc(pod.Spec.Tolerations, func(t corev1.Toleration) bool { return t.Key == key && t.Effect == effect })
}

// TestStoredPodEqualsComposerOutput checks the dry run never lies: what
// `composer compose` prints, once the API server's own defaulting is applied
// (a server-side dry-run create), equals the pod the webhook composed.
func TestStoredPodEqualsComposerOutput(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ file, name, role string }{
		{"driver.yaml", "parity-driver", ""},
		{"executor.yaml", "parity-exec-1", ""},
		{"geo-executor.yaml", "parity-geo-exec-1", ""},
		{"driver.yaml", "parity-connect-server", v1alpha1.ConnectServerRoleValue},
	} {
		t.Run(tc.name, func(t *testing.T) {
			input := examplePod(t, tc.file, tc.name)
			if tc.role != "" {
				input.Labels[v1alpha1.RoleLabel] = tc.role
			}
			fromCLI := composeWithCLI(t, input)
			if err := cp.Client.Create(ctx, fromCLI, client.DryRunAll); err != nil {
				t.Fatalf("dry-run create of the composer's output: %v", err)
			}
			stored := input.DeepCopy()
			if err := cp.Client.Create(ctx, stored); err != nil {
				t.Fatalf("create: %v", err)
			}
			if diff := cmp.Diff(normalized(fromCLI), normalized(stored)); diff != "" {
				t.Errorf("composer output (-, after the API server's defaulting) and stored pod (+) differ:\n%s", diff)
			}
		})
	}
}

// TestSecondPassIsNoOp checks reinvocation safety: the webhook returns an
// empty patch for a pod it already composed, as the API server sends it.
func TestSecondPassIsNoOp(t *testing.T) {
	ctx := context.Background()
	pod := examplePod(t, "driver.yaml", "second-pass-driver")
	if err := cp.Client.Create(ctx, pod); err != nil {
		t.Fatal(err)
	}
	resp := admit(t, pod)
	if !resp.Allowed || len(resp.Patch) != 0 {
		t.Fatalf("second pass: allowed %v, patches %v", resp.Allowed, string(resp.Patch))
	}
	// And through the API server: creating the composed pod again changes nothing.
	again := pod.DeepCopy()
	again.Name, again.ResourceVersion, again.UID = "second-pass-driver-2", "", ""
	if err := cp.Client.Create(ctx, again); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again.Labels, pod.Labels) || !reflect.DeepEqual(again.Annotations, pod.Annotations) ||
		!reflect.DeepEqual(again.Spec.Tolerations, pod.Spec.Tolerations) {
		t.Errorf("composing a composed pod changed it")
	}
}

// TestNonSparkPodUnchanged: the mutating webhook leaves every other pod as
// it is (the pod policies still judge it: see tenant_test.go).
func TestNonSparkPodUnchanged(t *testing.T) {
	ctx := context.Background()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "etl", Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "mirror.prod-a.internal/dockerhub/library/nginx:1.27",
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi")}}}}},
	}
	if err := cp.Client.Create(ctx, pod); err != nil {
		t.Fatal(err)
	}
	// PodNodeSelector gives it the cluster's default; nothing else does.
	if !reflect.DeepEqual(pod.Labels, map[string]string{"app": "web"}) || pod.Annotations != nil || !reflect.DeepEqual(pod.Spec.NodeSelector, clusterNodeSelector) ||
		pod.Spec.ServiceAccountName != "" {
		t.Errorf("non-Spark pod changed: labels %v annotations %v nodeSelector %v sa %q", pod.Labels, pod.Annotations, pod.Spec.NodeSelector, pod.Spec.ServiceAccountName)
	}
	// The handler itself also leaves it alone, were it ever called for it.
	if resp := admit(t, pod); !resp.Allowed || len(resp.Patch) != 0 {
		t.Errorf("handler patched a non-Spark pod: %v", string(resp.Patch))
	}
}

func TestDryRunCreate(t *testing.T) {
	ctx := context.Background()
	pod := examplePod(t, "driver.yaml", "dry-run-driver")
	if err := cp.Client.Create(ctx, pod, client.DryRunAll); err != nil {
		t.Fatal(err)
	}
	if pod.Annotations[v1alpha1.LayersAnnotation] == "" || pod.Spec.PriorityClassName != "spark-driver-critical" || len(pod.Spec.InitContainers) == 0 {
		t.Errorf("dry-run create returned an uncomposed pod: %v", pod.Annotations)
	}
	err := cp.Client.Get(ctx, client.ObjectKeyFromObject(pod), &corev1.Pod{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("dry-run create stored the pod: %v", err)
	}
}

// TestLayerChangeTakesEffect changes a Layer and sees the next pod composed
// by the new version, with nothing restarted; a layer choosing a priority
// class that does not exist gets a clear denial.
func TestLayerChangeTakesEffect(t *testing.T) {
	ctx := context.Background()
	var layer v1alpha1.Layer
	if err := cp.Client.Get(ctx, client.ObjectKey{Name: "ns-etl"}, &layer); err != nil {
		t.Fatal(err)
	}
	original := layer.DeepCopy()
	t.Cleanup(func() { restoreLayer(t, original) })

	gen := cp.Webhook.Store.Load().Generation
	layer.Spec.Config.Labels["team"] = "etl-platform"
	if err := cp.Client.Update(ctx, &layer); err != nil {
		t.Fatal(err)
	}
	waitForGeneration(t, gen)
	waitForLayerServed(t, &layer, "etl")
	pod := examplePod(t, "driver.yaml", "after-change-driver")
	if err := cp.Client.Create(ctx, pod); err != nil {
		t.Fatal(err)
	}
	if pod.Labels["team"] != "etl-platform" {
		t.Errorf("team = %q, want etl-platform from the changed layer", pod.Labels["team"])
	}

	gen = cp.Webhook.Store.Load().Generation
	missing := "no-such-class"
	layer.Spec.Driver.PriorityClassName = &missing
	if err := cp.Client.Update(ctx, &layer); err != nil {
		t.Fatal(err)
	}
	waitForGeneration(t, gen)
	waitForLayerServed(t, &layer, "etl")
	err := cp.Client.Create(ctx, examplePod(t, "driver.yaml", "missing-class-driver"))
	want := `(priority class set by NamespaceOverrides layer "ns-etl"): spec.priorityClassName: PriorityClass "no-such-class" not found`
	// The cluster may yet be given the class: an error (500), which
	// clients retry, not a refusal of the pod.
	if err == nil || !strings.Contains(err.Error(), want) || !apierrors.IsInternalError(err) {
		t.Fatalf("error = %v, want an internal error (500) containing %q", err, want)
	}

	// A mount of a volume the pod does not have: the API server would
	// refuse every pod as invalid, naming no layer; the webhook names it.
	gen = cp.Webhook.Store.Load().Generation
	layer.Spec.Driver.PriorityClassName = original.Spec.Driver.PriorityClassName
	layer.Spec.Driver.VolumeMounts = append(layer.Spec.Driver.VolumeMounts, corev1.VolumeMount{Name: "nothere", MountPath: "/nothere"})
	c, warnings := clientWithWarnings(t)
	if err := c.Update(ctx, &layer); err != nil {
		t.Fatal(err)
	}
	warned := fmt.Sprintf(`spec.driver.volumeMounts[%d]: mounts volume "nothere", which this Layer does not give`, len(layer.Spec.Driver.VolumeMounts)-1)
	if !containsPart(warnings.all(), warned) {
		t.Errorf("the Layer's warnings %q lack %q", warnings.all(), warned)
	}
	waitForGeneration(t, gen)
	waitForLayerServed(t, &layer, "etl")
	err = cp.Client.Create(ctx, examplePod(t, "driver.yaml", "unresolved-mount-driver"))
	want = `spec.containers[spark-kubernetes-driver].volumeMounts[/nothere]: names volume "nothere", which the pod does not have (NamespaceOverrides layer "ns-etl")`
	// Final, as the API server refuses an invalid pod: 422 Invalid.
	if err == nil || !strings.Contains(err.Error(), want) || !apierrors.IsInvalid(err) {
		t.Fatalf("error = %v, want 422 Invalid containing %q", err, want)
	}

	// A podPatch that caps the Spark container's CPU below the driver's
	// request of 1: the API server refuses such a pod as invalid (as it
	// does the same pod written so, where no webhook composes it); the
	// webhook names the layer.
	gen = cp.Webhook.Store.Load().Generation
	layer.Spec.Driver.VolumeMounts = original.Spec.Driver.VolumeMounts
	layer.Spec.Driver.PodPatch = &runtime.RawExtension{Raw: []byte(`{"spec":{"containers":[{"name":"spark-kubernetes-driver","resources":{"limits":{"cpu":"500m"}}}]}}`)}
	if err := cp.Client.Update(ctx, &layer); err != nil {
		t.Fatal(err)
	}
	waitForGeneration(t, gen)
	waitForLayerServed(t, &layer, "etl")
	const refused = `spec.containers[0].resources.requests: Invalid value: "1": must be less than or equal to cpu limit of 500m`
	plain := examplePod(t, "driver.yaml", "capped-driver-as-written")
	plain.Namespace, plain.Labels = exemptNamespace(t), nil
	plain.Spec.Containers[0].Resources.Limits[corev1.ResourceCPU] = resource.MustParse("500m")
	if err := cp.Client.Create(ctx, plain, client.DryRunAll); err == nil || !strings.Contains(err.Error(), refused) {
		t.Fatalf("the API server on the pod as composed: %v, want it to refuse it with %q", err, refused)
	}
	err = cp.Client.Create(ctx, examplePod(t, "driver.yaml", "capped-driver"))
	want = `spec.containers[spark-kubernetes-driver].resources.requests[cpu]: Invalid value: "1": must be less than or equal to cpu limit of 500m: the API server would refuse the pod as invalid (the podPatch of NamespaceOverrides layer "ns-etl")`
	if err == nil || !strings.Contains(err.Error(), want) || !apierrors.IsInvalid(err) {
		t.Fatalf("error = %v, want 422 Invalid containing %q", err, want)
	}
}

// restoreLayer puts back original, a Layer that matches etl.
func restoreLayer(t *testing.T, original *v1alpha1.Layer) {
	t.Helper()
	ctx := context.Background()
	var current v1alpha1.Layer
	if err := cp.Client.Get(ctx, client.ObjectKey{Name: original.Name}, &current); err != nil {
		t.Fatal(err)
	}
	gen := cp.Webhook.Store.Load().Generation
	current.Spec = original.Spec
	if err := cp.Client.Update(ctx, &current); err != nil {
		t.Fatal(err)
	}
	waitForGeneration(t, gen)
	waitForLayerServed(t, &current, "etl")
}

// TestInvalidLayerRejected checks the API server refuses a bad Layer with
// the message the composer CLI gives.
func TestInvalidLayerRejected(t *testing.T) {
	ctx := context.Background()
	bad := &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "ns-typo"}, Spec: v1alpha1.LayerSpec{Tier: "NamespaceDefaults"}}
	err := cp.Client.Create(ctx, bad)
	want := `spec.tier: Unsupported value: "NamespaceDefaults": supported values: "PoolDefaults", "ClusterDefaults", "ClusterOverrides", "NamespaceOverrides"`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error = %v, want it to contain %q", err, want)
	}
	// 422 Invalid with a cause per field, as kubectl and GitOps tools expect.
	var status apierrors.APIStatus
	if !apierrors.IsInvalid(err) || !errors.As(err, &status) || status.Status().Details == nil ||
		len(status.Status().Details.Causes) != 1 || status.Status().Details.Causes[0].Field != "spec.tier" {
		t.Errorf("not a 422 Invalid with the field as its cause: %#v", err)
	}
	var layer v1alpha1.Layer
	if err := cp.Client.Get(ctx, client.ObjectKey{Name: "ns-etl"}, &layer); err != nil {
		t.Fatal(err)
	}
	layer.Spec.Config.Tolerations = []corev1.Toleration{{Key: "gpu", Operator: corev1.TolerationOpExists, Value: "x"}}
	err = cp.Client.Update(ctx, &layer)
	if err == nil || !strings.Contains(err.Error(), `spec.config.tolerations[0].value: Invalid value: "x": must be empty when operator is Exists`) {
		t.Fatalf("update error = %v", err)
	}
	// A sidecar the API server would refuse in every pod.
	layer.Spec.Config.Tolerations = nil
	layer.Spec.Config.Sidecars = []corev1.Container{{Name: "shipper", Image: "fluent/fluent-bit:3.1.9", Resources: corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")}, Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}}}}
	err = cp.Client.Update(ctx, &layer)
	if err == nil || !strings.Contains(err.Error(), `spec.config.sidecars[0].resources.requests[cpu]: Invalid value: "2": must be less than or equal to cpu limit of 1`) {
		t.Fatalf("update error = %v", err)
	}
	// A quantity of a huge exponent, which resource.Quantity would take
	// minutes to parse, is refused by the CRD's schema: the webhook never
	// reads it. (Sent as a patch: the typed client would parse it first.)
	for _, q := range []string{"1e-999999999", "1.5e999", strings.Repeat("1", 65)} {
		patch := fmt.Sprintf(`{"spec":{"config":{"limits":{"namespaceMemory":%q}}}}`, q)
		err = cp.Client.Patch(ctx, &layer, client.RawPatch(types.MergePatchType, []byte(patch)))
		if err == nil || !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.config.limits.namespaceMemory") {
			t.Errorf("limits.namespaceMemory %s: error = %v, want the schema to refuse it", q, err)
		}
	}
	// In a pod patch, whose fields the schema leaves unchecked, the
	// webhook refuses it, at once, before the patched pod is decoded.
	patch := `{"spec":{"config":{"podPatch":{"spec":{"overhead":{"cpu":"1e-999999999"}}}}}}`
	err = cp.Client.Patch(ctx, &layer, client.RawPatch(types.MergePatchType, []byte(patch)))
	if want := `spec.overhead.cpu: "1e-999999999": a quantity of more than 64 characters or of an exponent beyond ±99`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("podPatch of a huge exponent: error = %v, want a denial containing %q", err, want)
	}
}

// TestFreshNamespaceIsMatched creates a geo namespace and, at once, a pod
// in it: the namespaceSelector layer applies even if the informer has not
// delivered the Namespace yet (the webhook then reads it live).
func TestFreshNamespaceIsMatched(t *testing.T) {
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "geo-fresh", Labels: map[string]string{"group": "geo"}}}
	if err := cp.Client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	pod := examplePod(t, "geo-executor.yaml", "fresh-exec-1")
	pod.Namespace = ns.Name
	if err := cp.Client.Create(ctx, pod); err != nil {
		t.Fatal(err)
	}
	if pod.Labels["team"] != "geo" || !strings.Contains(pod.Annotations[v1alpha1.LayersAnnotation], "ns-geo") {
		t.Fatalf("geo layers not applied in a fresh namespace: labels %v annotations %v", pod.Labels, pod.Annotations)
	}
}

// TestGlobalDefaultClassGivesWayToTheLayers: in a cluster with a
// globalDefault PriorityClass, the API server's Priority plugin writes that
// class on every pod that names none before any webhook sees it. An
// executor that names none still gets the layers' default class
// (pool-batch's spark-executor), with its priority, and the driver the
// etl override's; the global default is not taken for the user's choice.
func TestGlobalDefaultClassGivesWayToTheLayers(t *testing.T) {
	ctx := context.Background()
	never := corev1.PreemptNever
	pc := &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "e2e-cluster-default"}, Value: 5, GlobalDefault: true, PreemptionPolicy: &never}
	if err := cp.Client.Create(ctx, pc); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), pc) })
	if err := waitFor(30*time.Second, func() bool {
		got, ok := cp.Webhook.Store.Load().PriorityClass(pc.Name)
		return ok && got.GlobalDefault
	}); err != nil {
		t.Fatalf("the webhook never saw PriorityClass %s: %v", pc.Name, err)
	}
	for file, want := range map[string]string{"executor.yaml": "spark-executor", "driver.yaml": "spark-driver-critical"} {
		pod := examplePod(t, file, "e2e-global-default-"+strings.TrimSuffix(file, ".yaml"))
		pod.Spec.PriorityClassName = ""
		if err := cp.Client.Create(ctx, pod); err != nil {
			t.Fatalf("creating %s: %v", pod.Name, err)
		}
		t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), pod) })
		assertPriority(t, pod, want)
	}
}
