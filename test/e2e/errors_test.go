package e2e

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/strata-dev/strata/policies"
)

// brokenPolicy fails at evaluation, whatever the pod: a complete rule with
// two values.
const brokenPolicy = `package strata.broken

import rego.v1

kind := "a" if input.role == input.role

kind := "b" if input.role == input.role

violation contains {"message": "broken: never"} if kind == "c"
`

// TestInternalErrorIsNotADenial: a policy that fails to evaluate is an
// error (500), counted as one, never a denial that blames the pod.
func TestInternalErrorIsNotADenial(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	err := fs.WalkDir(policies.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(policies.FS, path)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(path)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, path), data, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "broken"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "broken", "broken.rego"), []byte(brokenPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	r := replicaServingAll(t, dir, true)

	errorsBefore := metricOf(t, r, "strata_admissions_total", "outcome", "error")
	err = cp.Client.Create(ctx, examplePod(t, "executor.yaml", "broken-policy-exec-1"))
	if err == nil || !apierrors.IsInternalError(err) || !strings.Contains(err.Error(), "evaluating policies") {
		t.Fatalf("error %v, want an internal error (500) from evaluating the policies", err)
	}
	if got := metricOf(t, r, "strata_admissions_total", "outcome", "error"); got <= errorsBefore {
		t.Errorf("the failed evaluation was not counted as an error: %v", got)
	}
	if got := metricOf(t, r, "strata_policy_violations_total"); got != 0 {
		t.Errorf("a failed evaluation counted %v violations", got)
	}
}
