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
// A value is only reported when it differs between the pod as submitted
// and the pod as composed (an element of a list: a sidecar, an env var, a
// volume; a map entry; a scalar field), so a pod composed a second time
// warns of nothing, and neither does a value a layer's pod patch wrote
// back.
func Warnings(prov *overlay.Provenance, before, after *corev1.Pod) []string {
	return warningsAt(prov, before, after, func(f overlay.Field) (string, bool) { return f.Path, true })
}

// warningsAt is Warnings, each field named by path (skipped when it says
// false): a SparkApplication names its section's fields.
func warningsAt(prov *overlay.Provenance, before, after *corev1.Pod, path func(overlay.Field) (string, bool)) []string {
	var out []string
	for _, f := range prov.Overridden() {
		v, _ := f.UserValue()
		if a, b, found := currents(f.Key, before, after); found && reflect.DeepEqual(a, b) {
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

// currents returns what key names in before and in after, and whether
// the field's pod row can find it (podField.current).
func currents(key overlay.Key, before, after *corev1.Pod) (any, any, bool) {
	current := podCurrent(key)
	if current == nil {
		return nil, nil, false
	}
	a, found := current(before, key)
	b, _ := current(after, key)
	return a, b, found
}

// podCurrent is the pod row's current (podField.current) of key's field;
// nil where no row finds key on a pod.
func podCurrent(key overlay.Key) func(*corev1.Pod, overlay.Key) (any, bool) {
	if key.Sub != "" {
		return nil
	}
	field, ok := overlay.FieldOf(key.Root)
	if !ok || field.Path != key.Root {
		return nil
	}
	return podRowOf()[field.Name].current
}

// ChangedOnPod reports whether what a provenance key names of a pod (its
// field's pod row, podField.current) differs between before and after: a
// value something other than the user gave the pod between the two, as
// the dry run's MutatingAdmissionPolicies do before the webhook. false
// for a key no row finds on a pod.
func ChangedOnPod(key overlay.Key, before, after *corev1.Pod) bool {
	current := podCurrent(key)
	if current == nil {
		return false
	}
	a, inBefore := current(before, key)
	b, inAfter := current(after, key)
	return (inBefore || inAfter) && (inBefore != inAfter || !reflect.DeepEqual(a, b))
}
