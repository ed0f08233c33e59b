// Package volcanov1beta1 is what Strata reads of Volcano's PodGroup
// (scheduling.volcano.sh/v1beta1): its name and namespace, and the
// priority class, queue and minimum resources of its spec, no more. Volcano's Go module is not
// a dependency (it would bring a scheduler's dependency tree into the
// webhook for two fields).
//
// Decode is the one decoder of a PodGroup: the validating webhook decodes
// a review's object with it, and the composer CLI a file's, so the dry run
// reads a PodGroup exactly as admission does.
package volcanov1beta1
