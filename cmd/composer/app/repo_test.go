package app

import (
	"maps"
	"testing"
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
