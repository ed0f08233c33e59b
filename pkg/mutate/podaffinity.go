package mutate

import (
	"encoding/json"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PodAffinityTerm is one term of a pod's pod affinity or anti-affinity,
// required or preferred: the pods it selects, in which namespaces, and in
// what topology.
type PodAffinityTerm struct {
	// Anti is true for an anti-affinity term.
	Anti bool
	// Required is true for a term of requiredDuringScheduling..., false
	// for one of preferredDuringScheduling... (which still weighs where
	// pods go, the pod's own and, by the scheduler's symmetry, others').
	Required bool
	// Term is the term itself, as the pod holds it.
	Term *corev1.PodAffinityTerm
}

// Kind names the term as the pod spec does: "podAffinity" or
// "podAntiAffinity", then "required" or "preferred".
func (t PodAffinityTerm) Kind() string {
	kind := "podAffinity"
	if t.Anti {
		kind = "podAntiAffinity"
	}
	if t.Required {
		return kind + " required"
	}
	return kind + " preferred"
}

// Key identifies the term by its kind and content, apart from its place
// among the pod's terms and its weight: the same term a layer's pod patch
// sets is the platform's wherever it lands. The API server merges a term's
// matchLabelKeys and mismatchLabelKeys into its labelSelector when it
// creates the pod (key In, or NotIn, the pod's value of it), before the
// validating webhooks see it; the key leaves those expressions out, so a
// layer's term is the same term before and after.
func (t PodAffinityTerm) Key() string {
	b, err := json.Marshal(withoutLabelKeys(t.Term))
	if err != nil {
		return "pod affinity " + t.Kind() // a PodAffinityTerm always marshals
	}
	return "pod affinity " + t.Kind() + " " + string(b)
}

// PodAffinityTerms returns every pod affinity and anti-affinity term of
// pod, required ones and preferred ones, in the pod's order.
func PodAffinityTerms(pod *corev1.Pod) []PodAffinityTerm {
	a := pod.Spec.Affinity
	if a == nil {
		return nil
	}
	var out []PodAffinityTerm
	add := func(anti bool, required []corev1.PodAffinityTerm, preferred []corev1.WeightedPodAffinityTerm) {
		for i := range required {
			out = append(out, PodAffinityTerm{Anti: anti, Required: true, Term: &required[i]})
		}
		for i := range preferred {
			out = append(out, PodAffinityTerm{Anti: anti, Term: &preferred[i].PodAffinityTerm})
		}
	}
	if pa := a.PodAffinity; pa != nil {
		add(false, pa.RequiredDuringSchedulingIgnoredDuringExecution, pa.PreferredDuringSchedulingIgnoredDuringExecution)
	}
	if pa := a.PodAntiAffinity; pa != nil {
		add(true, pa.RequiredDuringSchedulingIgnoredDuringExecution, pa.PreferredDuringSchedulingIgnoredDuringExecution)
	}
	return out
}

// withoutLabelKeys is term without the expressions the API server derives
// from its matchLabelKeys and mismatchLabelKeys; linear in the term.
func withoutLabelKeys(term *corev1.PodAffinityTerm) *corev1.PodAffinityTerm {
	if term.LabelSelector == nil || len(term.MatchLabelKeys)+len(term.MismatchLabelKeys) == 0 {
		return term
	}
	type keyOp struct {
		key string
		op  metav1.LabelSelectorOperator
	}
	merged := make(map[keyOp]bool, len(term.MatchLabelKeys)+len(term.MismatchLabelKeys))
	for _, k := range term.MatchLabelKeys {
		merged[keyOp{k, metav1.LabelSelectorOpIn}] = true
	}
	for _, k := range term.MismatchLabelKeys {
		merged[keyOp{k, metav1.LabelSelectorOpNotIn}] = true
	}
	out := term.DeepCopy()
	out.LabelSelector.MatchExpressions = slices.DeleteFunc(out.LabelSelector.MatchExpressions, func(e metav1.LabelSelectorRequirement) bool {
		return merged[keyOp{e.Key, e.Operator}]
	})
	return out
}
