// Package policy evaluates Strata's Rego policies (OPA) against a pod as it
// will be stored: a composed Spark pod, or any other pod of a tenant
// namespace.
//
// An Engine is compiled once per policy set (PrepareForEval) and evaluated
// per admission with an Input: the admission request (operation, userInfo,
// namespace, dryRun), the pod as it will be stored, its effective resource
// requests (refused when too large to count),
// the composed config's limits, isolation rules and fields with their
// provenance, the Namespace, what the tenant wrote of it, and the inventory of
// the namespace's live pods. Every
// package under data.strata that defines a `violation` set is a policy; each
// violation is an object with a `message` (and, for the baseline checks, a
// `check`). The Decision holds the violations with the enforcement the layers
// chose for their policy: deny (the default), warn or dryrun. The input
// is built with what the loaded policies read of it; unless one reads the
// composed values or every field's provenance, the pod's composition folds
// only the fields the input is made of (explainedFields), and input.pod
// leaves out the container fields every policy reading it declares unread
// (UnreadFieldsKey). The policies' settings in it (input.config's
// enforcement, limits and isolation), the layers' alone, are converted to
// OPA's values once per snapshot and target (settings.go).
//
// A Ledger keeps, per webhook process, what admitted pods take until the
// live state (the webhook's watch of pods) holds them, so concurrent
// admissions cannot jointly overshoot a limit. A verdict confirmed on a
// changed inventory evaluates again only the policies that read the
// inventory (Engine.Reevaluate). The package knows nothing of HTTP.
package policy
