// Package v1alpha1 is the Layer API of Strata: group strata.dev, version
// v1alpha1, kind Layer, a cluster-scoped object that carries one layer of
// Spark pod settings and says which pods it applies to.
//
// Layers are cluster-scoped on purpose: a tenant with rights in its own
// namespace must never be able to write overrides for itself.
//
// +kubebuilder:object:generate=true
// +groupName=strata.dev
package v1alpha1
