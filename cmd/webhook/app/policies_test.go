package app

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// builtinPolicyStore is a store of the built-in policies, and its metrics.
func builtinPolicyStore(t *testing.T, ctx context.Context) (*PolicyStore, *Metrics) {
	t.Helper()
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	builtin, err := NewPolicyStore(ctx, "", m, logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	return builtin, m
}

func TestPolicyStoreReloadsAndKeepsTheLastGood(t *testing.T) {
	ctx := context.Background()
	builtin, m := builtinPolicyStore(t, ctx)
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

// TestPolicyStorePolls: with --policies DIR the store reads DIR again
// every poll and serves what changed; the built-in policies, which cannot
// change, are not polled.
func TestPolicyStorePolls(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	builtin, m := builtinPolicyStore(t, ctx)
	returned := make(chan error, 1)
	go func() { returned <- builtin.Start(ctx) }()
	select {
	case err := <-returned:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the built-in policies are polled")
	}
	dir := t.TempDir()
	write := func(name string) {
		src := "package strata." + name + "\n\nimport rego.v1\n\nviolation contains {\"message\": \"x\"} if false\n"
		if err := os.WriteFile(filepath.Join(dir, name+".rego"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a")
	s, err := NewPolicyStore(ctx, dir, m, logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	s.poll = 10 * time.Millisecond
	done := make(chan error)
	go func() { done <- s.Start(ctx) }()
	write("b")
	deadline := time.Now().Add(30 * time.Second)
	for len(s.Load().Policies()) != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("policies %v 30 s after b was written", s.Load().Policies())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
