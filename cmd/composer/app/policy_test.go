package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	args := func(pods string, extra ...string) []string {
		return append(append(exampleArgs(pods, "clusters/prod-a", "prod-a", "batch"), "--validate", "-o", "patch"), extra...)
	}
	if r := composer(t, "", args("driver.yaml")...); r.code != ExitOK || r.err != "" {
		t.Fatalf("example driver: exit %d, stderr %q", r.code, r.err)
	}
	r := composer(t, "", args("oversized-driver.yaml")...)
	if r.code != ExitDenied {
		t.Fatalf("oversized driver: exit %d, want %d", r.code, ExitDenied)
	}
	want := `Pod etl/huge-join-0c1d2e3f4a5b6c7d-driver: deny: quota: pod requests 64050m CPU; group "core-data" allows at most 16 per pod (NamespaceOverrides layer "ns-etl")`
	if !strings.Contains(r.err, want) || !strings.HasPrefix(r.out, "[") {
		t.Errorf("stderr %q lacks %q, or the patch was not printed: %q", r.err, want, r.out)
	}
	// geo's quota is warn: reported, not denied.
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join(examples, "..", "examples", "tests", "pods", "geo-big-executor.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	geo := filepath.Join(dir, "geo.yaml")
	if err := os.WriteFile(geo, data, 0o644); err != nil {
		t.Fatal(err)
	}
	r = composer(t, "", "compose", "-f", geo, "--layers", filepath.Join(examples, "layers", "clusters/prod-a"), "--cluster", "prod-a", "--pool", "batch", "--validate")
	if r.code != ExitOK || !strings.Contains(r.err, "warn: quota: pod requests 12070m CPU") {
		t.Errorf("warn violation: exit %d stderr %q", r.code, r.err)
	}
}

func TestValidateWithSitePolicies(t *testing.T) {
	dir := t.TempDir()
	rego := "package strata.naming\n\nimport rego.v1\n\nviolation contains {\"message\": msg} if {\n\tnot startswith(input.pod.metadata.name, \"team-\")\n\tmsg := sprintf(\"pod %q must start with team-\", [input.pod.metadata.name])\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "naming.rego"), []byte(rego), 0o644); err != nil {
		t.Fatal(err)
	}
	r := composer(t, "", append(exampleArgs("driver.yaml", "clusters/prod-a", "prod-a", "batch"), "--validate", "--policies", dir)...)
	if r.code != ExitDenied || !strings.Contains(r.err, `deny: naming: pod "spark-pi-4f2a1c8e0d7b9a61-driver" must start with team-`) {
		t.Fatalf("site policy: exit %d stderr %q", r.code, r.err)
	}
	if err := os.WriteFile(filepath.Join(dir, "broken.rego"), []byte("package strata.broken\n\nviolation contains x if {"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = composer(t, "", append(exampleArgs("driver.yaml", "clusters/prod-a", "prod-a", "batch"), "--validate", "--policies", dir)...)
	// Policies that do not compile are an error before anything is
	// printed: no composition on stdout for a script to take as the result.
	if r.code != ExitInput || !strings.Contains(r.err, "broken.rego:") || r.out != "" {
		t.Fatalf("broken policy: exit %d stdout %q stderr %q", r.code, r.out, r.err)
	}
	r = composer(t, "", append(exampleArgs("driver.yaml", "clusters/prod-a", "prod-a", "batch"), "--validate", "--policies", filepath.Join(dir, "none"))...)
	if r.code != ExitInput || !strings.Contains(r.err, "not a directory of .rego files") || r.out != "" {
		t.Fatalf("missing policies: exit %d stdout %q stderr %q", r.code, r.out, r.err)
	}
}

func TestPolicyTestCommand(t *testing.T) {
	r := composer(t, "", "test", filepath.Join(examples, "tests"))
	if r.code != ExitOK || !strings.Contains(r.out, "46 passed, 0 failed") {
		t.Fatalf("example tests: exit %d\n%s%s", r.code, r.out, r.err)
	}
	// The suites' Layers are warned of as the Layer webhook warns of them,
	// each warning once: what the API server would refuse of the pods a
	// Layer composes among them (the critical-quota suite's cluster has no
	// quota of the drivers' class; the pod-security suite's Layer mounts a
	// hostPath where baseline is enforced).
	for _, want := range []string{
		`Layer "ns-etl": spec: the API server will refuse the Spark driver pods this Layer composes in namespace "etl": insufficient quota to match these scopes: [{PriorityClass In [spark-driver-critical]}]`,
		`Layer "etl-node-logs": spec: the Spark driver and executor pods this Layer composes in namespace "etl" break the Pod Security "baseline:latest" enforced there: hostPath volumes`,
	} {
		if n := strings.Count(r.err, want); n != 1 {
			t.Errorf("warned %d times of %q, want once:\n%s", n, want, r.err)
		}
	}
	// A case whose expectation is wrong fails, with what differs.
	dir := t.TempDir()
	abs, err := filepath.Abs(examples)
	if err != nil {
		t.Fatal(err)
	}
	suite := `apiVersion: strata.dev/v1alpha1
kind: PolicyTest
metadata: {name: wrong}
layers: ` + filepath.Join(abs, "layers/clusters/prod-a") + `
cluster: prod-a
pool: batch
cases:
  - name: expects the oversized driver to pass
    pod: ` + filepath.Join(abs, "pods/oversized-driver.yaml") + `
    expect: {allowed: true}
`
	if err := os.WriteFile(filepath.Join(dir, "t.yaml"), []byte(suite), 0o644); err != nil {
		t.Fatal(err)
	}
	r = composer(t, "", "test", dir)
	if r.code != ExitDenied || !strings.Contains(r.out, "FAIL  wrong/expects the oversized driver to pass") ||
		!strings.Contains(r.out, "allowed: got false, want true") || !strings.Contains(r.out, "unexpected violation: [quota/deny] quota: pod requests 64050m CPU") ||
		!strings.Contains(r.out, "0 passed, 1 failed") {
		t.Fatalf("failing case: exit %d\n%s%s", r.code, r.out, r.err)
	}
	// Every document of a multi-document file runs: the second suite's
	// failing case is reported, not hidden behind a passing first one.
	passing := strings.NewReplacer("metadata: {name: wrong}", "metadata: {name: right}", "expect: {allowed: true}", "expect: {allowed: false, violations: [{policy: quota, message: 'quota: pod requests 64050m CPU; group \"core-data\" allows at most 16 per pod (NamespaceOverrides layer \"ns-etl\")'}, {policy: quota, message: 'quota: pod requests 204864Mi memory; group \"core-data\" allows at most 64Gi per pod (NamespaceOverrides layer \"ns-etl\")'}]}").Replace(suite)
	if err := os.WriteFile(filepath.Join(dir, "t.yaml"), []byte(passing+"---\n"+suite), 0o644); err != nil {
		t.Fatal(err)
	}
	r = composer(t, "", "test", dir)
	if r.code != ExitDenied || !strings.Contains(r.out, "PASS  right/") || !strings.Contains(r.out, "FAIL  wrong/") || !strings.Contains(r.out, "1 passed, 1 failed") {
		t.Fatalf("multi-document file: exit %d\n%s%s", r.code, r.out, r.err)
	}
	// A misspelt cluster would apply the cluster's layers to no case.
	if err := os.WriteFile(filepath.Join(dir, "t.yaml"), []byte(strings.Replace(suite, "cluster: prod-a", "cluster: prod-aa", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	r = composer(t, "", "test", dir)
	if r.code != ExitInput || !strings.Contains(r.err, `PolicyTest "wrong": cluster: "prod-aa" is named by no Layer of`) || !strings.Contains(r.err, "the Layers name: prod-a") {
		t.Fatalf("misspelt cluster: exit %d stderr %q", r.code, r.err)
	}
	// Bad input: an unknown field in a case.
	if err := os.WriteFile(filepath.Join(dir, "t.yaml"), []byte(strings.Replace(suite, "expect:", "expects:", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	r = composer(t, "", "test", dir)
	if r.code != ExitInput || !strings.Contains(r.err, `t.yaml: PolicyTest "wrong": unknown field "cases[0].expects"`) {
		t.Fatalf("bad test file: exit %d stderr %q", r.code, r.err)
	}
	// And a value of the wrong type, named with its case.
	if err := os.WriteFile(filepath.Join(dir, "t.yaml"), []byte(strings.Replace(suite, "expect:", "inventory: {appExecutors: \"19\"}\n    expect:", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	r = composer(t, "", "test", dir)
	if r.code != ExitInput || !strings.Contains(r.err, `t.yaml: PolicyTest "wrong": cases[0].inventory.appExecutors: expected int64, got JSON string`) {
		t.Fatalf("bad test file: exit %d stderr %q", r.code, r.err)
	}
	// A schedule is judged as the webhook judges it, in a namespace that
	// runs nothing else: an inventory would be a setting the case drops.
	scheduled := strings.Replace(suite, "    pod: "+filepath.Join(abs, "pods/oversized-driver.yaml"),
		"    app: "+filepath.Join(abs, "apps/etl-report-nightly.yaml")+"\n    inventory: {namespace: {cpu: \"199\"}}", 1)
	if err := os.WriteFile(filepath.Join(dir, "t.yaml"), []byte(scheduled), 0o644); err != nil {
		t.Fatal(err)
	}
	r = composer(t, "", "test", dir)
	if r.code != ExitInput || !strings.Contains(r.err, "etl-report-nightly.yaml: inventory: a ScheduledSparkApplication is judged by its run in a namespace that runs nothing else") {
		t.Fatalf("a schedule with an inventory: exit %d stderr %q", r.code, r.err)
	}
	// So is a suspended app.
	app, err := os.ReadFile(filepath.Join(abs, "apps/etl-report.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	suspendedApp := filepath.Join(dir, "suspended.yaml")
	if err := os.WriteFile(suspendedApp, []byte(strings.Replace(string(app), "spec:\n", "spec:\n  suspend: true\n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	suspended := strings.Replace(scheduled, filepath.Join(abs, "apps/etl-report-nightly.yaml"), suspendedApp, 1)
	if err := os.WriteFile(filepath.Join(dir, "t.yaml"), []byte(suspended), 0o644); err != nil {
		t.Fatal(err)
	}
	r = composer(t, "", "test", dir)
	if r.code != ExitInput || !strings.Contains(r.err, "suspended.yaml: inventory: a suspended SparkApplication is judged in a namespace that runs nothing else") {
		t.Fatalf("a suspended app with an inventory: exit %d stderr %q", r.code, r.err)
	}
	if r := composer(t, "", "test", t.TempDir()); r.code != ExitInput || !strings.Contains(r.err, "no PolicyTest cases found") {
		t.Fatalf("empty dir: exit %d stderr %q", r.code, r.err)
	}
}

// TestValidateJudgesEveryPod: --validate judges a pod without a Spark role
// as the webhook does.
func TestValidateJudgesEveryPod(t *testing.T) {
	pod := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"etl"},"spec":{"containers":[{"name":"web","image":"docker.io/library/nginx:1.27","securityContext":{"privileged":true}}]}}`
	r := composer(t, pod, "compose", "-f", "-", "--layers", filepath.Join(examples, "layers", "clusters", "prod-a"),
		"--cluster", "prod-a", "--pool", "batch", "--validate")
	if r.code != ExitDenied || !strings.Contains(r.err, `container "web" must not set securityContext.privileged=true`) ||
		!strings.Contains(r.err, "is not from an allowed registry") {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.err)
	}
}

// TestPolicyTestOfPodGroups: a case judges a PodGroup as the webhook does;
// an expectation that differs fails with what differs.
func TestPolicyTestOfPodGroups(t *testing.T) {
	dir := t.TempDir()
	repo, err := filepath.Abs(filepath.Join("testdata", "dryrun", "podgroups"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, content string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	group := func(name, spec string) string {
		return write(name+".pg", "apiVersion: scheduling.volcano.sh/v1beta1\nkind: PodGroup\nmetadata: {name: "+name+", namespace: etl}\nspec: "+spec+"\n")
	}
	pod, err := filepath.Abs(filepath.Join(examples, "pods", "driver.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	top, low := group("top", "{minMember: 2, priorityClassName: system-cluster-critical, queue: etl}"), group("low", "{minMember: 2, priorityClassName: spark-low}")
	const denial = `isolation: PodGroup "top": spec.priorityClassName "system-cluster-critical" is not allowed for tenants; allowed: spark-low (ClusterOverrides layer "prod-a-isolation")`
	suite := "apiVersion: strata.dev/v1alpha1\nkind: PolicyTest\nmetadata: {name: gangs}\nlayers: " + repo + "\ncluster: prod-a\npool: batch\ncases:\n" +
		"  - {name: a reserved class, podGroup: " + top + ", expect: {allowed: false, violations: [{policy: isolation, message: '" + denial + "'}]}}\n" +
		"  - {name: spark-low, podGroup: " + low + ", expect: {allowed: true}}\n" +
		"  - {name: expects the reserved class to pass, podGroup: " + top + ", expect: {allowed: true}}\n"
	write("t.yaml", suite)
	r := composer(t, "", "test", dir)
	if r.code != ExitDenied || !strings.Contains(r.out, "PASS  gangs/a reserved class\n") || !strings.Contains(r.out, "PASS  gangs/spark-low\n") ||
		!strings.Contains(r.out, "FAIL  gangs/expects the reserved class to pass\n") || !strings.Contains(r.out, "unexpected violation: [isolation/deny] "+denial) ||
		!strings.Contains(r.out, "2 passed, 1 failed") {
		t.Fatalf("exit %d\n%s%s", r.code, r.out, r.err)
	}
	// A podGroup file must hold exactly one PodGroup.
	write("t.yaml", strings.Replace(suite, "podGroup: "+low, "podGroup: "+pod, 1))
	if r := composer(t, "", "test", dir); r.code != ExitInput || !strings.Contains(r.err, "driver.yaml: want exactly one PodGroup, got 1 objects") {
		t.Fatalf("a pod as a PodGroup: exit %d stderr %q", r.code, r.err)
	}
}

// TestPodSecurityOfARepository: the composer warns, as it loads a
// repository, of a Layer whose additions break the Pod Security level a
// namespace it matches enforces (examples/tests/pod-security: etl
// enforces baseline, etl-node-logs mounts a hostPath), and predicts the
// API server's refusal of the pods it composes there.
func TestPodSecurityOfARepository(t *testing.T) {
	repo := filepath.Join(examples, "tests", "pod-security")
	r := composer(t, "", "compose", "-f", filepath.Join(examples, "pods", "executor.yaml"), "--layers", repo,
		"--cluster", "prod-a", "--pool", "batch", "--validate", "-o", "patch")
	for _, want := range []string{
		`Layer "etl-node-logs": spec: the Spark driver and executor pods this Layer composes in namespace "etl" break the Pod Security "baseline:latest" enforced there: ` +
			`hostPath volumes (volume "node-logs"); added: volume "node-logs" (ClusterOverrides layer "etl-node-logs")`,
		`deny: pod-security: violates PodSecurity "baseline:latest": hostPath volumes (volume "node-logs")`,
	} {
		if !strings.Contains(r.err, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.err)
		}
	}
	if r.code != ExitDenied {
		t.Errorf("exit %d, want %d", r.code, ExitDenied)
	}
}

// TestPodSecurityConfigurationOfTheCluster: with the API server's
// PodSecurity admission configuration in --cluster-config, the composer
// warns of a Layer and predicts the refusal of its pods where a namespace
// without labels gets the configuration's default level, and of neither
// where the configuration exempts the namespace or is not given.
func TestPodSecurityConfigurationOfTheCluster(t *testing.T) {
	dir := t.TempDir()
	layer, err := os.ReadFile(filepath.Join(examples, "tests", "pod-security", "node-logs.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const (
		etl      = "apiVersion: v1\nkind: Namespace\nmetadata: {name: etl}\n---\n"
		baseline = "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\ndefaults: {enforce: baseline}\n"
	)
	exempt := "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n  configuration:\n" +
		"    apiVersion: pod-security.admission.config.k8s.io/v1\n    kind: PodSecurityConfiguration\n    defaults: {enforce: baseline}\n    exemptions: {namespaces: [etl]}\n"
	for name, content := range map[string]string{"layers/node-logs.yaml": string(layer), "default.yaml": etl + baseline, "exempt.yaml": etl + exempt, "none.yaml": etl} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const (
		warning = `Layer "etl-node-logs": spec: the Spark driver and executor pods this Layer composes in namespace "etl" break the Pod Security "baseline:latest" enforced there`
		denial  = `deny: pod-security: violates PodSecurity "baseline:latest": hostPath volumes (volume "node-logs") (the API server's PodSecurity admission, ` +
			`by its configuration's default level, namespace "etl" having no pod-security.kubernetes.io/enforce label, refuses the pod before any validating webhook`
	)
	for _, tc := range []struct {
		config string
		denied bool
	}{{"default.yaml", true}, {"exempt.yaml", false}, {"none.yaml", false}} {
		r := composer(t, "", "compose", "-f", filepath.Join(examples, "pods", "executor.yaml"), "--layers", filepath.Join(dir, "layers"),
			"--cluster-config", filepath.Join(dir, tc.config), "--cluster", "prod-a", "--pool", "batch", "--validate", "-o", "patch")
		if got := strings.Contains(r.err, warning) && strings.Contains(r.err, denial) && r.code == ExitDenied; got != tc.denied {
			t.Errorf("--cluster-config %s: exit %d, stderr:\n%s\nwant the Layer warned of and the pod refused: %v", tc.config, r.code, r.err, tc.denied)
		}
		if !tc.denied && (r.code != ExitOK || strings.Contains(r.err, "Pod Security")) {
			t.Errorf("--cluster-config %s: exit %d, stderr:\n%s", tc.config, r.code, r.err)
		}
	}
	// --as names who creates the pod: an exempt user's is neither refused
	// nor warned of, in the explanation as in the webhook's answer;
	// another user's is both.
	users := filepath.Join(dir, "users.yaml")
	if err := os.WriteFile(users, []byte(etl+baseline+"exemptions: {usernames: [ci-submitter]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		as     string
		denied bool
	}{{"ci-submitter", false}, {"ci-other", true}, {"", true}} {
		r := composer(t, "", "compose", "-f", filepath.Join(examples, "pods", "executor.yaml"), "--layers", filepath.Join(dir, "layers"),
			"--cluster-config", users, "--cluster", "prod-a", "--pool", "batch", "--validate", "-o", "explain", "--as", tc.as)
		refused := r.code == ExitDenied && strings.Contains(r.err, denial)
		warned := strings.Contains(r.out, `Warning: Pod Security "baseline:latest" (enforced on namespace "etl")`)
		if refused != tc.denied || warned != tc.denied || (!tc.denied && r.code != ExitOK) {
			t.Errorf("--as %q: exit %d, refused %v, warned %v, want both %v\n%s\n%s", tc.as, r.code, refused, warned, tc.denied, r.out, r.err)
		}
	}

	// composer test takes the same configuration (podSecurity).
	executor, err := filepath.Abs(filepath.Join(examples, "pods", "executor.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	suite := `apiVersion: strata.dev/v1alpha1
kind: PolicyTest
metadata: {name: psa-default}
layers: layers
podSecurity: psa.yaml
cluster: prod-a
pool: batch
cases:
  - name: refused by the default level
    pod: ` + executor + `
    expect:
      allowed: false
      violations:
        - policy: pod-security
          message: 'pod-security: violates PodSecurity "baseline:latest": hostPath volumes (volume "node-logs") (the API server''s PodSecurity admission, by its configuration''s default level, namespace "etl" having no pod-security.kubernetes.io/enforce label, refuses the pod before any validating webhook, unless its configuration exempts it)'
  - name: a label over the default
    pod: ` + executor + `
    namespaceLabels: {pod-security.kubernetes.io/enforce: privileged}
    expect: {allowed: true}
  - name: created by an exempt user
    pod: ` + executor + `
    user: ci-submitter
    expect: {allowed: true}
  - name: created by another user
    pod: ` + executor + `
    user: ci-other
    expect:
      allowed: false
      violations:
        - policy: pod-security
          message: 'pod-security: violates PodSecurity "baseline:latest": hostPath volumes (volume "node-logs") (the API server''s PodSecurity admission, by its configuration''s default level, namespace "etl" having no pod-security.kubernetes.io/enforce label, refuses the pod before any validating webhook, unless its configuration exempts it)'
`
	for name, content := range map[string]string{"psa.yaml": baseline + "exemptions: {usernames: [ci-submitter]}\n", "suite/t.yaml": suite} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "suite", "t.yaml"), []byte(strings.NewReplacer("layers: layers", "layers: ../layers", "podSecurity: psa.yaml", "podSecurity: ../psa.yaml").Replace(suite)), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := composer(t, "", "test", filepath.Join(dir, "suite")); r.code != ExitOK || !strings.Contains(r.out, "4 passed, 0 failed") {
		t.Errorf("composer test with podSecurity: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	// admission is podSecurity's name now; a suite has one of them.
	for _, tc := range []struct {
		replace  string
		ok       bool
		contains string
	}{
		{"admission: ../psa.yaml", true, "4 passed, 0 failed"},
		{"admission: ../psa.yaml\npodSecurity: ../psa.yaml", false, `PolicyTest "psa-default": admission and podSecurity: want one`},
	} {
		if err := os.WriteFile(filepath.Join(dir, "suite", "t.yaml"), []byte(strings.NewReplacer("layers: layers", "layers: ../layers", "podSecurity: psa.yaml", tc.replace).Replace(suite)), 0o600); err != nil {
			t.Fatal(err)
		}
		if r := composer(t, "", "test", filepath.Join(dir, "suite")); (r.code == ExitOK) != tc.ok || !strings.Contains(r.out+r.err, tc.contains) {
			t.Errorf("composer test with %q: exit %d\n%s\n%s", tc.replace, r.code, r.out, r.err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "suite", "t.yaml"), []byte(strings.NewReplacer("layers: layers", "layers: ../layers", "podSecurity: psa.yaml", "podSecurity: ../none.yaml").Replace(suite)), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := composer(t, "", "test", filepath.Join(dir, "suite")); r.code == ExitOK || !strings.Contains(r.err, `PolicyTest "psa-default": podSecurity: `) {
		t.Errorf("composer test with a podSecurity that is not there: exit %d\n%s%s", r.code, r.out, r.err)
	}

	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte(strings.Replace(baseline, "baseline", "strict", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	r := composer(t, "", "compose", "-f", filepath.Join(examples, "pods", "executor.yaml"), "--layers", filepath.Join(dir, "layers"),
		"--cluster-config", bad, "--cluster", "prod-a", "--pool", "batch")
	if r.code != ExitInput || !strings.Contains(r.err, bad+`: PodSecurityConfiguration: defaults.enforce: Invalid value: "strict"`) {
		t.Errorf("an unknown default level: exit %d, stderr %q", r.code, r.err)
	}
}

// TestValidateSeesTheUsersGroups: --validate judges a pod created by --as
// in its --as-group groups, with those the API server gives every user,
// as the validating webhook sees them (input.request.userInfo.groups).
func TestValidateSeesTheUsersGroups(t *testing.T) {
	dir := t.TempDir()
	rego := "package strata.groups\n\nimport rego.v1\n\nviolation contains {\"message\": msg} if {\n\tsome g in input.request.userInfo.groups\n\tg in {\"frozen\", \"system:serviceaccounts:etl\"}\n\tmsg := sprintf(\"%s may not create pods (group %s)\", [input.request.userInfo.username, g])\n}\n\nviolation contains {\"message\": \"not authenticated\"} if {\n\tinput.request.userInfo.username != \"\"\n\tnot authenticated\n}\n\nauthenticated if \"system:authenticated\" in object.get(input.request.userInfo, \"groups\", [])\n"
	if err := os.WriteFile(filepath.Join(dir, "groups.rego"), []byte(rego), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append(exampleArgs("driver.yaml", "clusters/prod-a", "prod-a", "batch"), "--validate", "--policies", dir)
	for _, tc := range []struct {
		as   []string
		want string // "" for allowed
	}{
		{[]string{"--as", "alice"}, ""},
		{[]string{"--as", "alice", "--as-group", "etl-admins,frozen"}, "deny: groups: alice may not create pods (group frozen)"},
		{[]string{"--as", "system:serviceaccount:etl:spark"}, "deny: groups: system:serviceaccount:etl:spark may not create pods (group system:serviceaccounts:etl)"},
	} {
		r := composer(t, "", append(args, tc.as...)...)
		switch {
		case tc.want == "" && r.code != ExitOK:
			t.Errorf("%v: exit %d stderr %q", tc.as, r.code, r.err)
		case tc.want != "" && (r.code != ExitDenied || !strings.Contains(r.err, tc.want)):
			t.Errorf("%v: exit %d stderr %q, want %q", tc.as, r.code, r.err, tc.want)
		}
	}
}

// TestPolicyTestCaseGroups: a composer test case's user is judged in its
// groups, as --as-group; groups without a user are an error naming the
// field.
func TestPolicyTestCaseGroups(t *testing.T) {
	dir := t.TempDir()
	write := writerIn(t, dir)
	write("policies/groups.rego", "package strata.groups\n\nimport rego.v1\n\nviolation contains {\"message\": \"frozen\"} if \"frozen\" in input.request.userInfo.groups\n")
	if err := os.CopyFS(filepath.Join(dir, "layers"), os.DirFS(filepath.Join(examples, "layers"))); err != nil {
		t.Fatal(err)
	}
	write("pod.yaml", readFile(t, filepath.Join(examples, "pods", "driver.yaml")))
	suite := func(groups string) string {
		return write("t.yaml", `apiVersion: strata.dev/v1alpha1
kind: PolicyTest
metadata: {name: groups}
layers: layers/clusters/prod-a
cluster: prod-a
pool: batch
policies: policies
cases:
  - name: a frozen user
    pod: pod.yaml
`+groups+`    expect:
      allowed: false
      violations:
      - {policy: groups, message: "groups: frozen"}
`)
	}
	if r := composer(t, "", "test", suite("    user: alice\n    groups: [frozen]\n")); r.code != ExitOK {
		t.Errorf("in the group: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	if r := composer(t, "", "test", suite("    user: alice\n")); r.code != ExitDenied {
		t.Errorf("not in the group: exit %d, want the case to fail\n%s\n%s", r.code, r.out, r.err)
	}
	if r := composer(t, "", "test", suite("    groups: [frozen]\n")); r.code != ExitInput || !strings.Contains(r.err, "user") {
		t.Errorf("groups without a user: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
}

// TestOperatorUser: an application's driver pod is created by the Spark
// Operator, its executors by the driver's service account. Where the
// PodSecurity admission's configuration exempts both, --operator-user
// naming the operator's user has --validate admit the application whose
// pods a Layer's hostPath volume breaks; without it the driver is
// predicted refused. composer test takes it as operatorUser.
func TestOperatorUser(t *testing.T) {
	dir := t.TempDir()
	write := writerIn(t, dir)
	write("layers/node-logs.yaml", readFile(t, filepath.Join(examples, "tests", "pod-security", "node-logs.yaml")))
	const operator = "system:serviceaccount:spark-operator:spark-operator"
	psa := "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\ndefaults: {enforce: baseline}\n" +
		"exemptions: {usernames: [" + operator + ", system:serviceaccount:etl:default]}\n"
	write("psa.yaml", psa)
	write("cluster.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: etl}\n---\n"+psa)
	app := write("app.yaml", reportApp("etl", "1g"))
	compose := func(more ...string) run {
		return composer(t, "", append([]string{"compose", "-f", app, "--layers", filepath.Join(dir, "layers"), "--cluster-config", filepath.Join(dir, "cluster.yaml"),
			"--cluster", "prod-a", "--pool", "batch", "--validate", "-o", "patch"}, more...)...)
	}
	const refused = `driver pod: violates PodSecurity "baseline:latest": hostPath volumes (volume "node-logs")`
	if r := compose(); r.code != ExitDenied || !strings.Contains(r.err, refused) {
		t.Errorf("the operator not known: exit %d, stderr:\n%s\nwant %q", r.code, r.err, refused)
	}
	if r := compose("--operator-user", operator); r.code != ExitOK {
		t.Errorf("--operator-user: exit %d, stderr:\n%s", r.code, r.err)
	}
	if r := compose("--operator-user", "system:serviceaccount:spark-operator"); r.code != ExitInput ||
		!strings.Contains(r.err, `--operator-user: "system:serviceaccount:spark-operator" is not a service account's user name`) {
		t.Errorf("--operator-user misspelt: exit %d, stderr:\n%s", r.code, r.err)
	}
	// -o explain warns of the driver the operator creates as the webhook
	// does, by the same exemption.
	explain := func(more ...string) run {
		return composer(t, "", append([]string{"compose", "-f", app, "--layers", filepath.Join(dir, "layers"), "--cluster-config", filepath.Join(dir, "cluster.yaml"),
			"--cluster", "prod-a", "--pool", "batch", "-o", "explain"}, more...)...)
	}
	const warned = `driver: the pod it launches: Pod Security "baseline:latest"`
	if r := explain(); r.code != ExitOK || !strings.Contains(r.out, warned) {
		t.Errorf("-o explain, the operator not known: exit %d, want %q in:\n%s\n%s", r.code, warned, r.out, r.err)
	}
	if r := explain("--operator-user", operator); r.code != ExitOK || strings.Contains(r.out, warned) || strings.Contains(r.out, "the pod it launches") {
		t.Errorf("-o explain --operator-user: exit %d, want no warning of the launched pods in:\n%s\n%s", r.code, r.out, r.err)
	}
	suite := write("t.yaml", `apiVersion: strata.dev/v1alpha1
kind: PolicyTest
metadata: {name: operator}
layers: layers
podSecurity: psa.yaml
cluster: prod-a
pool: batch
operatorUser: `+operator+`
cases:
  - name: its pods created by exempt users
    app: app.yaml
    expect: {allowed: true}
`)
	wantOnePassed(t, suite)
	// composer diff, of the layer's coming: the application's verdict
	// flips unless the operator is known; an executor's unless its
	// creator (--as) is exempt.
	if err := os.MkdirAll(filepath.Join(dir, "before"), 0o750); err != nil {
		t.Fatal(err)
	}
	pod := write("executor.yaml", readFile(t, filepath.Join(examples, "pods", "executor.yaml")))
	diff := func(file string, more ...string) run {
		return composer(t, "", append([]string{"diff", "-f", file, "--base", filepath.Join(dir, "before"), "--head", filepath.Join(dir, "layers"),
			"--cluster-config", filepath.Join(dir, "cluster.yaml"), "--cluster", "prod-a", "--pool", "batch", "--fail-on-deny"}, more...)...)
	}
	for _, tc := range []struct {
		file    string
		flags   []string
		flipped bool
	}{
		{app, nil, true},
		{app, []string{"--operator-user", operator}, false},
		{pod, nil, true},
		{pod, []string{"--as", "system:serviceaccount:etl:default"}, false},
		{pod, []string{"--as", "system:serviceaccount:etl:other"}, true},
	} {
		r := diff(tc.file, tc.flags...)
		if want := map[bool]ExitCode{true: ExitDenied, false: ExitOK}[tc.flipped]; r.code != want ||
			strings.Contains(r.out, "1 flip from allow to deny") != tc.flipped {
			t.Errorf("diff %s %q: exit %d, want %d:\n%s\n%s", filepath.Base(tc.file), tc.flags, r.code, want, r.out, r.err)
		}
	}
	if r := diff(app, "--operator-user", "system:serviceaccount:spark-operator"); r.code != ExitInput || !strings.Contains(r.err, "--operator-user: ") {
		t.Errorf("diff --operator-user misspelt: exit %d\n%s", r.code, r.err)
	}
}
