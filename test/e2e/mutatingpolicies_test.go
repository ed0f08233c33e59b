package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	composer "github.com/strata-dev/strata/cmd/composer/app"
)

// TestComposerAppliesMutatingPolicies: three MutatingAdmissionPolicies
// bound to the pods of one namespace change them in the API server: one
// stamps a label once (Never), one counts the containers and is reinvoked
// (IfNeeded) after the webhook added the layers' sidecars, one gives the
// team its params (a ConfigMap of the pod's namespace) name. The composer,
// reading the cluster, prints the pod the API server stores, every change
// included; it names the policies for the pods a SparkApplication
// launches, and applies nothing in another namespace.
func TestComposerAppliesMutatingPolicies(t *testing.T) {
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "e2e-mutating-policy"}}
	if err := cp.Client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), ns) })
	pods := &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
		RuleWithOperations: admissionregistrationv1.RuleWithOperations{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
			Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}}}}}}
	const count = `Object{metadata: Object.metadata{annotations: {"e2e-containers": string(size(object.spec.containers) + (has(object.spec.initContainers) ? size(object.spec.initContainers) : 0))}}}`
	team := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "e2e-team", Namespace: ns.Name}, Data: map[string]string{"team": "ml"}}
	if err := cp.Client.Create(ctx, team); err != nil {
		t.Fatal(err)
	}
	deny := admissionregistrationv1.DenyAction
	for _, p := range []struct {
		name, expr   string
		reinvocation admissionregistrationv1.ReinvocationPolicyType
		params       bool
	}{
		{"e2e-stamp", `Object{metadata: Object.metadata{labels: {"stamped": "yes"}}}`, admissionregistrationv1.NeverReinvocationPolicy, false},
		{"e2e-count", count, admissionregistrationv1.IfNeededReinvocationPolicy, false},
		{"e2e-team", `Object{metadata: Object.metadata{labels: {"e2e-team": params.data.team}}}`, admissionregistrationv1.NeverReinvocationPolicy, true},
	} {
		policy := &admissionregistrationv1.MutatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: p.name}, Spec: admissionregistrationv1.MutatingAdmissionPolicySpec{
			MatchConstraints: pods.DeepCopy(),
			Mutations: []admissionregistrationv1.Mutation{{PatchType: admissionregistrationv1.PatchTypeApplyConfiguration,
				ApplyConfiguration: &admissionregistrationv1.ApplyConfiguration{Expression: p.expr}}},
			ReinvocationPolicy: p.reinvocation,
		}}
		binding := &admissionregistrationv1.MutatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: p.name}, Spec: admissionregistrationv1.MutatingAdmissionPolicyBindingSpec{
			PolicyName: policy.Name, MatchResources: &admissionregistrationv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{
				MatchLabels: map[string]string{"kubernetes.io/metadata.name": ns.Name}}}}}
		if p.params {
			// The params of each pod's namespace.
			policy.Spec.ParamKind = &admissionregistrationv1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"}
			binding.Spec.ParamRef = &admissionregistrationv1.ParamRef{Name: team.Name, ParameterNotFoundAction: &deny}
		}
		for _, obj := range []client.Object{policy, binding} {
			if err := cp.Client.Create(ctx, obj); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), obj) })
		}
	}
	// The API server applies them once its informers hold them all.
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
		return pod.Labels["stamped"] == "yes" && pod.Annotations["e2e-containers"] != "" && pod.Labels["e2e-team"] == "ml"
	}); err != nil {
		t.Fatalf("the API server never applied the MutatingAdmissionPolicies: labels %v, annotations %v", stored.Labels, stored.Annotations)
	}
	written := examplePod(t, "executor.yaml", "e2e-stamped-dry")
	if stored.Annotations["e2e-containers"] == fmt.Sprint(len(written.Spec.Containers)+len(written.Spec.InitContainers)) {
		t.Fatalf("the webhook added no container in %s: the reinvocation is not tested (%s containers stored)", ns.Name, stored.Annotations["e2e-containers"])
	}

	kubeconfig := kubeconfigFile(t)
	const note = `MutatingAdmissionPolicy "e2e-stamp" (binding "e2e-stamp") applies to `
	for _, tc := range []struct {
		name, namespace string
		app             bool
		notes           []string
		applied         bool
	}{
		{name: "a pod of the namespace", namespace: ns.Name, applied: true},
		{name: "an application of the namespace", namespace: ns.Name, app: true, notes: []string{note + "the driver pods it launches", note + "the executor pods it launches"}},
		{name: "a pod of another namespace", namespace: "etl"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var in []byte
			var err error
			if tc.app {
				app := exampleApp(t, "etl-report.yaml", "e2e-stamped-report")
				app.SetNamespace(tc.namespace)
				in, err = json.Marshal(app)
			} else {
				pod := written.DeepCopy()
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
			for _, want := range tc.notes {
				if !strings.Contains(errOut, want) {
					t.Errorf("stderr:\n%s\nwant %q", errOut, want)
				}
			}
			if tc.notes == nil && strings.Contains(errOut, "MutatingAdmissionPolicy \"") {
				t.Errorf("stderr:\n%s\nwant no MutatingAdmissionPolicy named", errOut)
			}
			if tc.app {
				if strings.Contains(out, `"stamped"`) {
					t.Errorf("the application was stamped: %s", out)
				}
				return
			}
			var got corev1.Pod
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatal(err)
			}
			if !tc.applied {
				if got.Labels["stamped"] != "" || got.Labels["e2e-team"] != "" || got.Annotations["e2e-containers"] != "" {
					t.Errorf("applied in %s: labels %v, annotations %v", tc.namespace, got.Labels, got.Annotations)
				}
				return
			}
			if got.Labels["stamped"] != "yes" || got.Labels["e2e-team"] != stored.Labels["e2e-team"] || got.Annotations["e2e-containers"] != stored.Annotations["e2e-containers"] {
				t.Errorf("the composer's pod: label %q, team %q, %q containers; the API server stored %q, %q, %q",
					got.Labels["stamped"], got.Labels["e2e-team"], got.Annotations["e2e-containers"], stored.Labels["stamped"], stored.Labels["e2e-team"], stored.Annotations["e2e-containers"])
			}
			// What the webhook composed on each pass (the API server's own
			// defaults of a container aside).
			if diff := cmp.Diff(composedParts(&got), composedParts(&stored)); diff != "" {
				t.Errorf("the containers differ from the API server's (-composer +stored):\n%s", diff)
			}
		})
	}
}

// composedParts are the names, images, environments and mounts of pod's
// containers and init containers, in order.
func composedParts(pod *corev1.Pod) []string {
	var out []string
	for _, c := range append(slices.Clone(pod.Spec.InitContainers), pod.Spec.Containers...) {
		out = append(out, fmt.Sprintf("%s %s env %v mounts %v", c.Name, c.Image, c.Env, c.VolumeMounts))
	}
	return out
}
