package overlay

import (
	"slices"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// MutatingPolicies are a cluster's MutatingAdmissionPolicies and their
// bindings (admissionregistration.k8s.io/v1, on by default since
// Kubernetes 1.36).
type MutatingPolicies struct {
	Policies []admissionregistrationv1.MutatingAdmissionPolicy
	Bindings []admissionregistrationv1.MutatingAdmissionPolicyBinding
	// Params are the objects a policy's paramKind may name, as files give
	// them (a repository's or a cluster configuration's objects of kinds
	// nothing else reads: ConfigMaps, custom resources), and the
	// CustomResourceDefinitions among them, whose schemas the dry run
	// applies policies to custom resources' objects with.
	Params []unstructured.Unstructured
}

// MutatingPolicies are the cluster's MutatingAdmissionPolicies and their
// bindings the snapshot was compiled with (Inputs.MutatingPolicies).
// Shared: not to be changed.
func (s *Snapshot) MutatingPolicies() MutatingPolicies { return s.mutatingPolicies }

// And is m with other's policies, bindings and params after its own; one
// of the same name (a param: of the same kind, namespace and name)
// replaces m's.
func (m MutatingPolicies) And(other MutatingPolicies) MutatingPolicies {
	return MutatingPolicies{
		Policies: lastByName(append(slices.Clone(m.Policies), other.Policies...), func(p admissionregistrationv1.MutatingAdmissionPolicy) string { return p.Name }),
		Bindings: lastByName(append(slices.Clone(m.Bindings), other.Bindings...), func(b admissionregistrationv1.MutatingAdmissionPolicyBinding) string { return b.Name }),
		Params: lastByName(append(slices.Clone(m.Params), other.Params...), func(u unstructured.Unstructured) string {
			return u.GetAPIVersion() + " " + u.GetKind() + " " + u.GetNamespace() + "/" + u.GetName()
		}),
	}
}

// lastByName is items without those a later item of the same name
// replaces, in order.
func lastByName[T any](items []T, name func(T) string) []T {
	last := map[string]int{}
	for i, it := range items {
		last[name(it)] = i
	}
	var out []T
	for i, it := range items {
		if last[name(it)] == i {
			out = append(out, it)
		}
	}
	return out
}
