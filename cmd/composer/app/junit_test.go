package app

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestJUnitReport: composer test --junit writes every suite and case, a
// failing case with what differs, the counts; the same results give the
// same bytes; a file it cannot write is bad input, named.
func TestJUnitReport(t *testing.T) {
	abs, err := filepath.Abs(examples)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	suite := prodASuite("junit", filepath.Join(abs, "layers", "clusters", "prod-a")) + `  - name: the driver passes
    pod: ` + filepath.Join(abs, "pods", "driver.yaml") + `
    expect: {allowed: true}
  - name: expects the oversized driver to pass
    pod: ` + filepath.Join(abs, "pods", "oversized-driver.yaml") + `
    expect: {allowed: true}
`
	tests := writerIn(t, dir)("tests/t.yaml", suite)
	report := filepath.Join(dir, "report.xml")
	r := composer(t, "", "test", filepath.Dir(tests), "--junit", report)
	if r.code != ExitDenied || !strings.Contains(r.out, "1 passed, 1 failed") {
		t.Fatalf("exit %d\n%s%s", r.code, r.out, r.err)
	}
	first, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var got junitSuites
	if err := xml.Unmarshal(first, &got); err != nil {
		t.Fatalf("the report is not XML: %v\n%s", err, first)
	}
	if got.Tests != 2 || got.Failures != 1 || len(got.Suites) != 1 || got.Suites[0].Name != "junit" || got.Suites[0].File != tests || len(got.Suites[0].Cases) != 2 {
		t.Fatalf("report %+v", got)
	}
	pass, fail := got.Suites[0].Cases[0], got.Suites[0].Cases[1]
	if pass.Name != "the driver passes" || pass.Failure != nil || fail.Name != "expects the oversized driver to pass" || fail.Failure == nil ||
		fail.Failure.Message != "allowed: got false, want true" || !strings.Contains(fail.Failure.Text, "unexpected violation: [quota/deny] quota: pod requests 64050m CPU") {
		t.Errorf("cases %+v, %+v", pass, fail)
	}
	if r := composer(t, "", "test", filepath.Dir(tests), "--junit", report); r.code != ExitDenied {
		t.Fatalf("again: exit %d", r.code)
	}
	if again, err := os.ReadFile(report); err != nil || string(again) != string(first) {
		t.Errorf("the same results gave another report (%v):\n%s\n%s", err, first, again)
	}
	r = composer(t, "", "test", filepath.Dir(tests), "--junit", filepath.Join(dir, "missing", "report.xml"))
	if r.code != ExitInput || !strings.Contains(r.err, "--junit: open ") {
		t.Errorf("an unwritable report: exit %d, stderr %q", r.code, r.err)
	}
}
