package app

import (
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/strata-dev/strata/pkg/policy"
)

// TestLiveFor: a test case's inventory is the live state it says: the
// namespace's totals, the app's executors, and what the app's pods
// request as a part of the namespace's.
func TestLiveFor(t *testing.T) {
	for _, tc := range []struct {
		name      string
		inv       TestInventory
		namespace policy.Usage
		app       policy.AppUsage
	}{
		{name: "namespace only", inv: inventory("10", "8Gi", 3, 0, "", ""),
			namespace: policy.Usage{CPUMilli: 10000, MemoryBytes: 8 << 30, Pods: 3}},
		{name: "executors, more than the namespace's pods", inv: inventory("", "", 1, 4, "", ""),
			namespace: policy.Usage{Pods: 4}, app: policy.AppUsage{Executors: 4, Usage: policy.Usage{Pods: 4}}},
		{name: "the app's part of the namespace", inv: inventory("10", "8Gi", 5, 2, "3", "2Gi"),
			namespace: policy.Usage{CPUMilli: 10000, MemoryBytes: 8 << 30, Pods: 5}, app: policy.AppUsage{Executors: 2, Usage: policy.Usage{CPUMilli: 3000, MemoryBytes: 2 << 30, Pods: 2}}},
		{name: "an app of a driver alone", inv: inventory("", "", 0, 0, "1", ""),
			namespace: policy.Usage{CPUMilli: 1000, Pods: 1}, app: policy.AppUsage{Usage: policy.Usage{CPUMilli: 1000, Pods: 1}}},
	} {
		tr := liveFor("etl", "spark-1", &tc.inv).(*policy.Tracker)
		if got := tr.Usage("etl"); got != tc.namespace {
			t.Errorf("%s: namespace %+v, want %+v", tc.name, got, tc.namespace)
		}
		if got := tr.App("etl", "spark-1"); got != tc.app {
			t.Errorf("%s: app %+v, want %+v", tc.name, got, tc.app)
		}
	}
}

func inventory(cpu, memory string, pods, executors int64, appCPU, appMemory string) TestInventory {
	var inv TestInventory
	set := func(dst **resource.Quantity, s string) {
		if s != "" {
			q := resource.MustParse(s)
			*dst = &q
		}
	}
	set(&inv.Namespace.CPU, cpu)
	set(&inv.Namespace.Memory, memory)
	set(&inv.App.CPU, appCPU)
	set(&inv.App.Memory, appMemory)
	inv.Namespace.Pods, inv.AppExecutors = pods, executors
	return inv
}

// TestPolicyTestRunFlag: --run runs the cases whose SUITE/CASE it matches,
// and reads no further a suite none of whose cases it runs (here one
// whose layers do not exist); matching none, or a pattern that does not
// compile, is bad input.
func TestPolicyTestRunFlag(t *testing.T) {
	abs, err := filepath.Abs(examples)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := writerIn(t, dir)
	write("tests/a.yaml", prodASuite("a", filepath.Join(abs, "layers", "clusters", "prod-a"))+`  - name: the driver
    pod: `+filepath.Join(abs, "pods", "driver.yaml")+`
    expect: {allowed: true}
  - name: the oversized driver
    pod: `+filepath.Join(abs, "pods", "oversized-driver.yaml")+`
    expect: {allowed: true}
`)
	write("tests/b.yaml", prodASuite("b", filepath.Join(dir, "missing"))+`  - name: the driver elsewhere
    pod: `+filepath.Join(abs, "pods", "driver.yaml")+`
    expect: {allowed: true}
`)
	tests := filepath.Join(dir, "tests")
	r := composer(t, "", "test", tests, "--run", "^a/the driver$")
	if r.code != ExitOK || r.out != "PASS  a/the driver\n1 passed, 0 failed\n" {
		t.Errorf("--run one case: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if r := composer(t, "", "test", tests); r.code != ExitInput || !strings.Contains(r.err, "missing") {
		t.Errorf("every suite: exit %d, want b's layers refused\n%s%s", r.code, r.out, r.err)
	}
	if r := composer(t, "", "test", tests, "--run", "zzz"); r.code != ExitInput || !strings.Contains(r.err, `no PolicyTest case matches --run "zzz"`) {
		t.Errorf("--run matching none: exit %d, stderr %q", r.code, r.err)
	}
	if r := composer(t, "", "test", tests, "--run", "("); r.code != ExitInput || !strings.Contains(r.err, "--run: error parsing regexp") {
		t.Errorf("--run not a pattern: exit %d, stderr %q", r.code, r.err)
	}
}
