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

	composer "github.com/strata-dev/strata/cmd/composer/app"
	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/pkg/policy"
)

// TestComposerPredictsLimitRanger: the API server's LimitRanger plugin is
// on by default; given the cluster (--kubeconfig), the composer reads its
// LimitRanges and its dry run of a pod reaches the API server's verdict:
// admitted with a LimitRange's defaults, which it gives the pod as the
// API server does (the same resources and annotation as the stored pod),
// the layers' sidecars on the plugins' second round, after the webhook
// changed the pod, and a Container item's maximum as its default limit;
// refused, in the API server's words, for a pod without a limit under a
// Pod item's maximum, for a sidecar's request under a
// minimum, and for the pod as a whole.
func TestComposerPredictsLimitRanger(t *testing.T) {
	ctx := context.Background()
	kubeconfig := kubeconfigFile(t)
	unsized := func(p *corev1.Pod) { p.Spec.Containers[0].Resources = corev1.ResourceRequirements{} }
	for _, tc := range []struct {
		name  string
		items []corev1.LimitRangeItem
		edit  func(*corev1.Pod)
		// refusal is the API server's words, in both verdicts; "" for
		// admitted.
		refusal string
	}{
		{name: "defaults", edit: unsized, items: []corev1.LimitRangeItem{{Type: corev1.LimitTypeContainer,
			Default: quantities("cpu", "2", "memory", "4Gi"), DefaultRequest: quantities("cpu", "250m", "memory", "2Gi")}}},
		// The webhook's sidecars get the default on the plugins' second
		// round, once the webhook changed the pod.
		{name: "a default under a maximum", items: []corev1.LimitRangeItem{{Type: corev1.LimitTypeContainer,
			Default: quantities("cpu", "2"), Max: quantities("cpu", "4")}}},
		// A Container item's maximum is its default limit too (the API
		// server's defaults of a LimitRange); a Pod item's is not.
		{name: "a container's maximum", items: []corev1.LimitRangeItem{{Type: corev1.LimitTypeContainer, Max: quantities("ephemeral-storage", "10Gi")}}},
		{name: "no limit under a pod's maximum", items: []corev1.LimitRangeItem{{Type: corev1.LimitTypePod, Max: quantities("ephemeral-storage", "10Gi")}},
			refusal: "maximum ephemeral-storage usage per Pod is 10Gi.  No limit is specified"},
		// A default limit under the executor's request: the pod is
		// invalid.
		{name: "a default limit under a request", items: []corev1.LimitRangeItem{{Type: corev1.LimitTypeContainer,
			Default: quantities("cpu", "500m"), DefaultRequest: quantities("cpu", "250m")}},
			refusal: "must be less than or equal to cpu limit of 500m"},
		{name: "a sidecar's request under the minimum", items: []corev1.LimitRangeItem{{Type: corev1.LimitTypeContainer, Min: quantities("cpu", "30m")}},
			refusal: "minimum cpu usage per Container is 30m, but request is 20m"},
		{name: "the pod's memory", items: []corev1.LimitRangeItem{{Type: corev1.LimitTypePod, Max: quantities("memory", "1Gi")}},
			refusal: "maximum memory usage per Pod is 1Gi, but limit is"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "e2e-limits-" + strings.ReplaceAll(tc.name, " ", "-")
			name = strings.ReplaceAll(name, "'", "")
			ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
			lr := &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Name: "bounds", Namespace: name}, Spec: corev1.LimitRangeSpec{Limits: tc.items}}
			for _, obj := range []client.Object{ns, lr} {
				if err := cp.Client.Create(ctx, obj); err != nil {
					t.Fatal(err)
				}
			}
			t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), ns) })
			pod := examplePod(t, "executor.yaml", "e2e-limits-exec")
			pod.Namespace = name
			if tc.edit != nil {
				tc.edit(pod)
			}
			in, err := json.Marshal(pod)
			if err != nil {
				t.Fatal(err)
			}
			code, out, errOut := runComposer(t, in, "compose", "-f", "-", "--kubeconfig", kubeconfig, "--cluster", cluster.Name, "--pool", cluster.Pool,
				"--validate", "-o", "json")
			created := cp.Client.Create(ctx, pod)
			if tc.refusal != "" {
				wantDenied(t, "the API server", created, tc.refusal)
				if code != composer.ExitDenied || !strings.Contains(errOut, tc.refusal) {
					t.Errorf("the composer: exit %d, %s; want a refusal containing %q", code, errOut, tc.refusal)
				}
				return
			}
			if created != nil || code != composer.ExitOK {
				t.Fatalf("the API server: %v; the composer: exit %d, %s; want both to admit it", created, code, errOut)
			}
			var predicted corev1.Pod
			if err := json.Unmarshal([]byte(out), &predicted); err != nil {
				t.Fatal(err)
			}
			if got, want := predicted.Annotations[mutate.LimitRangerAnnotation], pod.Annotations[mutate.LimitRangerAnnotation]; got != want || want == "" {
				t.Errorf("the composer's %s %q, the API server's %q", mutate.LimitRangerAnnotation, got, want)
			}
			// The API server's defaults copy a limit to a missing request
			// in what it stores.
			want := policy.ServerDefaults(&predicted)
			stored, composed := slices.Concat(pod.Spec.InitContainers, pod.Spec.Containers), slices.Concat(want.Spec.InitContainers, want.Spec.Containers)
			if len(stored) != len(composed) {
				t.Fatalf("the composer's %d containers, the API server's %d", len(composed), len(stored))
			}
			for i, c := range composed {
				if stored[i].Name != c.Name || !sameResources(c.Resources, stored[i].Resources) {
					t.Errorf("the composer's container %q: %v; the API server's %q: %v", c.Name, c.Resources, stored[i].Name, stored[i].Resources)
				}
			}
		})
	}
}

// quantities reads name, quantity pairs.
func quantities(pairs ...string) corev1.ResourceList {
	out := corev1.ResourceList{}
	for i := 0; i+1 < len(pairs); i += 2 {
		out[corev1.ResourceName(pairs[i])] = resource.MustParse(pairs[i+1])
	}
	return out
}

// sameResources compares requirements by quantity.
func sameResources(a, b corev1.ResourceRequirements) bool {
	same := func(x, y corev1.ResourceList) bool {
		if len(x) != len(y) {
			return false
		}
		for k, q := range x {
			if o, ok := y[k]; !ok || q.Cmp(o) != 0 {
				return false
			}
		}
		return true
	}
	return same(a.Requests, b.Requests) && same(a.Limits, b.Limits)
}

// TestLimitRangeRefusalIsWarned: a layer's sidecar that requests less CPU
// than a namespace's LimitRange allows has the API server's LimitRanger
// refuse every pod the layer matches there. The LimitRange webhook warns
// whoever writes the LimitRange of the served layers' sidecars; the Layer webhook warns
// whoever writes the Layer, from the LimitRanges its snapshot holds, of
// what that layer adds, and the application webhook warns a
// SparkApplication's creator of every container of the pods it will
// launch the LimitRange refuses; the API server then refuses the pod as
// warned.
func TestLimitRangeRefusalIsWarned(t *testing.T) {
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "e2e-limits-warned"}}
	lr := &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Name: "bounds", Namespace: ns.Name}, Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{
		{Type: corev1.LimitTypeContainer, Min: quantities("cpu", "100m")}}}}
	if err := cp.Client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), ns) })
	// Whoever writes the LimitRange is warned of the example layers'
	// sidecars, which request less.
	writer, written := clientWithWarnings(t)
	if err := writer.Create(ctx, lr); err != nil {
		t.Fatal(err)
	}
	if want := `the API server will refuse the Spark driver and executor pods the layers compose in namespace "` + ns.Name +
		`": LimitRange "bounds": container "log-shipper": minimum cpu usage per Container is 100m, but request is 50m`; !containsPart(written.all(), want) {
		t.Errorf("the LimitRange's warnings %q, want one containing %q", written.all(), want)
	}
	if err := waitFor(30*time.Second, func() bool { return len(cp.Webhook.Store.Load().LimitRanges(ns.Name)) > 0 }); err != nil {
		t.Fatalf("the webhook never saw the LimitRange of %s: %v", ns.Name, err)
	}
	layer := &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "e2e-small-sidecar"}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.ClusterOverrides,
		Match: v1alpha1.Match{Namespaces: []string{ns.Name}}, Config: &v1alpha1.Config{Sidecars: []corev1.Container{{Name: "shipper", Image: "mirror.prod-a.internal/shipper:1",
			Resources: corev1.ResourceRequirements{Requests: quantities("cpu", "50m")}}}}}}
	applied := createLayer(t, layer, ns.Name)
	const refusal = `LimitRange "bounds": container "shipper": minimum cpu usage per Container is 100m, but request is 50m`
	if want := `spec: the API server will refuse the Spark driver and executor pods this Layer composes in namespace "` + ns.Name + `": ` + refusal; !containsPart(applied, want) {
		t.Errorf("the Layer's warnings %q, want one containing %q", applied, want)
	}
	waitForLayerServed(t, layer, ns.Name)

	pod := examplePod(t, "executor.yaml", "e2e-limits-warned-exec")
	pod.Namespace = ns.Name
	wantDenied(t, "a pod the layer gave a small sidecar", cp.Client.Create(ctx, pod), "minimum cpu usage per Container is 100m, but request is 50m")

	warnings := createReportIn(t, ns.Name, "e2e-limits-report")
	// Of every container the LimitRange refuses: the example layers'
	// sidecars request less than it allows too.
	for _, role := range []string{"driver", "executor"} {
		lead := role + `: the pod it launches: The API server will refuse the pod for its resources in namespace "` + ns.Name + `": `
		if !slices.ContainsFunc(warnings.all(), func(w string) bool { return strings.HasPrefix(w, lead) && strings.Contains(w, refusal) }) {
			t.Errorf("the SparkApplication's warnings %q, want one led by %q naming %q", warnings.all(), lead, refusal)
		}
	}
}

// TestSparkClaimRefusalIsWarned: the API server's LimitRanger refuses the
// PersistentVolumeClaims Spark creates for a role's pods (on demand, from
// a layer's or the application's Spark configuration) outside a
// LimitRange's PersistentVolumeClaim items, in the words the webhook
// warns with before any claim is made: whoever writes the LimitRange (of
// a layer's spill volume), the Layer that gives a claim too small, and
// the SparkApplication's creator, of each role's claim.
func TestSparkClaimRefusalIsWarned(t *testing.T) {
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "e2e-claims"}}
	if err := cp.Client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), ns) })
	volumeLayer := func(name string, role v1alpha1.Role, volume, size string) *v1alpha1.Layer {
		prefix := "spark.kubernetes." + string(role) + ".volumes.persistentVolumeClaim." + volume + "."
		conf := &v1alpha1.Config{SparkConf: map[string]string{prefix + "mount.path": "/" + volume, prefix + "options.claimName": "OnDemand",
			prefix + "options.storageClass": "gp3", prefix + "options.sizeLimit": size}}
		l := &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.ClusterOverrides,
			Match: v1alpha1.Match{Namespaces: []string{ns.Name}}}}
		if role == v1alpha1.RoleDriver {
			l.Spec.Driver = conf
		} else {
			l.Spec.Executor = conf
		}
		return l
	}
	create := func(l *v1alpha1.Layer) []string {
		t.Helper()
		return createLayer(t, l, ns.Name)
	}
	spill := volumeLayer("e2e-spill", v1alpha1.RoleExecutor, "spill", "500Gi")
	if got := create(spill); containsPart(got, "PersistentVolumeClaim") {
		t.Errorf("the spill Layer's warnings %q, want none of its claim: no LimitRange bounds it yet", got)
	}
	lr := &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Name: "storage", Namespace: ns.Name}, Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{
		{Type: corev1.LimitTypePersistentVolumeClaim, Min: quantities("storage", "1Gi"), Max: quantities("storage", "100Gi")}}}}
	writer, written := clientWithWarnings(t)
	if err := writer.Create(ctx, lr); err != nil {
		t.Fatal(err)
	}
	spillClaim := mutate.SparkClaim{Role: v1alpha1.RoleExecutor, Volume: "spill", Size: "500Gi"}
	const spillRefusal = `LimitRange "storage": maximum storage usage per PersistentVolumeClaim is 100Gi, but request is 500Gi`
	if want := `the API server will refuse the Spark executor pods the layers compose in namespace "` + ns.Name + `": ` + spillClaim.String() + ": " + spillRefusal; !containsPart(written.all(), want) {
		t.Errorf("the LimitRange's warnings %q, want one containing %q", written.all(), want)
	}
	if err := waitFor(30*time.Second, func() bool { return len(cp.Webhook.Store.Load().LimitRanges(ns.Name)) > 0 }); err != nil {
		t.Fatalf("the webhook never saw the LimitRange of %s: %v", ns.Name, err)
	}
	scratchClaim := mutate.SparkClaim{Role: v1alpha1.RoleDriver, Volume: "scratch", Size: "100Mi"}
	const scratchRefusal = `LimitRange "storage": minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 100Mi`
	if got, want := create(volumeLayer("e2e-scratch", v1alpha1.RoleDriver, "scratch", "100Mi")),
		`spec: the API server will refuse the Spark driver pods this Layer composes in namespace "`+ns.Name+`": `+scratchClaim.String()+": "+scratchRefusal; !containsPart(got, want) {
		t.Errorf("the scratch Layer's warnings %q, want one containing %q", got, want)
	}

	warnings := createReportIn(t, ns.Name, "e2e-claims-report")
	lead := `: the claims it creates: In namespace "` + ns.Name + `" the API server will refuse `
	for _, want := range []string{"driver" + lead + scratchClaim.String() + ": " + scratchRefusal, "executor" + lead + spillClaim.String() + ": " + spillRefusal} {
		if !slices.Contains(warnings.all(), want) {
			t.Errorf("the SparkApplication's warnings %q, want %q", warnings.all(), want)
		}
	}

	// The claims as Spark creates them (MountVolumesFeatureStep): the API
	// server refuses each, in the words of the refusal predicted.
	for _, tc := range []struct {
		name    string
		claim   mutate.SparkClaim
		refusal string
	}{{"e2e-claims-report-driver-pvc-0", scratchClaim, scratchRefusal}, {"e2e-claims-report-exec-1-pvc-0", spillClaim, spillRefusal}} {
		size, err := tc.claim.Storage()
		if err != nil {
			t.Fatal(err)
		}
		predicted := mutate.ClaimRefusals(cp.Webhook.Store.Load().LimitRanges(ns.Name), tc.claim)
		if len(predicted) != 1 || predicted[0].String() != tc.refusal {
			t.Fatalf("%s: predicted %v, want %q", tc.name, predicted, tc.refusal)
		}
		pvc := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: tc.name, Namespace: ns.Name}, Spec: corev1.PersistentVolumeClaimSpec{
			StorageClassName: new("gp3"), AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOncePod},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: size}}}}
		wantDenied(t, tc.name, cp.Client.Create(ctx, pvc), `persistentvolumeclaims "`+tc.name+`" is forbidden: `+predicted[0].Reason)
	}
}

// createReportIn creates the example etl-report SparkApplication, named
// name, in namespace (without etl's IAM role, which no other namespace is
// allowed), which the webhooks admit, and returns the warnings of its
// creation.
func createReportIn(t *testing.T, namespace, name string) *warningCollector {
	t.Helper()
	app := exampleApp(t, "etl-report.yaml", name)
	app.SetNamespace(namespace)
	unstructured.RemoveNestedField(app.Object, "spec", "driver", "annotations")
	c, warnings := clientWithWarnings(t)
	if err := c.Create(context.Background(), app); err != nil {
		t.Fatalf("SparkApplication %s/%s: %v", namespace, name, err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), app) })
	return warnings
}
