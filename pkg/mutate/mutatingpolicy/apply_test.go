package mutatingpolicy

import (
	"context"
	"errors"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/strata-dev/strata/pkg/overlay"
)

// podRules select the creation of pods.
var podRules = &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
	RuleWithOperations: admissionregistrationv1.RuleWithOperations{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
		Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}}}}}}

// policy is a policy of mutations over pods, never reinvoked.
func policy(name string, mutations ...admissionregistrationv1.Mutation) admissionregistrationv1.MutatingAdmissionPolicy {
	return admissionregistrationv1.MutatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: admissionregistrationv1.MutatingAdmissionPolicySpec{
		MatchConstraints: podRules.DeepCopy(), Mutations: mutations, ReinvocationPolicy: admissionregistrationv1.NeverReinvocationPolicy}}
}

func applyConfiguration(expr string) admissionregistrationv1.Mutation {
	return admissionregistrationv1.Mutation{PatchType: admissionregistrationv1.PatchTypeApplyConfiguration,
		ApplyConfiguration: &admissionregistrationv1.ApplyConfiguration{Expression: expr}}
}

func jsonPatch(expr string) admissionregistrationv1.Mutation {
	return admissionregistrationv1.Mutation{PatchType: admissionregistrationv1.PatchTypeJSONPatch,
		JSONPatch: &admissionregistrationv1.JSONPatch{Expression: expr}}
}

func binding(name, policy string, namespaceLabels map[string]string) admissionregistrationv1.MutatingAdmissionPolicyBinding {
	b := admissionregistrationv1.MutatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: admissionregistrationv1.MutatingAdmissionPolicyBindingSpec{PolicyName: policy}}
	if namespaceLabels != nil {
		b.Spec.MatchResources = &admissionregistrationv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{MatchLabels: namespaceLabels}}
	}
	return b
}

func namespace(name string, labels map[string]string) corev1.Namespace {
	l := map[string]string{corev1.LabelMetadataName: name}
	for k, v := range labels {
		l[k] = v
	}
	return corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: l}}
}

func testPod(ns string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "exec-1", Namespace: ns, Labels: map[string]string{"spark-role": "executor"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "spark", Image: "spark:4"}}}}
}

func start(t *testing.T, policies overlay.MutatingPolicies) *Applier {
	t.Helper()
	a, err := New(context.Background(), policies, Cluster{Namespaces: []corev1.Namespace{namespace("etl", map[string]string{"tier": "batch"}), namespace("ml", nil)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

func TestAdmit(t *testing.T) {
	stamp := applyConfiguration(`Object{metadata: Object.metadata{labels: {"stamped": "yes"}}}`)
	fail := admissionregistrationv1.Fail
	ignore := admissionregistrationv1.Ignore
	withFailure := func(p admissionregistrationv1.MutatingAdmissionPolicy, f *admissionregistrationv1.FailurePolicyType) admissionregistrationv1.MutatingAdmissionPolicy {
		p.Spec.FailurePolicy = f
		return p
	}
	withCondition := func(p admissionregistrationv1.MutatingAdmissionPolicy, expr string) admissionregistrationv1.MutatingAdmissionPolicy {
		p.Spec.MatchConditions = []admissionregistrationv1.MatchCondition{{Name: "c", Expression: expr}}
		return p
	}
	configMaps := policy("cm", stamp)
	configMaps.Spec.MatchConstraints.ResourceRules[0].Resources = []string{"configmaps"}
	for _, tc := range []struct {
		name      string
		policies  []admissionregistrationv1.MutatingAdmissionPolicy
		bindings  []admissionregistrationv1.MutatingAdmissionPolicyBinding
		ns, user  string
		labels    map[string]string
		priority  string
		refused   string // a part of the refusal
		unchanged bool
	}{
		{name: "an apply configuration", policies: []admissionregistrationv1.MutatingAdmissionPolicy{policy("stamp", stamp)},
			bindings: []admissionregistrationv1.MutatingAdmissionPolicyBinding{binding("stamp", "stamp", nil)}, ns: "etl",
			labels: map[string]string{"spark-role": "executor", "stamped": "yes"}},
		{name: "a JSON patch", policies: []admissionregistrationv1.MutatingAdmissionPolicy{policy("class", jsonPatch(`[JSONPatch{op: "add", path: "/spec/priorityClassName", value: "spark-low"}]`))},
			bindings: []admissionregistrationv1.MutatingAdmissionPolicyBinding{binding("class", "class", nil)}, ns: "etl", priority: "spark-low"},
		{name: "mutations in order, policies by name", policies: []admissionregistrationv1.MutatingAdmissionPolicy{
			policy("second", jsonPatch(`[JSONPatch{op: "replace", path: "/spec/priorityClassName", value: object.spec.priorityClassName + "-then-b"}]`)),
			policy("first", jsonPatch(`[JSONPatch{op: "add", path: "/spec/priorityClassName", value: "a"}]`), jsonPatch(`[JSONPatch{op: "replace", path: "/spec/priorityClassName", value: object.spec.priorityClassName + "-then-a"}]`))},
			bindings: []admissionregistrationv1.MutatingAdmissionPolicyBinding{binding("2", "second", nil), binding("1", "first", nil)}, ns: "etl", priority: "a-then-a-then-b"},
		{name: "a namespace the binding selects", policies: []admissionregistrationv1.MutatingAdmissionPolicy{policy("stamp", stamp)},
			bindings: []admissionregistrationv1.MutatingAdmissionPolicyBinding{binding("stamp", "stamp", map[string]string{"tier": "batch"})}, ns: "etl",
			labels: map[string]string{"spark-role": "executor", "stamped": "yes"}},
		{name: "a namespace the binding does not select", policies: []admissionregistrationv1.MutatingAdmissionPolicy{policy("stamp", stamp)},
			bindings: []admissionregistrationv1.MutatingAdmissionPolicyBinding{binding("stamp", "stamp", map[string]string{"tier": "batch"})}, ns: "ml", unchanged: true},
		{name: "the namespace object", policies: []admissionregistrationv1.MutatingAdmissionPolicy{policy("tier", applyConfiguration(`Object{metadata: Object.metadata{labels: {"tier": namespaceObject.metadata.labels["tier"]}}}`))},
			bindings: []admissionregistrationv1.MutatingAdmissionPolicyBinding{binding("tier", "tier", nil)}, ns: "etl",
			labels: map[string]string{"spark-role": "executor", "tier": "batch"}},
		{name: "the request's user", policies: []admissionregistrationv1.MutatingAdmissionPolicy{policy("who", applyConfiguration(`Object{metadata: Object.metadata{labels: {"by": request.userInfo.username}}}`))},
			bindings: []admissionregistrationv1.MutatingAdmissionPolicyBinding{binding("who", "who", nil)}, ns: "etl", user: "alice",
			labels: map[string]string{"spark-role": "executor", "by": "alice"}},
		{name: "a match condition that holds", policies: []admissionregistrationv1.MutatingAdmissionPolicy{withCondition(policy("stamp", stamp), `object.metadata.labels["spark-role"] == "executor"`)},
			bindings: []admissionregistrationv1.MutatingAdmissionPolicyBinding{binding("stamp", "stamp", nil)}, ns: "etl",
			labels: map[string]string{"spark-role": "executor", "stamped": "yes"}},
		{name: "a match condition that does not", policies: []admissionregistrationv1.MutatingAdmissionPolicy{withCondition(policy("stamp", stamp), `object.metadata.labels["spark-role"] == "driver"`)},
			bindings: []admissionregistrationv1.MutatingAdmissionPolicyBinding{binding("stamp", "stamp", nil)}, ns: "etl", unchanged: true},
		{name: "another resource", policies: []admissionregistrationv1.MutatingAdmissionPolicy{configMaps},
			bindings: []admissionregistrationv1.MutatingAdmissionPolicyBinding{binding("cm", "cm", nil)}, ns: "etl", unchanged: true},
		{name: "a policy without a binding", policies: []admissionregistrationv1.MutatingAdmissionPolicy{policy("stamp", stamp)}, ns: "etl", unchanged: true},
		{name: "a failing policy that fails closed (the default)", policies: []admissionregistrationv1.MutatingAdmissionPolicy{policy("broken", jsonPatch(`[JSONPatch{op: "replace", path: "/spec/nodeName", value: object.metadata.labels["absent"]}]`))},
			bindings: []admissionregistrationv1.MutatingAdmissionPolicyBinding{binding("broken", "broken", nil)}, ns: "etl", refused: `policy 'broken' with binding 'broken' denied request`},
		{name: "a failing policy that fails closed", policies: []admissionregistrationv1.MutatingAdmissionPolicy{withFailure(policy("broken", jsonPatch(`[JSONPatch{op: "replace", path: "/spec/nodeName", value: object.metadata.labels["absent"]}]`)), &fail)},
			bindings: []admissionregistrationv1.MutatingAdmissionPolicyBinding{binding("broken", "broken", nil)}, ns: "etl", refused: `no such key: absent`},
		{name: "a failing policy that fails open", policies: []admissionregistrationv1.MutatingAdmissionPolicy{withFailure(policy("broken", jsonPatch(`[JSONPatch{op: "replace", path: "/spec/nodeName", value: object.metadata.labels["absent"]}]`)), &ignore)},
			bindings: []admissionregistrationv1.MutatingAdmissionPolicyBinding{binding("broken", "broken", nil)}, ns: "etl", unchanged: true},
		{name: "a policy that does not compile", policies: []admissionregistrationv1.MutatingAdmissionPolicy{policy("typo", applyConfiguration(`Object{metadata: Object.metadata{labels: {"a": objekt.kind}}}`))},
			bindings: []admissionregistrationv1.MutatingAdmissionPolicyBinding{binding("typo", "typo", nil)}, ns: "etl", refused: `undeclared reference to 'objekt'`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := start(t, overlay.MutatingPolicies{Policies: tc.policies, Bindings: tc.bindings})
			in := testPod(tc.ns)
			c := a.CreatePod(in, tc.user)
			got, err := c.Admit(context.Background())
			if !admitted(t, err, tc.refused) {
				return
			}
			if !equalLabels(in.Labels, testPod(tc.ns).Labels) {
				t.Errorf("the pod given was changed: %v", in.Labels)
			}
			if got.Kind != "" || got.APIVersion != "" {
				t.Errorf("type meta %v", got.TypeMeta)
			}
			if tc.unchanged {
				if !equalLabels(got.Labels, in.Labels) || got.Spec.PriorityClassName != "" || got.Spec.NodeName != "" || c.Changed() {
					t.Errorf("changed (%v): %v %q", c.Changed(), got.Labels, got.Spec.PriorityClassName)
				}
				return
			}
			if !c.Changed() {
				t.Error("Changed() = false for a pod a policy changed")
			}
			if tc.labels != nil && !equalLabels(got.Labels, tc.labels) {
				t.Errorf("labels %v, want %v", got.Labels, tc.labels)
			}
			if got.Spec.PriorityClassName != tc.priority {
				t.Errorf("priorityClassName %q, want %q", got.Spec.PriorityClassName, tc.priority)
			}
		})
	}
}

func equalLabels(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestReinvoke: on the second pass only a policy whose reinvocationPolicy
// is IfNeeded applies again, and only when the pod changed since it last
// saw it.
func TestReinvoke(t *testing.T) {
	count := applyConfiguration(`Object{metadata: Object.metadata{annotations: {"containers": string(size(object.spec.containers))}}}`)
	ifNeeded := policy("count", count)
	ifNeeded.Spec.ReinvocationPolicy = admissionregistrationv1.IfNeededReinvocationPolicy
	never := policy("count", count)
	for _, tc := range []struct {
		name    string
		p       admissionregistrationv1.MutatingAdmissionPolicy
		sidecar bool
		want    string
	}{
		{"IfNeeded, a webhook added a container", ifNeeded, true, "2"},
		{"IfNeeded, nothing changed since", ifNeeded, false, "1"},
		{"Never, a webhook added a container", never, true, "1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := start(t, overlay.MutatingPolicies{Policies: []admissionregistrationv1.MutatingAdmissionPolicy{tc.p},
				Bindings: []admissionregistrationv1.MutatingAdmissionPolicyBinding{binding("count", "count", nil)}})
			c := a.CreatePod(testPod("etl"), "")
			first, err := c.Admit(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if first.Annotations["containers"] != "1" {
				t.Fatalf("first pass: %v", first.Annotations)
			}
			webhook := first.DeepCopy()
			if tc.sidecar {
				webhook.Spec.Containers = append(webhook.Spec.Containers, corev1.Container{Name: "sidecar", Image: "proxy:1"})
			}
			second, err := c.Reinvoke(context.Background(), webhook)
			if err != nil {
				t.Fatal(err)
			}
			if got := second.Annotations["containers"]; got != tc.want {
				t.Errorf("second pass: containers %q, want %q", got, tc.want)
			}
			if len(second.Spec.Containers) != len(webhook.Spec.Containers) {
				t.Errorf("the second pass lost what the webhook gave: %d containers", len(second.Spec.Containers))
			}
		})
	}
}

// TestSkipped: what the dry run cannot know it does not apply, and says so.
func TestSkipped(t *testing.T) {
	params := policy("params", applyConfiguration(`Object{metadata: Object.metadata{labels: {"team": params.data["team"]}}}`))
	params.Spec.ParamKind = &admissionregistrationv1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"}
	authz := policy("authz", applyConfiguration(`Object{metadata: Object.metadata{labels: {"admin": string(authorizer.group("").resource("pods").check("delete").allowed())}}}`))
	plain := policy("plain", applyConfiguration(`Object{metadata: Object.metadata{labels: {"plain": "yes"}}}`))
	a := start(t, overlay.MutatingPolicies{Policies: []admissionregistrationv1.MutatingAdmissionPolicy{params, authz, plain},
		Bindings: []admissionregistrationv1.MutatingAdmissionPolicyBinding{binding("params", "params", nil), binding("authz", "authz", nil), binding("plain", "plain", nil)}})
	for name, want := range map[string]string{"params": "paramKind v1 ConfigMap", "authz": "authorizer", "plain": ""} {
		if got := a.Skipped(name); (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("Skipped(%q) = %q, want %q", name, got, want)
		}
	}
	got, err := a.CreatePod(testPod("etl"), "").Admit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"spark-role": "executor", "plain": "yes"}; !equalLabels(got.Labels, want) {
		t.Errorf("labels %v, want %v (the skipped policies not applied)", got.Labels, want)
	}
}

// admitted reports whether err admitted the pod: nil where refused is ""
// (a test's failure otherwise), a refusal holding refused where it is not.
func admitted(t *testing.T, err error, refused string) bool {
	t.Helper()
	if refused == "" {
		if err != nil {
			t.Fatal(err)
		}
		return true
	}
	var r *RefusedError
	if !errors.As(err, &r) || !strings.Contains(err.Error(), refused) {
		t.Fatalf("err = %v, want a refusal with %q", err, refused)
	}
	return false
}

// TestReversed: two policies that set the same field give the pod the
// value of the one applied last, so the reversed Applier gives the other;
// policies that set fields of their own give the same pod either way.
func TestReversed(t *testing.T) {
	low := policy("a-low", jsonPatch(`[JSONPatch{op: "add", path: "/spec/priorityClassName", value: "low"}]`))
	high := policy("b-high", jsonPatch(`[JSONPatch{op: "add", path: "/spec/priorityClassName", value: "high"}]`))
	stamp := policy("c-stamp", applyConfiguration(`Object{metadata: Object.metadata{labels: {"stamped": "yes"}}}`))
	for _, tc := range []struct {
		name             string
		policies         []admissionregistrationv1.MutatingAdmissionPolicy
		byName, reversed string
		bound            int
	}{
		{"the same field", []admissionregistrationv1.MutatingAdmissionPolicy{high, low}, "high", "low", 2},
		{"fields of their own", []admissionregistrationv1.MutatingAdmissionPolicy{low, stamp}, "low", "low", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var bindings []admissionregistrationv1.MutatingAdmissionPolicyBinding
			for _, p := range tc.policies {
				bindings = append(bindings, binding(p.Name, p.Name, nil))
			}
			a := start(t, overlay.MutatingPolicies{Policies: tc.policies, Bindings: bindings})
			if a.Bound() != tc.bound {
				t.Errorf("Bound() = %d, want %d", a.Bound(), tc.bound)
			}
			r, err := a.Reversed(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			for _, run := range []struct {
				a    *Applier
				want string
			}{{a, tc.byName}, {r, tc.reversed}} {
				got, err := run.a.CreatePod(testPod("etl"), "").Admit(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if got.Spec.PriorityClassName != run.want {
					t.Errorf("reversed %v: priorityClassName %q, want %q", run.a.reversed, got.Spec.PriorityClassName, run.want)
				}
			}
		})
	}
}
