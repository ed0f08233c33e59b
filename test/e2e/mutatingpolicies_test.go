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
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

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
	bindMutatingPolicies(t, ns.Name, pods, []e2ePolicy{
		{"e2e-stamp", `Object{metadata: Object.metadata{labels: {"stamped": "yes"}}}`, admissionregistrationv1.NeverReinvocationPolicy, ""},
		{"e2e-count", count, admissionregistrationv1.IfNeededReinvocationPolicy, ""},
		{"e2e-team", `Object{metadata: Object.metadata{labels: {"e2e-team": params.data.team}}}`, admissionregistrationv1.NeverReinvocationPolicy, team.Name},
	})
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

// TestComposerAsksTheClustersAuthorizer: a MutatingAdmissionPolicy whose
// CEL asks the authorizer whether the pod's creator may read the
// namespace's secrets labels the pod with the answer, which the API server
// gives e2e-alice through a group of hers. The composer, reading the
// cluster, asks the cluster's authorizer for --as and --as-group, and
// prints the pod the API server stores for her with and without the group.
func TestComposerAsksTheClustersAuthorizer(t *testing.T) {
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "e2e-mutating-authz"}}
	if err := cp.Client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), ns) })
	const alice, readers = "e2e-alice", "e2e-secret-readers"
	allow(t, "e2e-authz-pods", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"create", "get"}},
		rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: alice})
	allow(t, "e2e-authz-secrets", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}},
		rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: readers})
	pods := &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
		RuleWithOperations: admissionregistrationv1.RuleWithOperations{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
			Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}}}}}}
	bindMutatingPolicies(t, ns.Name, pods, []e2ePolicy{{"e2e-authz",
		`Object{metadata: Object.metadata{labels: {"reads-secrets": string(authorizer.group("").resource("secrets").namespace(object.metadata.namespace).check("get").allowed())}}}`,
		admissionregistrationv1.NeverReinvocationPolicy, ""}})

	kubeconfig := kubeconfigFile(t)
	for _, groups := range [][]string{{readers}, nil} {
		t.Run(fmt.Sprintf("groups=%v", groups), func(t *testing.T) {
			// The API server applies it once its informers hold it.
			attempt := 0
			var stored corev1.Pod
			if err := waitFor(30*time.Second, func() bool {
				attempt++
				pod := examplePod(t, "executor.yaml", fmt.Sprintf("e2e-authz-%d-%d", len(groups), attempt))
				pod.Namespace = ns.Name
				if err := impersonating(t, alice, groups...).Create(ctx, pod); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), pod) })
				stored = *pod
				return pod.Labels["reads-secrets"] != ""
			}); err != nil {
				t.Fatalf("the API server never applied the MutatingAdmissionPolicy: labels %v", stored.Labels)
			}
			if want := fmt.Sprint(groups != nil); stored.Labels["reads-secrets"] != want {
				t.Fatalf("the API server stored reads-secrets %q for groups %v, want %s: the test's RBAC is not what it expects", stored.Labels["reads-secrets"], groups, want)
			}
			pod := examplePod(t, "executor.yaml", stored.Name)
			pod.Namespace = ns.Name
			in, err := json.Marshal(pod)
			if err != nil {
				t.Fatal(err)
			}
			args := []string{"compose", "-f", "-", "--kubeconfig", kubeconfig, "--cluster", cluster.Name, "--pool", cluster.Pool, "-o", "json", "--as", alice}
			for _, g := range groups {
				args = append(args, "--as-group", g)
			}
			code, out, errOut := runComposer(t, in, args...)
			if code != composer.ExitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var got corev1.Pod
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatal(err)
			}
			if got.Labels["reads-secrets"] != stored.Labels["reads-secrets"] {
				t.Errorf("the composer's reads-secrets %q, the API server's %q\n%s", got.Labels["reads-secrets"], stored.Labels["reads-secrets"], errOut)
			}
		})
	}
}

// e2ePolicy is a MutatingAdmissionPolicy of one apply configuration;
// params, where set, names the ConfigMap of the object's namespace it
// reads.
type e2ePolicy struct {
	name, expr   string
	reinvocation admissionregistrationv1.ReinvocationPolicyType
	params       string
}

// bindMutatingPolicies creates policies over what match selects, each
// bound to namespace, and deletes them when t ends.
func bindMutatingPolicies(t *testing.T, namespace string, match *admissionregistrationv1.MatchResources, policies []e2ePolicy) {
	t.Helper()
	deny := admissionregistrationv1.DenyAction
	for _, p := range policies {
		policy := &admissionregistrationv1.MutatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: p.name}, Spec: admissionregistrationv1.MutatingAdmissionPolicySpec{
			MatchConstraints: match.DeepCopy(),
			Mutations: []admissionregistrationv1.Mutation{{PatchType: admissionregistrationv1.PatchTypeApplyConfiguration,
				ApplyConfiguration: &admissionregistrationv1.ApplyConfiguration{Expression: p.expr}}},
			ReinvocationPolicy: p.reinvocation,
		}}
		binding := &admissionregistrationv1.MutatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: p.name}, Spec: admissionregistrationv1.MutatingAdmissionPolicyBindingSpec{
			PolicyName: policy.Name, MatchResources: &admissionregistrationv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{
				MatchLabels: map[string]string{"kubernetes.io/metadata.name": namespace}}}}}
		if p.params != "" {
			// The params of each object's namespace.
			policy.Spec.ParamKind = &admissionregistrationv1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"}
			binding.Spec.ParamRef = &admissionregistrationv1.ParamRef{Name: p.params, ParameterNotFoundAction: &deny}
		}
		for _, obj := range []client.Object{policy, binding} {
			if err := cp.Client.Create(context.Background(), obj); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), obj) })
		}
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

// TestComposerAppliesMutatingPoliciesToApps: two MutatingAdmissionPolicies
// bound to the SparkApplications and SparkConnects of one namespace change
// them in the API server before the webhook composes them: one labels an
// object and sets a Spark setting the layers default otherwise (Never),
// one counts its Spark settings and is reinvoked (IfNeeded) after the
// webhook added the layers'. The composer, reading the cluster (the
// policies and the CustomResourceDefinitions), prints the object the API
// server stores.
func TestComposerAppliesMutatingPoliciesToApps(t *testing.T) {
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "e2e-mutating-apps"}}
	if err := cp.Client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), ns) })
	apps := &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
		RuleWithOperations: admissionregistrationv1.RuleWithOperations{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
			Rule: admissionregistrationv1.Rule{APIGroups: []string{"sparkoperator.k8s.io"}, APIVersions: []string{"v1beta2", "v1alpha1"}, Resources: []string{"sparkapplications", "sparkconnects"}}}}}}
	bindMutatingPolicies(t, ns.Name, apps, []e2ePolicy{
		{"e2e-app-audit", `Object{metadata: Object.metadata{labels: {"audited": "yes"}}, spec: Object.spec{sparkConf: {"spark.eventLog.enabled": "false"}}}`,
			admissionregistrationv1.NeverReinvocationPolicy, ""},
		{"e2e-app-count", `Object{metadata: Object.metadata{annotations: {"e2e-settings": string(has(object.spec.sparkConf) ? size(object.spec.sparkConf) : 0)}}}`,
			admissionregistrationv1.IfNeededReinvocationPolicy, ""},
	})
	kubeconfig := kubeconfigFile(t)
	for _, tc := range []struct {
		kind    string
		written func(name string) *unstructured.Unstructured
	}{
		{"SparkApplication", func(name string) *unstructured.Unstructured { return appIn(t, ns.Name, name) }},
		{"SparkConnect", func(name string) *unstructured.Unstructured { return connectIn(t, ns.Name, name) }},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			// The API server applies them once its informers hold them all.
			attempt := 0
			var stored *unstructured.Unstructured
			if err := waitFor(30*time.Second, func() bool {
				attempt++
				obj := tc.written(fmt.Sprintf("e2e-audited-%d", attempt))
				if err := cp.Client.Create(ctx, obj); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), obj) })
				stored = obj
				return obj.GetLabels()["audited"] == "yes" && obj.GetAnnotations()["e2e-settings"] != ""
			}); err != nil {
				t.Fatalf("the API server never applied the MutatingAdmissionPolicies: labels %v, annotations %v", stored.GetLabels(), stored.GetAnnotations())
			}
			written := tc.written(stored.GetName())
			writtenConf, _, _ := unstructured.NestedStringMap(written.Object, "spec", "sparkConf")
			storedConf, _, _ := unstructured.NestedStringMap(stored.Object, "spec", "sparkConf")
			if len(storedConf) <= len(writtenConf)+1 || stored.GetAnnotations()["e2e-settings"] != fmt.Sprint(len(storedConf)) {
				t.Fatalf("the webhook added no Spark setting in %s, or the API server did not count them on its second pass: the reinvocation is not tested (%d written, %d stored, %s counted)",
					ns.Name, len(writtenConf), len(storedConf), stored.GetAnnotations()["e2e-settings"])
			}

			in, err := json.Marshal(written)
			if err != nil {
				t.Fatal(err)
			}
			code, out, errOut := runComposer(t, in, "compose", "-f", "-", "--kubeconfig", kubeconfig, "--cluster", cluster.Name, "--pool", cluster.Pool, "-o", "json")
			if code != composer.ExitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if !strings.Contains(errOut, "the cluster's MutatingAdmissionPolicies change it in the API server before the webhooks, as printed") {
				t.Errorf("stderr:\n%s\nwant the policies' change noted", errOut)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatal(err)
			}
			if conf, _, _ := unstructured.NestedString(got, "spec", "sparkConf", "spark.eventLog.enabled"); conf != "false" {
				t.Errorf("spark.eventLog.enabled %q: want the policy's, over the layers' default", conf)
			}
			// What the policies and the webhook gave it, on both passes.
			for _, field := range [][]string{{"metadata", "labels"}, {"metadata", "annotations"}, {"spec"}} {
				want, _, _ := unstructured.NestedFieldNoCopy(stored.Object, field...)
				have, _, _ := unstructured.NestedFieldNoCopy(got, field...)
				if diff := cmp.Diff(normalizedJSON(t, have), normalizedJSON(t, want)); diff != "" {
					t.Errorf("%s differs from the API server's (-composer +stored):\n%s", strings.Join(field, "."), diff)
				}
			}
		})
	}
}

// connectIn is a SparkConnect named name in namespace.
func connectIn(t *testing.T, namespace, name string) *unstructured.Unstructured {
	t.Helper()
	conn := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(`
apiVersion: sparkoperator.k8s.io/v1alpha1
kind: SparkConnect
spec:
  sparkVersion: 4.0.1
  image: docker.io/apache/spark:4.0.1
  sparkConf:
    spark.sql.shuffle.partitions: "64"
  server:
    cores: 1
    memory: 2g
  executor:
    instances: 2
    memory: 2g
`), &conn.Object); err != nil {
		t.Fatal(err)
	}
	conn.SetNamespace(namespace)
	conn.SetName(name)
	return conn
}

// appIn is the example SparkApplication, named name, in namespace, which
// allows it no IAM role: it asks for none.
func appIn(t *testing.T, namespace, name string) *unstructured.Unstructured {
	t.Helper()
	app := exampleApp(t, "etl-report.yaml", name)
	app.SetNamespace(namespace)
	unstructured.RemoveNestedField(app.Object, "spec", "driver", "annotations")
	return app
}

// normalizedJSON is v as JSON values (numbers as float64), for comparing
// an object the API server stored with one the composer printed.
func normalizedJSON(t *testing.T, v any) any {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
