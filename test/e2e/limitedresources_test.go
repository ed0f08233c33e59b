package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	composer "github.com/strata-dev/strata/cmd/composer/app"
	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// The control plane's ResourceQuota admission lets a pod consume an FPGA,
// or run at the priority class limitedClass, and a claim be of the
// storage class limitedStorageClass, only where a quota of its namespace
// covers it; the webhook reads the same configuration.
const (
	limitedClass               = "e2e-limited-critical"
	fpga                       = "example.com/fpga"
	limitedStorageClass        = "e2e-limited"
	resourceQuotaConfiguration = `apiVersion: apiserver.config.k8s.io/v1
kind: ResourceQuotaConfiguration
limitedResources:
- resource: pods
  matchContains: [` + fpga + `]
- resource: pods
  matchScopes:
  - {scopeName: PriorityClass, operator: In, values: [` + limitedClass + `]}
- resource: persistentvolumeclaims
  matchContains: [` + limitedStorageClass + `.storageclass.storage.k8s.io/]
`
)

// TestComposerPredictsLimitedResources: given the API server's
// AdmissionConfiguration (--cluster-config) and the cluster
// (--kubeconfig), the composer's dry run of a pod reaches the API
// server's verdict on the ResourceQuota admission's limited resources, in
// its words: a layer's priority class the configuration limits is refused
// in a namespace without a quota of that class, admitted in one with it;
// an FPGA likewise, without and with a quota of FPGAs. The webhook, given
// the same file, warns whoever writes the Layer giving the class, and
// whoever creates an application there, where no quota covers it, and
// whoever deletes the quota that covers it.
func TestComposerPredictsLimitedResources(t *testing.T) {
	ctx := context.Background()
	kubeconfig := kubeconfigFile(t)
	pc := &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: limitedClass}, Value: 900000}
	if err := cp.Client.Create(ctx, pc); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), pc) })
	classScope := &corev1.ScopeSelector{MatchExpressions: []corev1.ScopedResourceSelectorRequirement{
		{ScopeName: corev1.ResourceQuotaScopePriorityClass, Operator: corev1.ScopeSelectorOpIn, Values: []string{limitedClass}}}}
	for _, tc := range []struct {
		name string
		// class: a layer gives the pod limitedClass; else it requests an
		// FPGA.
		class bool
		quota *corev1.ResourceQuotaSpec
		words string
	}{
		{name: "class", class: true, words: "insufficient quota to match these scopes: [{PriorityClass In [" + limitedClass + "]}]"},
		{name: "class quota", class: true, quota: &corev1.ResourceQuotaSpec{Hard: quantities("pods", "10"), ScopeSelector: classScope}},
		{name: "fpga", words: "insufficient quota to consume: requests." + fpga},
		{name: "fpga quota", quota: &corev1.ResourceQuotaSpec{Hard: quantities("requests."+fpga, "4")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "e2e-limited-" + strings.ReplaceAll(tc.name, " ", "-")
			ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
			if err := cp.Client.Create(ctx, ns); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), ns) })
			if tc.quota != nil {
				q := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "limited", Namespace: name}, Spec: *tc.quota}
				if err := cp.Client.Create(ctx, q); err != nil {
					t.Fatal(err)
				}
				recordQuotaStatus(t, q, nil)
				if err := waitFor(30*time.Second, func() bool { return len(cp.Webhook.Store.Load().ResourceQuotas(name)) > 0 }); err != nil {
					t.Fatalf("the webhook never saw the ResourceQuota of %s: %v", name, err)
				}
			}
			if err := waitFor(30*time.Second, func() bool { return cp.Webhook.Store.Load().KnowsNamespace(name) }); err != nil {
				t.Fatalf("the webhook never saw namespace %s: %v", name, err)
			}
			config := &v1alpha1.Config{Isolation: &v1alpha1.Isolation{AllowedTolerations: []v1alpha1.TolerationPattern{{Key: fpga}}}}
			if tc.class {
				class := limitedClass
				config = &v1alpha1.Config{PriorityClassName: &class}
			}
			layer := &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.NamespaceOverrides,
				Match: v1alpha1.Match{Namespaces: []string{name}}, Config: config}}
			applied := createLayer(t, layer, name)
			// The webhook warns whoever writes the Layer, and whoever
			// creates an application there, of a class no quota covers;
			// an FPGA is the pod's own.
			layerWarned := containsPart(applied, `spec: the API server will refuse the Spark driver and executor pods this Layer composes in namespace "`+name+`": `+tc.words)
			appWarned := containsPart(createReportIn(t, name, name+"-report").all(),
				`executor: the pod it launches: The API server will refuse the pod for its resources in namespace "`+name+`": `+tc.words)
			if want := tc.class && tc.words != ""; layerWarned != want || appWarned != want {
				t.Errorf("the Layer warned: %v (%q), the application warned: %v; want %v", layerWarned, applied, appWarned, want)
			}
			if !tc.class {
				// An application whose executors the operator gives an
				// FPGA (the section's gpu) is warned as their pods would
				// be refused.
				app := exampleApp(t, "etl-report.yaml", name+"-fpga")
				app.SetNamespace(name)
				unstructured.RemoveNestedField(app.Object, "spec", "driver", "annotations")
				if err := unstructured.SetNestedMap(app.Object, map[string]any{"name": fpga, "quantity": int64(1)}, "spec", "executor", "gpu"); err != nil {
					t.Fatal(err)
				}
				c, warnings := clientWithWarnings(t)
				if err := c.Create(ctx, app); err != nil {
					t.Fatalf("the application of FPGAs: %v", err)
				}
				t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), app) })
				warned := containsPart(warnings.all(), `executor: the pod it launches: The API server will refuse the pod for its resources in namespace "`+name+`": `+tc.words)
				if want := tc.words != ""; warned != want {
					t.Errorf("the application of FPGAs warned: %v (%q), want %v", warned, warnings.all(), want)
				}
			}
			pod := examplePod(t, "executor.yaml", name+"-exec")
			pod.Namespace = name
			if !tc.class {
				c := &pod.Spec.Containers[0]
				c.Resources.Limits[fpga], c.Resources.Requests[fpga] = resource.MustParse("1"), resource.MustParse("1")
			}
			in, err := json.Marshal(pod)
			if err != nil {
				t.Fatal(err)
			}
			code, _, errOut := runComposer(t, in, "compose", "-f", "-", "--kubeconfig", kubeconfig, "--cluster", cluster.Name, "--pool", cluster.Pool,
				"--cluster-config", cp.AdmissionConfigFile(), "--validate", "-o", "json")
			created := cp.Client.Create(ctx, pod)
			if tc.quota != nil && created != nil {
				// The API server's quota admission reads quotas from its
				// own cache, which may see the new one a moment later.
				_ = waitFor(10*time.Second, func() bool { created = cp.Client.Create(ctx, pod); return created == nil })
			}
			if created == nil {
				t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), pod) })
			}
			if tc.words == "" {
				if created != nil || code != composer.ExitOK {
					t.Fatalf("the API server: %v; the composer: exit %d, %s; want both to admit it", created, code, errOut)
				}
				if tc.class {
					// Whoever deletes the quota of the class is warned.
					deleter, deleted := clientWithWarnings(t)
					if err := deleter.Delete(ctx, &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "limited", Namespace: name}}); err != nil {
						t.Fatal(err)
					}
					if want := `once it is deleted, the API server will refuse the Spark driver and executor pods the layers compose in namespace "` + name +
						`": insufficient quota to match these scopes: [{PriorityClass In [` + limitedClass + `]}]`; !slices.Contains(deleted.all(), want) {
						t.Errorf("the quota's deletion: warnings %q, want %q", deleted.all(), want)
					}
				}
				return
			}
			wantDenied(t, "the API server", created, tc.words)
			if created == nil {
				return
			}
			if code != composer.ExitDenied || !strings.Contains(errOut, "resource-quota: "+tc.words+" (") {
				t.Errorf("the composer: exit %d, %s; want a refusal of %q", code, errOut, tc.words)
			}
		})
	}
}

// TestLimitedClaimsAreWarned: where the ResourceQuota admission keeps a
// storage class's claims to namespaces with a quota of them, a Layer
// giving executors a spill volume of that class warns whoever writes it
// of the namespace it matches without one; an application created there
// is warned of the claims it creates, and the composer's dry run refuses
// it; the claim, created as Spark creates it, is refused by the API
// server in the words predicted, and admitted once a quota covers it;
// past what is left of that quota, the dry run refuses the application
// in the words the API server refuses the next claim in.
func TestLimitedClaimsAreWarned(t *testing.T) {
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "e2e-limited-claims"}}
	if err := cp.Client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), ns) })
	if err := waitFor(30*time.Second, func() bool { return cp.Webhook.Store.Load().KnowsNamespace(ns.Name) }); err != nil {
		t.Fatalf("the webhook never saw namespace %s: %v", ns.Name, err)
	}
	spill := mutate.SparkClaim{Role: v1alpha1.RoleExecutor, Volume: "spill", Size: "10Gi", StorageClass: limitedStorageClass}
	prefix := "spark.kubernetes.executor.volumes.persistentVolumeClaim.spill."
	layer := &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "e2e-limited-spill"}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.ClusterOverrides,
		Match: v1alpha1.Match{Namespaces: []string{ns.Name}}, Executor: &v1alpha1.Config{SparkConf: map[string]string{prefix + "mount.path": "/spill",
			prefix + "options.claimName": "OnDemand", prefix + "options.storageClass": spill.StorageClass, prefix + "options.sizeLimit": spill.Size}}}}
	applied := createLayer(t, layer, ns.Name)
	refusal := "insufficient quota to consume: " + limitedStorageClass + ".storageclass.storage.k8s.io/persistentvolumeclaims," +
		limitedStorageClass + ".storageclass.storage.k8s.io/requests.storage"
	if want := `spec: the API server will refuse the Spark executor pods this Layer composes in namespace "` + ns.Name + `": ` + spill.String() + ": " + refusal; !slices.Contains(applied, want) {
		t.Errorf("the Layer's warnings %q, want %q", applied, want)
	}
	const app = "e2e-limited-claims-report"
	if want := `executor: the claims it creates: In namespace "` + ns.Name + `" the API server will refuse ` + spill.String() + ": " + refusal; !slices.Contains(createReportIn(t, ns.Name, app).all(), want) {
		t.Errorf("the SparkApplication's warnings, want %q", want)
	}
	report := exampleApp(t, "etl-report.yaml", app+"-dry")
	report.SetNamespace(ns.Name)
	unstructured.RemoveNestedField(report.Object, "spec", "driver", "annotations") // etl's IAM role, as createReportIn
	in, err := json.Marshal(report)
	if err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runComposer(t, in, "compose", "-f", "-", "--kubeconfig", kubeconfigFile(t), "--cluster", cluster.Name, "--pool", cluster.Pool,
		"--cluster-config", cp.AdmissionConfigFile(), "--validate", "-o", "json")
	if want := `resource-quota: SparkApplication "` + app + `-dry": executor: ` + spill.String() + ": " + refusal; code != composer.ExitDenied || !strings.Contains(errOut, want) {
		t.Errorf("the composer: exit %d, %s; want a refusal %q", code, errOut, want)
	}

	size, err := spill.Storage()
	if err != nil {
		t.Fatal(err)
	}
	claim := func(executor ...int) *corev1.PersistentVolumeClaim {
		name := app + "-exec-1-pvc-0"
		if len(executor) > 0 {
			name = fmt.Sprintf("%s-exec-%d-pvc-0", app, executor[0])
		}
		return &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns.Name}, Spec: corev1.PersistentVolumeClaimSpec{
			StorageClassName: new(spill.StorageClass), AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOncePod},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: size}}}}
	}
	wantDenied(t, "the claim", cp.Client.Create(ctx, claim()), `persistentvolumeclaims "`+app+`-exec-1-pvc-0" is forbidden: `+refusal)
	q := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "spill", Namespace: ns.Name}, Spec: corev1.ResourceQuotaSpec{Hard: quantities(
		limitedStorageClass+".storageclass.storage.k8s.io/requests.storage", "1Ti", limitedStorageClass+".storageclass.storage.k8s.io/persistentvolumeclaims", "100")}}
	if err := cp.Client.Create(ctx, q); err != nil {
		t.Fatal(err)
	}
	recordQuotaStatus(t, q, nil)
	if got := mutate.UncoveredClaimRefusals(cp.Webhook.Store.Load().LimitedResources(), []*corev1.ResourceQuota{q}, spill); len(got) != 0 {
		t.Errorf("a quota of the class's claims and storage: predicted %v, want none", got)
	}
	// The API server's quota admission reads quotas from its own cache,
	// which sees the new one a moment later.
	var created error
	if err := waitFor(10*time.Second, func() bool { created = cp.Client.Create(ctx, claim()); return created == nil }); err != nil {
		t.Fatalf("the claim under a quota of its class: %v", created)
	}

	// What is left of the quota: the dry run, reading what it records as
	// used, refuses the application in the words the API server refuses
	// the next claim in.
	if err := cp.Client.Get(ctx, client.ObjectKeyFromObject(q), q); err != nil {
		t.Fatal(err)
	}
	recordQuotaStatus(t, q, quantities(limitedStorageClass+".storageclass.storage.k8s.io/requests.storage", "1020Gi"))
	var refused error
	if err := waitFor(10*time.Second, func() bool {
		refused = cp.Client.Create(ctx, claim(2))
		return refused != nil && strings.Contains(refused.Error(), "exceeded quota")
	}); err != nil {
		t.Fatalf("the claim past what is left of the quota: %v", refused)
	}
	_, words, _ := strings.Cut(refused.Error(), "is forbidden: ")
	code, _, errOut = runComposer(t, in, "compose", "-f", "-", "--kubeconfig", kubeconfigFile(t), "--cluster", cluster.Name, "--pool", cluster.Pool,
		"--cluster-config", cp.AdmissionConfigFile(), "--validate", "-o", "json")
	if want := `resource-quota: SparkApplication "` + app + `-dry": executor: ` + spill.String() + ": " + words; code != composer.ExitDenied || !strings.Contains(errOut, want) {
		t.Errorf("the composer: exit %d, %s; want a refusal %q", code, errOut, want)
	}
}
