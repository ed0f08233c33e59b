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
// onto changes nothing. MirrorEphemeral does the one thing the layers do to
// a pod after it exists: the images of ephemeral containers added to it.
//
// The package also reads a pod as policies judge it: which of its parts the
// layers put there (PlatformParts, LayerAffinity), its node and pod affinity
// (RequiredNodeAffinity, PodAffinityTerms) and its images as the container
// runtime reads them (NormalizeImage).
package mutate
