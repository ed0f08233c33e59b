package mutate

import (
	"reflect"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/overlay"
)

// Warnings lists, one line per field, the user's own values that a layer
// overrode with a different value, e.g.
//
//	spec.priorityClassName "user-pc" overridden by NamespaceOverrides layer "ns-etl"
//
// An element of a list (a sidecar, an env var, a volume) is only reported
// when it differs between the pod as submitted and the pod as composed, so
// a pod composed a second time warns of nothing.
func Warnings(prov *overlay.Provenance, before, after *corev1.Pod) []string {
	return warningsAt(prov, before, after, func(f overlay.Field) (string, bool) { return f.Path, true })
}

// warningsAt is Warnings, each field named by path (skipped when it says
// false): a SparkApplication names its section's fields.
func warningsAt(prov *overlay.Provenance, before, after *corev1.Pod, path func(overlay.Field) (string, bool)) []string {
	var out []string
	for _, f := range prov.Overridden() {
		v, _ := f.UserValue()
		if a, b, keyed := elements(f.Key, before, after); keyed && reflect.DeepEqual(a, b) {
			continue
		}
		p, ok := path(f)
		if !ok {
			continue
		}
		out = append(out, strings.Join([]string{p, v, "overridden by", f.Winner.String()}, " "))
	}
	return out
}

// elements returns the list element key names in before and in after, and
// whether key names one (an element of a list field whose pod row can find
// its elements).
func elements(key overlay.Key, before, after *corev1.Pod) (any, any, bool) {
	if key.Item == "" || key.Map || key.Sub != "" {
		return nil, nil, false
	}
	field, ok := overlay.FieldOf(key.Root)
	if !ok || field.Path != key.Root {
		return nil, nil, false
	}
	element := podRowOf()[field.Name].element
	if element == nil {
		return nil, nil, false
	}
	a, _ := element(before, key.Item)
	b, _ := element(after, key.Item)
	return a, b, true
}
