package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// placementRepo writes a layer repository whose override pins the ml
// namespace's pods to node.strata.dev/pool=batch, a Namespace ml pinned by
// its annotations to node.strata.dev/pool=gpu with a default toleration and
// a tolerations whitelist, a Namespace etl without annotations, and an
// executor of each; it returns the directory and the files.
func placementRepo(t *testing.T) (dir, ml, mlPod, etlPod string) {
	t.Helper()
	dir = t.TempDir()
	write := writerIn(t, dir)
	write("layers/layer.yaml", `apiVersion: strata.dev/v1alpha1
kind: Layer
metadata: {name: batch-for-ml}
spec:
  tier: NamespaceOverrides
  match: {namespaces: [ml]}
  config: {nodeSelector: {node.strata.dev/pool: batch}}
`)
	ml = write("cluster/ml.yaml", `apiVersion: v1
kind: Namespace
metadata:
  name: ml
  annotations:
    scheduler.alpha.kubernetes.io/node-selector: node.strata.dev/pool=gpu
    scheduler.alpha.kubernetes.io/defaultTolerations: '[{"key": "node.strata.dev/gpu", "operator": "Exists", "effect": "NoSchedule"}]'
    scheduler.alpha.kubernetes.io/tolerationsWhitelist: '[{"key": "node.strata.dev/gpu", "operator": "Exists"}, {"key": "node.kubernetes.io/not-ready", "operator": "Exists"}, {"key": "node.kubernetes.io/unreachable", "operator": "Exists"}, {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists"}]'
`)
	pod := func(ns string) string {
		return write(ns+"-pod.yaml", executorYAML(ns, `{requests: {cpu: "1", memory: 1Gi}}`))
	}
	return dir, ml, pod("ml"), pod("etl")
}

// TestAdmissionPluginsInTheDryRun: with --admission-plugins the composer
// gives a pod file what the API server's PodNodeSelector,
// DefaultTolerationSeconds and PodTolerationRestriction plugins give it
// before any webhook, refuses what they refuse before the webhooks, and,
// with --validate, what they refuse after them: a layer's node selector
// against the namespace's.
func TestAdmissionPluginsInTheDryRun(t *testing.T) {
	dir, ml, mlPod, etlPod := placementRepo(t)
	write := writerIn(t, dir)
	base := func(pod string, more ...string) []string {
		return append([]string{"compose", "-f", pod, "--layers", filepath.Join(dir, "layers"), "--cluster", "c", "--pool", "p", "--cluster-config", ml}, more...)
	}
	plugins := "--admission-plugins=PodNodeSelector,PodTolerationRestriction"

	// In a namespace without annotations, the pod gets what the API server
	// gives every pod that is not BestEffort: nothing the layers change.
	r := composer(t, "", base(etlPod, plugins, "-o", "json")...)
	if r.code != ExitOK {
		t.Fatalf("etl: exit %d: %s", r.code, r.err)
	}
	var got corev1.Pod
	if err := json.Unmarshal([]byte(r.out), &got); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, tol := range got.Spec.Tolerations {
		keys = append(keys, tol.Key)
	}
	if want := "node.kubernetes.io/not-ready,node.kubernetes.io/unreachable,node.kubernetes.io/memory-pressure"; strings.Join(keys, ",") != want || len(got.Spec.NodeSelector) != 0 {
		t.Errorf("etl: tolerations %s, node selector %v; want %s and none", strings.Join(keys, ","), got.Spec.NodeSelector, want)
	}

	// In ml, the override's pool conflicts with the namespace's, which
	// the plugin merged in first: refused after the webhooks, with the
	// webhook's own warning.
	r = composer(t, "", base(mlPod, plugins, "--validate", "-o", "json")...)
	const after = `pod-node-selector: pod node label selector conflicts with its namespace node label selector: node.strata.dev/pool=batch against the namespace's node.strata.dev/pool=gpu (the API server's PodNodeSelector admission refuses the pod after the mutating webhooks, before any validating webhook)`
	if r.code != ExitDenied || !strings.Contains(r.err, after) {
		t.Errorf("ml: exit %d, stderr:\n%s\nwant %q", r.code, r.err, after)
	}
	if strings.Contains(r.err, "Note:") {
		t.Errorf("ml: the namespace's placement is added, not noted:\n%s", r.err)
	}
	// Without the plugins, the same run notes what they would give and
	// warns of the override; the policies do not refuse it.
	if r := composer(t, "", base(mlPod, "--validate", "-o", "json")...); r.code != ExitOK || !strings.Contains(r.err, "--admission-plugins not naming them") {
		t.Errorf("ml without the plugins: exit %d, stderr:\n%s", r.code, r.err)
	}
	// PodTolerationRestriction alone: the whitelist holds what the pod is
	// given, and the override's selector is PodNodeSelector's business.
	if r := composer(t, "", base(mlPod, "--admission-plugins", "PodTolerationRestriction", "--validate", "-o", "json")...); r.code != ExitOK ||
		!strings.Contains(r.err, `gives its pods node selector node.strata.dev/pool=gpu where`) || strings.Contains(r.err, "tolerations \"") {
		t.Errorf("ml with PodTolerationRestriction alone: exit %d, stderr:\n%s", r.code, r.err)
	}

	// A pod that writes a pool of its own is refused before any webhook.
	own := write("own.yaml", strings.Replace(readFile(t, mlPod), "spec:\n", "spec:\n  nodeSelector: {node.strata.dev/pool: cpu}\n", 1))
	const before = `refused by the API server before any webhook: PodNodeSelector: pod node label selector conflicts with its namespace node label selector: node.strata.dev/pool=cpu against the namespace's node.strata.dev/pool=gpu`
	if r := composer(t, "", base(own, plugins)...); r.code != ExitDenied || !strings.Contains(r.err, before) || !strings.Contains(r.out, "name: exec-1") {
		t.Errorf("a pod's own pool: exit %d, stdout:\n%s\nstderr:\n%s\nwant the composed pod and %q", r.code, r.out, r.err, before)
	}
	// With --validate, the refusal is a verdict among the others': each
	// object of a corpus is judged.
	corpus := write("corpus.yaml", readFile(t, own)+"---\n"+readFile(t, etlPod))
	const verdict = `Pod ml/exec-1: deny: pod-node-selector: pod node label selector conflicts with its namespace node label selector: node.strata.dev/pool=cpu against the namespace's node.strata.dev/pool=gpu (the API server's PodNodeSelector admission refuses the pod before any webhook)`
	if r := composer(t, "", base(corpus, plugins, "--validate", "-o", "json")...); r.code != ExitDenied || !strings.Contains(r.err, verdict) ||
		!strings.Contains(r.err, "1 of 2 objects denied by policy") {
		t.Errorf("a corpus: exit %d, stderr:\n%s\nwant %q", r.code, r.err, verdict)
	}
	// A toleration the whitelist does not cover.
	spot := write("spot.yaml", strings.Replace(readFile(t, mlPod), "spec:\n", "spec:\n  tolerations: [{key: node.strata.dev/spot, operator: Exists}]\n", 1))
	const whitelist = `PodTolerationRestriction: pod tolerations (possibly merged with namespace default tolerations) conflict with its namespace whitelist: "node.strata.dev/spot op=Exists" not covered`
	if r := composer(t, "", base(spot, plugins)...); r.code != ExitDenied || !strings.Contains(r.err, whitelist) {
		t.Errorf("a toleration outside the whitelist: exit %d, stderr:\n%s\nwant %q", r.code, r.err, whitelist)
	}

	// A plugin not predicted is bad input, named.
	if r := composer(t, "", base(mlPod, "--admission-plugins", "PodNodeSelecter")...); r.code != ExitInput ||
		!strings.Contains(r.err, `--admission-plugins: admission plugin "PodNodeSelecter" is not one whose work is predicted here`) {
		t.Errorf("a misspelt plugin: exit %d, stderr:\n%s", r.code, r.err)
	}
}

// TestAdmissionPluginsInPolicyTests: a suite's admissionPlugins judges its
// cases as those plugins do, a refusal before the webhooks being a
// verdict a case can expect; a plugin not predicted is named.
func TestAdmissionPluginsInPolicyTests(t *testing.T) {
	dir, ml, mlPod, _ := placementRepo(t)
	write := writerIn(t, dir)
	write("own.yaml", strings.Replace(readFile(t, mlPod), "spec:\n", "spec:\n  nodeSelector: {node.strata.dev/pool: cpu}\n", 1))
	const suite = `apiVersion: strata.dev/v1alpha1
kind: PolicyTest
metadata: {name: placement}
layers: layers
cluster: c
pool: p
admissionPlugins: [PodNodeSelector, PodTolerationRestriction]
cases:
  - name: the override against the namespace's pool
    pod: ml-pod.yaml
    expect:
      allowed: false
      violations:
      - policy: pod-node-selector
        message: "pod-node-selector: pod node label selector conflicts with its namespace node label selector: node.strata.dev/pool=batch against the namespace's node.strata.dev/pool=gpu (the API server's PodNodeSelector admission refuses the pod after the mutating webhooks, before any validating webhook)"
  - name: the pod's own pool
    pod: own.yaml
    expect:
      allowed: false
      violations:
      - policy: pod-node-selector
        message: "pod-node-selector: pod node label selector conflicts with its namespace node label selector: node.strata.dev/pool=cpu against the namespace's node.strata.dev/pool=gpu (the API server's PodNodeSelector admission refuses the pod before any webhook)"
`
	// The Namespace is the repository's, as the suite reads it.
	write("layers/ml.yaml", readFile(t, ml))
	file := write("t.yaml", suite)
	if r := composer(t, "", "test", file); r.code != ExitOK || !strings.Contains(r.out, "2 passed, 0 failed") {
		t.Errorf("exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	// Without the plugins, neither case is refused.
	write("t.yaml", strings.Replace(suite, "admissionPlugins: [PodNodeSelector, PodTolerationRestriction]\n", "", 1))
	if r := composer(t, "", "test", file); r.code != ExitDenied || !strings.Contains(r.out, "0 passed, 2 failed") {
		t.Errorf("without the plugins: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	write("t.yaml", strings.Replace(suite, "PodTolerationRestriction]", "PodTolerations]", 1))
	if r := composer(t, "", "test", file); r.code != ExitInput || !strings.Contains(r.err, `admissionPlugins[1]: Unsupported value: "PodTolerations"`) {
		t.Errorf("an unknown plugin: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
}

// executorYAML is a Spark executor pod "exec-1" of namespace ns whose
// container has resources (flow-style YAML; none when "").
func executorYAML(ns, resources string) string {
	out := `apiVersion: v1
kind: Pod
metadata:
  name: exec-1
  namespace: ` + ns + `
  labels: {spark-role: executor, spark-app-selector: spark-1}
spec:
  containers:
  - name: spark-kubernetes-executor
    image: apache/spark:3.5.3
`
	if resources != "" {
		out += "    resources: " + resources + "\n"
	}
	return out
}

// reportApp is a SparkApplication "report" of namespace ns whose two
// executors each ask for executorMemory.
func reportApp(ns, executorMemory string) string {
	return `apiVersion: sparkoperator.k8s.io/v1beta2
kind: SparkApplication
metadata: {name: report, namespace: ` + ns + `}
spec:
  type: Scala
  mode: cluster
  image: apache/spark:3.5.3
  mainClass: org.example.Report
  mainApplicationFile: local:///opt/report.jar
  sparkVersion: 3.5.3
  driver: {cores: 1, memory: 1g}
  executor: {cores: 1, memory: ` + executorMemory + `, instances: 2}
`
}

// readFile is the text of a file a test wrote.
func readFile(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestAdmissionPluginsInTheDiff: composer diff judges each side as the
// placement plugins do: a layer that overrides a pinned namespace's pool
// flips its pods to denied; a pod the plugins refuse before any webhook is
// denied on both sides.
func TestAdmissionPluginsInTheDiff(t *testing.T) {
	dir, ml, mlPod, _ := placementRepo(t)
	write := writerIn(t, dir)
	write("base/empty.yaml", `apiVersion: strata.dev/v1alpha1
kind: Layer
metadata: {name: nothing}
spec:
  tier: ClusterDefaults
  config: {}
`)
	own := write("own.yaml", strings.Replace(readFile(t, mlPod), "spec:\n", "spec:\n  nodeSelector: {node.strata.dev/pool: cpu}\n", 1))
	diff := func(pod string, more ...string) run {
		return composer(t, "", append([]string{"diff", "-f", pod, "--base", filepath.Join(dir, "base"), "--head", filepath.Join(dir, "layers"),
			"--cluster", "c", "--pool", "p", "--cluster-config", ml, "-o", "json", "--fail-on-deny"}, more...)...)
	}
	plugins := "--admission-plugins=PodNodeSelector,PodTolerationRestriction"
	if r := diff(mlPod, plugins); r.code != ExitDenied || !strings.Contains(r.out, "pod-node-selector: pod node label selector conflicts") {
		t.Errorf("the override: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	if r := diff(mlPod); r.code != ExitOK {
		t.Errorf("the override, without the plugins: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	if r := diff(own, plugins); r.code != ExitOK || !strings.Contains(r.out, "refuses the pod before any webhook") {
		t.Errorf("a pod's own pool, refused on both sides: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	if r := diff(mlPod, "--admission-plugins", "Nope"); r.code != ExitInput || !strings.Contains(r.err, `--admission-plugins: admission plugin "Nope"`) {
		t.Errorf("an unknown plugin: exit %d\n%s", r.code, r.err)
	}
}

// TestPinnedSelectorInExplain: -o explain names the namespace as the
// source of the node selector its pin gives a pod (--admission-plugins)
// or an application's roles, which provenance holds as the pod's own; a
// value the user wrote stays the user's.
func TestPinnedSelectorInExplain(t *testing.T) {
	dir, ml, mlPod, _ := placementRepo(t)
	write := writerIn(t, dir)
	const pinned = `namespace "ml" (PodNodeSelector) "gpu"`
	explain := func(pod string, more ...string) run {
		return composer(t, "", append([]string{"compose", "-f", pod, "--layers", filepath.Join(dir, "layers"), "--cluster", "c", "--pool", "p",
			"--cluster-config", ml, "-o", "explain"}, more...)...)
	}
	// The override beats the pin, which the plugin gave the pod.
	if r := explain(mlPod, "--admission-plugins", "PodNodeSelector"); r.code != ExitOK || !strings.Contains(r.out, `NamespaceOverrides layer "batch-for-ml"  `+pinned) {
		t.Errorf("a pod given the pin: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	// The pod's own value, the namespace's, is the user's.
	own := write("own-gpu.yaml", strings.Replace(readFile(t, mlPod), "spec:\n", "spec:\n  nodeSelector: {node.strata.dev/pool: gpu}\n", 1))
	if r := explain(own, "--admission-plugins", "PodNodeSelector"); r.code != ExitOK || strings.Contains(r.out, "(PodNodeSelector)") || !strings.Contains(r.out, `user "gpu"`) {
		t.Errorf("a pod's own value: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	// An application's roles hold the pin the application did not write.
	write("app.yaml", reportApp("ml", "1g"))
	r := explain(filepath.Join(dir, "app.yaml"))
	for _, role := range []string{"driver", "executor"} {
		if want := `spec.` + role + `.nodeSelector["node.strata.dev/pool"]`; r.code != ExitOK || !strings.Contains(r.out, want) || strings.Count(r.out, pinned) != 2 {
			t.Errorf("an application: exit %d, want %s beating %s\n%s\n%s", r.code, want, pinned, r.out, r.err)
		}
	}
}

// TestRuntimeClassRefusalIsAVerdict: a pod the API server's RuntimeClass
// plugin refuses before any webhook (a node selector against its class's)
// is composed all the same, its refusal a verdict: named on stderr with
// exit 1, an isolation violation under --validate among the corpus's
// verdicts, and one a suite's case expects.
func TestRuntimeClassRefusalIsAVerdict(t *testing.T) {
	dir, _, _, etlPod := placementRepo(t)
	write := writerIn(t, dir)
	class := write("cluster/class.yaml", `apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata: {name: sandboxed}
handler: runsc
scheduling: {nodeSelector: {node.strata.dev/runtime: gvisor}}
`)
	write("sandboxed.yaml", strings.Replace(readFile(t, etlPod), "spec:\n", "spec:\n  runtimeClassName: sandboxed\n  nodeSelector: {node.strata.dev/runtime: kata}\n", 1))
	write("layers/class.yaml", readFile(t, class))
	const (
		reason  = `RuntimeClass "sandboxed": conflict: runtimeClass.scheduling.nodeSelector[node.strata.dev/runtime] = gvisor; pod.spec.nodeSelector[node.strata.dev/runtime] = kata`
		verdict = `isolation: ` + reason + ` (the API server's RuntimeClass admission refuses the pod before any webhook)`
	)
	args := []string{"compose", "--layers", filepath.Join(dir, "layers"), "--cluster", "c", "--pool", "p"}
	if r := composer(t, "", append(args, "-f", filepath.Join(dir, "sandboxed.yaml"))...); r.code != ExitDenied ||
		!strings.Contains(r.err, "Pod etl/exec-1: refused by the API server before any webhook: "+reason) || r.out != "" {
		t.Errorf("compose: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	corpus := write("corpus.yaml", readFile(t, filepath.Join(dir, "sandboxed.yaml"))+"---\n"+strings.Replace(readFile(t, etlPod), "exec-1", "exec-2", 1))
	if r := composer(t, "", append(args, "-f", corpus, "--validate", "-o", "json")...); r.code != ExitDenied ||
		!strings.Contains(r.err, "Pod etl/exec-1: deny: "+verdict) || !strings.Contains(r.err, "1 of 2 objects denied by policy") {
		t.Errorf("compose --validate: exit %d\n%s", r.code, r.err)
	}
	file := write("t.yaml", `apiVersion: strata.dev/v1alpha1
kind: PolicyTest
metadata: {name: runtime-class}
layers: layers
cluster: c
pool: p
cases:
  - name: a node selector against its class's
    pod: sandboxed.yaml
    expect:
      allowed: false
      violations:
      - policy: isolation
        message: "`+strings.ReplaceAll(verdict, `"`, `\"`)+`"
`)
	wantOnePassed(t, file)
	// A change that brings the class flips the pod to denied.
	write("base/layer.yaml", readFile(t, filepath.Join(dir, "layers", "layer.yaml")))
	if r := composer(t, "", "diff", "-f", filepath.Join(dir, "sandboxed.yaml"), "--base", filepath.Join(dir, "base"), "--head", filepath.Join(dir, "layers"),
		"--cluster", "c", "--pool", "p", "-o", "json", "--fail-on-deny"); r.code != ExitDenied || !strings.Contains(r.out, "RuntimeClass admission refuses the pod before any webhook") {
		t.Errorf("diff: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
}

// TestExtendedResourceTolerationInTheDryRun: with ExtendedResourceToleration
// among --admission-plugins, a pod that requests a GPU is given the
// plugin's toleration of it, which is the tenant's (requesting the
// resource is its choice): refused where isolation does not allow it, as
// the webhook refuses the pod the API server sends it.
func TestExtendedResourceTolerationInTheDryRun(t *testing.T) {
	dir := t.TempDir()
	write := writerIn(t, dir)
	write("layers/layer.yaml", `apiVersion: strata.dev/v1alpha1
kind: Layer
metadata: {name: isolation}
spec:
  tier: ClusterOverrides
  config:
    isolation:
      allowedTolerations: [{key: node.strata.dev/spot}]
`)
	pod := write("pod.yaml", executorYAML("etl", `{requests: {cpu: "1", memory: 1Gi}, limits: {nvidia.com/gpu: "1"}}`))
	args := []string{"compose", "-f", pod, "--layers", filepath.Join(dir, "layers"), "--cluster", "c", "--pool", "p", "--validate", "-o", "json"}
	const refused = `toleration "nvidia.com/gpu:NoSchedule op=Exists" is not allowed`
	if r := composer(t, "", append(args, "--admission-plugins", "ExtendedResourceToleration")...); r.code != ExitDenied || !strings.Contains(r.err, refused) ||
		!strings.Contains(r.out, `"key": "nvidia.com/gpu"`) {
		t.Errorf("with the plugin: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	if r := composer(t, "", args...); r.code != ExitOK {
		t.Errorf("without the plugin: exit %d\n%s", r.code, r.err)
	}
}
