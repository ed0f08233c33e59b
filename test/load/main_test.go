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

// TestLargeApp: --large-apps sends a SparkApplication as large as the API
// server sends (just under 3 MiB, within Strata's key bound), named per
// request; a negative count, or one with --target, is refused.
func TestLargeApp(t *testing.T) {
	app, err := largeApp()
	if err != nil {
		t.Fatal(err)
	}
	body, err := appReview(app, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(body) < largeRequestBytes-64<<10 || len(body) > 3<<20 {
		t.Errorf("review of %d bytes, want about %d and under 3 MiB", len(body), largeRequestBytes)
	}
	if !strings.Contains(string(body), `"name":"large-7"`) || !strings.Contains(string(body), `"uid":"large-7"`) {
		t.Error("the review is not named for its request")
	}
	for _, tt := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"--large-apps", "-1"}, "--large-apps must not be negative"},
		{[]string{"--large-apps", "2", "--target", "https://127.0.0.1:9443"}, "--large-apps, --profile"},
	} {
		if _, err := parse(tt.args, io.Discard); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%v: error %v, want one containing %q", tt.args, err, tt.wantErr)
		}
	}
}
