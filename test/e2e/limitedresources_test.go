package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	composer "github.com/strata-dev/strata/cmd/composer/app"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// The control plane's ResourceQuota admission lets a pod consume an FPGA,
// or run at the priority class limitedClass, only where a quota of its
// namespace covers it; the webhook reads the same configuration.
const (
	limitedClass               = "e2e-limited-critical"
	fpga                       = "example.com/fpga"
	resourceQuotaConfiguration = `apiVersion: apiserver.config.k8s.io/v1
kind: ResourceQuotaConfiguration
limitedResources:
- resource: pods
  matchContains: [` + fpga + `]
- resource: pods
  matchScopes:
  - {scopeName: PriorityClass, operator: In, values: [` + limitedClass + `]}
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
// whoever creates an application there, where no quota covers it.
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
			applier, applied := clientWithWarnings(t)
			if err := applier.Create(ctx, layer); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if err := cp.Client.Delete(context.Background(), layer); err == nil {
					waitForLayerGone(t, layer, name)
				}
			})
			waitForLayerServed(t, layer, name)
			// The webhook warns whoever writes the Layer, and whoever
			// creates an application there, of a class no quota covers;
			// an FPGA is the pod's own.
			layerWarned := containsPart(applied.all(), `spec: the API server will refuse the Spark driver and executor pods this Layer composes in namespace "`+name+`": `+tc.words)
			appWarned := containsPart(createReportIn(t, name, name+"-report").all(),
				`executor: the pod it launches: The API server will refuse the pod for its resources in namespace "`+name+`": `+tc.words)
			if want := tc.class && tc.words != ""; layerWarned != want || appWarned != want {
				t.Errorf("the Layer warned: %v (%q), the application warned: %v; want %v", layerWarned, applied.all(), appWarned, want)
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
			if created == nil {
				t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), pod) })
			}
			if tc.words == "" {
				if created != nil || code != composer.ExitOK {
					t.Fatalf("the API server: %v; the composer: exit %d, %s; want both to admit it", created, code, errOut)
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
