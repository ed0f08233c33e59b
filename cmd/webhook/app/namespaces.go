package app

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/strata-dev/strata/pkg/overlay"
)

// snapshotWithNamespace returns snap, or, when snap does not know the
// namespace yet (created a moment ago, not delivered by the informer yet),
// snap with the Namespace read live from the API server, so that a
// namespaceSelector layer never misses a tenant's first pod. A Namespace
// that cannot be read is an error: composing or judging a pod without its
// namespace's layers would let it through without them (fail closed). A
// nil reader (tests) composes by the namespace's name only.
func snapshotWithNamespace(ctx context.Context, snap *overlay.Snapshot, reader client.Reader, namespace string) (*overlay.Snapshot, error) {
	if reader == nil || namespace == "" || snap.KnowsNamespace(namespace) {
		return snap, nil
	}
	var ns corev1.Namespace
	if err := reader.Get(ctx, client.ObjectKey{Name: namespace}, &ns); err != nil {
		return nil, fmt.Errorf("reading Namespace %q, whose labels select layers: %w", namespace, err)
	}
	return snap.WithNamespace(&ns), nil
}
