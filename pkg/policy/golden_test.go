package policy

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/overlay"
)

var update = flag.Bool("update", false, "rewrite the golden files with the current output")

// TestInputDocumentGolden pins the policy input document for the example
// executor as the validating webhook builds it: it is the API site
// policies are written against, so any change to it shows in review
// (after an intended change: go test ./pkg/policy -update).
func TestInputDocumentGolden(t *testing.T) {
	check, pod := exampleCheck(t)
	// The document is whole: every field composed, as for a policy that
	// reads config.fields (the built-in ones have only what they read).
	check.Engine.explained = overlay.FieldSet{}
	pod.Spec.Tolerations = []corev1.Toleration{{Key: "team-gpu", Operator: corev1.TolerationOpExists}}
	in := composedView(t, check, pod)
	in.Inventory = Inventory{Namespace: Usage{CPUMilli: 2000, MemoryBytes: 4 << 30, Pods: 2}, AppExecutors: 1, App: Usage{CPUMilli: 2000, MemoryBytes: 4 << 30, Pods: 2}}
	doc, err := in.document()
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "input.executor.json")
	if *update {
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run: go test ./pkg/policy -update)", err)
	}
	if string(append(got, '\n')) != string(want) {
		t.Errorf("the policy input differs from %s (after an intended change: go test ./pkg/policy -update):\n%s", path, got)
	}
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "input.executor.json" {
			t.Errorf("testdata/%s belongs to no golden case", e.Name())
		}
	}
}

// TestREADMEDocumentsTheInput holds README's table of the input document
// to the document: every top-level field, every config and user field
// the golden input holds, has a row.
func TestREADMEDocumentsTheInput(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(string(readme), "The **input document** a policy sees:")
	if start < 0 {
		t.Fatal("README has no input document table")
	}
	table := string(readme[start:])
	rows := strings.Index(table, "| ---")
	table = table[:rows+strings.Index(table[rows:], "\n\n")]
	var doc map[string]any
	data, err := os.ReadFile(filepath.Join("testdata", "input.executor.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	want := []string{"old", "config.iamRole", "config.runtimeClassName"} // only on some documents
	for k, v := range doc {
		switch k {
		case "config", "user":
			for sub := range v.(map[string]any) {
				want = append(want, k+"."+sub)
			}
		default:
			want = append(want, k)
		}
	}
	for _, field := range want {
		if !strings.Contains(table, "`"+field+"`") && !strings.Contains(table, "`"+field+".<") {
			t.Errorf("README's input document table has no row for %s", field)
		}
	}
}
