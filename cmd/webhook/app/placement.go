package app

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// placementWarnings are overlay.PlacementWarnings of l, the Namespaces read
// from the cluster through namespaces; none without a reader.
func placementWarnings(ctx context.Context, namespaces client.Reader, l *v1alpha1.Layer) []string {
	if namespaces == nil {
		return nil
	}
	return overlay.PlacementWarnings(l, func(name string) (*corev1.Namespace, error) {
		var n corev1.Namespace
		switch err := namespaces.Get(ctx, client.ObjectKey{Name: name}, &n); {
		case apierrors.IsNotFound(err):
			return nil, nil
		case err != nil:
			return nil, err
		}
		return &n, nil
	}, "does not exist")
}
