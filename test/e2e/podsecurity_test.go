package e2e

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	psaapi "k8s.io/pod-security-admission/api"

	composer "github.com/strata-dev/strata/cmd/composer/app"
	webhookapp "github.com/strata-dev/strata/cmd/webhook/app"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// TestPodSecurityBrokenByALayerIsNamed: in a namespace whose
// pod-security.kubernetes.io/enforce label is baseline, a layer that
// injects a privileged sidecar has the API server's PodSecurity admission,
// which runs after every mutating webhook, refuse every Spark pod there in
// words that name no layer. The webhook's warning, which the API server
// returns with its refusal, names the sidecar and the layer; the dry run,
// reading the cluster, predicts the refusal (exit 1) rather than compose
// a pod the API server will not store. A pod before the layer is stored.
// The Layer webhook warns of the Pod Security level the Layer breaks as
// the Layer is applied, and the mutating webhook a SparkApplication's and
// a SparkConnect's creator of the pods they launch.
func TestPodSecurityBrokenByALayerIsNamed(t *testing.T) {
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "psa-baseline", Labels: map[string]string{psaapi.EnforceLevelLabel: "baseline"}}}
	if err := cp.Client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), ns) })

	// Before the layer: the example executor meets baseline.
	fine := examplePod(t, "executor.yaml", "psa-fine")
	fine.Namespace = ns.Name
	if err := cp.Client.Create(ctx, fine); err != nil {
		t.Fatalf("an executor that meets baseline: %v", err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), fine) })

	// The Layer webhook warns of it as the Layer is applied, from the
	// Namespaces the webhook's snapshot holds.
	if err := waitFor(30*time.Second, func() bool { return cp.Webhook.Store.Load().KnowsNamespace(ns.Name) }); err != nil {
		t.Fatalf("the webhook never learned of namespace %s: %v", ns.Name, err)
	}
	layer, applied := createPrivilegedShipper(t, "e2e-privileged-shipper", ns.Name)
	waitForLayerServed(t, layer, ns.Name)
	wantLayer := `spec: the Spark driver and executor pods this Layer composes in namespace "psa-baseline" break the Pod Security "baseline:latest" enforced there: ` +
		`privileged (container "shipper" must not set securityContext.privileged=true); added: sidecar "shipper" (ClusterOverrides layer "e2e-privileged-shipper")`
	if !containsPart(applied.all(), wantLayer) {
		t.Errorf("the Layer's warnings %q, want one containing %q", applied.all(), wantLayer)
	}

	pod := examplePod(t, "executor.yaml", "psa-broken")
	pod.Namespace = ns.Name
	written := pod.DeepCopy()
	c, warnings := clientWithWarnings(t)
	err := c.Create(ctx, pod)
	wantDenied(t, "a pod a layer gave a privileged sidecar", err, `violates PodSecurity "baseline:latest": privileged (container "shipper" must not set securityContext.privileged=true)`)
	want := `Pod Security "baseline:latest" (enforced on namespace "psa-baseline") is broken by what the layers added: privileged (container "shipper" must not set securityContext.privileged=true); added: sidecar "shipper" (ClusterOverrides layer "e2e-privileged-shipper")`
	if !containsPart(warnings.all(), want) {
		t.Errorf("warnings %q, want one containing %q", warnings.all(), want)
	}

	// The dry run predicts the refusal, and explains it with the warning.
	code, _, errOut := composeReadingTheCluster(t, written, "--validate")
	if code != composer.ExitDenied || !strings.Contains(errOut, `pod-security: violates PodSecurity "baseline:latest": privileged (container "shipper"`) {
		t.Errorf("the dry run: exit %d, stderr:\n%s\nwant exit %d and the refusal", code, errOut, composer.ExitDenied)
	}
	if code, out, errOut := composeReadingTheCluster(t, written, "-o", "explain"); code != composer.ExitOK || !strings.Contains(out, "Warning: "+want) {
		t.Errorf("the dry run's explanation: exit %d, %s\n%s\nwant the warning %q", code, out, errOut, want)
	}

	// A SparkApplication is stored (the plugin judges pods only), and its
	// creator is warned of the pods it launches, which the plugin refuses
	// to the operator.
	app := exampleApp(t, "etl-report.yaml", "psa-report")
	app.SetNamespace(ns.Name)
	unstructured.RemoveNestedField(app.Object, "spec", "driver", "annotations") // etl's IAM role, which this namespace is not allowed
	c, warnings = clientWithWarnings(t)
	if err := c.Create(ctx, app); err != nil {
		t.Fatalf("a SparkApplication whose pods a layer breaks: %v", err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), app) })
	for _, role := range []string{"driver", "executor"} {
		want := role + `: the pod it launches: ` + want
		if !containsPart(warnings.all(), want) {
			t.Errorf("the SparkApplication's warnings %q, want one containing %q", warnings.all(), want)
		}
	}

	// So is a SparkConnect, of its server's pod and its executors'.
	conn := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "sparkoperator.k8s.io/v1alpha1", "kind": "SparkConnect",
		"metadata": map[string]any{"name": "psa-notebooks", "namespace": ns.Name},
		"spec":     map[string]any{"sparkVersion": "4.0.1", "image": "docker.io/apache/spark:4.0.1", "server": map[string]any{}, "executor": map[string]any{"instances": int64(1)}}}}
	c, warnings = clientWithWarnings(t)
	if err := c.Create(ctx, conn); err != nil {
		t.Fatalf("a SparkConnect whose pods a layer breaks: %v", err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), conn) })
	for _, who := range []string{"the server pod", "an executor pod"} {
		want := who + `: ` + want
		if !containsPart(warnings.all(), want) {
			t.Errorf("the SparkConnect's warnings %q, want one containing %q", warnings.all(), want)
		}
	}
}

// containsPart reports whether one of texts contains part.
func containsPart(texts []string, part string) bool {
	for _, s := range texts {
		if strings.Contains(s, part) {
			return true
		}
	}
	return false
}

// TestPodSecurityConfigurationIsFollowed: a webhook given the API
// server's PodSecurity admission configuration (--admission-config, an
// AdmissionConfiguration giving namespaces without labels baseline and
// exempting one) warns through the API server, of a Layer and of a pod, by
// the default level where a namespace has no label, and not where the
// configuration exempts the namespace.
func TestPodSecurityConfigurationIsFollowed(t *testing.T) {
	ctx := context.Background()
	config := filepath.Join(t.TempDir(), "admission.yaml")
	if err := os.WriteFile(config, []byte(`apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodSecurity
  configuration:
    apiVersion: pod-security.admission.config.k8s.io/v1
    kind: PodSecurityConfiguration
    defaults: {enforce: baseline, enforce-version: latest}
    exemptions: {namespaces: [psa-config-exempt]}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	namespaces := []string{"psa-config-default", "psa-config-exempt"}
	for _, name := range namespaces {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
		if err := cp.Client.Create(ctx, ns); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), ns) })
	}
	r := replicaServingAll(t, "", false, func(o *webhookapp.Options) { o.AdmissionConfigFile = config })
	if err := waitFor(30*time.Second, func() bool {
		s := r.Webhook.Store.Load()
		return s.KnowsNamespace(namespaces[0]) && s.KnowsNamespace(namespaces[1])
	}); err != nil {
		t.Fatalf("the replica never learned of the namespaces: %v", err)
	}

	layer, applied := createPrivilegedShipper(t, "e2e-psa-config-shipper", namespaces...)
	wantLayer := `spec: the Spark driver and executor pods this Layer composes in namespace "psa-config-default" break the Pod Security "baseline:latest" enforced there`
	if !containsPart(applied.all(), wantLayer) || containsPart(applied.all(), "psa-config-exempt") {
		t.Errorf("the Layer's warnings %q, want one containing %q and none of the exempt namespace", applied.all(), wantLayer)
	}
	target := overlay.Target{Cluster: cluster.Name, Pool: cluster.Pool, Namespace: namespaces[0], Role: v1alpha1.RoleExecutor}
	if err := waitFor(30*time.Second, func() bool {
		return slices.ContainsFunc(r.Webhook.Store.Load().Match(target), func(l *v1alpha1.Layer) bool { return l.Name == layer.Name })
	}); err != nil {
		t.Fatalf("the replica never served the Layer: %v", err)
	}

	for _, ns := range namespaces {
		pod := examplePod(t, "executor.yaml", "psa-config-exec")
		pod.Namespace = ns
		c, warnings := clientWithWarnings(t)
		// This API server's own PodSecurity admission gives no default
		// level (podSecurityConfiguration): it admits the pod, and the
		// replica's warning is what is judged.
		if err := c.Create(ctx, pod); err != nil {
			t.Fatalf("%s: %v", ns, err)
		}
		warned := containsPart(warnings.all(), `Pod Security "baseline:latest" (enforced on namespace "`+ns+`") is broken by what the layers added`)
		if want := ns == namespaces[0]; warned != want {
			t.Errorf("%s: warnings %q, want the Pod Security warning: %v", ns, warnings.all(), want)
		}
	}
}

// psaExemptUser is the user the control plane's PodSecurity admission
// exempts (podSecurityConfiguration).
const psaExemptUser = "e2e-psa-exempt"

// podSecurityConfiguration is the API server's PodSecurity admission's
// configuration, which the e2e webhook is also given: it exempts
// psaExemptUser, and gives no default level.
const podSecurityConfiguration = `apiVersion: pod-security.admission.config.k8s.io/v1
kind: PodSecurityConfiguration
exemptions: {usernames: [` + psaExemptUser + `]}
`

// TestPodSecurityExemptUser: the API server's own PodSecurity admission
// and the webhook read one configuration, which exempts a user. In a
// namespace enforcing baseline, a layer adds a privileged sidecar. The
// exempt user's Spark pod is admitted by the API server, and the webhook
// does not warn it of a refusal; another user's is refused by the API
// server, and the webhook warned it.
func TestPodSecurityExemptUser(t *testing.T) {
	ctx := context.Background()
	const namespace = "psa-exempt-user"
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace, Labels: map[string]string{psaapi.EnforceLevelLabel: "baseline"}}}
	if err := cp.Client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), ns) })
	const other = "e2e-psa-other"
	for _, user := range []string{psaExemptUser, other} {
		allow(t, "e2e-pods-"+user, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"create", "get"}},
			rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user})
	}
	layer, _ := createPrivilegedShipper(t, "e2e-psa-exempt-user-shipper", namespace)
	target := overlay.Target{Cluster: cluster.Name, Pool: cluster.Pool, Namespace: namespace, Role: v1alpha1.RoleExecutor}
	if err := waitFor(30*time.Second, func() bool {
		s := cp.Webhook.Store.Load()
		return s.KnowsNamespace(namespace) && slices.ContainsFunc(s.Match(target), func(l *v1alpha1.Layer) bool { return l.Name == layer.Name })
	}); err != nil {
		t.Fatalf("the webhook never served the Layer: %v", err)
	}
	const warning = `Pod Security "baseline:latest" (enforced on namespace "` + namespace + `") is broken by what the layers added`

	pod := examplePod(t, "executor.yaml", "psa-exempt-user-exec")
	pod.Namespace = namespace
	exempt, warnings := impersonatingWithWarnings(t, psaExemptUser)
	if err := exempt.Create(ctx, pod); err != nil {
		t.Fatalf("the exempt user's pod: %v", err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), pod) })
	if containsPart(warnings.all(), warning) {
		t.Errorf("the exempt user was warned: %q", warnings.all())
	}

	otherPod := examplePod(t, "executor.yaml", "psa-other-user-exec")
	otherPod.Namespace = namespace
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), otherPod) }) // were it stored
	refused, warnings := impersonatingWithWarnings(t, other)
	wantDenied(t, "another user's pod", refused.Create(ctx, otherPod),
		`violates PodSecurity "baseline:latest": privileged (container "shipper" must not set securityContext.privileged=true)`)
	if !containsPart(warnings.all(), warning) {
		t.Errorf("another user's warnings %q, want one containing %q", warnings.all(), warning)
	}
}

// createPrivilegedShipper creates, until the test ends, the
// ClusterOverrides Layer name giving the pods of namespaces a privileged
// sidecar, which Pod Security's baseline refuses, and returns it with the
// warnings its creation got.
func createPrivilegedShipper(t *testing.T, name string, namespaces ...string) (*v1alpha1.Layer, *warningCollector) {
	t.Helper()
	layer := &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.ClusterOverrides,
		Match: v1alpha1.Match{Namespaces: namespaces}, Config: &v1alpha1.Config{Sidecars: []corev1.Container{{Name: "shipper", Image: "mirror.prod-a.internal/shipper:1",
			SecurityContext: &corev1.SecurityContext{Privileged: new(true)}}}}}}
	applier, applied := clientWithWarnings(t)
	if err := applier.Create(context.Background(), layer); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cp.Client.Delete(context.Background(), layer); err == nil {
			waitForLayerGone(t, layer, namespaces[0])
		}
	})
	return layer, applied
}

// TestSparkOperatorExemptIsNotWarned: a replica told the Spark Operator's
// user (--spark-operator-user), which the API server's PodSecurity
// admission exempts (as the replica's --admission-config says), warns a
// SparkApplication's and a SparkConnect's creator of the executors a
// layer breaks, which the driver's service account creates, and not of
// the driver or the Connect server, which the operator creates and the
// plugin admits: the exempt operator's driver pod, as the layers compose
// it, is stored.
func TestSparkOperatorExemptIsNotWarned(t *testing.T) {
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "psa-operator", Labels: map[string]string{psaapi.EnforceLevelLabel: "baseline"}}}
	if err := cp.Client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), ns) })
	r := replicaServingAll(t, "", false, func(o *webhookapp.Options) {
		o.AdmissionConfigFile = cp.AdmissionConfigFile()
		o.Cluster.SparkOperator = psaExemptUser
	})
	layer, _ := createPrivilegedShipper(t, "e2e-psa-operator-shipper", ns.Name)
	target := overlay.Target{Cluster: cluster.Name, Pool: cluster.Pool, Namespace: ns.Name, Role: v1alpha1.RoleDriver}
	if err := waitFor(30*time.Second, func() bool {
		s := r.Webhook.Store.Load()
		return s.KnowsNamespace(ns.Name) && slices.ContainsFunc(s.Match(target), func(l *v1alpha1.Layer) bool { return l.Name == layer.Name })
	}); err != nil {
		t.Fatalf("the replica never served the Layer: %v", err)
	}
	const broken = `the pod it launches: Pod Security "baseline:latest" (enforced on namespace "psa-operator") is broken by what the layers added`

	app := exampleApp(t, "etl-report.yaml", "psa-operator-report")
	app.SetNamespace(ns.Name)
	unstructured.RemoveNestedField(app.Object, "spec", "driver", "annotations") // etl's IAM role, which this namespace is not allowed
	c, warnings := clientWithWarnings(t)
	if err := c.Create(ctx, app); err != nil {
		t.Fatalf("a SparkApplication whose pods a layer breaks: %v", err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), app) })
	if !containsPart(warnings.all(), "executor: "+broken) || containsPart(warnings.all(), "driver: "+broken) {
		t.Errorf("the SparkApplication's warnings %q, want one of the executor and none of the driver", warnings.all())
	}

	conn := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "sparkoperator.k8s.io/v1alpha1", "kind": "SparkConnect",
		"metadata": map[string]any{"name": "psa-operator-notebooks", "namespace": ns.Name},
		"spec":     map[string]any{"sparkVersion": "4.0.1", "image": "docker.io/apache/spark:4.0.1", "server": map[string]any{}, "executor": map[string]any{"instances": int64(1)}}}}
	c, warnings = clientWithWarnings(t)
	if err := c.Create(ctx, conn); err != nil {
		t.Fatalf("a SparkConnect whose pods a layer breaks: %v", err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), conn) })
	if !containsPart(warnings.all(), "an executor pod: ") || containsPart(warnings.all(), "the server pod: ") {
		t.Errorf("the SparkConnect's warnings %q, want one of an executor pod and none of the server pod", warnings.all())
	}

	// The operator's driver pod, as the layers compose it, is stored.
	allow(t, "e2e-pods-operator", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"create", "get"}},
		rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: psaExemptUser})
	driver := examplePod(t, "driver.yaml", "psa-operator-driver")
	driver.Namespace = ns.Name
	operator, _ := impersonatingWithWarnings(t, psaExemptUser)
	if err := operator.Create(ctx, driver); err != nil {
		t.Fatalf("the operator's driver pod: %v", err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), driver) })
	shipper := func(c corev1.Container) bool {
		return c.Name == "shipper" && c.SecurityContext != nil && c.SecurityContext.Privileged != nil && *c.SecurityContext.Privileged
	}
	if !slices.ContainsFunc(slices.Concat(driver.Spec.InitContainers, driver.Spec.Containers), shipper) {
		t.Errorf("the stored driver has no privileged shipper: %v", slices.Concat(driver.Spec.InitContainers, driver.Spec.Containers))
	}
}
