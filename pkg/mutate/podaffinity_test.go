package mutate

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestPodAffinityKeyAsCreated: a term's key is the same before and after
// the API server merges its matchLabelKeys (In the pod's value) and
// mismatchLabelKeys (NotIn) into its labelSelector at creation, and
// differs for any other change of the selector.
func TestPodAffinityKeyAsCreated(t *testing.T) {
	written := corev1.PodAffinityTerm{TopologyKey: corev1.LabelHostname,
		LabelSelector:  &metav1.LabelSelector{MatchLabels: map[string]string{"spark-role": "executor"}},
		MatchLabelKeys: []string{"spark-app-selector"}, MismatchLabelKeys: []string{"team"}}
	created := *written.DeepCopy()
	created.LabelSelector.MatchExpressions = []metav1.LabelSelectorRequirement{
		{Key: "spark-app-selector", Operator: metav1.LabelSelectorOpIn, Values: []string{"spark-1"}},
		{Key: "team", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"etl"}}}
	other := *created.DeepCopy()
	other.LabelSelector.MatchExpressions = append(other.LabelSelector.MatchExpressions,
		metav1.LabelSelectorRequirement{Key: "spark-role", Operator: metav1.LabelSelectorOpIn, Values: []string{"driver"}})
	crossed := *created.DeepCopy()
	crossed.LabelSelector.MatchExpressions[1].Operator = metav1.LabelSelectorOpIn // team In: not what mismatchLabelKeys merges

	key := func(term corev1.PodAffinityTerm) string { return PodAffinityTerm{Required: true, Term: &term}.Key() }
	if key(written) != key(created) {
		t.Errorf("a term as written and as created differ:\n%s\n%s", key(written), key(created))
	}
	for name, term := range map[string]corev1.PodAffinityTerm{"another expression": other, "an expression of another operator": crossed} {
		if key(term) == key(written) {
			t.Errorf("%s: the same key as the term written: %s", name, key(term))
		}
	}
	if written.LabelSelector.MatchExpressions != nil || len(created.LabelSelector.MatchExpressions) != 2 {
		t.Error("Key changed the term")
	}
	anti := PodAffinityTerm{Anti: true, Required: true, Term: &written}
	if anti.Key() == key(written) {
		t.Error("an anti-affinity term has an affinity term's key")
	}
}
