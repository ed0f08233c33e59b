// Package overlay composes the layers of Spark pod settings.
//
// A Snapshot is a compiled, immutable view of the Layers (and the Namespaces
// and PriorityClasses they refer to). Snapshot.Compose selects the layers that
// match a pod and folds their settings with the user's own, in the fixed order
// PoolDefaults → ClusterDefaults → user → ClusterOverrides → NamespaceOverrides,
// recording for every field which source won and which it beat.
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
