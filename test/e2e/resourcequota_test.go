package e2e

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	composer "github.com/strata-dev/strata/cmd/composer/app"
	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// TestComposerPredictsResourceQuota: the API server's ResourceQuota
// admission is on by default; given the cluster (--kubeconfig), the
// composer reads its ResourceQuotas and its dry run of a pod reaches the
// API server's verdict, in its words: refused where a quota bounds the
// cpu limits the layers' sidecars do not set, of pods in its scopes;
// admitted where the quota's scopes leave the pod out, where it bounds
// nothing a container must state, and where a LimitRange's default
// limits reach the sidecars on the API server's second round of plugins;
// refused where the pod needs more than is left of what the quota
// records as used, admitted where enough is.
func TestComposerPredictsResourceQuota(t *testing.T) {
	ctx := context.Background()
	kubeconfig := kubeconfigFile(t)
	limitsCPU := quantities("limits.cpu", "100")
	classScope := func(op corev1.ScopeSelectorOperator) *corev1.ScopeSelector {
		return &corev1.ScopeSelector{MatchExpressions: []corev1.ScopedResourceSelectorRequirement{{ScopeName: corev1.ResourceQuotaScopePriorityClass, Operator: op}}}
	}
	for _, tc := range []struct {
		name     string
		spec     corev1.ResourceQuotaSpec
		defaults bool // a LimitRange gives every container a cpu limit
		refused  bool
		// used is what the quota records as used of its hard limits,
		// none when empty.
		used corev1.ResourceList
		// words start the API server's refusal: a cpu limit left unsaid
		// when empty.
		words string
	}{
		{name: "cpu limits", spec: corev1.ResourceQuotaSpec{Hard: limitsCPU}, refused: true},
		{name: "pods", spec: corev1.ResourceQuotaSpec{Hard: quantities("pods", "100")}},
		{name: "not best effort", spec: corev1.ResourceQuotaSpec{Hard: limitsCPU, Scopes: []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeNotBestEffort}}, refused: true},
		{name: "terminating", spec: corev1.ResourceQuotaSpec{Hard: limitsCPU, Scopes: []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeTerminating}}},
		{name: "a priority class", spec: corev1.ResourceQuotaSpec{Hard: limitsCPU, ScopeSelector: classScope(corev1.ScopeSelectorOpExists)}, refused: true},
		{name: "no priority class", spec: corev1.ResourceQuotaSpec{Hard: limitsCPU, ScopeSelector: classScope(corev1.ScopeSelectorOpDoesNotExist)}},
		{name: "default limits", spec: corev1.ResourceQuotaSpec{Hard: limitsCPU}, defaults: true},
		// What is left: the pod's memory requests past what the quota
		// holds with what it records as used.
		{name: "memory left", spec: corev1.ResourceQuotaSpec{Hard: quantities("requests.memory", "64Gi", "pods", "100")},
			used: quantities("requests.memory", "63Gi", "pods", "7"), refused: true, words: "exceeded quota: compute, requested: requests.memory="},
		{name: "memory enough", spec: corev1.ResourceQuotaSpec{Hard: quantities("requests.memory", "64Gi", "pods", "100")},
			used: quantities("requests.memory", "10Gi", "pods", "7")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "e2e-quota-" + strings.ReplaceAll(tc.name, " ", "-")
			ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
			if err := cp.Client.Create(ctx, ns); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), ns) })
			if tc.defaults {
				lr := &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Name: "defaults", Namespace: name}, Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{
					{Type: corev1.LimitTypeContainer, Default: quantities("cpu", "4")}}}}
				if err := cp.Client.Create(ctx, lr); err != nil {
					t.Fatal(err)
				}
			}
			q := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "compute", Namespace: name}, Spec: tc.spec}
			if err := cp.Client.Create(ctx, q); err != nil {
				t.Fatal(err)
			}
			recordQuotaStatus(t, q, tc.used)
			pod := examplePod(t, "executor.yaml", "e2e-quota-exec")
			pod.Namespace = name
			in, err := json.Marshal(pod)
			if err != nil {
				t.Fatal(err)
			}
			code, _, errOut := runComposer(t, in, "compose", "-f", "-", "--kubeconfig", kubeconfig, "--cluster", cluster.Name, "--pool", cluster.Pool,
				"--validate", "-o", "json")
			created := cp.Client.Create(ctx, pod)
			if !tc.refused {
				if created != nil || code != composer.ExitOK {
					t.Fatalf("the API server: %v; the composer: exit %d, %s; want both to admit it", created, code, errOut)
				}
				return
			}
			words := tc.words
			if words == "" {
				words = "failed quota: compute: must specify limits.cpu for: "
			}
			wantDenied(t, "the API server", created, words)
			if created == nil {
				return
			}
			_, refusal, _ := strings.Cut(created.Error(), "is forbidden: ")
			if code != composer.ExitDenied || !strings.Contains(errOut, "resource-quota: "+refusal+" (") {
				t.Errorf("the composer: exit %d, %s; want a refusal of %q", code, errOut, refusal)
			}
		})
	}
}

// TestResourceQuotaRefusalIsWarned: whoever writes a ResourceQuota of
// cpu limits is warned of the example layers' sidecars, which set none;
// so is whoever writes a Layer adding another such sidecar, and whoever
// creates a SparkApplication there, of the pods it launches; and the API
// server refuses the pod as warned.
func TestResourceQuotaRefusalIsWarned(t *testing.T) {
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "e2e-quota-warned"}}
	if err := cp.Client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), ns) })
	q := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "compute", Namespace: ns.Name}, Spec: corev1.ResourceQuotaSpec{Hard: quantities("limits.cpu", "100")}}
	writer, written := clientWithWarnings(t)
	if err := writer.Create(ctx, q); err != nil {
		t.Fatal(err)
	}
	lead := `the API server will refuse the Spark driver and executor pods the layers compose in namespace "` + ns.Name + `": failed quota: compute: must specify limits.cpu for: `
	if !containsPart(written.all(), lead+"log-shipper") || containsPart(written.all(), "spark-kubernetes-") {
		t.Errorf("the ResourceQuota's warnings %q, want one led by %q naming the layers' sidecars, not the pods' own containers", written.all(), lead)
	}
	recordQuotaStatus(t, q, nil)
	if err := waitFor(30*time.Second, func() bool { return len(cp.Webhook.Store.Load().ResourceQuotas(ns.Name)) > 0 }); err != nil {
		t.Fatalf("the webhook never saw the ResourceQuota of %s: %v", ns.Name, err)
	}
	layer := &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "e2e-unlimited-sidecar"}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.ClusterOverrides,
		Match: v1alpha1.Match{Namespaces: []string{ns.Name}}, Config: &v1alpha1.Config{Sidecars: []corev1.Container{{Name: "tracer", Image: "mirror.prod-a.internal/tracer:1",
			Resources: corev1.ResourceRequirements{Requests: quantities("cpu", "50m", "memory", "64Mi")}}}}}}
	applied := createLayer(t, layer, ns.Name)
	if want := `spec: the API server will refuse the Spark driver and executor pods this Layer composes in namespace "` + ns.Name +
		`": failed quota: compute: must specify limits.cpu for: tracer`; !slices.Contains(applied, want) {
		t.Errorf("the Layer's warnings %q, want %q", applied, want)
	}

	warnings := createReportIn(t, ns.Name, "e2e-quota-report")
	for _, role := range []string{"driver", "executor"} {
		lead := role + `: the pod it launches: The API server will refuse the pod for its resources in namespace "` + ns.Name + `": failed quota: compute: must specify limits.cpu for: `
		if !slices.ContainsFunc(warnings.all(), func(w string) bool { return strings.HasPrefix(w, lead) && strings.Contains(w, "tracer") }) {
			t.Errorf("the SparkApplication's warnings %q, want one led by %q naming the layer's sidecar", warnings.all(), lead)
		}
	}
	pod := examplePod(t, "executor.yaml", "e2e-quota-warned-exec")
	pod.Namespace = ns.Name
	wantDenied(t, "a pod the layer gave a sidecar without a cpu limit", cp.Client.Create(ctx, pod), "failed quota: compute: must specify limits.cpu for: ")
}

// TestAppOutgrowsAQuota: an application whose driver and executors need
// more pods than a quota of its namespace holds is warned; and what a pod
// and a claim count against a quota is what the API server counts (an
// extended resource the pod only limits among them): the
// quota's usage after the example executor is created, as the webhook
// composes it, and a claim as Spark creates it, is what the warning's
// arithmetic counts of them.
func TestAppOutgrowsAQuota(t *testing.T) {
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "e2e-quota-outgrown"}}
	if err := cp.Client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), ns) })
	hard := quantities("pods", "2", "count/pods", "100", "requests.cpu", "1000", "cpu", "1000", "requests.memory", "1Ti", "memory", "1Ti", "requests.ephemeral-storage", "1Ti",
		"requests.storage", "10Ti", "persistentvolumeclaims", "100", "count/persistentvolumeclaims", "100",
		"gp3.storageclass.storage.k8s.io/requests.storage", "10Ti", "gp3.storageclass.storage.k8s.io/persistentvolumeclaims", "100",
		"requests."+fpga, "4")
	q := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "compute", Namespace: ns.Name}, Spec: corev1.ResourceQuotaSpec{Hard: hard}}
	if err := cp.Client.Create(ctx, q); err != nil {
		t.Fatal(err)
	}
	recordQuotaStatus(t, q, nil)
	if err := waitFor(30*time.Second, func() bool { return len(cp.Webhook.Store.Load().ResourceQuotas(ns.Name)) > 0 }); err != nil {
		t.Fatalf("the webhook never saw the ResourceQuota of %s: %v", ns.Name, err)
	}
	warnings := createReportIn(t, ns.Name, "e2e-outgrown-report")
	const part = `the application needs more than the ResourceQuotas of namespace "e2e-quota-outgrown" hold, whatever else runs there: ResourceQuota "compute": pods `
	if !slices.ContainsFunc(warnings.all(), func(w string) bool {
		return strings.HasPrefix(w, "executor: the pods it launches: At its full size") && strings.Contains(w, part)
	}) {
		t.Errorf("the SparkApplication's warnings %q, want one containing %q", warnings.all(), part)
	}
	pod := examplePod(t, "executor.yaml", "e2e-outgrown-exec")
	pod.Namespace = ns.Name
	// An extended resource, limited only: the API server's defaults
	// request it.
	pod.Spec.Containers[0].Resources.Limits[fpga] = resource.MustParse("1")
	if err := cp.Client.Create(ctx, pod); err != nil {
		t.Fatal(err)
	}
	// And a claim, created as Spark creates an executor's spill volume.
	spill := mutate.SparkClaim{Role: v1alpha1.RoleExecutor, Volume: "spill", Size: "1.5Gi", StorageClass: "gp3"}
	size, err := spill.Storage()
	if err != nil {
		t.Fatal(err)
	}
	pvc := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "e2e-outgrown-report-exec-1-pvc-0", Namespace: ns.Name}, Spec: corev1.PersistentVolumeClaimSpec{
		StorageClassName: new(spill.StorageClass), AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOncePod},
		Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: size}}}}
	if err := cp.Client.Create(ctx, pvc); err != nil {
		t.Fatal(err)
	}
	if err := cp.Client.Get(ctx, client.ObjectKeyFromObject(q), q); err != nil {
		t.Fatal(err)
	}
	counted := mutate.QuotaUsage(pod)
	claimed, ok := spill.QuotaUsage()
	if !ok {
		t.Fatalf("the claim of %s counts nothing", spill.Size)
	}
	for name, v := range claimed {
		counted[name] = v
	}
	for name := range hard {
		used, want := q.Status.Used[name], counted[name]
		if used.Cmp(want) != 0 {
			t.Errorf("%s: the API server counts %s of the pod, Strata %s", name, used.String(), want.String())
		}
	}
}

// TestConnectBoundsAreWarned: a SparkConnect's creator is warned, through
// the API server, of its executor pods a LimitRange would refuse for what
// the layers add (the example executor sidecar's request under a
// minimum), not of its server pod, whose sidecars meet it, and of its
// outgrowing a quota of pods at its full size.
func TestConnectBoundsAreWarned(t *testing.T) {
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "e2e-connect-bounds"}}
	if err := cp.Client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), ns) })
	lr := &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Name: "bounds", Namespace: ns.Name}, Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{
		{Type: corev1.LimitTypeContainer, Min: quantities("cpu", "30m")}}}}
	q := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "compute", Namespace: ns.Name}, Spec: corev1.ResourceQuotaSpec{Hard: quantities("pods", "2")}}
	for _, obj := range []client.Object{lr, q} {
		if err := cp.Client.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	if err := waitFor(30*time.Second, func() bool {
		s := cp.Webhook.Store.Load()
		return len(s.LimitRanges(ns.Name)) > 0 && len(s.ResourceQuotas(ns.Name)) > 0
	}); err != nil {
		t.Fatalf("the webhook never saw the bounds of %s: %v", ns.Name, err)
	}
	conn := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(`
apiVersion: sparkoperator.k8s.io/v1alpha1
kind: SparkConnect
metadata: {name: e2e-bounded-notebooks, namespace: e2e-connect-bounds}
spec:
  sparkVersion: 4.0.1
  image: docker.io/apache/spark:4.0.1
  server:
    cores: 1
    memory: 2g
    template:
      spec:
        containers: [{name: spark-kubernetes-driver, image: docker.io/apache/spark:4.0.1}]
  executor:
    instances: 2
    memory: 2g
`), &conn.Object); err != nil {
		t.Fatal(err)
	}
	c, warnings := clientWithWarnings(t)
	if err := c.Create(ctx, conn); err != nil {
		t.Fatalf("creating the SparkConnect: %v", err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), conn) })
	// The example layers' executor sidecar requests 20m of cpu; the
	// server's sidecars request more.
	if want := `an executor pod: The API server will refuse the pod for its resources in namespace "` + ns.Name +
		`": LimitRange "bounds": container "metrics-exporter": minimum cpu usage per Container is 30m, but request is 20m`; !slices.Contains(warnings.all(), want) {
		t.Errorf("the SparkConnect's warnings %q, want %q", warnings.all(), want)
	}
	if containsPart(warnings.all(), "the server pod: ") {
		t.Errorf("the SparkConnect's warnings %q, want none of the server pod", warnings.all())
	}
	if want := `its pods: At its full size (its server and 2 executors) the application needs more than the ResourceQuotas of namespace "` + ns.Name +
		`" hold, whatever else runs there: ResourceQuota "compute": pods 3 of 2; the API server will refuse the pods past them`; !slices.Contains(warnings.all(), want) {
		t.Errorf("the SparkConnect's warnings %q, want %q", warnings.all(), want)
	}
}

// recordQuotaStatus records q's status as the quota controller would
// (none runs here): its spec's hard limits, used as used says and none of
// the rest. The admission enforces what the status holds, and refuses a
// pod while it holds no usage.
func recordQuotaStatus(t *testing.T, q *corev1.ResourceQuota, used corev1.ResourceList) {
	t.Helper()
	q.Status = corev1.ResourceQuotaStatus{Hard: q.Spec.Hard, Used: corev1.ResourceList{}}
	for r := range q.Spec.Hard {
		q.Status.Used[r] = resource.MustParse("0")
	}
	for r, v := range used {
		q.Status.Used[r] = v
	}
	if err := cp.Client.Status().Update(context.Background(), q); err != nil {
		t.Fatal(err)
	}
}
