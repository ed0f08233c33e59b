package policy

import (
	"context"
	"testing"

	"github.com/open-policy-agent/opa/v1/tester"
)

// TestRegoPolicies runs every policy's _test.rego with OPA's tester, so
// `go test` (and make test) runs the Rego unit tests.
func TestRegoPolicies(t *testing.T) {
	results, err := tester.Run(context.Background(), "../../policies")
	if err != nil {
		t.Fatalf("loading policies: %v", err)
	}
	if len(results) < 10 {
		t.Fatalf("only %d Rego tests ran", len(results))
	}
	for _, r := range results {
		if !r.Pass() {
			t.Errorf("%s.%s: %s", r.Package, r.Name, r.String())
		}
	}
}
