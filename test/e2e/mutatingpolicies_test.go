package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	composer "github.com/strata-dev/strata/cmd/composer/app"
)

// TestComposerNamesMutatingPolicies: a MutatingAdmissionPolicy bound to
// the pods of one namespace changes them in the API server (a label),
// which the dry run does not apply: the composer, reading the cluster,
// says so of a pod of that namespace, and of the pods a SparkApplication
// there launches, and of nothing in another namespace.
func TestComposerNamesMutatingPolicies(t *testing.T) {
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "e2e-mutating-policy"}}
	if err := cp.Client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), ns) })
	policy := &admissionregistrationv1.MutatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "e2e-stamp"}, Spec: admissionregistrationv1.MutatingAdmissionPolicySpec{
		MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
			RuleWithOperations: admissionregistrationv1.RuleWithOperations{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}}}}}},
		Mutations: []admissionregistrationv1.Mutation{{PatchType: admissionregistrationv1.PatchTypeApplyConfiguration,
			ApplyConfiguration: &admissionregistrationv1.ApplyConfiguration{Expression: `Object{metadata: Object.metadata{labels: {"stamped": "yes"}}}`}}},
		ReinvocationPolicy: admissionregistrationv1.NeverReinvocationPolicy,
	}}
	binding := &admissionregistrationv1.MutatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: "e2e-stamp"}, Spec: admissionregistrationv1.MutatingAdmissionPolicyBindingSpec{
		PolicyName: policy.Name, MatchResources: &admissionregistrationv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{
			MatchLabels: map[string]string{"kubernetes.io/metadata.name": ns.Name}}}}}
	for _, obj := range []client.Object{policy, binding} {
		if err := cp.Client.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), obj) })
	}
	// The API server applies it once its informers hold both.
	attempt := 0
	var stored corev1.Pod
	if err := waitFor(30*time.Second, func() bool {
		attempt++
		pod := examplePod(t, "executor.yaml", fmt.Sprintf("e2e-stamped-%d", attempt))
		pod.Namespace = ns.Name
		if err := cp.Client.Create(ctx, pod); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), pod) })
		stored = *pod
		return pod.Labels["stamped"] == "yes"
	}); err != nil {
		t.Fatalf("the API server never applied the MutatingAdmissionPolicy: labels %v", stored.Labels)
	}

	kubeconfig := kubeconfigFile(t)
	const note = `MutatingAdmissionPolicy "e2e-stamp" (binding "e2e-stamp") applies to `
	for _, tc := range []struct {
		name, namespace string
		app             bool
		want            []string
	}{
		{"a pod of the namespace", ns.Name, false, []string{note + "it in the API server"}},
		{"an application of the namespace", ns.Name, true, []string{note + "the driver pods it launches", note + "the executor pods it launches"}},
		{"a pod of another namespace", "etl", false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var in []byte
			var err error
			if tc.app {
				app := exampleApp(t, "etl-report.yaml", "e2e-stamped-report")
				app.SetNamespace(tc.namespace)
				in, err = json.Marshal(app)
			} else {
				pod := examplePod(t, "executor.yaml", "e2e-stamped-dry")
				pod.Namespace = tc.namespace
				in, err = json.Marshal(pod)
			}
			if err != nil {
				t.Fatal(err)
			}
			code, out, errOut := runComposer(t, in, "compose", "-f", "-", "--kubeconfig", kubeconfig, "--cluster", cluster.Name, "--pool", cluster.Pool, "-o", "json")
			if code != composer.ExitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			for _, want := range tc.want {
				if !strings.Contains(errOut, want) {
					t.Errorf("stderr:\n%s\nwant %q", errOut, want)
				}
			}
			if tc.want == nil && strings.Contains(errOut, "MutatingAdmissionPolicy") {
				t.Errorf("stderr:\n%s\nwant no MutatingAdmissionPolicy named", errOut)
			}
			if strings.Contains(out, `"stamped"`) {
				t.Errorf("the dry run applied the MutatingAdmissionPolicy: %s", out)
			}
		})
	}
}
