package mutate

import (
	"encoding/json"
	"slices"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/strata-dev/strata/pkg/overlay"
)

// TestMutatingPolicyMatches holds the matching of a MutatingAdmissionPolicy's
// binding to the API server's, case by case: the policy's resource rules,
// excluded rules and selectors, then the binding's; a binding of no
// policy applies nothing.
func TestMutatingPolicyMatches(t *testing.T) {
	rule := func(group, version, resource string, ops ...admissionregistrationv1.OperationType) admissionregistrationv1.NamedRuleWithOperations {
		return admissionregistrationv1.NamedRuleWithOperations{RuleWithOperations: admissionregistrationv1.RuleWithOperations{Operations: ops,
			Rule: admissionregistrationv1.Rule{APIGroups: []string{group}, APIVersions: []string{version}, Resources: []string{resource}}}}
	}
	pods := rule("", "v1", "pods", admissionregistrationv1.Create)
	policy := func(m admissionregistrationv1.MatchResources, conditions ...admissionregistrationv1.MatchCondition) admissionregistrationv1.MutatingAdmissionPolicy {
		return admissionregistrationv1.MutatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "inject"},
			Spec: admissionregistrationv1.MutatingAdmissionPolicySpec{MatchConstraints: &m, MatchConditions: conditions}}
	}
	binding := func(policy string, m *admissionregistrationv1.MatchResources) admissionregistrationv1.MutatingAdmissionPolicyBinding {
		return admissionregistrationv1.MutatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: "inject-binding"},
			Spec: admissionregistrationv1.MutatingAdmissionPolicyBindingSpec{PolicyName: policy, MatchResources: m}}
	}
	selector := func(k, v string) *metav1.LabelSelector {
		return &metav1.LabelSelector{MatchLabels: map[string]string{k: v}}
	}
	pod := Created{Version: "v1", Resource: "pods", Name: "exec-1", Labels: map[string]string{"spark-role": "executor"},
		NamespaceLabels: map[string]string{"team": "etl"}}
	const matched = `MutatingAdmissionPolicy "inject" (binding "inject-binding")`
	for _, tc := range []struct {
		name    string
		policy  admissionregistrationv1.MutatingAdmissionPolicy
		binding admissionregistrationv1.MutatingAdmissionPolicyBinding
		obj     Created
		want    string
	}{
		{"pods", policy(admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{pods}}), binding("inject", nil), pod, matched},
		{"every operation and resource", policy(admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{
			rule("*", "*", "*", admissionregistrationv1.OperationAll)}}), binding("inject", nil), pod, matched},
		{"pods and their subresources", policy(admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{
			rule("", "v1", "pods/*", admissionregistrationv1.Create)}}), binding("inject", nil), pod, matched},
		{"a subresource only", policy(admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{
			rule("", "v1", "pods/status", admissionregistrationv1.Create)}}), binding("inject", nil), pod, ""},
		{"updates only", policy(admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{
			rule("", "v1", "pods", admissionregistrationv1.Update)}}), binding("inject", nil), pod, ""},
		{"another group", policy(admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{
			rule("apps", "v1", "pods", admissionregistrationv1.Create)}}), binding("inject", nil), pod, ""},
		{"excluded", policy(admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{pods},
			ExcludeResourceRules: []admissionregistrationv1.NamedRuleWithOperations{pods}}), binding("inject", nil), pod, ""},
		{"another namespace", policy(admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{pods},
			NamespaceSelector: selector("team", "geo")}), binding("inject", nil), pod, ""},
		{"its namespace and labels", policy(admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{pods},
			NamespaceSelector: selector("team", "etl"), ObjectSelector: selector("spark-role", "executor")}), binding("inject", nil), pod, matched},
		{"the binding's namespaces", policy(admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{pods}}),
			binding("inject", &admissionregistrationv1.MatchResources{NamespaceSelector: selector("team", "geo")}), pod, ""},
		{"the binding's other objects", policy(admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{pods}}),
			binding("inject", &admissionregistrationv1.MatchResources{ObjectSelector: selector("spark-role", "driver")}), pod, ""},
		{"a binding of no policy", policy(admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{pods}}),
			binding("other", nil), pod, ""},
		{"match conditions", policy(admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{pods}},
			admissionregistrationv1.MatchCondition{Name: "spark", Expression: "has(object.metadata.labels)"}), binding("inject", nil), pod,
			matched + " if its match conditions hold"},
		{"another name", func() admissionregistrationv1.MutatingAdmissionPolicy {
			r := pods
			r.ResourceNames = []string{"driver"}
			return policy(admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{r}})
		}(), binding("inject", nil), pod, ""},
		{"a SparkApplication", policy(admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{pods}}),
			binding("inject", nil), Created{Group: "sparkoperator.k8s.io", Version: "v1beta2", Resource: "sparkapplications"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, m := range MutatingPolicyMatches(overlay.MutatingPolicies{Policies: []admissionregistrationv1.MutatingAdmissionPolicy{tc.policy},
				Bindings: []admissionregistrationv1.MutatingAdmissionPolicyBinding{tc.binding}}, tc.obj) {
				w := m.String()
				if m.Conditional {
					w += " if its match conditions hold"
				}
				got = append(got, w)
			}
			var want []string
			if tc.want != "" {
				want = []string{tc.want}
			}
			if !slices.Equal(got, want) {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

// FuzzMutatingPolicyMatches matches arbitrary policies and bindings to a
// pod of arbitrary labels (a tenant's): never a panic, the same matches
// twice.
func FuzzMutatingPolicyMatches(f *testing.F) {
	f.Add([]byte(`{"metadata":{"name":"p"},"spec":{"matchConstraints":{"resourceRules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["*"],"resources":["pods/*"],"scope":"Namespaced"}],"objectSelector":{"matchExpressions":[{"key":"a","operator":"In","values":["b"]}]}}}}`),
		[]byte(`{"metadata":{"name":"b"},"spec":{"policyName":"p","matchResources":{"namespaceSelector":{"matchLabels":{"team":"etl"}}}}}`), "a", "b")
	f.Add([]byte(`{"metadata":{"name":"p"},"spec":{"matchConstraints":{"resourceRules":[{"resources":["*"],"resourceNames":[""]}],"objectSelector":{"matchExpressions":[{"key":"a","operator":"Bad"}]}}}}`),
		[]byte(`{"spec":{"policyName":"p"}}`), "", "")
	f.Fuzz(func(t *testing.T, policyJSON, bindingJSON []byte, key, value string) {
		var (
			p admissionregistrationv1.MutatingAdmissionPolicy
			b admissionregistrationv1.MutatingAdmissionPolicyBinding
		)
		if json.Unmarshal(policyJSON, &p) != nil || json.Unmarshal(bindingJSON, &b) != nil {
			return
		}
		policies := overlay.MutatingPolicies{Policies: []admissionregistrationv1.MutatingAdmissionPolicy{p}, Bindings: []admissionregistrationv1.MutatingAdmissionPolicyBinding{b}}
		pod := Created{Version: "v1", Resource: "pods", Labels: map[string]string{key: value}, NamespaceLabels: map[string]string{"team": "etl"}}
		first, second := MutatingPolicyMatches(policies, pod), MutatingPolicyMatches(policies, pod)
		if !slices.Equal(first, second) || len(first) > 1 {
			t.Fatalf("matched %v, then %v", first, second)
		}
	})
}
