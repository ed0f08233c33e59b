package overlay

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// ExemptLabel, set to "true" on a Namespace, exempts it from the policies:
// a namespace of the platform's.
const ExemptLabel = "strata.dev/exempt"

// platformNamespaces are the namespaces the shipped webhooks never judge
// (manifests/base/webhooks.yaml's namespaceSelector, which the webhook's
// TestPlatformNamespacesAreTheManifests holds to this list); with those
// labelled ExemptLabel, the namespaces no tenant administers.
var platformNamespaces = []string{"kube-system", "kube-public", "kube-node-lease", "strata-system"}

// PlatformNamespaces are the namespaces the shipped webhooks leave out by
// name.
func PlatformNamespaces() []string { return slices.Clone(platformNamespaces) }

const serviceAccountPrefix = "system:serviceaccount:"

// NamespaceLookup finds a Namespace by name: nil and no error when there
// is none.
type NamespaceLookup func(name string) (*corev1.Namespace, error)

// PlacementWarnings warns of each placement controller of l that is a
// service account of a namespace tenants may administer: neither a
// platform namespace nor exempt. Whoever administers that namespace may
// impersonate the account (the built-in admin and edit roles may) and
// place pods on reserved nodes. Warnings, not errors: a Layer is valid on
// its own (ValidateLayer), and which namespaces tenants administer is the
// cluster's to say. The Layer webhook and the composer both give them.
//
// lookup finds the namespaces; absent says how one it does not find was
// looked for ("does not exist" in a cluster; the composer offline has only
// the Namespaces it was given). A Namespace lookup cannot read is warned of
// as such.
func PlacementWarnings(l *v1alpha1.Layer, lookup NamespaceLookup, absent string) []string {
	var out []string
	for _, block := range layerBlocks(l) {
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
			switch n, err := lookup(ns); {
			case err != nil:
				out = append(out, fmt.Sprintf("%s: %q: cannot read Namespace %q to tell whether tenants administer it: %v", at, user, ns, err))
			case n == nil:
				out = append(out, fmt.Sprintf("%s: %q is a service account of namespace %q, which %s: unless tenants administer it, label it %s=true",
					at, user, ns, absent, ExemptLabel))
			case n.Labels[ExemptLabel] != "true":
				out = append(out, fmt.Sprintf("%s: %q is a service account of namespace %q, which is not the platform's (%s=true): whoever administers it may impersonate the account and place pods on reserved nodes",
					at, user, ns, ExemptLabel))
			}
		}
	}
	return out
}
