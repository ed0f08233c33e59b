package policy

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/strata-dev/strata/pkg/mutate"
)

// affinityReach is a pod affinity or anti-affinity term as isolation reads
// it (input.user.podAffinity): its kind and topology, and the namespaces
// whose pods it selects.
type affinityReach struct {
	// Display names the term: its kind, topology key and pod selector.
	Display string `json:"display"`
	// Anti and Required are its kind: anti-affinity or affinity, required
	// or preferred.
	Anti     bool `json:"anti"`
	Required bool `json:"required"`
	// TopologyKey is the node label whose value makes the pods it selects
	// its pod's neighbours.
	TopologyKey string `json:"topologyKey"`
	// Namespaces are the namespaces it selects pods in, by name: the pod's
	// own when it names none; sorted, each once.
	Namespaces []string `json:"namespaces"`
	// AnyNamespace is true when its namespaceSelector is not bounded by
	// the namespaces' names, so may select every namespace; Selector is
	// that selector.
	AnyNamespace bool   `json:"anyNamespace"`
	Selector     string `json:"namespaceSelector,omitempty"`
}

// reachOf is the reach of t, a term of a pod in namespace own. As the
// scheduler reads a term: the union of its namespaces list and the
// namespaces its namespaceSelector selects, the pod's own namespace when
// it has neither, and every namespace for the selector {}. Every namespace
// carries its name in the label kubernetes.io/metadata.name, which the API
// server sets and no one may change, so a selector that requires it In a
// set of names (or equal to one) selects among those only.
func reachOf(t mutate.PodAffinityTerm, own string) affinityReach {
	term := t.Term
	r := affinityReach{Display: fmt.Sprintf("%s term (topologyKey %q, pods %s)", t.Kind(), term.TopologyKey, selectorText(term.LabelSelector)),
		Anti: t.Anti, Required: t.Required, TopologyKey: term.TopologyKey}
	names := slices.Clone(term.Namespaces)
	switch sel := term.NamespaceSelector; {
	case sel == nil && len(names) == 0:
		names = []string{own}
	case sel != nil:
		bounded, ok := namesSelected(sel)
		if !ok {
			r.AnyNamespace, r.Selector = true, selectorText(sel)
		}
		names = append(names, bounded...)
	}
	slices.Sort(names)
	r.Namespaces = slices.Compact(names)
	if r.Namespaces == nil {
		r.Namespaces = []string{}
	}
	return r
}

// namesSelected are the names of the namespaces sel may select, when a
// requirement of it on the namespace's name bounds them (ok); the
// intersection when several do. Linear in the selector: a tenant writes
// as many requirements and values as a pod's bytes hold.
func namesSelected(sel *metav1.LabelSelector) (names []string, ok bool) {
	bound := func(values []string) {
		if !ok {
			names, ok = slices.Clone(values), true
			return
		}
		in := make(map[string]bool, len(values))
		for _, v := range values {
			in[v] = true
		}
		names = slices.DeleteFunc(names, func(n string) bool { return !in[n] })
	}
	if v, set := sel.MatchLabels[corev1.LabelMetadataName]; set {
		bound([]string{v})
	}
	for _, e := range sel.MatchExpressions {
		if e.Key == corev1.LabelMetadataName && e.Operator == metav1.LabelSelectorOpIn {
			bound(e.Values)
		}
	}
	return names, ok
}

// selectorText renders a label selector as kubectl does, {} for the empty
// selector (which selects everything) and <none> for none.
func selectorText(sel *metav1.LabelSelector) string {
	switch {
	case sel == nil:
		return "<none>"
	case len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0:
		return "{}"
	}
	return metav1.FormatLabelSelector(sel)
}
