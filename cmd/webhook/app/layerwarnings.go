package app

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// layerWarnings are overlay.LayerWarnings of l, the Namespaces read from
// the cluster through namespaces; without a reader, none of those that
// need one.
func layerWarnings(ctx context.Context, namespaces client.Reader, l *v1alpha1.Layer) []string {
	if namespaces == nil {
		return overlay.LayerWarnings(l, nil, "")
	}
	return overlay.LayerWarnings(l, func(name string) (*corev1.Namespace, error) {
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
