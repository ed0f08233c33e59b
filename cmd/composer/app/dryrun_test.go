package app

import (
	"fmt"
	"path/filepath"
	"testing"
)

// dryRunCases are the dry run on a repository as platform teams have it
// (testdata/dryrun): each runs the composer and compares its exit status,
// output and diagnostics with a golden file.
var dryRunCases = []struct {
	name string
	args []string
}{
	// The repository holds no PriorityClass: composed, priority left to
	// the webhook, with a note.
	{"missing-priority-class", []string{"compose", "-f", "pods/driver.yaml", "--layers", "repo", "--cluster", "prod-a", "--pool", "batch", "-o", "yaml"}},
	// The cluster's base configuration gives it.
	{"cluster-config", []string{"compose", "-f", "pods/driver.yaml", "--layers", "repo", "--cluster", "prod-a", "--pool", "batch",
		"--cluster-config", "cluster/base.yaml", "-o", "explain"}},
	// Registries written with a trailing slash mirror and allow as without.
	{"trailing-slash", []string{"compose", "-f", "pods/driver.yaml", "--layers", "repo", "--cluster", "prod-a", "--pool", "batch", "-o", "patch", "--validate"}},
	// A misspelt cluster and pool: composed, and warned.
	{"misspelt-cluster", []string{"compose", "-f", "pods/driver.yaml", "--layers", "repo", "--cluster", "prod-aa", "--pool", "bacth", "-o", "patch"}},
	// Only limits: requested as the API server defaults them, and denied.
	{"limits-only", []string{"compose", "-f", "pods/limits-only.yaml", "--layers", "repo", "--cluster", "prod-a", "--pool", "batch", "-o", "patch", "--validate"}},
	// A composition the API server would refuse (a layer's mount of a
	// volume the pod lacks): refused as the webhook refuses it, exit 1,
	// a verdict under --validate, not bad input.
	{"invalid-composition", []string{"compose", "-f", "pods/driver.yaml", "--layers", "invalid", "--cluster", "prod-a", "--pool", "batch", "-o", "patch"}},
	{"invalid-composition-validate", []string{"compose", "-f", "pods/driver.yaml", "--layers", "invalid", "--cluster", "prod-a", "--pool", "batch", "-o", "patch", "--validate"}},
	// A SparkApplication so composed (a volume the roles' layers define
	// apart): refused alike, exit 1, nothing printed for it.
	{"invalid-app-composition", []string{"compose", "-f", "pods/app.yaml", "--layers", "invalid-app", "--cluster", "prod-a", "--pool", "batch", "-o", "yaml"}},
	{"invalid-app-composition-validate", []string{"compose", "-f", "pods/app.yaml", "--layers", "invalid-app", "--cluster", "prod-a", "--pool", "batch", "-o", "patch", "--validate"}},
	// A key set twice, a misspelt kind: errors naming them.
	{"duplicate-keys", []string{"compose", "-f", "pods/driver.yaml", "--layers", "bad-dupkeys", "--cluster", "prod-a", "--pool", "batch"}},
	{"unknown-kind", []string{"compose", "-f", "pods/driver.yaml", "--layers", "bad-kind", "--cluster", "prod-a", "--pool", "batch"}},
	// A SparkConnect key the operator would pass as another key: refused
	// before any work, naming it.
	{"connect-conf-keys", []string{"compose", "-f", "pods/connect-conf-keys.yaml", "--layers", "repo", "--cluster", "prod-a", "--pool", "batch"}},
	// A Shadow layer: the pod is composed without it, and explain shows
	// what it would change, apart.
	{"shadow-explain", []string{"compose", "-f", "pods/driver.yaml", "--layers", "shadow", "--cluster", "prod-a", "--pool", "batch", "-o", "explain"}},
	{"shadow-patch", []string{"compose", "-f", "pods/driver.yaml", "--layers", "shadow", "--cluster", "prod-a", "--pool", "batch", "-o", "patch"}},
	// Volcano PodGroups a tenant writes: printed as written, no patch,
	// and judged as the webhook judges them (a class outside the
	// allowlist and another team's queue denied).
	{"podgroups-validate", []string{"compose", "-f", "pods/podgroups.yaml", "--layers", "podgroups", "--cluster", "prod-a", "--pool", "batch", "-o", "yaml", "--validate"}},
	{"podgroups-patch", []string{"compose", "-f", "pods/podgroups.yaml", "--layers", "podgroups", "--cluster", "prod-a", "--pool", "batch", "-o", "patch"}},
	{"podgroups-explain", []string{"compose", "-f", "pods/podgroups.yaml", "--layers", "podgroups", "--cluster", "prod-a", "--pool", "batch", "-o", "explain"}},
}

func TestDryRunOnAnyRepo(t *testing.T) {
	for _, tc := range dryRunCases {
		t.Run(tc.name, func(t *testing.T) {
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = a
				if i > 0 && (tc.args[i-1] == "-f" || tc.args[i-1] == "--layers" || tc.args[i-1] == "--cluster-config") {
					args[i] = filepath.Join("testdata", "dryrun", a)
				}
			}
			r := composer(t, "", args...)
			checkGolden(t, filepath.Join(golden, "dryrun-"+tc.name+".txt"), fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.out, r.err))
		})
	}
}
