package overlay

import (
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
// replaces m's where it stood (replacing).
func (m MutatingPolicies) And(other MutatingPolicies) MutatingPolicies {
	return MutatingPolicies{
		Policies: replacing(m.Policies, other.Policies, nameOf[admissionregistrationv1.MutatingAdmissionPolicy]),
		Bindings: replacing(m.Bindings, other.Bindings, nameOf[admissionregistrationv1.MutatingAdmissionPolicyBinding]),
		Params: replacing(m.Params, other.Params, func(u *unstructured.Unstructured) string {
			return u.GetAPIVersion() + " " + u.GetKind() + " " + u.GetNamespace() + "/" + u.GetName()
		}),
	}
}
