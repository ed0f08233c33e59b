package mutate

import (
	"fmt"
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/strata-dev/strata/pkg/overlay"
)

// The API server's MutatingAdmissionPolicies (GA, on by default since
// Kubernetes 1.36) change an object with CEL before the mutating webhooks,
// and again after them where they ask for it. The composer applies them to
// a pod it is given (package mutatingpolicy, which runs the API server's
// plugin); where it does not (an application and the pods it launches, a
// policy whose params are the cluster's) it names each policy whose
// binding may apply to what it composes, so that what it prints is not
// taken for what the API server stores. This follows the API server's
// matching of a policy's matchConstraints and a binding's matchResources
// (k8s.io/apiserver's policy matching and webhook rules), written here
// without the plugin: naming needs no CEL, and this package is the
// webhook's too, which must not bring the API server's admission
// machinery in.

// Created is an object the API server is asked to create, as a
// MutatingAdmissionPolicy's binding is matched against it.
type Created struct {
	// Group, Version and Resource name its kind's resource: "", "v1",
	// "pods".
	Group, Version, Resource string
	// Name is its name ("" while the API server would generate it).
	Name string
	// Labels are its labels; NamespaceLabels its namespace's.
	Labels, NamespaceLabels map[string]string
}

// MutatingPolicyMatch is a MutatingAdmissionPolicy's binding that may
// apply to an object created.
type MutatingPolicyMatch struct {
	Policy, Binding string
	// Conditional: the policy's match conditions (CEL, not evaluated
	// here) may still leave the object out.
	Conditional bool
}

func (m MutatingPolicyMatch) String() string {
	return fmt.Sprintf("MutatingAdmissionPolicy %q (binding %q)", m.Policy, m.Binding)
}

// MutatingPolicyMatches are the bindings of policies' MutatingAdmissionPolicies
// that may apply to the creation of obj, in the bindings' order: the
// policy's matchConstraints and the binding's matchResources select it
// (resource rules, excluded rules, namespace and object selectors).
func MutatingPolicyMatches(policies overlay.MutatingPolicies, obj Created) []MutatingPolicyMatch {
	byName := map[string]*admissionregistrationv1.MutatingAdmissionPolicy{}
	for i := range policies.Policies {
		byName[policies.Policies[i].Name] = &policies.Policies[i]
	}
	var out []MutatingPolicyMatch
	for i := range policies.Bindings {
		b := &policies.Bindings[i]
		p, ok := byName[b.Spec.PolicyName]
		if !ok || p.Spec.MatchConstraints == nil || !resourcesMatch(p.Spec.MatchConstraints, obj) ||
			(b.Spec.MatchResources != nil && !resourcesMatch(b.Spec.MatchResources, obj)) {
			continue
		}
		out = append(out, MutatingPolicyMatch{Policy: p.Name, Binding: b.Name, Conditional: len(p.Spec.MatchConditions) > 0})
	}
	return out
}

// resourcesMatch reports whether m selects the creation of obj: a
// resource rule of it and none of its excluded ones, its namespace
// selector (every namespace when none) and its object selector. A rule
// of no resources, or a selector the API server would refuse, selects
// nothing.
func resourcesMatch(m *admissionregistrationv1.MatchResources, obj Created) bool {
	matches := func(rules []admissionregistrationv1.NamedRuleWithOperations) bool {
		return slices.ContainsFunc(rules, func(r admissionregistrationv1.NamedRuleWithOperations) bool { return ruleMatches(&r, obj) })
	}
	if (m.ResourceRules != nil && !matches(m.ResourceRules)) || matches(m.ExcludeResourceRules) {
		return false
	}
	return selects(m.NamespaceSelector, obj.NamespaceLabels) && selects(m.ObjectSelector, obj.Labels)
}

// selects reports whether sel, nil for every object, selects set.
func selects(sel *metav1.LabelSelector, set map[string]string) bool {
	if sel == nil {
		return true
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	return err == nil && s.Matches(labels.Set(set))
}

// ruleMatches reports whether r selects the creation of obj, a namespaced
// object, as the API server's rule matcher does: its operations (CREATE,
// or *), its groups, versions and resources (* for all; "pods/*" and
// "*/*" the object and its subresources, "pods/status" a subresource
// only), its scope (*, Namespaced or none) and its resource names, when
// it names any.
func ruleMatches(r *admissionregistrationv1.NamedRuleWithOperations, obj Created) bool {
	anyOf := func(list []string, v string) bool { return slices.Contains(list, "*") || slices.Contains(list, v) }
	ops := make([]string, len(r.Operations))
	for i, op := range r.Operations {
		ops[i] = string(op)
	}
	if !anyOf(ops, string(admissionregistrationv1.Create)) || !anyOf(r.APIGroups, obj.Group) || !anyOf(r.APIVersions, obj.Version) {
		return false
	}
	if !slices.ContainsFunc(r.Resources, func(res string) bool {
		resource, sub, _ := strings.Cut(res, "/")
		return (sub == "" || sub == "*") && (resource == "*" || resource == obj.Resource)
	}) {
		return false
	}
	if s := r.Scope; s != nil && *s != admissionregistrationv1.AllScopes && *s != admissionregistrationv1.NamespacedScope {
		return false
	}
	return len(r.ResourceNames) == 0 || slices.Contains(r.ResourceNames, obj.Name)
}
