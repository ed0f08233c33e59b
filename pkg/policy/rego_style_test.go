package policy

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"

	"github.com/strata-dev/strata/policies"
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

// TestBuiltinRulesStartOnTheInput holds every violation rule of the
// built-in policies to what keeps their evaluation cheap: its first
// expression reads the input (or a literal), neither negated nor through a
// rule of its package (spec := input.pod.spec, a set of containers). OPA's
// rule index skips a rule whose check on the input does not hold almost
// for free; a rule looked up or negated first is paid in every evaluation
// (BENCHMARKS.md, "What each change bought"). A function of the package
// called on the input is allowed: with an undefined argument it is not
// called.
func TestBuiltinRulesStartOnTheInput(t *testing.T) {
	mods, err := LoadModules(policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, file := range mods.Files() {
		m, err := ast.ParseModuleWithOpts(file, mods[file], ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Fatal(err)
		}
		rules := map[ast.Var]bool{} // the package's rules that are not functions
		for _, r := range m.Rules {
			if len(r.Head.Args) == 0 {
				rules[r.Head.Name] = true
			}
		}
		for _, r := range m.Rules {
			name := r.Head.Name
			if !strings.HasSuffix(string(name), "violation") || len(r.Body) == 0 {
				continue
			}
			first := r.Body[0]
			if first.Negated {
				t.Errorf("%s:%d: %s starts with a negation (%v)", file, r.Location.Row, name, first)
			}
			ast.WalkVars(first, func(v ast.Var) bool {
				if rules[v] {
					t.Errorf("%s:%d: %s starts by reading the rule %s (%v); read the input directly", file, r.Location.Row, name, v, first)
				}
				return false
			})
			checked++
		}
	}
	if checked < 40 {
		t.Fatalf("only %d violation rules checked", checked)
	}
}
