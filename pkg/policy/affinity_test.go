package policy

import (
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/strata-dev/strata/pkg/mutate"
)

// byName selects namespaces by their names, as kubernetes.io/metadata.name
// In names.
func byName(names ...string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
		{Key: corev1.LabelMetadataName, Operator: metav1.LabelSelectorOpIn, Values: names}}}
}

// TestReachOf: a term reaches the namespaces the scheduler reads in it:
// its own when it names none, the union of its list and what its
// namespaceSelector selects, and every namespace for a selector its
// namespaces' names do not bound.
func TestReachOf(t *testing.T) {
	for _, tc := range []struct {
		name     string
		term     corev1.PodAffinityTerm
		want     []string
		any      bool
		selector string
	}{
		{name: "no namespaces", want: []string{"etl"}},
		{name: "an empty list", term: corev1.PodAffinityTerm{Namespaces: []string{}}, want: []string{"etl"}},
		{name: "a list", term: corev1.PodAffinityTerm{Namespaces: []string{"geo", "etl", "geo"}}, want: []string{"etl", "geo"}},
		{name: "every namespace", term: corev1.PodAffinityTerm{NamespaceSelector: &metav1.LabelSelector{}}, want: []string{}, any: true, selector: "{}"},
		{name: "namespaces by a label", term: corev1.PodAffinityTerm{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "geo"}}},
			want: []string{}, any: true, selector: "team=geo"},
		{name: "namespaces by name", term: corev1.PodAffinityTerm{NamespaceSelector: byName("shared", "geo")}, want: []string{"geo", "shared"}},
		{name: "a namespace by its name label", term: corev1.PodAffinityTerm{
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{corev1.LabelMetadataName: "shared", "team": "x"}}}, want: []string{"shared"}},
		{name: "names bounded twice", term: corev1.PodAffinityTerm{NamespaceSelector: &metav1.LabelSelector{
			MatchLabels:      map[string]string{corev1.LabelMetadataName: "shared"},
			MatchExpressions: byName("shared", "geo").MatchExpressions}}, want: []string{"shared"}},
		{name: "names not bounded by NotIn", term: corev1.PodAffinityTerm{NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: corev1.LabelMetadataName, Operator: metav1.LabelSelectorOpNotIn, Values: []string{"etl"}}}}},
			want: []string{}, any: true, selector: "kubernetes.io/metadata.name notin (etl)"},
		{name: "a list and a selector", term: corev1.PodAffinityTerm{Namespaces: []string{"etl"}, NamespaceSelector: byName("geo")}, want: []string{"etl", "geo"}},
	} {
		got := reachOf(mutate.PodAffinityTerm{Required: true, Term: &tc.term}, "etl")
		if !reflect.DeepEqual(got.Namespaces, tc.want) || got.AnyNamespace != tc.any || got.Selector != tc.selector {
			t.Errorf("%s: %+v, want namespaces %q, any %v, selector %q", tc.name, got, tc.want, tc.any, tc.selector)
		}
	}
}

// TestPodAffinityNamespaces: a tenant's pod affinity and anti-affinity
// terms, required or preferred, may select pods only in its own namespace
// and those isolation.podAffinity allows; a layer's terms are the
// platform's.
func TestPodAffinityNamespaces(t *testing.T) {
	c := tenantCheck(t, map[string]string{
		"iso": `{tier: ClusterOverrides, config: {isolation: {podAffinity: {allowedNamespaces: [shared]}}}}`,
		"spread": `{tier: ClusterOverrides, match: {roles: [executor]}, config: {podPatch: {spec: {affinity: {podAntiAffinity: {
			preferredDuringSchedulingIgnoredDuringExecution: [{weight: 10, podAffinityTerm: {topologyKey: kubernetes.io/hostname, namespaceSelector: {},
				labelSelector: {matchLabels: {spark-role: executor}}}}]}}}}}}`,
	})
	keepOff := func(namespaces []string, sel *metav1.LabelSelector) *corev1.Affinity {
		return &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
			TopologyKey: corev1.LabelHostname, Namespaces: namespaces, NamespaceSelector: sel,
			LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"spark-role": "driver"}}}}}}
	}
	beside := func(namespaces ...string) *corev1.Affinity {
		return &corev1.Affinity{PodAffinity: &corev1.PodAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
			Weight: 100, PodAffinityTerm: corev1.PodAffinityTerm{TopologyKey: "topology.kubernetes.io/zone", Namespaces: namespaces,
				LabelSelector: &metav1.LabelSelector{}}}}}}
	}
	platformTerm := composed(t, c, sparkPod("executor")).Spec.Affinity.DeepCopy()
	plain := func(a *corev1.Affinity) *corev1.Pod {
		p := sparkPod("driver")
		p.Labels = nil
		p.Spec.Affinity = a
		return p
	}
	for _, tc := range []struct {
		name string
		pod  *corev1.Pod
		want string // a violation's message contains it; "" for none
	}{
		{"the layer's own term", sparkPod("executor"), ""},
		{"the layer's term, written by the tenant on a driver", withAffinity(sparkPod("driver"), platformTerm),
			`podAntiAffinity preferred term (topologyKey "kubernetes.io/hostname", pods spark-role=executor) selects pods in any namespace its namespaceSelector "{}" matches`},
		{"its own namespace", withAffinity(sparkPod("executor"), keepOff(nil, nil)), ""},
		{"its own namespace, named", withAffinity(sparkPod("executor"), keepOff([]string{"etl"}, nil)), ""},
		{"an allowed namespace", withAffinity(sparkPod("executor"), keepOff([]string{"shared"}, byName("etl"))), ""},
		{"another tenant's namespace", withAffinity(sparkPod("executor"), keepOff([]string{"shared", "geo"}, nil)),
			`isolation: podAntiAffinity required term (topologyKey "kubernetes.io/hostname", pods spark-role=driver) selects pods in namespace "geo"; pod affinity may select pods only in namespace "etl" and shared (ClusterOverrides layer "iso")`},
		{"another tenant's namespace by name", withAffinity(sparkPod("driver"), keepOff(nil, byName("geo"))), `selects pods in namespace "geo"`},
		{"every namespace", withAffinity(sparkPod("driver"), keepOff(nil, &metav1.LabelSelector{})),
			`selects pods in any namespace its namespaceSelector "{}" matches (select namespaces by name, kubernetes.io/metadata.name In)`},
		{"namespaces by a label", withAffinity(sparkPod("driver"), keepOff(nil, &metav1.LabelSelector{MatchLabels: map[string]string{"team": "etl"}})),
			`its namespaceSelector "team=etl" matches`},
		{"a preferred term", withAffinity(sparkPod("executor"), beside("geo")),
			`podAffinity preferred term (topologyKey "topology.kubernetes.io/zone", pods {}) selects pods in namespace "geo"`},
		{"a pod that is not Spark's", plain(keepOff([]string{"geo"}, nil)), `selects pods in namespace "geo"`},
		{"a pod that is not Spark's, in its namespace", plain(beside()), ""},
	} {
		_, d := verdict(t, c, composed(t, c, tc.pod), Request{})
		var got []string
		for _, v := range d.Violations {
			got = append(got, v.Message)
		}
		if tc.want == "" && len(got) != 0 || tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)) {
			t.Errorf("%s: %q, want one containing %q", tc.name, got, tc.want)
		}
	}

	// Without the rule in force, a term reaches where it names.
	open := tenantCheck(t, map[string]string{"iso": `{tier: ClusterOverrides, config: {isolation: {allowedTolerations: [{key: spark}]}}}`})
	if got, _ := verdict(t, open, composed(t, open, withAffinity(sparkPod("driver"), keepOff(nil, &metav1.LabelSelector{}))), Request{}); got != "" {
		t.Errorf("every namespace with no podAffinity rule in force: %q", got)
	}
}

func withAffinity(p *corev1.Pod, a *corev1.Affinity) *corev1.Pod {
	p.Spec.Affinity = a
	return p
}

// TestPodAffinityOnReservedKeys: a tenant's required pod affinity whose
// topology key is a reserved node label selects reserved nodes by proxy
// (those the platform placed the selected pods on); anti-affinity, a
// preferred term, another key and a layer's own term do not.
func TestPodAffinityOnReservedKeys(t *testing.T) {
	c := tenantCheck(t, map[string]string{
		"iso": `{tier: ClusterOverrides, config: {isolation: {reservedNodeSelectors: [pool=core]}}}`,
		"drv": `{tier: ClusterOverrides, match: {roles: [driver]}, config: {podPatch: {spec: {affinity: {podAffinity: {
			requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: pool, labelSelector: {matchLabels: {team: platform}}}]}}}}}}`,
	})
	term := func(key string) corev1.PodAffinityTerm {
		return corev1.PodAffinityTerm{TopologyKey: key, LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"spark-role": "driver"}}}
	}
	for _, tc := range []struct {
		name     string
		affinity *corev1.Affinity
		want     string
	}{
		{"beside its driver's pool", &corev1.Affinity{PodAffinity: &corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{term("pool")}}},
			`isolation: podAffinity required term (topologyKey "pool", pods spark-role=driver) places the pod on nodes by the value of node label "pool", which is reserved for the platform ("pool=core", ClusterOverrides layer "iso")`},
		{"beside its driver's node", &corev1.Affinity{PodAffinity: &corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{term(corev1.LabelHostname)}}}, ""},
		{"preferring its driver's pool", &corev1.Affinity{PodAffinity: &corev1.PodAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{Weight: 1, PodAffinityTerm: term("pool")}}}}, ""},
		{"away from its driver's pool", &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{term("pool")}}}, ""},
	} {
		_, d := verdict(t, c, composed(t, c, withAffinity(sparkPod("executor"), tc.affinity)), Request{})
		var got []string
		for _, v := range d.Violations {
			got = append(got, v.Message)
		}
		if tc.want == "" && len(got) != 0 || tc.want != "" && (len(got) != 1 || got[0] != tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if got, _ := verdict(t, c, composed(t, c, sparkPod("driver")), Request{}); got != "" {
		t.Errorf("a layer's required pod affinity on the reserved key: %q", got)
	}
}
