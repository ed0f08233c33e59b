package overlay

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// What of a Namespace decides which Layers apply to it: the labels the
// Layers' namespace selectors read, and the namespace's name where a Layer
// names it. Whoever may set those chooses the Layers, and so the limits,
// IAM roles and rules, of the namespace; the webhook keeps them to platform
// admins (cmd/webhook/app, NamespaceGuard). Every Layer counts, valid or
// not, Shadow or not: one fixed or switched on later applies at once.

// LayerSelectingBy is a Layer whose namespace selector reads one of keys,
// and the key: of such Layers the first by name, and of its keys in keys
// the first in order. kubernetes.io/metadata.name is no such key: the API
// server gives every namespace its name in it and refuses another value.
// The work is linear in the Layers' selectors and does not grow with keys
// (a tenant's labels) but by a lookup.
func (s *Snapshot) LayerSelectingBy(keys map[string]bool) (key, layer string, ok bool) {
	s.eachLayer(func(l *compiledLayer) {
		sel := l.layer.Spec.Match.NamespaceSelector
		if sel == nil || (ok && l.layer.Name >= layer) {
			return
		}
		first := ""
		consider := func(k string) {
			if k != corev1.LabelMetadataName && keys[k] && (first == "" || k < first) {
				first = k
			}
		}
		for k := range sel.MatchLabels {
			consider(k)
		}
		for _, e := range sel.MatchExpressions {
			consider(e.Key)
		}
		if first != "" {
			key, layer, ok = first, l.layer.Name, true
		}
	})
	return key, layer, ok
}

// LayerNaming is a Layer that names namespace name (in
// spec.match.namespaces, or by kubernetes.io/metadata.name in its
// selector): the first by name.
func (s *Snapshot) LayerNaming(name string) (layer string, ok bool) {
	s.eachLayer(func(l *compiledLayer) {
		if (ok && l.layer.Name >= layer) || !names(l.layer.Spec.Match.Namespaces, l.layer.Spec.Match.NamespaceSelector, name) {
			return
		}
		layer, ok = l.layer.Name, true
	})
	return layer, ok
}

// names reports whether a Layer's match names namespace name.
func names(namespaces []string, sel *metav1.LabelSelector, name string) bool {
	if slices.Contains(namespaces, name) {
		return true
	}
	if sel == nil {
		return false
	}
	if v, ok := sel.MatchLabels[corev1.LabelMetadataName]; ok && v == name {
		return true
	}
	return slices.ContainsFunc(sel.MatchExpressions, func(e metav1.LabelSelectorRequirement) bool {
		return e.Key == corev1.LabelMetadataName && e.Operator == metav1.LabelSelectorOpIn && slices.Contains(e.Values, name)
	})
}

// eachLayer calls fn once with every Layer of s, the ones that do not
// compile included (as far as their match reaches).
func (s *Snapshot) eachLayer(fn func(*compiledLayer)) {
	seen := make(map[*compiledLayer]bool, s.layers+len(s.broken))
	visit := func(l *compiledLayer) {
		if !seen[l] {
			seen[l] = true
			fn(l)
		}
	}
	for _, lists := range []*layerLists{&s.index.byNamespace, &s.index.byCluster, &s.index.byPool} {
		// The base's lists but those the delta replaces, then the delta's
		// (layerLists.all, without copying the base).
		for k, list := range lists.base {
			if _, changed := lists.delta[k]; !changed {
				for _, l := range list {
					visit(l)
				}
			}
		}
		for _, list := range lists.delta {
			for _, l := range list {
				visit(l)
			}
		}
	}
	for _, l := range s.index.anywhere {
		visit(l)
	}
	for i := range s.broken {
		visit(&s.broken[i].compiledLayer)
	}
}
