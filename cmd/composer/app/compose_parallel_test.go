package app

import (
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
