package policy

import (
	"context"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/tester"
)

// TestRegoPolicies runs every policy's _test.rego with OPA's tester, so
// `go test` (and make test) runs the Rego unit tests, and requires them to
// cover every rule and expression of the built-in policies (what `opa test
// --coverage policies/` reports): a rule added without a Rego test of its
// own fails here, naming its lines.
func TestRegoPolicies(t *testing.T) {
	ctx := context.Background()
	modules, store, err := tester.Load([]string{"../../policies"}, nil)
	if err != nil {
		t.Fatalf("loading policies: %v", err)
	}
	coverage := cover.New()
	ch, err := tester.NewRunner().SetStore(store).SetCoverageQueryTracer(coverage).SetModules(modules).RunTests(ctx, nil)
	if err != nil {
		t.Fatalf("running the Rego tests: %v", err)
	}
	n := 0
	for r := range ch {
		n++
		if !r.Pass() {
			t.Errorf("%s.%s: %s", r.Package, r.Name, r.String())
		}
	}
	if n < 10 {
		t.Fatalf("only %d Rego tests ran", n)
	}
	for file, report := range coverage.Report(modules).Files {
		if strings.HasSuffix(file, "_test.rego") {
			continue
		}
		for _, rng := range report.NotCovered {
			t.Errorf("%s: lines %d-%d are not covered by any Rego test", file, rng.Start.Row, rng.End.Row)
		}
	}
}
