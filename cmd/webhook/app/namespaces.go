package app

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/strata-dev/strata/pkg/overlay"
)

// snapshotWithNamespace returns snap, or, when snap does not know the
// namespace yet (created a moment ago, not delivered by the informer yet),
// snap with the Namespace read live from the API server, so that a
// namespaceSelector layer never misses a tenant's first pod. A nil reader,
// or a failed read, leaves snap as it is.
func snapshotWithNamespace(ctx context.Context, snap *overlay.Snapshot, reader client.Reader, namespace string) *overlay.Snapshot {
	if reader == nil || namespace == "" || snap.KnowsNamespace(namespace) {
		return snap
	}
	var ns corev1.Namespace
	if err := reader.Get(ctx, client.ObjectKey{Name: namespace}, &ns); err != nil {
		log.FromContext(ctx).Info("namespace not in the cache and not readable; composing with its name only", "namespace", namespace, "error", err.Error())
		return snap
	}
	return snap.WithNamespace(&ns)
}
