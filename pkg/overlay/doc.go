// Package overlay composes the layers of Spark pod settings.
//
// A Snapshot is a compiled, immutable view of the Layers (and the Namespaces
// and PriorityClasses they refer to, the RuntimeClasses, and what the
// Namespaces' placement annotations give their pods while a policy keeps
// them to platform admins: NamespacePlacement). Snapshot.Compose selects the layers that
// match a pod and folds their settings with the user's own, in the fixed order
// PoolDefaults → ClusterDefaults → user → ClusterOverrides → NamespaceOverrides,
// recording for every field which source won and which it beat.
//
// Every field of a layer's config is one row of the field table (Fields):
// its JSON name, the root of its provenance paths and its fold. Composition
// iterates it, and each render target keeps a table of its own keyed by the
// same names (package mutate's for pods), so a field cannot be folded and
// forgotten by a target.
//
// Inputs are what a Snapshot is compiled from. ReadCluster reads a cluster's
// objects into them, the one reading the webhook and the dry run share, and
// Inputs.And puts several sources together (a cluster, a repository, a
// cluster's configuration files), each later object replacing an earlier one
// of its kind and name.
//
// The package knows nothing of HTTP or of how a composed config is written onto
// a pod (package mutate does that).
//
// # Why not mergo
//
// The fold is written out per field kind (scalar, map, keyed list) rather than
// done with dario.cat/mergo: every key of every map and every element of every
// keyed list must record which source won it and which sources it beat, and
// mergo only reports the merged value. Merging with mergo and then working out
// the winners again would do the same work twice, in two places that could
// disagree. The three fold functions are small, generic and table-tested.
package overlay
