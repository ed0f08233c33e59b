package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestParsePolicies: --policies names a directory of Rego policies the
// started webhook judges with; a directory the webhook could not load is
// refused before anything starts, and so is --policies with --target.
func TestParsePolicies(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "none.rego"), []byte("package strata.none\n\nviolation contains \"never\" if false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"--policies", dir}, ""},
		{[]string{"--policies", filepath.Join(dir, "missing")}, "missing: not a directory"},
		{[]string{"--policies", empty}, "no .rego policies found"},
		{[]string{"--policies", dir, "--target", "https://127.0.0.1:9443"}, "--policies need a started webhook"},
	}
	for _, tt := range tests {
		o, err := parse(tt.args, io.Discard)
		if tt.wantErr == "" {
			if err != nil || o.policies != dir {
				t.Errorf("%v: %v, policies %q", tt.args, err, o.policies)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%v: error %v, want one containing %q", tt.args, err, tt.wantErr)
		}
	}
}

// TestParseCreatePodsFrom: --create-pods-from names the pod --create-pods
// copies, read before anything starts; without --create-pods, or a file
// that holds no pod, it is refused.
func TestParseCreatePodsFrom(t *testing.T) {
	executor := filepath.Join("..", "..", "examples", "pods", "executor.yaml")
	notAPod := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(notAPod, []byte("spec: {containers: 3}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o, err := parse([]string{"--create-pods", "10", "--create-pods-from", executor}, io.Discard)
	if err != nil || o.watched == nil || o.watched.Spec.Containers[0].Name != "spark-kubernetes-executor" {
		t.Fatalf("the example executor: %v, %+v", err, o.watched)
	}
	for _, tt := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"--create-pods-from", executor}, "--create-pods-from needs --create-pods"},
		{[]string{"--create-pods", "10", "--create-pods-from", notAPod}, "bad.yaml"},
		{[]string{"--create-pods", "10", "--create-pods-from", notAPod + ".missing"}, "no such file"},
	} {
		if _, err := parse(tt.args, io.Discard); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%v: error %v, want one containing %q", tt.args, err, tt.wantErr)
		}
	}
}
