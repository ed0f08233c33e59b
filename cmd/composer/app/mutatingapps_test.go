package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
)

// appMutatingPolicy is a MutatingAdmissionPolicy of one mutation over the
// creation of SparkApplications, bound to namespace.
func appMutatingPolicy(name, patchType, expr, extra, namespace string) string {
	return over("v1beta2", "sparkapplications", mutatingPolicy(name, patchType, expr, extra, namespace))
}

// over is policy, mutatingPolicy's, over the creation of the Spark
// Operator's resource of version instead of pods.
func over(version, resource, policy string) string {
	return strings.Replace(policy, `resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]`,
		`resourceRules: [{apiGroups: [sparkoperator.k8s.io], apiVersions: [`+version+`], operations: [CREATE], resources: [`+resource+`]}]`, 1)
}

// sparkAppCRD is the SparkApplications' CustomResourceDefinition, as the
// end-to-end suite's API server serves it.
func sparkAppCRD(t *testing.T) string {
	t.Helper()
	return readFile(t, filepath.Join("..", "..", "..", "test", "controlplane", "crds", "sparkoperator.k8s.io_sparkapplications.yaml"))
}

// appRepo is a repository whose one layer gives SparkApplications two
// Spark settings by default, and a SparkApplication of etl.
func appRepo(t *testing.T) (dir, app string) {
	t.Helper()
	dir = t.TempDir()
	write := writerIn(t, dir)
	write("layers/layer.yaml", `apiVersion: strata.dev/v1alpha1
kind: Layer
metadata: {name: events}
spec:
  tier: ClusterDefaults
  config:
    sparkConf: {spark.eventLog.enabled: "true", spark.eventLog.dir: "s3a://events/"}
`)
	return dir, write("app.yaml", reportApp("etl", "1g"))
}

// composedApp is the SparkApplication of a composer's JSON output.
func composedApp(t *testing.T, out string) (labels, annotations, conf map[string]string, instances int) {
	t.Helper()
	var app struct {
		Metadata struct{ Labels, Annotations map[string]string }
		Spec     struct {
			SparkConf map[string]string
			Executor  struct{ Instances int }
		}
	}
	if err := json.Unmarshal([]byte(out), &app); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return app.Metadata.Labels, app.Metadata.Annotations, app.Spec.SparkConf, app.Spec.Executor.Instances
}

// nextOverlay copies the example layer repository to dir/repo and adds
// clusters/prod-a-next: prod-a's overlay with objects (a policy, its CRD)
// added, as a change kept in git adds them. It returns the two overlays.
func nextOverlay(t *testing.T, dir, objects string) (base, head string) {
	t.Helper()
	repo := filepath.Join(dir, "repo")
	if err := os.CopyFS(repo, os.DirFS(filepath.Join(examples, "layers"))); err != nil {
		t.Fatal(err)
	}
	base, head = filepath.Join(repo, "clusters", "prod-a"), filepath.Join(repo, "clusters", "prod-a-next")
	if err := os.CopyFS(head, os.DirFS(base)); err != nil {
		t.Fatal(err)
	}
	write := writerIn(t, head)
	write("added.yaml", objects)
	write("kustomization.yaml", readFile(t, filepath.Join(base, "kustomization.yaml"))+"  - added.yaml\n")
	return base, head
}

// prodASuite is the head of a PolicyTest of the example repository's
// overlay layers (relative to the suite) for prod-a's batch pool, its cases
// to follow.
func prodASuite(name, layers string) string {
	return "apiVersion: strata.dev/v1alpha1\nkind: PolicyTest\nmetadata: {name: " + name + "}\nlayers: " + layers + "\ncluster: prod-a\npool: batch\ncases:\n"
}

// wantOnePassed runs composer test on suite, a suite of one case, which
// must pass.
func wantOnePassed(t *testing.T, suite string) {
	t.Helper()
	if r := composer(t, "", "test", suite); r.code != ExitOK || !strings.Contains(r.out, "1 passed, 0 failed") {
		t.Errorf("test: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
}

// TestMutatingPoliciesOnApps: given the SparkApplications' CRD, the
// composer applies the policies bound to SparkApplications before the
// webhook composes them, as the API server does: what a policy sets, the
// layers' defaults leave alone. Without the CRD it applies none and names
// them, with what it lacks.
func TestMutatingPoliciesOnApps(t *testing.T) {
	dir, app := appRepo(t)
	write := writerIn(t, dir)
	policy := appMutatingPolicy("events", "ApplyConfiguration",
		`Object{metadata: Object.metadata{labels: {"audited": "yes"}}, spec: Object.spec{sparkConf: {"spark.eventLog.enabled": "false"}}}`, "  reinvocationPolicy: Never\n", "etl")
	compose := func(config string) run {
		return composer(t, "", "compose", "-f", app, "--layers", filepath.Join(dir, "layers"), "--cluster", "c", "--pool", "p", "--cluster-config", config, "-o", "json")
	}
	r := compose(write("cluster/with-crd.yaml", policy+"---\n"+sparkAppCRD(t)))
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	labels, _, conf, _ := composedApp(t, r.out)
	if labels["audited"] != "yes" || conf["spark.eventLog.enabled"] != "false" || conf["spark.eventLog.dir"] != "s3a://events/" {
		t.Errorf("labels %v, sparkConf %v: want the policy's label and setting, and the layer's other default", labels, conf)
	}
	if want := "Note: SparkApplication etl/report: the cluster's MutatingAdmissionPolicies change it in the API server before the webhooks, as printed"; !strings.Contains(r.err, want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.err)
	}
	if strings.Contains(r.err, "the dry run does not apply it") {
		t.Errorf("names an applied policy as not applied:\n%s", r.err)
	}

	r = compose(write("cluster/without-crd.yaml", policy))
	if r.code != ExitOK {
		t.Fatalf("without the CRD: exit %d: %s", r.code, r.err)
	}
	labels, _, conf, _ = composedApp(t, r.out)
	if labels["audited"] != "" || conf["spark.eventLog.enabled"] != "true" {
		t.Errorf("without the CRD: labels %v, sparkConf %v: applied", labels, conf)
	}
	const want = `Note: SparkApplication etl/report: MutatingAdmissionPolicy "events" (binding "events-etl") applies to it in the API server, before the webhooks; ` +
		`the dry run does not apply it: no CustomResourceDefinition of sparkoperator.k8s.io/v1beta2 SparkApplication was given (--cluster-config, or the cluster's with --kubeconfig)`
	if !strings.Contains(r.err, want) {
		t.Errorf("without the CRD: stderr lacks %q:\n%s", want, r.err)
	}

	// A policy that leaves the application unreadable: the webhook
	// refuses it, so the API server does (exit 1, not bad input).
	unreadable := appMutatingPolicy("many", "JSONPatch", `[JSONPatch{op: "add", path: "/spec/executor/instances", value: "many"}]`, "  reinvocationPolicy: Never\n", "etl")
	r = compose(write("cluster/unreadable.yaml", unreadable+"---\n"+sparkAppCRD(t)))
	if want := "SparkApplication etl/report: refused by the webhook: the SparkApplication as the cluster's MutatingAdmissionPolicies leave it, which the webhook cannot read: spec.executor.instances: expected int32"; r.code != ExitDenied || !strings.Contains(r.err, want) {
		t.Errorf("an unreadable application: exit %d, stderr:\n%s\nwant %q", r.code, r.err, want)
	}

	r = compose(write("cluster/bad-crd.yaml", policy+"---\n"+strings.Replace(sparkAppCRD(t), "  scope: Namespaced", "  scope: Namespaced\n  shape: round", 1)))
	if r.code != ExitInput || !strings.Contains(r.err, `CustomResourceDefinition "sparkapplications.sparkoperator.k8s.io"`) || !strings.Contains(r.err, "shape") {
		t.Errorf("a CRD of an unknown field: exit %d, stderr:\n%s", r.code, r.err)
	}
}

// TestMutatingPoliciesOnAppsReinvoked: a policy whose reinvocationPolicy
// is IfNeeded applies again to what the webhook gave the application (its
// count of Spark settings counts the layer's two); one that is Never does
// not.
func TestMutatingPoliciesOnAppsReinvoked(t *testing.T) {
	dir, app := appRepo(t)
	write := writerIn(t, dir)
	for policy, want := range map[string]string{"IfNeeded": "2", "Never": "0"} {
		config := write("cluster/"+policy+".yaml", appMutatingPolicy("count", "ApplyConfiguration",
			`Object{metadata: Object.metadata{annotations: {"settings": string(has(object.spec.sparkConf) ? size(object.spec.sparkConf) : 0)}}}`,
			"  reinvocationPolicy: "+policy+"\n", "etl")+"---\n"+sparkAppCRD(t))
		r := composer(t, "", "compose", "-f", app, "--layers", filepath.Join(dir, "layers"), "--cluster", "c", "--pool", "p", "--cluster-config", config, "-o", "json")
		if r.code != ExitOK {
			t.Fatalf("%s: exit %d: %s", policy, r.code, r.err)
		}
		if _, annotations, conf, _ := composedApp(t, r.out); annotations["settings"] != want || len(conf) != 2 {
			t.Errorf("%s: settings %q, want %q (sparkConf %v)", policy, annotations["settings"], want, conf)
		}
		// -o explain shows what the second pass changed: the count, where
		// the policy is reinvoked.
		r = composer(t, "", "compose", "-f", app, "--layers", filepath.Join(dir, "layers"), "--cluster", "c", "--pool", "p", "--cluster-config", config, "-o", "explain")
		shown := strings.Contains(r.out, "Then the API server's second pass") && strings.Contains(r.out, `metadata.annotations.settings  "2"`)
		if r.code != ExitOK || shown != (policy == "IfNeeded") || strings.Contains(r.out, "second pass") != shown {
			t.Errorf("%s, -o explain: exit %d, the second pass shown: %v\n%s\n%s", policy, r.code, shown, r.out, r.err)
		}
	}
}

// TestMutatingPoliciesOnAppsJudged: --validate, composer test and
// composer diff judge a SparkApplication as the policies change it (one
// that asks for more executors than the namespace's group allows an app
// is denied), and a failing policy refuses it in the API server's words,
// with and without --validate.
func TestMutatingPoliciesOnAppsJudged(t *testing.T) {
	dir := t.TempDir()
	write := writerIn(t, dir)
	crd := sparkAppCRD(t)
	more := write("cluster/more.yaml", appMutatingPolicy("more", "JSONPatch", `[JSONPatch{op: "replace", path: "/spec/executor/instances", value: 30}]`,
		"  reinvocationPolicy: Never\n", "etl")+"---\n"+crd)
	args := append(appArgs("etl-report.yaml", "clusters/prod-a", "prod-a", "batch"), "--validate")
	if r := composer(t, "", args...); r.code != ExitOK {
		t.Fatalf("without the policy: exit %d: %s", r.code, r.err)
	}
	r := composer(t, "", append(args, "--cluster-config", more, "-o", "json")...)
	const want = `SparkApplication etl/etl-report: deny: quota: app "etl-report" asks for up to 30 executors; group "core-data" allows at most 20 per app`
	if r.code != ExitDenied || !strings.Contains(r.err, want) {
		t.Errorf("--validate: exit %d, stderr lacks %q:\n%s", r.code, want, r.err)
	}

	broken := write("cluster/broken.yaml", appMutatingPolicy("owner", "JSONPatch", `[JSONPatch{op: "add", path: "/metadata/labels/owner", value: object.metadata.labels["team"]}]`,
		"  reinvocationPolicy: Never\n", "etl")+"---\n"+crd)
	for _, validate := range []bool{false, true} {
		args := append(appArgs("etl-report.yaml", "clusters/prod-a", "prod-a", "batch"), "--cluster-config", broken)
		if validate {
			args = append(args, "--validate")
		}
		r := composer(t, "", args...)
		if r.code != ExitDenied || !strings.Contains(r.err, `policy 'owner' with binding 'owner-etl' denied request`) {
			t.Errorf("a failing policy, --validate %v: exit %d, stderr:\n%s", validate, r.code, r.err)
		}
	}

	// composer test and composer diff, with the policy in the layers'
	// repository as GitOps keeps it.
	base, layers := nextOverlay(t, dir, readFile(t, more))
	appFile := write("repo/app.yaml", readFile(t, filepath.Join(examples, "apps", "etl-report.yaml")))
	test := write("repo/t.yaml", prodASuite("mutating", "clusters/prod-a-next")+`  - name: more executors by a policy
    app: app.yaml
    expect:
      allowed: false
      violations:
      - policy: quota
        message: 'quota: app "etl-report" asks for up to 30 executors; group "core-data" allows at most 20 per app (NamespaceOverrides layer "ns-etl")'
`)
	wantOnePassed(t, test)
	r = composer(t, "", "diff", "-f", appFile, "--base", base, "--head", layers, "--cluster", "prod-a", "--pool", "batch", "-o", "json", "--fail-on-deny")
	if r.code != ExitDenied || !strings.Contains(r.out, "30 executors") {
		t.Errorf("diff: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
}

// TestMutatingPoliciesLeaveItUnreadable: a policy that leaves an
// application unreadable to the webhook has the webhook refuse it, so the
// API server: compose (with and without --validate) says so and goes on
// with the corpus's other objects (exit 1), composer test takes it as the
// case's verdict and composer diff as a verdict that flips to deny, not as
// an error of its input.
func TestMutatingPoliciesLeaveItUnreadable(t *testing.T) {
	dir := t.TempDir()
	write := writerIn(t, dir)
	policy := appMutatingPolicy("many", "JSONPatch", `[JSONPatch{op: "add", path: "/spec/executor/instances", value: "many"}]`, "  reinvocationPolicy: Never\n", "etl")
	config := write("cluster/unreadable.yaml", policy+"---\n"+sparkAppCRD(t))
	report := readFile(t, filepath.Join(examples, "apps", "etl-report.yaml"))
	geo := strings.NewReplacer("namespace: etl", "namespace: geo", "name: etl-report", "name: geo-report",
		"strata.dev/iam-role: arn:aws:iam::111122223333:role/spark-etl-reports", "team: geo").Replace(report) // etl's role, which geo is not allowed
	corpus := write("apps.yaml", report+"\n---\n"+geo)
	const refusal = "the SparkApplication as the cluster's MutatingAdmissionPolicies leave it, which the webhook cannot read: spec.executor.instances: expected int32, got JSON string"
	for _, validate := range []bool{false, true} {
		args := []string{"compose", "-f", corpus, "--layers", filepath.Join(examples, "layers", "clusters", "prod-a"), "--cluster", "prod-a", "--pool", "batch",
			"--cluster-config", config, "-o", "json"}
		if validate {
			args = append(args, "--validate")
		}
		r := composer(t, "", args...)
		if r.code != ExitDenied || !strings.Contains(r.err, "SparkApplication etl/etl-report: ") || !strings.Contains(r.err, refusal) ||
			strings.Contains(r.err, "geo/geo-report: ") || !strings.Contains(r.out, `"geo-report"`) {
			t.Errorf("compose, --validate %v: exit %d, want etl's refused and geo's composed:\n%s\n%s", validate, r.code, r.out, r.err)
		}
	}

	// On the API server's second pass: a policy, IfNeeded, that leaves it
	// unreadable only once the webhook has given it the layer's Spark
	// settings.
	second, small := appRepo(t)
	late := appMutatingPolicy("late", "JSONPatch", `has(object.spec.sparkConf) && "spark.eventLog.dir" in object.spec.sparkConf ? `+
		`[JSONPatch{op: "replace", path: "/spec/executor/instances", value: "many"}] : []`, "  reinvocationPolicy: IfNeeded\n", "etl")
	r := composer(t, "", "compose", "-f", small, "--layers", filepath.Join(second, "layers"), "--cluster", "c", "--pool", "p",
		"--cluster-config", writerIn(t, second)("cluster.yaml", late+"---\n"+sparkAppCRD(t)), "-o", "json")
	if want := "SparkApplication etl/report: refused by the webhook: " + refusal; r.code != ExitDenied || !strings.Contains(r.err, want) {
		t.Errorf("on the second pass: exit %d, stderr lacks %q:\n%s", r.code, want, r.err)
	}

	base, head := nextOverlay(t, dir, readFile(t, config))
	appFile := write("repo/app.yaml", report)
	suite := write("repo/t.yaml", prodASuite("unreadable", "clusters/prod-a-next")+`  - name: refused by the webhook
    app: app.yaml
    expect:
      allowed: false
      violations:
      - policy: mutating-admission-policy
        message: "mutating-admission-policy: `+refusal+` (the webhook refuses it)"
`)
	wantOnePassed(t, suite)
	r = composer(t, "", "diff", "-f", appFile, "--base", base, "--head", head, "--cluster", "prod-a", "--pool", "batch", "--fail-on-deny")
	if r.code != ExitDenied || !strings.Contains(r.out, "1 flip from allow to deny") || !strings.Contains(r.out, refusal) {
		t.Errorf("diff: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
}

// TestMutatingPoliciesOnAppsExplained: -o explain names a
// MutatingAdmissionPolicy, not the user, as the source of a Spark setting
// it gave the application over the layers' default, and the user still of
// the application's own.
func TestMutatingPoliciesOnAppsExplained(t *testing.T) {
	config := writerIn(t, t.TempDir())("cluster.yaml", appMutatingPolicy("events", "ApplyConfiguration",
		`Object{spec: Object.spec{sparkConf: {"spark.eventLog.enabled": "false"}}}`, "  reinvocationPolicy: Never\n", "etl")+"---\n"+sparkAppCRD(t))
	r := composer(t, "", append(appArgs("etl-report.yaml", "clusters/prod-a", "prod-a", "batch"), "--cluster-config", config, "-o", "explain")...)
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`spec\.sparkConf\["spark\.eventLog\.enabled"\]\s+"false"\s+a MutatingAdmissionPolicy\s+ClusterDefaults layer "prod-a-defaults" "true"`),
		regexp.MustCompile(`spec\.driver\.serviceAccount\s+"spark-etl"\s+user\s`),
	} {
		if !want.MatchString(r.out) {
			t.Errorf("explain lacks %s:\n%s", want, r.out)
		}
	}
}

// TestMutatingPoliciesOnConnects: given the SparkConnects' CRD, the
// composer applies the policies bound to SparkConnects before the webhook
// composes their Spark configuration, -o explain naming them; without the
// CRD it names them, with what it lacks; a policy that fails refuses the
// SparkConnect, and composer test judges it so.
func TestMutatingPoliciesOnConnects(t *testing.T) {
	dir := t.TempDir()
	write := writerIn(t, dir)
	crd := readFile(t, filepath.Join("..", "..", "..", "test", "controlplane", "crds", "sparkoperator.k8s.io_sparkconnects.yaml"))
	onConnects := func(policy string) string { return over("v1alpha1", "sparkconnects", policy) }
	policy := onConnects(mutatingPolicy("events", "ApplyConfiguration",
		`Object{metadata: Object.metadata{labels: {"audited": "yes"}}, spec: Object.spec{sparkConf: {"spark.eventLog.enabled": "false"}}}`, "  reinvocationPolicy: Never\n", "etl"))
	args := func(config, output string) []string {
		return append(appArgs("notebooks-connect.yaml", "clusters/prod-a", "prod-a", "batch"), "--cluster-config", config, "-o", output)
	}
	withCRD := write("with-crd.yaml", policy+"---\n"+crd)
	r := composer(t, "", args(withCRD, "json")...)
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	labels, _, conf, _ := composedApp(t, r.out)
	if labels["audited"] != "yes" || conf["spark.eventLog.enabled"] != "false" || conf["spark.eventLog.dir"] == "" {
		t.Errorf("labels %v, sparkConf %v: want the policy's label and setting, and the layers' other default", labels, conf)
	}
	r = composer(t, "", args(withCRD, "explain")...)
	if want := regexp.MustCompile(`spec\.sparkConf\["spark\.eventLog\.enabled"\]\s+"false"\s+a MutatingAdmissionPolicy\s+ClusterDefaults layer "prod-a-defaults" "true"`); !want.MatchString(r.out) {
		t.Errorf("explain lacks %s:\n%s", want, r.out)
	}

	r = composer(t, "", args(write("without-crd.yaml", policy), "json")...)
	if labels, _, _, _ := composedApp(t, r.out); r.code != ExitOK || labels["audited"] != "" ||
		!strings.Contains(r.err, `applies to it in the API server, before the webhooks; the dry run does not apply it: no CustomResourceDefinition of sparkoperator.k8s.io/v1alpha1 SparkConnect was given`) {
		t.Errorf("without the CRD: exit %d, labels %v, stderr:\n%s", r.code, labels, r.err)
	}

	broken := write("broken.yaml", onConnects(mutatingPolicy("owner", "JSONPatch", `[JSONPatch{op: "add", path: "/metadata/labels/owner", value: object.metadata.labels["team"]}]`,
		"  reinvocationPolicy: Never\n", "etl"))+"---\n"+crd)
	if r := composer(t, "", args(broken, "yaml")...); r.code != ExitDenied || !strings.Contains(r.err, `policy 'owner' with binding 'owner-etl' denied request`) {
		t.Errorf("a failing policy: exit %d, stderr:\n%s", r.code, r.err)
	}
	layers := filepath.Join(dir, "repo")
	if err := os.CopyFS(layers, os.DirFS(filepath.Join(examples, "layers"))); err != nil {
		t.Fatal(err)
	}
	write("repo/clusters/prod-a/broken.yaml", readFile(t, broken))
	write("repo/clusters/prod-a/kustomization.yaml", readFile(t, filepath.Join(layers, "clusters", "prod-a", "kustomization.yaml"))+"  - broken.yaml\n")
	write("repo/connect.yaml", readFile(t, filepath.Join(examples, "apps", "notebooks-connect.yaml")))
	test := write("repo/t.yaml", prodASuite("mutating", "clusters/prod-a")+`  - name: refused by a failing policy
    connect: connect.yaml
    expect:
      allowed: false
      violations:
      - policy: mutating-admission-policy
        message: "mutating-admission-policy: policy 'owner' with binding 'owner-etl' denied request: expression '[JSONPatch{op: \"add\", path: \"/metadata/labels/owner\", value: object.metadata.labels[\"team\"]}]' resulted in error: no such key: labels (the API server's MutatingAdmissionPolicy admission refuses the SparkConnect before any webhook)"
`)
	wantOnePassed(t, test)
}

// TestMutatingPoliciesInEitherOrderTested: composer test holds a case's
// expectation in either order of the cluster's MutatingAdmissionPolicies,
// the API server's not being fixed. Of two that set an application's
// executors, one to 30 (over the 20 etl's group allows) and one to 10,
// the verdict depends on their order: a case that expects the refusal of
// one order fails, saying so. One policy alone is tested in its one order.
func TestMutatingPoliciesInEitherOrderTested(t *testing.T) {
	dir := t.TempDir()
	write := writerIn(t, dir)
	more := appMutatingPolicy("more", "JSONPatch", `[JSONPatch{op: "replace", path: "/spec/executor/instances", value: 30}]`, "  reinvocationPolicy: Never\n", "etl")
	fewer := appMutatingPolicy("fewer", "JSONPatch", `[JSONPatch{op: "replace", path: "/spec/executor/instances", value: 10}]`, "  reinvocationPolicy: Never\n", "etl")
	_, head := nextOverlay(t, dir, more+"---\n"+sparkAppCRD(t))
	write("repo/app.yaml", readFile(t, filepath.Join(examples, "apps", "etl-report.yaml")))
	const refused = `
    expect:
      allowed: false
      violations:
      - policy: quota
        message: 'quota: app "etl-report" asks for up to 30 executors; group "core-data" allows at most 20 per app (NamespaceOverrides layer "ns-etl")'
`
	suite := write("repo/t.yaml", prodASuite("order", "clusters/prod-a-next")+`  - name: more executors by a policy
    app: app.yaml`+refused)
	if r := composer(t, "", "test", suite); r.code != ExitOK || !strings.Contains(r.out, "1 passed, 0 failed") {
		t.Errorf("one policy: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	write(filepath.Join(strings.TrimPrefix(head, dir), "fewer.yaml"), fewer)
	write(filepath.Join(strings.TrimPrefix(head, dir), "kustomization.yaml"), readFile(t, filepath.Join(head, "kustomization.yaml"))+"  - fewer.yaml\n")
	r := composer(t, "", "test", suite)
	const want = "the verdict depends on the order the API server applies the cluster's MutatingAdmissionPolicies in, which is not fixed: applied in the reverse order of their names, allowed: true"
	if r.code != ExitDenied || !strings.Contains(r.out, "0 passed, 1 failed") || !strings.Contains(r.out, want) {
		t.Errorf("two policies: exit %d, want %q in\n%s\n%s", r.code, want, r.out, r.err)
	}
	// composer diff notes it of the head's policies.
	base := filepath.Join(dir, "repo", "clusters", "prod-a")
	r = composer(t, "", "diff", "-f", filepath.Join(dir, "repo", "app.yaml"), "--base", base, "--head", head, "--cluster", "prod-a", "--pool", "batch")
	const note = `Note: SparkApplication etl/etl-report: --head: the cluster's MutatingAdmissionPolicies give it another verdict applied in another order, which the API server does not fix: ` +
		`denied (deny: quota: app "etl-report" asks for up to 30 executors; group "core-data" allows at most 20 per app (NamespaceOverrides layer "ns-etl")) in the order of their names, allowed in the reverse`
	if r.code != ExitOK || !strings.Contains(r.err, note) {
		t.Errorf("diff: exit %d, want %q in\n%s\n%s", r.code, note, r.out, r.err)
	}
	if r := composer(t, "", "diff", "-f", filepath.Join(dir, "repo", "app.yaml"), "--base", base, "--head", base, "--cluster", "prod-a", "--pool", "batch"); strings.Contains(r.err, "another order") {
		t.Errorf("diff without the policies: %s", r.err)
	}
}

// TestMutatingPoliciesInEitherOrderStored: the order check compares what
// the API server stores. Of two policies, one counting the labels the
// other adds, the count differs after the first pass by their order, but
// not after the second, where the count, IfNeeded, applies again: no note.
// Two that set the same field are noted, for a pod and for a
// SparkApplication, by compose and by composer diff of the head.
func TestMutatingPoliciesInEitherOrderStored(t *testing.T) {
	dir, app := appRepo(t)
	write := writerIn(t, dir)
	pod := write("pod.yaml", executorYAML("etl", ""))
	const note = "the cluster's MutatingAdmissionPolicies give it other values applied in another order"
	for _, tc := range []struct {
		name, a, b string
		reinvoked  bool
		want       bool
	}{
		{"a count evened out on the second pass", `Object{metadata: Object.metadata{annotations: {"labels": string(has(object.metadata.labels) ? size(object.metadata.labels) : 0)}}}`,
			`Object{metadata: Object.metadata{labels: {"audited": "yes"}}}`, true, false},
		{"a count not reinvoked", `Object{metadata: Object.metadata{annotations: {"labels": string(has(object.metadata.labels) ? size(object.metadata.labels) : 0)}}}`,
			`Object{metadata: Object.metadata{labels: {"audited": "yes"}}}`, false, true},
		{"the same field", `Object{metadata: Object.metadata{labels: {"tier": "a"}}}`, `Object{metadata: Object.metadata{labels: {"tier": "b"}}}`, false, true},
	} {
		reinvocation := "  reinvocationPolicy: Never\n"
		if tc.reinvoked {
			reinvocation = "  reinvocationPolicy: IfNeeded\n"
		}
		for kind, file := range map[string]string{"pod": pod, "app": app} {
			policy := mutatingPolicy
			if kind == "app" {
				policy = appMutatingPolicy
			}
			config := write("cluster/order.yaml", policy("a", "ApplyConfiguration", tc.a, reinvocation, "etl")+"---\n"+
				policy("b", "ApplyConfiguration", tc.b, "  reinvocationPolicy: Never\n", "etl")+"---\n"+sparkAppCRD(t))
			r := composer(t, "", "compose", "-f", file, "--layers", filepath.Join(dir, "layers"), "--cluster", "c", "--pool", "p", "--cluster-config", config, "-o", "json")
			if r.code != ExitOK || strings.Contains(r.err, note) != tc.want {
				t.Errorf("%s, a %s: exit %d, stderr:\n%s\nwant the note: %v", tc.name, kind, r.code, r.err, tc.want)
			}
			// composer diff notes it of the head, as compose does.
			r = composer(t, "", "diff", "-f", file, "--base", filepath.Join(dir, "layers"), "--head", filepath.Join(dir, "layers"), "--cluster", "c", "--pool", "p", "--cluster-config", config)
			if r.code != ExitOK || strings.Contains(r.err, "--head: "+note) != tc.want || strings.Contains(r.err, "another verdict") {
				t.Errorf("%s, a %s, diff: exit %d, stderr:\n%s\nwant the note: %v", tc.name, kind, r.code, r.err, tc.want)
			}
		}
	}
}

// TestMutatingPoliciesOnSchedules: the policies bound to
// ScheduledSparkApplications change the schedule, and each run is made of
// the schedule they leave, then changed by those bound to
// SparkApplications; --validate judges the run so. Without the
// ScheduledSparkApplications' CRD the composer names the policy, with
// what it lacks.
func TestMutatingPoliciesOnSchedules(t *testing.T) {
	dir := t.TempDir()
	write := writerIn(t, dir)
	crds := sparkAppCRD(t) + "---\n" + readFile(t, filepath.Join("..", "..", "..", "test", "controlplane", "crds", "sparkoperator.k8s.io_scheduledsparkapplications.yaml"))
	more := over("v1beta2", "scheduledsparkapplications", mutatingPolicy("more", "JSONPatch", `[JSONPatch{op: "replace", path: "/spec/template/executor/instances", value: 30}]`, "  reinvocationPolicy: Never\n", "etl"))
	audit := appMutatingPolicy("audit", "ApplyConfiguration", `Object{metadata: Object.metadata{labels: {"audited": "yes"}}}`, "  reinvocationPolicy: Never\n", "etl")
	args := func(config string, more ...string) []string {
		return append(append(appArgs("etl-report-nightly.yaml", "clusters/prod-a", "prod-a", "batch"), "--cluster-config", config), more...)
	}
	r := composer(t, "", args(write("audit.yaml", audit+"---\n"+crds), "-o", "json")...)
	if labels, _, _, _ := composedApp(t, r.out); r.code != ExitOK || labels["audited"] != "yes" || labels[sparkv1beta2.ScheduledAppNameLabel] != "etl-report-nightly" {
		t.Errorf("a policy on the runs: exit %d, labels %v, stderr:\n%s", r.code, labels, r.err)
	}
	// Each run is created by the operator (--operator-user), whoever
	// writes the schedule.
	by := appMutatingPolicy("by", "ApplyConfiguration", `Object{metadata: Object.metadata{annotations: {"created-by": request.userInfo.username}}}`, "  reinvocationPolicy: Never\n", "etl")
	r = composer(t, "", args(write("by.yaml", by+"---\n"+crds), "-o", "json", "--as", "alice", "--operator-user", "system:serviceaccount:spark-operator:spark-operator")...)
	if _, annotations, _, _ := composedApp(t, r.out); r.code != ExitOK || annotations["created-by"] != "system:serviceaccount:spark-operator:spark-operator" {
		t.Errorf("a run's creator: exit %d, annotations %v, stderr:\n%s", r.code, annotations, r.err)
	}
	r = composer(t, "", args(write("more.yaml", more+"---\n"+crds), "--validate")...)
	const want = `asks for up to 30 executors; group "core-data" allows at most 20 per app`
	if r.code != ExitDenied || !strings.Contains(r.err, want) {
		t.Errorf("a policy on the schedule, --validate: exit %d, stderr lacks %q:\n%s", r.code, want, r.err)
	}
	// A schedule the policies leave unreadable: the webhook refuses it, and
	// it never runs.
	many := over("v1beta2", "scheduledsparkapplications", mutatingPolicy("many", "JSONPatch", `[JSONPatch{op: "replace", path: "/spec/template/executor/instances", value: "many"}]`, "  reinvocationPolicy: Never\n", "etl"))
	for _, validate := range []string{"--validate", "-o=json"} {
		r = composer(t, "", args(write("many.yaml", many+"---\n"+crds), validate)...)
		if want := "the ScheduledSparkApplication as the cluster's MutatingAdmissionPolicies leave it, which the webhook cannot read: "; r.code != ExitDenied || !strings.Contains(r.err, want) {
			t.Errorf("an unreadable schedule, %s: exit %d, stderr lacks %q:\n%s", validate, r.code, want, r.err)
		}
	}
	r = composer(t, "", args(write("more-without-crd.yaml", more+"---\n"+sparkAppCRD(t)), "--validate")...)
	if r.code != ExitOK || !strings.Contains(r.err, `MutatingAdmissionPolicy "more" (binding "more-etl") applies to it in the API server, before the webhooks; `+
		`the dry run does not apply it: no CustomResourceDefinition of sparkoperator.k8s.io/v1beta2 ScheduledSparkApplication was given`) {
		t.Errorf("without the schedules' CRD: exit %d, stderr:\n%s", r.code, r.err)
	}
}

// TestMutatingPoliciesOnPodGroups: given the PodGroups' CRD, a policy
// that gives a PodGroup a class tenants may not pick has it printed so,
// and denied by --validate, composer test and composer diff alike, as the
// validating webhook judges what the API server stores; without the CRD
// the composer names the policy.
func TestMutatingPoliciesOnPodGroups(t *testing.T) {
	dir := t.TempDir()
	write := writerIn(t, dir)
	crd := readFile(t, filepath.Join("..", "..", "..", "test", "controlplane", "crds", "scheduling.volcano.sh_podgroups.yaml"))
	// classGiving is a policy that gives etl's PodGroups class.
	classGiving := func(name, class string) string {
		return strings.Replace(mutatingPolicy(name, "JSONPatch", `[JSONPatch{op: "replace", path: "/spec/priorityClassName", value: "`+class+`"}]`, "  reinvocationPolicy: Never\n", "etl"),
			`resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]`,
			`resourceRules: [{apiGroups: [scheduling.volcano.sh], apiVersions: [v1beta1], operations: [CREATE], resources: [podgroups]}]`, 1)
	}
	policy := classGiving("top", "system-cluster-critical")
	gang := filepath.Join(examples, "tests", "podgroups", "etl-gang.yaml")
	args := func(config string, more ...string) []string {
		return append([]string{"compose", "-f", gang, "--layers", filepath.Join(examples, "layers", "clusters", "prod-a"), "--cluster", "prod-a", "--pool", "batch",
			"--cluster-config", config}, more...)
	}
	withCRD := write("with-crd.yaml", policy+"---\n"+crd)
	if r := composer(t, "", args(withCRD)...); r.code != ExitOK || !strings.Contains(r.out, "priorityClassName: system-cluster-critical") ||
		!strings.Contains(r.err, "printed as the cluster's MutatingAdmissionPolicies leave it") {
		t.Errorf("exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	// A second policy setting the class otherwise: the order is noted.
	if r := composer(t, "", args(write("both.yaml", policy+"---\n"+classGiving("low", "spark-executor")+"---\n"+crd))...); r.code != ExitOK ||
		!strings.Contains(r.err, "PodGroup etl/spark-pi-pg: the cluster's MutatingAdmissionPolicies give it other values applied in another order") {
		t.Errorf("two policies: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	if r := composer(t, "", args(withCRD)...); strings.Contains(r.err, "another order") {
		t.Errorf("one policy: %s", r.err)
	}
	const denial = `deny: isolation: PodGroup "spark-pi-pg": spec.priorityClassName "system-cluster-critical" is not allowed for tenants`
	if r := composer(t, "", args(withCRD, "--validate")...); r.code != ExitDenied || !strings.Contains(r.err, denial) {
		t.Errorf("--validate: exit %d, stderr:\n%s\nwant %q", r.code, r.err, denial)
	}
	if r := composer(t, "", args(write("without-crd.yaml", policy), "--validate")...); r.code != ExitOK ||
		!strings.Contains(r.err, `the dry run does not apply it: no CustomResourceDefinition of scheduling.volcano.sh/v1beta1 PodGroup was given`) {
		t.Errorf("without the CRD: exit %d, stderr:\n%s", r.code, r.err)
	}
	base, head := nextOverlay(t, dir, readFile(t, withCRD))
	r := composer(t, "", "diff", "-f", gang, "--base", base, "--head", head, "--cluster", "prod-a", "--pool", "batch", "-o", "json", "--fail-on-deny")
	if r.code != ExitDenied || !strings.Contains(r.out, "system-cluster-critical") {
		t.Errorf("diff: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	write("repo/gang.yaml", readFile(t, gang))
	test := write("repo/t.yaml", prodASuite("mutating", "clusters/prod-a-next")+`  - name: a class given by a policy
    podGroup: gang.yaml
    expect:
      allowed: false
      violations:
      - policy: isolation
        message: 'isolation: PodGroup "spark-pi-pg": spec.priorityClassName "system-cluster-critical" is not allowed for tenants; allowed: spark-driver, spark-executor (ClusterOverrides layer "prod-a-overrides")'
`)
	wantOnePassed(t, test)
}

// TestRefusedBeforeAnInvalidComposition: a SparkApplication or SparkConnect
// a MutatingAdmissionPolicy refuses never reaches the webhook, so layers
// that would compose it into one the API server refuses change nothing:
// the policy's refusal is the verdict (exit 1), as for a pod, not an error
// of the input. So is an application the policies leave unreadable.
func TestRefusedBeforeAnInvalidComposition(t *testing.T) {
	dir := t.TempDir()
	write := writerIn(t, dir)
	appCRD := sparkAppCRD(t)
	connectCRD := readFile(t, filepath.Join("..", "..", "..", "test", "controlplane", "crds", "sparkoperator.k8s.io_sparkconnects.yaml"))
	failing := `[JSONPatch{op: "add", path: "/metadata/labels/owner", value: object.metadata.labels["team"]}]` // no labels: an error
	const policyRefusal = `policy 'owner' with binding 'owner-etl' denied request`
	const unreadable = "which the webhook cannot read: spec.executor.instances: expected int32, got JSON string"
	for _, c := range []struct{ name, object, config, want string }{
		{"an application refused by a policy", filepath.Join("testdata", "dryrun", "pods", "app.yaml"),
			appMutatingPolicy("owner", "JSONPatch", failing, "  reinvocationPolicy: Never\n", "etl") + "---\n" + appCRD, policyRefusal},
		{"an application left unreadable", filepath.Join("testdata", "dryrun", "pods", "app.yaml"),
			appMutatingPolicy("many", "JSONPatch", `[JSONPatch{op: "add", path: "/spec/executor/instances", value: "many"}]`, "  reinvocationPolicy: Never\n", "etl") + "---\n" + appCRD, unreadable},
		{"a SparkConnect refused by a policy", filepath.Join(examples, "apps", "notebooks-connect.yaml"),
			over("v1alpha1", "sparkconnects", mutatingPolicy("owner", "JSONPatch", failing, "  reinvocationPolicy: Never\n", "etl")) + "---\n" + connectCRD, policyRefusal},
	} {
		t.Run(c.name, func(t *testing.T) {
			config := write(strings.ReplaceAll(c.name, " ", "-")+".yaml", c.config)
			for _, validate := range []bool{false, true} {
				args := []string{"compose", "-f", c.object, "--layers", filepath.Join("testdata", "dryrun", "invalid-app"), "--cluster", "prod-a", "--pool", "batch",
					"--cluster-config", config, "-o", "yaml"}
				if validate {
					args = append(args, "--validate")
				}
				r := composer(t, "", args...)
				if r.code != ExitDenied || !strings.Contains(r.err, c.want) || strings.Contains(r.err, "define it differently") || r.out != "" {
					t.Errorf("--validate %v: exit %d, want %d, the policy's refusal %q and nothing printed:\n%s\n%s", validate, r.code, ExitDenied, c.want, r.out, r.err)
				}
			}
		})
	}
}
