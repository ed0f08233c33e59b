// Package mutatingpolicy applies a cluster's MutatingAdmissionPolicies to
// the creation of a pod, or of a custom resource's object (a
// SparkApplication), as the API server does, for the composer's dry run.
//
// The API server applies MutatingAdmissionPolicies (GA, on by default
// since Kubernetes 1.36) after its in-tree mutating plugins and before the
// mutating webhooks, and again after them where a policy's
// reinvocationPolicy is IfNeeded. The webhook never sees a pod before
// them; a dry run that left them out would print a pod the API server does
// not store. So this package runs the API server's own plugin code
// (k8s.io/apiserver: its policy source and matching, CEL compilation, the
// dispatcher, its patchers and its reinvocation), fed from the policies,
// bindings and namespaces in hand instead of informers on the API server.
//
// A custom resource's object is patched by apply configuration against
// the schema of its CustomResourceDefinition, as the API server builds it
// (the apiextensions-apiserver's OpenAPI builder); without its CRD the dry
// run cannot, and does not admit the object (Applier.Undefined).
//
// A request's user has the groups the API server's authenticators give it
// (UserOf). A policy's authorizer checks are answered by the cluster's
// authorizer where the dry run reads a cluster (Cluster.Authorizer).
//
// What the dry run cannot know it does not guess: a policy whose params
// (its paramKind) were not read from a cluster (Params), or one whose CEL
// asks the authorizer where no cluster answers it, is not applied, and
// Applier.Skipped says why, so the composer can name it. Only the composer imports this package; the
// webhook never does (it brings CEL and the admission machinery).
package mutatingpolicy
