package mutate

import (
	"encoding/json"

	corev1 "k8s.io/api/core/v1"
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
// sets is the platform's wherever it lands.
func (t PodAffinityTerm) Key() string {
	b, err := json.Marshal(t.Term)
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
