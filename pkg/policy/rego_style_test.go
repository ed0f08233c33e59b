package policy

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"
)

// TestRegoIsFormattedAndStrict is `opa fmt --diff` and `opa check
// --strict` over every policy file, tests included, through the OPA
// module Strata already builds with: a file that opa fmt would change, or
// that strict mode refuses (unused variables and imports, shadowed
// names, deprecated built-ins), fails.
func TestRegoIsFormattedAndStrict(t *testing.T) {
	root := "../../policies"
	modules := map[string]*ast.Module{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".rego") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		formatted, err := format.SourceWithOpts(path, src, format.Opts{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Errorf("%s: %v", path, err)
			return nil
		}
		if string(formatted) != string(src) {
			t.Errorf("%s is not formatted as opa fmt formats it", path)
		}
		m, err := ast.ParseModuleWithOpts(path, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Errorf("%s: %v", path, err)
			return nil
		}
		modules[path] = m
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(modules) < 4 {
		t.Fatalf("only %d policy files found", len(modules))
	}
	c := ast.NewCompiler().WithStrict(true)
	if c.Compile(modules); c.Failed() {
		t.Errorf("opa check --strict: %v", c.Errors)
	}
}
