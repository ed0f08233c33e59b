package app

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// layerWarnings are overlay.LayerWarnings of l, the Namespaces and
// RuntimeClasses it names read from the cluster through cluster; without
// a reader, none of those that need one.
func layerWarnings(ctx context.Context, cluster client.Reader, l *v1alpha1.Layer) []string {
	if cluster == nil {
		return overlay.LayerWarnings(l, overlay.ClusterLookup{}, "")
	}
	return overlay.LayerWarnings(l, overlay.ClusterLookup{
		Namespace: func(name string) (*corev1.Namespace, error) { return get(ctx, cluster, name, &corev1.Namespace{}) },
		RuntimeClass: func(name string) (*nodev1.RuntimeClass, error) {
			return get(ctx, cluster, name, &nodev1.RuntimeClass{})
		},
	}, "does not exist")
}

// get reads the cluster-scoped object name into obj: nil and no error
// when there is none.
func get[T client.Object](ctx context.Context, r client.Reader, name string, obj T) (T, error) {
	var none T
	switch err := r.Get(ctx, client.ObjectKey{Name: name}, obj); {
	case apierrors.IsNotFound(err):
		return none, nil
	case err != nil:
		return none, err
	}
	return obj, nil
}
