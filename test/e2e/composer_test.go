package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	composer "github.com/strata-dev/strata/cmd/composer/app"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// runComposer runs the composer in-process with stdin.
func runComposer(t *testing.T, stdin []byte, args ...string) (composer.ExitCode, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := composer.Run(context.Background(), args, composer.Streams{In: bytes.NewReader(stdin), Out: &out, Err: &errOut})
	return code, out.String(), errOut.String()
}

// TestComposerReadsTheCluster: with --kubeconfig the composer reads the
// Layers, Namespaces and PriorityClasses the webhook serves, the cluster's
// identity from the webhook's Deployment, and its live pods for
// --validate, read-only; its verdict is the webhook's.
func TestComposerReadsTheCluster(t *testing.T) {
	ctx := context.Background()
	kubeconfig := kubeconfigFile(t)
	pod := examplePod(t, "driver.yaml", "composer-reads-driver")
	in, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	want := composeWithCLI(t, pod)
	code, out, errOut := runComposer(t, in, "compose", "-f", "-", "--kubeconfig", kubeconfig, "--cluster", cluster.Name, "--pool", cluster.Pool, "-o", "json")
	if code != composer.ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got corev1.Pod
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if g, w := jsonOf(t, normalized(&got)), jsonOf(t, normalized(want)); g != w {
		t.Errorf("composed from the cluster differs from the repository's composition:\n%s\n%s", g, w)
	}

	// The cluster's identity, where the webhook's Deployment reads it.
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "strata-system"}}
	if err := cp.Client.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	identity := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "strata-system", Name: "strata-cluster-identity-h4sh"},
		Data: map[string]string{"cluster": cluster.Name, "pool": cluster.Pool}}
	ref := func(key string) *corev1.EnvVarSource {
		return &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: identity.Name}, Key: key}}
	}
	one := int32(0)
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "strata-system", Name: "strata-webhook"},
		Spec: appsv1.DeploymentSpec{Replicas: &one, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "strata"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "strata"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "webhook", Image: "strata-webhook",
					Env: []corev1.EnvVar{{Name: "STRATA_CLUSTER", ValueFrom: ref("cluster")}, {Name: "STRATA_POOL", ValueFrom: ref("pool")}}}}}}}}
	for _, obj := range []client.Object{identity, dep} {
		if err := cp.Client.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cp.Client.Delete(ctx, obj) })
	}
	code, out2, errOut := runComposer(t, in, "compose", "-f", "-", "--kubeconfig", kubeconfig, "-o", "json")
	if code != composer.ExitOK || out2 != out {
		t.Errorf("with the identity from the cluster: exit %d, %s\n%s", code, errOut, out2)
	}

	// Live pods count: a namespace of one pod at most, which holds one.
	live := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "composer-live"}}
	if err := cp.Client.Create(ctx, live); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	one32 := int32(1)
	layer := &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "composer-live"}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.NamespaceOverrides,
		Match: v1alpha1.Match{Namespaces: []string{live.Name}}, Config: &v1alpha1.Config{Limits: &v1alpha1.Limits{NamespacePods: &one32}}}}
	createLayer(t, layer, live.Name)
	first := smallPod(live.Name, "first")
	if err := cp.Client.Create(ctx, first); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(ctx, first) })
	second, err := json.Marshal(smallPod(live.Name, "second"))
	if err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runComposer(t, second, "compose", "-f", "-", "--kubeconfig", kubeconfig, "--validate", "-o", "patch")
	wantDenial := `quota: namespace "composer-live" would have 2 pods; namespace "composer-live" allows at most 1 (NamespaceOverrides layer "composer-live")`
	if code != composer.ExitDenied || !strings.Contains(errOut, wantDenial) {
		t.Errorf("a second pod, judged with the cluster's live pods: exit %d, %s", code, errOut)
	}
	err = cp.Client.Create(ctx, smallPod(live.Name, "second"), client.DryRunAll)
	if err == nil || !strings.Contains(err.Error(), wantDenial) {
		t.Errorf("the webhook's verdict on the second pod: %v", err)
	}

	// A PodGroup's hold, judged with the gangs waiting in the cluster.
	gangs := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "composer-gangs"}}
	if err := cp.Client.Create(ctx, gangs); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	createLayer(t, &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "composer-gangs"}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.NamespaceOverrides,
		Match: v1alpha1.Match{Namespaces: []string{gangs.Name}}, Config: &v1alpha1.Config{Limits: &v1alpha1.Limits{NamespaceCPU: new(resource.MustParse("10"))}}}}, gangs.Name)
	gang := func(name string) *unstructured.Unstructured {
		pg := &unstructured.Unstructured{}
		pg.SetAPIVersion("scheduling.volcano.sh/v1beta1")
		pg.SetKind("PodGroup")
		pg.SetName(name)
		pg.SetNamespace(gangs.Name)
		pg.Object["spec"] = map[string]any{"minMember": int64(1), "minResources": map[string]any{"cpu": "6"}}
		return pg
	}
	if err := cp.Client.Create(ctx, gang("waiting")); err != nil {
		t.Fatal(err)
	}
	second, err = json.Marshal(gang("second").Object)
	if err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runComposer(t, second, "compose", "-f", "-", "--kubeconfig", kubeconfig, "--validate", "-o", "yaml")
	wantDenial = `quota: PodGroup "second": spec.minResources has Volcano hold 6 CPU for the gang, 12 with the namespace's other gangs waiting to run; namespace "composer-gangs" allows at most 10 for the whole namespace (NamespaceOverrides layer "composer-gangs")`
	if code != composer.ExitDenied || !strings.Contains(errOut, wantDenial) {
		t.Errorf("a second gang, judged with the cluster's waiting gangs: exit %d, %s", code, errOut)
	}
	err = cp.Client.Create(ctx, gang("second"), client.DryRunAll)
	if err == nil || !strings.Contains(err.Error(), wantDenial) {
		t.Errorf("the webhook's verdict on the second gang: %v", err)
	}
}

// smallPod is a small pod that holds resources.
func smallPod(namespace, name string) *corev1.Pod {
	return &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}, ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "mirror.prod-a.internal/dockerhub/library/busybox:1.36",
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}}}}}}
}
