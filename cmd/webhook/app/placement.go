package app

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// platformNamespaces are the namespaces the shipped webhooks never judge
// (manifests/base/webhooks.yaml's namespaceSelector, which
// TestPlatformNamespacesAreTheManifests holds to this list); with those
// labelled ExemptLabel, the namespaces no tenant administers.
var platformNamespaces = []string{"kube-system", "kube-public", "kube-node-lease", "strata-system"}

// ExemptLabel, set to "true" on a Namespace, exempts it from the policies:
// a namespace of the platform's.
const ExemptLabel = "strata.dev/exempt"

const serviceAccountPrefix = "system:serviceaccount:"

// placementWarnings warns of each placement controller of l that is a
// service account of a namespace tenants may administer: neither a
// platform namespace nor exempt. Whoever administers that namespace may
// impersonate the account (the built-in admin and edit roles may) and
// place pods on reserved nodes. A warning, not a refusal: the Layer
// webhook validates a Layer on its own, and which namespaces tenants
// administer is the cluster's to say. A Namespace it cannot read is
// warned of as such.
func placementWarnings(ctx context.Context, namespaces client.Reader, l *v1alpha1.Layer) []string {
	if namespaces == nil {
		return nil
	}
	var out []string
	for _, block := range []struct {
		path   *field.Path
		config *v1alpha1.Config
	}{
		{field.NewPath("spec", "config"), l.Spec.Config},
		{field.NewPath("spec", "driver"), l.Spec.Driver},
		{field.NewPath("spec", "executor"), l.Spec.Executor},
	} {
		if block.config == nil || block.config.Isolation == nil {
			continue
		}
		for i, user := range block.config.Isolation.PlacementControllers {
			rest, ok := strings.CutPrefix(user, serviceAccountPrefix)
			if !ok {
				continue
			}
			ns, _, _ := strings.Cut(rest, ":")
			if slices.Contains(platformNamespaces, ns) {
				continue
			}
			at := block.path.Child("isolation", "placementControllers").Index(i)
			var n corev1.Namespace
			switch err := namespaces.Get(ctx, client.ObjectKey{Name: ns}, &n); {
			case apierrors.IsNotFound(err):
				out = append(out, fmt.Sprintf("%s: %q is a service account of namespace %q, which does not exist: label it %s=true when it does, unless tenants administer it",
					at, user, ns, ExemptLabel))
			case err != nil:
				out = append(out, fmt.Sprintf("%s: %q: cannot read Namespace %q to tell whether tenants administer it: %v", at, user, ns, err))
			case n.Labels[ExemptLabel] != "true":
				out = append(out, fmt.Sprintf("%s: %q is a service account of namespace %q, which is not the platform's (%s=true): whoever administers it may impersonate the account and place pods on reserved nodes",
					at, user, ns, ExemptLabel))
			}
		}
	}
	return out
}
