package app

import (
	"maps"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// TestParseNamespaceLabels: --namespace-labels gives labels a Namespace
// can have, or an error naming each pair it cannot read and why.
func TestParseNamespaceLabels(t *testing.T) {
	for in, want := range map[string]map[string]string{
		"":                                {},
		"group=geo":                       {"group": "geo"},
		"group=geo, tier = gold":          {"group": "geo", "tier": "gold"},
		"example.com/tier=gold,empty=":    {"example.com/tier": "gold", "empty": ""},
		"a=1,a=1":                         {"a": "1"},
		"kubernetes.io/metadata.name=etl": {"kubernetes.io/metadata.name": "etl"},
	} {
		got, err := parseNamespaceLabels(in)
		if err != nil || !maps.Equal(got, want) {
			t.Errorf("%q: got %v (%v), want %v", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"a=b,c":    `--namespace-labels: "c": not key=value (want key=value,..., each a label's key and value)`,
		"a=b,,c=d": `--namespace-labels: "": not key=value (want key=value,..., each a label's key and value)`,
		"=x,a=b=c": `--namespace-labels: "=x": key "": name part must be non-empty, "a=b=c": value "b=c": a valid label must be an empty string or consist of alphanumeric characters`,
		"A B=c":    `--namespace-labels: "A B=c": key "A B": name part must consist of alphanumeric characters`,
		"a=1,a=2":  `--namespace-labels: "a=2": key "a" is given two values (first "1")`,
	} {
		got, err := parseNamespaceLabels(in)
		if err == nil || len(err.Error()) < len(want) || err.Error()[:len(want)] != want {
			t.Errorf("%q: got %v (%v), want an error starting %q", in, got, err, want)
		}
	}
}

// --namespace-labels label every Namespace of a name the inputs hold, so
// one a directory of Layers holds twice, which is compiled as its last,
// is labelled too; a namespace they lack is added; the inputs are left
// as they were.
func TestWithNamespaceLabels(t *testing.T) {
	in := []corev1.Namespace{
		{ObjectMeta: metav1.ObjectMeta{Name: "geo-maps", Labels: map[string]string{"group": "geo"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "etl"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "geo-maps"}},
	}
	got := withNamespaceLabels(in, []string{"geo-maps", "new"}, labels.Set{"tier": "gold"})
	var out []string
	for _, ns := range got {
		out = append(out, ns.Name+"="+labels.Set(ns.Labels).String())
	}
	if want := "geo-maps=group=geo,tier=gold etl= geo-maps=tier=gold new=tier=gold"; strings.Join(out, " ") != want {
		t.Errorf("labelled %q, want %q", strings.Join(out, " "), want)
	}
	if len(in[0].Labels) != 1 || in[2].Labels != nil {
		t.Errorf("the inputs changed: %v", in)
	}
}
