package app

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestComposeInParallelIsComposeInTurn: composer compose of a corpus, with
// --validate, prints the same bytes and exits the same on one core as on
// several: every example pod and application, three times over, among
// them a pod the policies deny. Under the race detector (make race) it
// also finds state the objects' compositions would share.
func TestComposeInParallelIsComposeInTurn(t *testing.T) {
	var docs []string
	for _, dir := range []string{"pods", "apps"} {
		files, err := filepath.Glob(filepath.Join(examples, dir, "*.yaml"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no examples in %s: %v", dir, err)
		}
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			docs = append(docs, string(raw))
		}
	}
	corpus := strings.Repeat(strings.Join(docs, "\n---\n")+"\n---\n", 3)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for _, output := range []string{"yaml", "explain"} {
		args := []string{"compose", "-f", "-", "--layers", filepath.Join(examples, "layers/clusters/prod-a"),
			"--cluster", "prod-a", "--pool", "batch", "--validate", "-o", output}
		runtime.GOMAXPROCS(1)
		inTurn := composer(t, corpus, args...)
		if inTurn.code != ExitDenied || !strings.Contains(inTurn.err, "denied by policy") {
			t.Fatalf("-o %s one by one: exit %d, stderr %s; want the oversized driver denied", output, inTurn.code, inTurn.err)
		}
		runtime.GOMAXPROCS(4)
		if inParallel := composer(t, corpus, args...); inParallel != inTurn {
			t.Fatalf("-o %s on four goroutines: exit %d\n%s\n%s\none by one: exit %d\n%s\n%s", output,
				inParallel.code, inParallel.out, inParallel.err, inTurn.code, inTurn.out, inTurn.err)
		}
	}
}

// TestComposeStopsAtTheFirstFailureInOrder: the objects before the first
// that fails are composed and their notes printed, before its error; none
// after it is, as one by one.
func TestComposeStopsAtTheFirstFailureInOrder(t *testing.T) {
	noted := "apiVersion: v1\nkind: Pod\nmetadata: {name: noted, namespace: etl, labels: {spark-role: executor}}\n" +
		"spec: {runtimeClassName: nosuchclass, containers: [{name: c, image: mirror.prod-a.internal/x:1}]}\n"
	var tolerations strings.Builder
	for i := range 1100 {
		fmt.Fprintf(&tolerations, "{key: k%d, operator: Exists}, ", i)
	}
	over := "apiVersion: v1\nkind: Pod\nmetadata: {name: over, namespace: etl}\n" +
		"spec: {tolerations: [" + tolerations.String() + "], containers: [{name: c, image: x}]}\n"
	args := []string{"compose", "-f", "-", "--layers", filepath.Join(examples, "layers/clusters/prod-a"), "--cluster", "prod-a", "--pool", "batch"}
	for _, c := range []struct {
		name, corpus string
		note         bool
	}{
		{"noted, then over", noted + "---\n" + noted + "---\n" + over + "---\n" + noted, true},
		{"over, then noted", over + "---\n" + noted, false},
	} {
		got := composer(t, c.corpus, args...)
		if got.code != ExitDenied || got.out != "" || !strings.HasSuffix(got.err, "Pod etl/over: denied by the webhook before any work: pod has 1100 tolerations; Strata admits at most 1024\n") {
			t.Fatalf("%s: exit %d, stdout %q, stderr %q; want the pod over the bounds refused", c.name, got.code, got.out, got.err)
		}
		notes := strings.Count(got.err, `Note: Pod etl/noted: RuntimeClass "nosuchclass" is not known here`)
		if want := map[bool]int{true: 2, false: 0}[c.note]; notes != want {
			t.Errorf("%s: %d notes, want %d (those of the pods before the failure): %s", c.name, notes, want, got.err)
		}
	}
}
