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
// and the key: of such Layers the first by name, and of its keys the first
// in keys. kubernetes.io/metadata.name is no such key: the API server gives
// every namespace its name in it and refuses another value.
func (s *Snapshot) LayerSelectingBy(keys []string) (key, layer string, ok bool) {
	s.eachLayer(func(l *compiledLayer) {
		sel := l.layer.Spec.Match.NamespaceSelector
		if sel == nil || (ok && l.layer.Name >= layer) {
			return
		}
		for _, k := range keys {
			if k != corev1.LabelMetadataName && selectsBy(sel, k) {
				key, layer, ok = k, l.layer.Name, true
				return
			}
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

// selectsBy reports whether sel reads label key.
func selectsBy(sel *metav1.LabelSelector, key string) bool {
	if _, ok := sel.MatchLabels[key]; ok {
		return true
	}
	return slices.ContainsFunc(sel.MatchExpressions, func(e metav1.LabelSelectorRequirement) bool { return e.Key == key })
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
	seen := map[*compiledLayer]bool{}
	visit := func(l *compiledLayer) {
		if !seen[l] {
			seen[l] = true
			fn(l)
		}
	}
	for _, lists := range []*layerLists{&s.index.byNamespace, &s.index.byCluster, &s.index.byPool} {
		for _, list := range lists.all() {
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
