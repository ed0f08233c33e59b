// Package mutate renders a composed config onto a Spark pod and computes the
// JSON Patch between the pod as submitted and the pod as composed.
//
// Compose is the one code path that the composer CLI and the admission
// webhook share: given a Snapshot and a pod, it reads the user's own config
// from the pod, composes it with the matching layers (package overlay),
// renders the result onto a copy of the pod and returns the patch, the
// provenance and the warnings a user should see. It knows nothing of HTTP.
//
// Each part of rendering is a small function over typed objects that is
// idempotent: rendering a composed config onto a pod it was already rendered
// onto changes nothing.
package mutate
