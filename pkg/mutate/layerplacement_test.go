package mutate

import (
	"context"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// TestLayerPlacementWarnings: a Layer whose Spark pods the namespaces'
// placement plugins would refuse is warned of when written, once per
// group of namespaces placed alike that it matches, naming the first and
// counting the others; a default the namespace's own selector keeps the
// Layer from setting, a Layer that matches no such namespace, a Shadow
// Layer and one that does not compile are not.
func TestLayerPlacementWarnings(t *testing.T) {
	ns := func(name string, annotations map[string]string) corev1.Namespace {
		return corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: annotations}}
	}
	gpu := map[string]string{overlay.NamespaceNodeSelectorAnnotation: "pool=gpu"}
	served, err := overlay.Compile(overlay.Inputs{
		Namespaces: []corev1.Namespace{ns("ml", gpu), ns("ml-2", gpu), ns("ml-3", gpu), ns("bare", nil),
			ns("spot-only", map[string]string{overlay.NamespaceNodeSelectorAnnotation: "", overlay.NamespaceTolerationsWhitelistAnnotation: `[{"key":"spot","operator":"Exists"}]`})},
		Admission: overlay.Admission{ClusterPlacement: overlay.ClusterPlacement{NodeSelector: map[string]string{"zone": "shared"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	layer := func(spec string) *v1alpha1.Layer {
		l := &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "l"}}
		if err := yaml.UnmarshalStrict([]byte(spec), &l.Spec); err != nil {
			t.Fatal(err)
		}
		return l
	}
	for _, tc := range []struct {
		name, spec string
		// want are the warnings' parts, one per warning; none: no warning.
		want []string
	}{
		{"an override of the pinned pool", `{tier: ClusterOverrides, match: {namespaces: [ml, ml-2]}, config: {nodeSelector: {pool: batch}}}`,
			[]string{`spec: the API server will refuse the Spark driver and executor pods this Layer composes in namespace "ml" and 1 more placed alike: PodNodeSelector: node selector pool=batch conflicts with the namespace's pool=gpu`}},
		{"the executors only", `{tier: ClusterOverrides, executor: {nodeSelector: {pool: batch}}}`,
			[]string{`the Spark executor pods this Layer composes in namespace "ml" and 2 more placed alike: PodNodeSelector: node selector pool=batch conflicts`}},
		{"an override of the cluster's default", `{tier: NamespaceOverrides, match: {namespaces: [bare]}, config: {nodeSelector: {zone: a}}}`,
			[]string{`composes in namespace "bare": PodNodeSelector: node selector zone=a conflicts with the namespace's zone=shared`}},
		{"a toleration outside a whitelist", `{tier: ClusterOverrides, config: {tolerations: [{key: gpu, operator: Exists}]}}`,
			[]string{`composes in namespace "spot-only": PodTolerationRestriction: toleration "gpu op=Exists" is not covered by the namespace's whitelist`}},
		{"a default below the namespace's own", `{tier: ClusterDefaults, config: {nodeSelector: {pool: batch, zone: a}}}`, nil},
		{"elsewhere", `{tier: ClusterOverrides, match: {namespaces: [etl]}, config: {nodeSelector: {pool: batch}}}`, nil},
		{"a Shadow Layer", `{tier: ClusterOverrides, mode: Shadow, config: {nodeSelector: {pool: batch}}}`, nil},
		{"a Layer that does not compile", `{tier: ClusterOverrides, config: {nodeSelector: {pool: batch}, tolerations: [{key: gpu, operator: Sometimes}]}}`, nil},
	} {
		got := LayerPlacementWarnings(context.Background(), layer(tc.spec), cluster, served)
		if len(got) != len(tc.want) {
			t.Errorf("%s: %q, want %d warnings", tc.name, got, len(tc.want))
			continue
		}
		for i, w := range tc.want {
			if !strings.Contains(got[i], w) {
				t.Errorf("%s: %q, want it to contain %q", tc.name, got[i], w)
			}
		}
	}
	// Past the request's deadline: stopped, saying how much was left.
	done, cancel := context.WithCancel(context.Background())
	cancel()
	groups := len(served.NamespacesByPlacement())
	want := fmt.Sprintf("spec: the placement of %d groups of namespaces not checked against this Layer: the request's deadline passed", groups)
	if got := LayerPlacementWarnings(done, layer(`{tier: ClusterOverrides, config: {nodeSelector: {pool: batch}}}`), cluster, served); len(got) != 1 || got[0] != want || groups == 0 {
		t.Errorf("past the deadline: %q, want %q", got, want)
	}
}

// BenchmarkLayerPlacementWarnings: what warning of a Layer's placement
// costs the Layer webhook in a cluster of 5,000 namespaces, all given the
// cluster's default node selector, a tenth of them pinned alike by their
// annotation: a Layer of one namespace, and one of every namespace, that
// the placement refuses nowhere.
func BenchmarkLayerPlacementWarnings(b *testing.B) {
	var namespaces []corev1.Namespace
	for i := range 5000 {
		ns := corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("ns-%04d", i), Labels: map[string]string{"team": fmt.Sprint(i % 50)}}}
		if i%10 == 0 {
			ns.Annotations = map[string]string{overlay.NamespaceNodeSelectorAnnotation: "pool=gpu"}
		}
		namespaces = append(namespaces, ns)
	}
	served, err := overlay.Compile(overlay.Inputs{Namespaces: namespaces, Admission: overlay.Admission{ClusterPlacement: overlay.ClusterPlacement{NodeSelector: map[string]string{"zone": "shared"}}}})
	if err != nil {
		b.Fatal(err)
	}
	served.NamespacesByPlacement() // computed once per namespace change
	for _, tc := range []struct{ name, spec string }{
		{"one namespace", `{tier: ClusterOverrides, match: {namespaces: [ns-0001]}, config: {nodeSelector: {disk: ssd}}}`},
		{"every namespace", `{tier: ClusterOverrides, match: {namespaceSelector: {matchExpressions: [{key: team, operator: Exists}]}}, config: {nodeSelector: {disk: ssd}}}`},
	} {
		l := &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "l"}}
		if err := yaml.UnmarshalStrict([]byte(tc.spec), &l.Spec); err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if w := LayerPlacementWarnings(context.Background(), l, cluster, served); len(w) > 0 {
					b.Fatal(w)
				}
			}
		})
	}
}
