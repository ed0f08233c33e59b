package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// appGoldenCases are the example SparkApplications composed for each
// example cluster.
var appGoldenCases = []struct {
	name, app, layers, cluster, pool string
}{
	{"prod-a-app-etl-report", "etl-report.yaml", "clusters/prod-a", "prod-a", "batch"},
	{"prod-b-app-etl-report", "etl-report.yaml", "clusters/prod-b", "prod-b", "interactive"},
}

func appArgs(app, layers, cluster, pool string) []string {
	return []string{"compose", "-f", filepath.Join(examples, "apps", app),
		"--layers", filepath.Join(examples, "layers", layers), "--cluster", cluster, "--pool", pool}
}

func TestAppGolden(t *testing.T) {
	formats := map[string]string{"yaml": ".yaml", "patch": ".patch.json", "explain": ".explain.txt", "spark-conf": ".conf"}
	for _, tc := range appGoldenCases {
		for format, ext := range formats {
			t.Run(tc.name+"/"+format, func(t *testing.T) {
				r := composer(t, "", append(appArgs(tc.app, tc.layers, tc.cluster, tc.pool), "-o", format)...)
				if r.code != ExitOK {
					t.Fatalf("exit %d: %s", r.code, r.err)
				}
				checkGolden(t, filepath.Join(golden, tc.name+ext), r.out)
			})
		}
	}
}

// TestComposedAppComposesToNothing: the composed app, fed back, patches
// nothing.
func TestComposedAppComposesToNothing(t *testing.T) {
	r := composer(t, "", appArgs("etl-report.yaml", "clusters/prod-a", "prod-a", "batch")...)
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	again := composer(t, r.out, "compose", "-f", "-", "--layers", filepath.Join(examples, "layers", "clusters/prod-a"),
		"--cluster", "prod-a", "--pool", "batch", "-o", "patch")
	if again.code != ExitOK || strings.TrimSpace(again.out) != "[]" {
		t.Errorf("exit %d, patch %s: %s", again.code, again.out, again.err)
	}
}

// TestMixedFile: one file of Pods and SparkApplications, composed in order.
func TestMixedFile(t *testing.T) {
	pod, err := os.ReadFile(filepath.Join(examples, "pods", "driver.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	app, err := os.ReadFile(filepath.Join(examples, "apps", "etl-report.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r := composer(t, string(app)+"\n---\n"+string(pod), "compose", "-f", "-", "--layers", filepath.Join(examples, "layers", "clusters/prod-a"),
		"--cluster", "prod-a", "--pool", "batch", "-o", "spark-conf")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	for _, want := range []string{"# SparkApplication etl/etl-report\n", "spark.executor.memory=8g\n", "# Pod etl/spark-pi-"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("output lacks %q:\n%s", want, r.out)
		}
	}
}

// TestAppValidate: --validate judges an app as a whole; one that could
// never fit is refused (exit 1) with the limit and the layer that set it.
func TestAppValidate(t *testing.T) {
	r := composer(t, "", append(appArgs("etl-report.yaml", "clusters/prod-a", "prod-a", "batch"), "--validate", "-o", "patch")...)
	if r.code != ExitOK {
		t.Fatalf("the example app fits: exit %d: %s", r.code, r.err)
	}
	app, err := os.ReadFile(filepath.Join(examples, "apps", "etl-report.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Replace(string(app), "instances: 4", "instances: 30", 1)
	r = composer(t, big, "compose", "-f", "-", "--layers", filepath.Join(examples, "layers", "clusters/prod-a"),
		"--cluster", "prod-a", "--pool", "batch", "--validate", "-o", "patch")
	if r.code != ExitDenied {
		t.Fatalf("exit %d, want %d: %s", r.code, ExitDenied, r.err)
	}
	want := `SparkApplication etl/etl-report: deny: quota: app "etl-report" asks for up to 30 executors; group "core-data" allows at most 20 per app (NamespaceOverrides layer "ns-etl")`
	if !strings.Contains(r.err, want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.err)
	}
}
