package app

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestPolicyStoreReloadsAndKeepsTheLastGood(t *testing.T) {
	ctx := context.Background()
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	builtin, err := NewPolicyStore(ctx, "", m, logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	if got := builtin.Load().Policies(); len(got) != 3 || got[0] != "baseline" || got[1] != "isolation" || got[2] != "quota" {
		t.Fatalf("built-in policies %v", got)
	}
	dir := t.TempDir()
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.rego", "package strata.a\n\nimport rego.v1\n\nviolation contains {\"message\": \"a\"} if false\n")
	s, err := NewPolicyStore(ctx, dir, m, logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	first := s.Load()
	if err := s.reload(ctx); err != nil || s.Load() != first {
		t.Fatalf("unchanged files recompiled: %v", err)
	}
	write("b.rego", "package strata.b\n\nimport rego.v1\n\nviolation contains {\"message\": \"b\"} if false\n")
	if err := s.reload(ctx); err != nil {
		t.Fatal(err)
	}
	if got := s.Load().Policies(); len(got) != 2 || got[1] != "b" {
		t.Fatalf("after adding b: %v", got)
	}
	good := s.Load()
	write("c.rego", "package strata.c\n\nviolation contains x if {")
	if err := s.reload(ctx); err == nil {
		t.Fatal("a broken policy compiled")
	}
	if s.Load() != good {
		t.Fatal("a broken policy set replaced the good one")
	}
	if got := testutil.ToFloat64(m.policyErrors); got != 1 {
		t.Errorf("policy compile errors = %v, want 1", got)
	}
	if _, err := NewPolicyStore(ctx, filepath.Join(dir, "missing"), m, logr.Discard()); err == nil {
		t.Fatal("a missing --policies directory was accepted at start")
	}
}
