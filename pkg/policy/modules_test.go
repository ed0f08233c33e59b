package policy

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// TestLoadModules: every .rego file of the tree is a module, under its
// path; tests beside them and other files are not.
func TestLoadModules(t *testing.T) {
	const src = "package strata.a\n"
	mods, err := LoadModules(fstest.MapFS{
		"a/a.rego":      {Data: []byte(src)},
		"a/a_test.rego": {Data: []byte("not rego")},
		"README.md":     {Data: []byte("# not rego")},
		"b/c/d.rego":    {Data: []byte(src)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(mods)); !slices.Equal(got, []string{"a/a.rego", "b/c/d.rego"}) {
		t.Fatalf("loaded %v", got)
	}
}

// TestPolicyNames: the policies are the packages data.strata.NAME, each
// once however many files it spans; a package above, beside or below
// them (helpers) is none.
func TestPolicyNames(t *testing.T) {
	e, err := NewEngine(context.Background(), Modules{
		"quota.rego":  "package strata.quota\n\nviolation contains {\"message\": \"q\"} if false\n",
		"quota2.rego": "package strata.quota\n\nhelper := 1\n",
		"iso.rego":    "package strata.isolation\n\nviolation contains {\"message\": \"i\"} if false\n",
		"root.rego":   "package strata\n\nshared := 2\n",
		"lib.rego":    "package lib.text\n\ntrimmed(s) := trim_space(s)\n",
		"nested.rego": "package strata.quota.helpers\n\nlimit := 3\n",
		"beside.rego": "package other.quota\n\nviolation contains {\"message\": \"o\"} if false\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Policies(); !slices.Equal(got, []string{"isolation", "quota"}) {
		t.Fatalf("policies %v, want [isolation quota]", got)
	}
}

// TestLoadDir: a directory's modules are keyed by paths that name it; a
// path that is no directory, or one without policies, is an error naming
// the flag.
func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a.rego")
	if err := os.WriteFile(file, []byte("package strata.a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mods, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Collect(maps.Keys(mods)); !slices.Equal(got, []string{file}) {
		t.Fatalf("loaded %v, want [%s]", got, file)
	}
	for _, bad := range []string{file, filepath.Join(dir, "missing"), t.TempDir()} {
		if _, err := LoadDir(bad); err == nil || !strings.HasPrefix(err.Error(), "--policies "+bad+": ") {
			t.Errorf("LoadDir(%s): %v, want an error naming --policies", bad, err)
		}
	}
}
