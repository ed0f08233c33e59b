// Package app is the Strata admission webhook: a controller-runtime manager
// whose webhook server serves
//
//   - /mutate-v1-pod: composes the matching layers onto Spark pods, through
//     mutate.Compose, the same code path as the composer CLI;
//   - /validate-strata-dev-v1alpha1-layer: rejects a bad Layer with the
//     message the composer CLI gives for it.
//
// Layers, Namespaces and PriorityClasses come from the manager's informer
// cache. A small controller recompiles one immutable overlay.Snapshot on every
// change and swaps it in atomically; a configuration that does not compile is
// reported (log, metric, an Event on the Layer) and the last good snapshot
// keeps serving. The handlers are thin: decode, load the snapshot, call the
// pure libraries, encode.
package app
