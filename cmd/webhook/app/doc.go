// Package app is the Strata admission webhook: a controller-runtime manager
// whose webhook server serves
//
//   - /mutate-v1-pod: composes the matching layers onto Spark pods, through
//     mutate.Admit, the composer CLI's code path (mutate.Compose) with
//     only the provenance its patch and warnings are made of;
//   - /validate-v1-pod: runs the policies on every pod of a tenant
//     namespace (create, update, ephemeral containers, resize, and the
//     status updates that change labels or annotations, or a phase
//     anyone but a kubelet or the cluster's controllers writes), through
//     policy.Check, the path of `composer compose --validate`;
//   - /validate-v1-pod-binding: judges a binding of a pod to a node as
//     the UPDATE of the pod it makes, through the same check;
//   - /validate-scheduling-volcano-sh-v1beta1-podgroup: judges Volcano
//     PodGroups by the policies' PodGroup rules (policy.Check.PodGroup);
//   - /validate-v1-namespace: keeps to platform admins a Namespace label
//     some Layer selects namespaces by, and creating a namespace some
//     Layer names (NamespaceGuard);
//   - /validate-strata-dev-v1alpha1-layer: rejects a bad Layer with the
//     message the composer CLI gives for it;
//   - /noop-v1-pod, with --serve-noop only: decodes the pod and allows it,
//     the floor the load tool (test/load) measures the handlers against.
//
// Namespaces, PriorityClasses, RuntimeClasses and LimitRanges come from
// the manager's informer cache.
// Two watches of the webhook's own (client-go Reflectors with stores of
// their own, watched) keep the rest: every Layer (layerWatch, each event
// decoded in one pass), and what quota counts of every pod, for the quota
// tracker (podWatch, each pod decoded to what quota reads); nothing else
// keeps pods. A small controller recompiles one immutable overlay.Snapshot
// after changes (at most every 100ms, revalidating only the Layers that
// changed) and swaps it in atomically; a Layer that does not compile is
// reported (log, metric, an Event on the Layer) and left out, and the pods
// it would match are refused until it is fixed. The handlers are thin:
// decode, load the snapshot, call the pure libraries, encode; each runs
// under the API server's deadline and recovers its own panics. Reviews
// are served by controller-runtime's admission.Webhook, the pod paths'
// with their pods decoded in the same pass as the review (podReviews).
package app
