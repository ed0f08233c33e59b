package app

import (
	"encoding/json"
	"testing"
)

// TestFieldOfPointer: a JSON Pointer is named as -o explain names fields:
// a mount by its path, a toleration by key/effect, an element whose name
// another shares by its index.
func TestFieldOfPointer(t *testing.T) {
	var doc any
	if err := json.Unmarshal([]byte(`{"metadata": {"annotations": {"a/b~c": "x"}, "labels": {"team": "t"}},
		"spec": {"initContainers": [{"name": "log-shipper", "resources": {}, "volumeMounts": [{"name": "v", "mountPath": "/a"}, {"name": "v", "mountPath": "/b"}]}, {"image": "i"}],
			"tolerations": [{"key": "pool", "effect": "NoSchedule", "value": "a"}, {"key": "spot", "value": "b"}, {"key": "spot", "value": "c"}], "args": ["a", "b"]}}`), &doc); err != nil {
		t.Fatal(err)
	}
	for pointer, want := range map[string]string{
		"/metadata/annotations/a~1b~0c":               `metadata.annotations["a/b~c"]`,
		"/metadata/labels/team":                       "metadata.labels.team",
		"/spec/initContainers/0/resources/limits/cpu": "spec.initContainers[log-shipper].resources.limits.cpu",
		"/spec/initContainers/1/image":                "spec.initContainers[1].image",
		"/spec/initContainers/2":                      "spec.initContainers[2]",
		"/spec/initContainers/-":                      "spec.initContainers[-]",
		"/spec/args/1":                                "spec.args[1]",
		"/spec/initContainers/0/volumeMounts/1/name":  "spec.initContainers[log-shipper].volumeMounts[/b].name",
		"/spec/tolerations/0/value":                   "spec.tolerations[pool/NoSchedule].value",
		"/spec/tolerations/2/value":                   "spec.tolerations[2].value",
		"/spec/args/0/x":                              "spec.args[0].x",
		"/status/phase":                               "status.phase",
	} {
		if got := (listNames{}).fieldOfPointer(doc, pointer); got != want {
			t.Errorf("%s: %s, want %s", pointer, got, want)
		}
	}
}

// TestSecondPassChanges: each field the second pass added, changed or
// removed, named where it is (a removed one where it was), in path order;
// nothing where it changed nothing.
func TestSecondPassChanges(t *testing.T) {
	composed := map[string]any{"spec": map[string]any{"containers": []any{
		map[string]any{"name": "main", "resources": map[string]any{"limits": map[string]any{"memory": "1Gi"}}},
		map[string]any{"name": "side", "args": []any{"-v"}},
	}}}
	stored := map[string]any{"spec": map[string]any{"containers": []any{
		map[string]any{"name": "main", "resources": map[string]any{"limits": map[string]any{"memory": "2Gi", "cpu": "1"}}},
		map[string]any{"name": "side"},
	}}}
	got, err := secondPassChanges(composed, stored)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`spec.containers[main].resources.limits.cpu="1"`, `spec.containers[main].resources.limits.memory="2Gi"`, `spec.containers[side].args=(removed)`}
	if len(got) != len(want) {
		t.Fatalf("%d changes %+v, want %v", len(got), got, want)
	}
	for i, c := range got {
		v := "(removed)"
		if c.Value != nil {
			v = *c.Value
		}
		if s := c.Field + "=" + v; s != want[i] {
			t.Errorf("change %d: %s, want %s", i, s, want[i])
		}
	}
	if got, err := secondPassChanges(stored, stored); err != nil || len(got) != 0 {
		t.Errorf("the same object: %+v, %v", got, err)
	}
}
