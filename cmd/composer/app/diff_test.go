package app

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// exampleRevisions makes a git repository of examples/layers, commits it,
// and changes it as a pull request would: etl's team label and its
// per-pod CPU. It returns the changed tree of prod-a.
func exampleRevisions(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is needed to read a revision: ", err)
	}
	dir := t.TempDir()
	src := filepath.Join(examples, "layers")
	err := filepath.Walk(src, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, "layers", rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	commitAll(t, dir, "the layers as merged")
	layer := filepath.Join(dir, "layers", "tenants", "etl", "layer.yaml")
	data, err := os.ReadFile(layer)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.NewReplacer("team: etl\n", "team: etl-data\n", `maxPodCPU: "16"`, `maxPodCPU: "2"`).Replace(string(data))
	if changed == string(data) {
		t.Fatal("the example etl layer changed shape: update the test's change")
	}
	if err := os.WriteFile(layer, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "layers", "clusters", "prod-a")
}

// commitAll makes dir a git repository of its files, committed with
// message.
func commitAll(t *testing.T, dir, message string) {
	t.Helper()
	for _, args := range [][]string{{"init", "-q"}, {"add", "-A"}, {"commit", "-q", "-m", message}} {
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.email=ci@example.com", "-c", "user.name=ci", "-c", "commit.gpgsign=false"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
}

func diffArgs(extra ...string) []string {
	var files []string
	for _, f := range []string{"pods/driver.yaml", "pods/executor.yaml", "pods/geo-executor.yaml", "apps/etl-report.yaml"} {
		files = append(files, filepath.Join(examples, f))
	}
	return append([]string{"diff", "-f", strings.Join(files, ","), "--cluster", "prod-a", "--pool", "batch"}, extra...)
}

// TestDiff: a change of two revisions of the example repository, against
// the example pods and app: every field that changes with the layer
// responsible, the verdict that flips, the summary (golden); the same
// from a revision and from two directories; JSON for machines; the exit
// statuses CI uses.
func TestDiff(t *testing.T) {
	head := exampleRevisions(t)
	r := composer(t, "", diffArgs("--base-ref", "HEAD", "--head", head)...)
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	checkGolden(t, filepath.Join(golden, "diff-etl-change.txt"), r.out)
	fromDirs := composer(t, "", diffArgs("--base", filepath.Join(examples, "layers", "clusters", "prod-a"), "--head", head)...)
	if fromDirs.out != r.out {
		t.Errorf("--base DIR and --base-ref differ:\n%s\n%s", fromDirs.out, r.out)
	}
	js := composer(t, "", diffArgs("--base-ref", "HEAD", "--head", head, "-o", "json")...)
	var report diffReport
	if err := json.Unmarshal([]byte(js.out), &report); err != nil {
		t.Fatalf("-o json: %v\n%s", err, js.out)
	}
	if s := report.Summary; s.Objects != 4 || s.Changed != 3 || s.FlippedToDeny != 1 || s.Fields["limits.maxPodCPU"] != 3 {
		t.Errorf("summary = %+v", s)
	}
	for _, tc := range []struct {
		flag string
		want ExitCode
	}{{"--fail-on-deny", ExitDenied}, {"--fail-on-change", ExitDenied}} {
		if r := composer(t, "", diffArgs("--base-ref", "HEAD", "--head", head, tc.flag)...); r.code != tc.want {
			t.Errorf("%s: exit %d, want %d: %s", tc.flag, r.code, tc.want, r.err)
		}
	}
	// No change: nothing listed, and CI passes.
	same := composer(t, "", diffArgs("--base-ref", "HEAD", "--head", filepath.Join(filepath.Dir(filepath.Dir(head)), "clusters", "prod-b"), "--fail-on-change")...)
	if same.code != ExitOK || !strings.Contains(same.out, "Summary: 0 of 4 objects change") {
		t.Errorf("an unchanged tree: exit %d\n%s%s", same.code, same.out, same.err)
	}
	for _, bad := range [][]string{
		diffArgs("--head", head),
		diffArgs("--base-ref", "no-such-ref", "--head", head),
		diffArgs("--base-ref", "HEAD", "--head", head, "-o", "yaml"),
		diffArgs("--base-ref", "HEAD", "--head", head, "--as", "system:serviceaccount:etl"),
		diffArgs("--base-ref", "HEAD", "--head", head, "--namespace-labels", "group"),
	} {
		if r := composer(t, "", bad...); r.code != ExitInput {
			t.Errorf("%v: exit %d, want 2: %s", bad[len(bad)-3:], r.code, r.err)
		}
	}
}

// TestDiffOfStoredObjects: a pod or SparkApplication Strata composed
// already (it carries strata.dev/layers, an application in each role's
// annotations) holds a layer's value as its own; a change that stops
// giving it is shown, while an object whose user wrote the same value
// keeps it, unchanged.
func TestDiffOfStoredObjects(t *testing.T) {
	dir := t.TempDir()
	write := writerIn(t, dir)
	write("base/l.yaml", "apiVersion: strata.dev/v1alpha1\nkind: Layer\nmetadata: {name: gold}\nspec: {tier: ClusterOverrides, config: {labels: {tier: gold}}}\n")
	write("head/l.yaml", "apiVersion: strata.dev/v1alpha1\nkind: Layer\nmetadata: {name: gold}\nspec: {tier: ClusterOverrides, config: {labels: {owner: platform}}}\n")
	// A SparkApplication whose roles carry strata.dev/layers as given
	// ("": none).
	storedApp := func(name, driverLayers, executorLayers string) string {
		role := func(layers string) string {
			if layers == "" {
				return "{labels: {tier: gold}}"
			}
			return fmt.Sprintf("{labels: {tier: gold}, annotations: {strata.dev/layers: %q}}", layers)
		}
		return fmt.Sprintf(`  - apiVersion: sparkoperator.k8s.io/v1beta2
    kind: SparkApplication
    metadata: {name: %s, namespace: etl}
    spec:
      type: Scala
      mode: cluster
      image: apache/spark:3.5.3
      mainApplicationFile: local:///opt/spark/examples/jars/spark-examples.jar
      sparkVersion: 3.5.3
      driver: %s
      executor: %s
`, name, role(driverLayers), role(executorLayers))
	}
	pods := write("pods.yaml", `apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata:
      name: stored-exec-1
      namespace: etl
      labels: {spark-role: executor, tier: gold}
      annotations: {strata.dev/layers: gold}
    spec: {containers: [{name: spark-kubernetes-executor, image: apache/spark:3.5.3}]}
  - apiVersion: v1
    kind: Pod
    metadata:
      name: fresh-exec-1
      namespace: etl
      labels: {spark-role: executor, tier: gold}
    spec: {containers: [{name: spark-kubernetes-executor, image: apache/spark:3.5.3}]}
`+storedApp("stored-app", "gold", "gold")+storedApp("half-stored-app", "", "other,gold")+storedApp("fresh-app", "", ""))
	r := composer(t, "", "diff", "-f", pods, "--base", filepath.Join(dir, "base"), "--head", filepath.Join(dir, "head"),
		"--cluster", "prod-a", "--pool", "batch", "-o", "json")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	var report diffReport
	if err := json.Unmarshal([]byte(r.out), &report); err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, o := range report.Objects {
		for _, f := range o.Fields {
			if strings.Contains(f.Field, ".tier") {
				got[o.Name] = append(got[o.Name], strings.TrimPrefix(f.Role+": ", ": ")+f.Field+" "+f.Layer)
			}
		}
	}
	const gone = `ClusterOverrides layer "gold" (no longer)`
	for name, want := range map[string][]string{
		"stored-exec-1":   {"metadata.labels.tier " + gone},
		"fresh-exec-1":    nil,
		"stored-app":      {"driver: spec.driver.labels.tier " + gone, "executor: spec.executor.labels.tier " + gone},
		"half-stored-app": {"executor: spec.executor.labels.tier " + gone},
		"fresh-app":       nil,
	} {
		if !slices.Equal(got[name], want) {
			t.Errorf("%s: %q, want %q", name, got[name], want)
		}
	}
}

// TestDiffOfSchedule: a ScheduledSparkApplication's impact is its runs':
// listed under the schedule's name, with each run's composition and
// verdict.
func TestDiffOfSchedule(t *testing.T) {
	head := exampleRevisions(t)
	r := composer(t, "", "diff", "-f", filepath.Join(examples, "apps", "etl-report-nightly.yaml"), "--cluster", "prod-a", "--pool", "batch",
		"--base-ref", "HEAD", "--head", head, "-o", "json")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	var report diffReport
	if err := json.Unmarshal([]byte(r.out), &report); err != nil {
		t.Fatalf("-o json: %v\n%s", err, r.out)
	}
	if len(report.Objects) != 1 {
		t.Fatalf("objects = %+v, want the schedule", report.Objects)
	}
	d := report.Objects[0]
	if d.Kind != "ScheduledSparkApplication" || d.Namespace != "etl" || d.Name != "etl-report-nightly" || !d.Before.Allowed {
		t.Errorf("the schedule's diff = %+v", d)
	}
	if !d.changed() {
		t.Error("the change of limits.maxPodCPU does not reach the schedule's runs")
	}
}

// TestDiffOfPodGroups: no layer composes a PodGroup, but a change of the
// layers' isolation flips its verdict, and diff says so.
func TestDiffOfPodGroups(t *testing.T) {
	head := filepath.Join("testdata", "dryrun", "podgroups")
	layers, err := os.ReadFile(filepath.Join(head, "layers.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	before := strings.Replace(string(layers), "      allowedPriorityClasses: [spark-low]\n", "", 1)
	if before == string(layers) {
		t.Fatal("the podgroups repository no longer holds priority classes to an allowlist")
	}
	if err := os.WriteFile(filepath.Join(base, "layers.yaml"), []byte(before), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"diff", "-f", filepath.Join("testdata", "dryrun", "pods", "podgroups.yaml"), "--base", base, "--head", head,
		"--cluster", "prod-a", "--pool", "batch", "--fail-on-deny"}
	r := composer(t, "", args...)
	want := `PodGroup etl/gang-top
  verdict: allowed -> denied
    new: deny: isolation: PodGroup "gang-top": spec.priorityClassName "system-cluster-critical" is not allowed for tenants; allowed: spark-low (ClusterOverrides layer "prod-a-isolation")

Summary: 1 of 4 objects change
  etl/podgroup: 1
Verdicts: 1 flip from allow to deny, 0 from deny to allow
`
	if r.code != ExitDenied || r.out != want {
		t.Fatalf("exit %d, stdout:\n%s\nwant:\n%s\nstderr: %s", r.code, r.out, want, r.err)
	}
}

// TestDiffOfAnInvalidComposition: a change whose layers compose a pod, or
// a SparkApplication, into one the API server would refuse flips its
// verdict to the webhook's refusal, named under the composition policy,
// as any denial; the diff goes on (no exit 2 for bad input), and
// --fail-on-deny fails it.
func TestDiffOfAnInvalidComposition(t *testing.T) {
	dir := filepath.Join("testdata", "dryrun")
	args := []string{"diff", "-f", filepath.Join(dir, "pods", "driver.yaml"), "--base", filepath.Join(dir, "repo"), "--head", filepath.Join(dir, "invalid"),
		"--cluster", "prod-a", "--pool", "batch"}
	r := composer(t, "", args...)
	const refusal = `new: deny: composition: Pod "etl/report-driver": spec.containers[spark-kubernetes-driver].volumeMounts[/var/log/app]: names volume "logs", which the pod does not have (ClusterOverrides layer "prod-a-logs")`
	if r.code != ExitOK || !strings.Contains(r.out, "verdict: allowed -> denied") || !strings.Contains(r.out, refusal) ||
		!strings.Contains(r.out, "Verdicts: 1 flip from allow to deny") {
		t.Errorf("exit %d, want 0 and the driver's verdict flipped by %q:\n%s%s", r.code, refusal, r.out, r.err)
	}
	if r := composer(t, "", append(args, "--fail-on-deny")...); r.code != ExitDenied {
		t.Errorf("--fail-on-deny: exit %d, want %d: %s", r.code, ExitDenied, r.err)
	}
	app := composer(t, "", "diff", "-f", filepath.Join(dir, "pods", "driver.yaml")+","+filepath.Join(dir, "pods", "app.yaml"),
		"--base", filepath.Join(dir, "repo"), "--head", filepath.Join(dir, "invalid-app"), "--cluster", "prod-a", "--pool", "batch", "--fail-on-deny")
	const appRefusal = `new: deny: composition: SparkApplication "etl/report": spec.volumes[cfg]: the driver's and the executors' layers define it differently`
	if app.code != ExitDenied || !strings.Contains(app.out, "SparkApplication etl/report\n  verdict: allowed -> denied") || !strings.Contains(app.out, appRefusal) {
		t.Errorf("an application: exit %d, want %d and its verdict flipped by %q:\n%s%s", app.code, ExitDenied, appRefusal, app.out, app.err)
	}
	if !strings.Contains(app.out, "Pod etl/report-driver") {
		t.Errorf("the pod beside the application is not diffed:\n%s", app.out)
	}
}

// TestDiffTakesTheClusterConfigAsComposeDoes: a --cluster-config Namespace
// replaces the repository's of its name, and --namespace-labels then label
// it, in composer diff as in composer compose. The example repository
// labels geo-maps group=geo, which geo's layer selects; the cluster's file
// holds it unlabelled.
func TestDiffTakesTheClusterConfigAsComposeDoes(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "layers"), os.DirFS(filepath.Join(examples, "layers"))); err != nil {
		t.Fatal(err)
	}
	layer := filepath.Join(dir, "layers", "tenants", "geo", "layer.yaml")
	data, err := os.ReadFile(layer)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(data), "team: geo\n", "team: geo-maps\n", 1)
	if changed == string(data) {
		t.Fatal("the example geo layer changed shape: update the test's change")
	}
	clusterConfig := filepath.Join(dir, "cluster.yaml")
	for file, content := range map[string]string{layer: changed, clusterConfig: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: geo-maps\n"} {
		if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pod := filepath.Join(examples, "pods", "geo-executor.yaml")
	head := filepath.Join(dir, "layers", "clusters", "prod-a")
	for _, tc := range []struct {
		name       string
		labels     []string
		team       string // the label compose gives the pod; "" for none
		diffChange string // what diff reports
	}{
		{"the file's namespace, unlabelled, replaces the repository's", nil, "", "Summary: 0 of 1 objects change"},
		{"--namespace-labels label the file's namespace", []string{"--namespace-labels", "group=geo"}, "geo-maps",
			`metadata.labels.team  "geo"  ->  "geo-maps"  NamespaceOverrides layer "ns-geo"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--cluster", "prod-a", "--pool", "batch", "--cluster-config", clusterConfig, "-f", pod}, tc.labels...)
			compose := composer(t, "", append([]string{"compose", "--layers", head, "-o", "json"}, args...)...)
			if compose.code != ExitOK {
				t.Fatalf("compose: exit %d: %s", compose.code, compose.err)
			}
			var composed corev1.Pod
			if err := json.Unmarshal([]byte(compose.out), &composed); err != nil {
				t.Fatalf("compose -o json: %v\n%s", err, compose.out)
			}
			if got := composed.Labels["team"]; got != tc.team {
				t.Errorf("compose: label team %q, want %q", got, tc.team)
			}
			diff := composer(t, "", append([]string{"diff", "--base", filepath.Join(examples, "layers", "clusters", "prod-a"), "--head", head}, args...)...)
			if diff.code != ExitOK || !strings.Contains(diff.out, tc.diffChange) {
				t.Errorf("diff: exit %d, want 0 and %q:\n%s%s", diff.code, tc.diffChange, diff.out, diff.err)
			}
		})
	}
}
