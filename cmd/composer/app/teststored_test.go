package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestParseStoredPath: a stored field's path as -o explain names fields.
func TestParseStoredPath(t *testing.T) {
	for _, tc := range []struct {
		path string
		want []pathStep
		err  string
	}{
		{path: "spec.priorityClassName", want: []pathStep{{key: "spec"}, {key: "priorityClassName"}}},
		{path: "spec.initContainers[log-shipper].image", want: []pathStep{{key: "spec"}, {key: "initContainers"}, {key: "log-shipper", selector: true}, {key: "image"}}},
		{path: `metadata.labels["platform.strata.dev/pool"]`, want: []pathStep{{key: "metadata"}, {key: "labels"}, {key: "platform.strata.dev/pool", selector: true}}},
		{path: `metadata.annotations["a]\"b"]`, want: []pathStep{{key: "metadata"}, {key: "annotations"}, {key: `a]"b`, selector: true}}},
		{path: "spec.tolerations[node.strata.dev/pool/NoSchedule].value", want: []pathStep{{key: "spec"}, {key: "tolerations"}, {key: "node.strata.dev/pool/NoSchedule", selector: true}, {key: "value"}}},
		{path: "spec.containers[0][1]", want: []pathStep{{key: "spec"}, {key: "containers"}, {key: "0", selector: true}, {key: "1", selector: true}}},
		{path: "", err: "an empty path"},
		{path: ".spec", err: "an empty key"},
		{path: "spec..name", err: "an empty key"},
		{path: "spec.", err: ""},
		{path: "spec[]", err: `want a name or an index`},
		{path: "spec[x", err: `want a name or an index`},
		{path: `spec["x`, err: "unterminated"},
		{path: `spec["x"y]`, err: `want "]"`},
		{path: `spec["\q"]`, err: "invalid syntax"},
	} {
		got, err := parseStoredPath(tc.path)
		switch {
		case tc.want == nil && err == nil && tc.err != "":
			t.Errorf("%q: no error, want %q", tc.path, tc.err)
		case tc.want == nil && tc.err != "" && !strings.Contains(err.Error(), tc.err):
			t.Errorf("%q: %v, want %q", tc.path, err, tc.err)
		case tc.want != nil && (err != nil || !slices.Equal(got, tc.want)):
			t.Errorf("%q: %+v, %v; want %+v", tc.path, got, err, tc.want)
		}
	}
	// A path that ends in a dot names an empty key.
	if _, err := parseStoredPath("spec."); err == nil {
		t.Error(`"spec.": no error`)
	}
}

// TestStoredField: lists' elements by the names -o explain gives them, or
// by index; a name of two elements is an error; what is absent is absent.
func TestStoredField(t *testing.T) {
	var doc any
	if err := json.Unmarshal([]byte(`{"spec": {
		"containers": [{"name": "main", "volumeMounts": [{"name": "v", "mountPath": "/a"}, {"name": "v", "mountPath": "/b", "subPath": "b"}],
			"envFrom": [{"configMapRef": {"name": "cfg"}, "prefix": "P_"}, {"secretRef": {"name": "s"}}]}],
		"tolerations": [{"key": "pool", "operator": "Equal", "value": "batch", "effect": "NoSchedule"}, {"operator": "Exists"}],
		"args": ["x", "y"]}}`), &doc); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"spec.containers[main].volumeMounts[/b].subPath":          `"b"`,
		"spec.containers[0].volumeMounts[1].mountPath":            `"/b"`,
		"spec.containers[main].envFrom[configMap/cfg/P_].prefix":  `"P_"`,
		"spec.containers[main].envFrom[secret/s/].secretRef.name": `"s"`,
		"spec.tolerations[pool/NoSchedule].value":                 `"batch"`,
		"spec.tolerations[*/*].operator":                          `"Exists"`,
		`spec["args"][1]`:                                         `"y"`,
		"spec.args[2]":                                            "absent",
		"spec.args[-1]":                                           "absent",
		"spec.containers[other].image":                            "absent",
		"spec.containers[main].image":                             "absent",
		"spec.args.x":                                             "absent",
		"spec.containers.main":                                    "absent",
		"spec.containers[main].volumeMounts[v].mountPath":         "error: [v] names elements 0 and 1 of the list",
	} {
		steps, err := parseStoredPath(path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		v, held, err := storedField(doc, steps)
		got := "absent"
		switch {
		case err != nil:
			got = "error: " + err.Error()
		case held:
			got = jsonText(v)
		}
		if got != want {
			t.Errorf("%s: %s, want %s", path, got, want)
		}
	}
}

// TestStoredExpectations: composer test holds what the API server stores
// of a case's object to expect.stored: a pod, a SparkApplication (its
// sections as composed) and an update of a pod; a value that differs, a
// field absent or present against null fail the case, saying what is
// stored; a path that does not parse, or stored fields of an object
// expected refused, are bad input naming the field.
func TestStoredExpectations(t *testing.T) {
	abs, err := filepath.Abs(examples)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	suite := func(cases string) string {
		return "apiVersion: strata.dev/v1alpha1\nkind: PolicyTest\nmetadata: {name: stored}\nlayers: " + filepath.Join(abs, "layers/clusters/prod-a") +
			"\ncluster: prod-a\npool: batch\ncases:\n" + cases
	}
	run := func(cases string) run {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "t.yaml"), []byte(suite(cases)), 0o644); err != nil {
			t.Fatal(err)
		}
		return composer(t, "", "test", dir)
	}
	passing := `  - name: an executor
    pod: ` + filepath.Join(abs, "pods/executor.yaml") + `
    expect:
      allowed: true
      stored:
        spec.priorityClassName: spark-executor
        'metadata.labels["platform.strata.dev/pool"]': batch
        spec.containers[spark-kubernetes-executor].env[SPARK_LOG_DIR].value: /var/log/spark
        spec.hostNetwork: null
  - name: an app
    app: ` + filepath.Join(abs, "apps/etl-report.yaml") + `
    expect:
      allowed: true
      stored:
        spec.executor.priorityClassName: spark-executor
        'spec.driver.labels["platform.strata.dev/pool"]': batch
  - name: an executor relabelled
    pod: ` + filepath.Join(abs, "pods/executor.yaml") + `
    update: {user: alice, patch: {metadata: {labels: {audited: "yes"}}}}
    expect:
      allowed: true
      stored:
        metadata.labels.audited: "yes"
        spec.priorityClassName: spark-executor
`
	if r := run(passing); r.code != ExitOK || !strings.Contains(r.out, "3 passed, 0 failed") {
		t.Fatalf("passing: exit %d\n%s%s", r.code, r.out, r.err)
	}
	failing := strings.NewReplacer("spec.priorityClassName: spark-executor\n        'metadata", "spec.priorityClassName: spark-driver\n        'metadata",
		"spec.hostNetwork: null", "spec.schedulerName: null\n        spec.nodeName: n1").Replace(passing)
	r := run(failing)
	for _, want := range []string{"FAIL  stored/an executor\n",
		`      stored spec.priorityClassName: got "spark-executor", want "spark-driver"`,
		`      stored spec.schedulerName: got "default-scheduler", want it absent`,
		`      stored spec.nodeName: absent, want "n1"`, "2 passed, 1 failed"} {
		if r.code != ExitDenied || !strings.Contains(r.out, want) {
			t.Errorf("failing: exit %d, want %q in\n%s%s", r.code, want, r.out, r.err)
		}
	}
	for bad, want := range map[string]string{
		strings.Replace(passing, "spec.hostNetwork: null", "spec..hostNetwork: null", 1):                                                                                                                   `cases[0].expect.stored[spec..hostNetwork]: Invalid value: "spec..hostNetwork": "spec..hostNetwork": an empty key`,
		strings.Replace(passing, "    expect:\n      allowed: true\n      stored:\n        spec.priorityClassName", "    expect:\n      allowed: false\n      stored:\n        spec.priorityClassName", 1): "cases[0].expect.stored: Forbidden: nothing is stored of an object refused",
	} {
		if r := run(bad); r.code != ExitInput || !strings.Contains(r.err, want) {
			t.Errorf("bad input: exit %d, want %q in\n%s", r.code, want, r.err)
		}
	}
}

// TestStoredExpectationsInEitherOrder: where two of the cluster's
// MutatingAdmissionPolicies set the same label, what is stored depends on
// the API server's order of them, which is not fixed: a case expecting
// either value fails, saying which order gives the other; a field they
// leave alone passes.
func TestStoredExpectationsInEitherOrder(t *testing.T) {
	dir := t.TempDir()
	_, head := nextOverlay(t, dir, mutatingPolicy("a", "ApplyConfiguration", `Object{metadata: Object.metadata{labels: {"tier": "a"}}}`, "  reinvocationPolicy: Never\n", "etl")+"---\n"+
		mutatingPolicy("b", "ApplyConfiguration", `Object{metadata: Object.metadata{labels: {"tier": "b"}}}`, "  reinvocationPolicy: Never\n", "etl"))
	write := writerIn(t, dir)
	write("repo/pod.yaml", readFile(t, filepath.Join(examples, "pods", "executor.yaml")))
	stored := func(field, value string) string {
		return prodASuite("order", head) + "  - name: the tier\n    pod: " + filepath.Join(dir, "repo", "pod.yaml") +
			"\n    expect:\n      allowed: true\n      stored:\n        " + field + ": " + value + "\n"
	}
	wantOnePassed(t, write("repo/t.yaml", stored("spec.priorityClassName", "spark-executor")))
	r := composer(t, "", "test", write("repo/t.yaml", stored("metadata.labels.tier", "b")))
	const want = `stored metadata.labels.tier: got "a", want "b" (the cluster's MutatingAdmissionPolicies applied in the reverse order of their names; the API server's order is not fixed)`
	if r.code != ExitDenied || !strings.Contains(r.out, want) || !strings.Contains(r.out, "0 passed, 1 failed") {
		t.Errorf("exit %d, want %q in\n%s\n%s", r.code, want, r.out, r.err)
	}
}

// TestStoredPathsAsExplainNamesThem: every field of a composed pod, named
// as -o explain names what the API server's second pass stores
// (fieldOfPointer), is found by that name in a case's expect.stored, with
// its value: the two name fields alike.
func TestStoredPathsAsExplainNamesThem(t *testing.T) {
	r := composer(t, "", append(exampleArgs("executor.yaml", "clusters/prod-a", "prod-a", "batch"), "-o", "json")...)
	if r.code != ExitOK {
		t.Fatalf("compose: exit %d: %s", r.code, r.err)
	}
	var doc any
	if err := json.Unmarshal([]byte(r.out), &doc); err != nil {
		t.Fatal(err)
	}
	checked := 0
	var walk func(v any, pointer string)
	walk = func(v any, pointer string) {
		switch node := v.(type) {
		case map[string]any:
			for k, e := range node {
				walk(e, pointer+"/"+strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1"))
			}
			return
		case []any:
			for i, e := range node {
				walk(e, pointer+"/"+strconv.Itoa(i))
			}
			return
		}
		path := (listNames{}).fieldOfPointer(doc, pointer)
		steps, err := parseStoredPath(path)
		if err != nil {
			t.Errorf("%s (%s): %v", path, pointer, err)
			return
		}
		got, held, err := storedField(doc, steps)
		if err != nil || !held || !reflect.DeepEqual(got, v) {
			t.Errorf("%s (%s): %v, %v, %v; want %v", path, pointer, got, held, err, v)
		}
		checked++
	}
	walk(doc, "")
	if checked < 50 {
		t.Errorf("%d fields checked; the composed pod has more", checked)
	}
}

// FuzzStoredPath: any path parses or is refused, and resolves in any
// document without a panic.
func FuzzStoredPath(f *testing.F) {
	for _, s := range []string{"spec.priorityClassName", `metadata.labels["a.b/c"]`, "spec.tolerations[k/NoSchedule].value", "a[0][1]", `a["\"]"]`, "[x]", ".", "a[", `a["`} {
		f.Add(s, `{"a": [[1, {"name": "x"}]], "spec": {"tolerations": [{"key": "k", "effect": "NoSchedule"}]}}`)
	}
	f.Fuzz(func(t *testing.T, path, document string) {
		steps, err := parseStoredPath(path)
		if err != nil {
			return
		}
		if len(steps) == 0 {
			t.Fatalf("%q: no steps, no error", path)
		}
		var doc any
		if json.Unmarshal([]byte(document), &doc) != nil {
			return
		}
		_, _, _ = storedField(doc, steps)
	})
}
