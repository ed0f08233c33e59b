package mutatingpolicy

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// defaulted is p as the API server stores it (k8s.io/kubernetes'
// admissionregistration/v1 defaults, which only the API server's own
// packages carry): a failurePolicy of Fail, and its match constraints
// defaulted (withDefaults). A policy read from a file has none of them,
// and the plugin refuses a nil selector.
func defaulted(p admissionregistrationv1.MutatingAdmissionPolicy) *admissionregistrationv1.MutatingAdmissionPolicy {
	p = *p.DeepCopy()
	if p.Spec.FailurePolicy == nil {
		fail := admissionregistrationv1.Fail
		p.Spec.FailurePolicy = &fail
	}
	withDefaults(p.Spec.MatchConstraints)
	return &p
}

// defaultedBinding is b as the API server stores it: its match resources
// defaulted (withDefaults).
func defaultedBinding(b admissionregistrationv1.MutatingAdmissionPolicyBinding) *admissionregistrationv1.MutatingAdmissionPolicyBinding {
	b = *b.DeepCopy()
	withDefaults(b.Spec.MatchResources)
	return &b
}

// withDefaults gives m, when there is one, what the API server defaults of
// it: a matchPolicy of Equivalent, empty namespace and object selectors
// (every one), and a scope of * for each rule.
func withDefaults(m *admissionregistrationv1.MatchResources) {
	if m == nil {
		return
	}
	if m.MatchPolicy == nil {
		equivalent := admissionregistrationv1.Equivalent
		m.MatchPolicy = &equivalent
	}
	if m.NamespaceSelector == nil {
		m.NamespaceSelector = &metav1.LabelSelector{}
	}
	if m.ObjectSelector == nil {
		m.ObjectSelector = &metav1.LabelSelector{}
	}
	for _, rules := range [][]admissionregistrationv1.NamedRuleWithOperations{m.ResourceRules, m.ExcludeResourceRules} {
		for i := range rules {
			if rules[i].Scope == nil {
				all := admissionregistrationv1.AllScopes
				rules[i].Scope = &all
			}
		}
	}
}
