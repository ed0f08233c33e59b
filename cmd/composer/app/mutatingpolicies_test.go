package app

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// mutatingPolicy is a MutatingAdmissionPolicy of pods named name, with
// one mutation and the spec lines extra (YAML, indented by two), bound to
// namespace.
func mutatingPolicy(name, patchType, expr, extra, namespace string) string {
	mutation := `{patchType: ApplyConfiguration, applyConfiguration: {expression: '` + expr + `'}}`
	if patchType == "JSONPatch" {
		mutation = `{patchType: JSONPatch, jsonPatch: {expression: '` + expr + `'}}`
	}
	return `apiVersion: admissionregistration.k8s.io/v1
kind: MutatingAdmissionPolicy
metadata: {name: ` + name + `}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
  mutations: [` + mutation + `]
` + extra + `---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingAdmissionPolicyBinding
metadata: {name: ` + name + `-` + namespace + `}
spec:
  policyName: ` + name + `
  matchResources: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ` + namespace + `}}}
`
}

// composedPod is the pod of a composer's JSON output.
func composedPod(t *testing.T, out string) corev1.Pod {
	t.Helper()
	var pod corev1.Pod
	if err := json.Unmarshal([]byte(out), &pod); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return pod
}

// TestMutatingPoliciesFromFiles: the cluster's MutatingAdmissionPolicies
// and bindings in --cluster-config change a pod composed as the API server
// changes it, before the webhook; one bound elsewhere does not. What the
// dry run does not apply to (a SparkApplication's launched pods) it names.
func TestMutatingPoliciesFromFiles(t *testing.T) {
	dir, _, pod := limitsRepo(t)
	write := writerIn(t, dir)
	stamp := func(namespace string) string {
		return write("cluster/mutating.yaml", mutatingPolicy("stamp", "ApplyConfiguration", `Object{metadata: Object.metadata{labels: {"stamped": "yes"}}}`,
			`  reinvocationPolicy: Never
  matchConditions: [{name: labelled, expression: "has(object.metadata.labels)"}]
`, namespace))
	}
	compose := func(config string) run {
		return composer(t, "", "compose", "-f", pod, "--layers", filepath.Join(dir, "layers"), "--cluster", "c", "--pool", "p", "--cluster-config", config, "-o", "json")
	}
	const changed = `Note: Pod etl/exec-1: the cluster's MutatingAdmissionPolicies change it in the API server before the webhooks, as printed`
	r := compose(stamp("etl"))
	if r.code != ExitOK || !strings.Contains(r.err, changed) || strings.Contains(r.err, "does not apply") {
		t.Errorf("bound to etl: exit %d, stderr:\n%s\nwant %q", r.code, r.err, changed)
	}
	if got := composedPod(t, r.out); got.Labels["stamped"] != "yes" || len(got.Spec.InitContainers) != 1 {
		t.Errorf("bound to etl: labels %v, %d init containers: want the policy's label and the layer's sidecar", got.Labels, len(got.Spec.InitContainers))
	}
	r = compose(stamp("geo"))
	if r.code != ExitOK || strings.Contains(r.err, "MutatingAdmissionPolic") {
		t.Errorf("bound to geo: exit %d, stderr:\n%s", r.code, r.err)
	}
	if got := composedPod(t, r.out); got.Labels["stamped"] != "" {
		t.Errorf("bound to geo: labels %v", got.Labels)
	}
	// A ScheduledSparkApplication: its runs' pods are named, not changed.
	r = composer(t, "", "compose", "-f", filepath.Join(examples, "apps", "etl-report-nightly.yaml"), "--layers", filepath.Join(dir, "layers"),
		"--cluster", "c", "--pool", "p", "--cluster-config", stamp("etl"), "-o", "json")
	for _, role := range []string{"driver", "executor"} {
		want := `MutatingAdmissionPolicy "stamp" (binding "stamp-etl") applies to the ` + role + ` pods it launches in the API server unless its match conditions leave it out, before the webhooks; ` +
			`--validate judges them as it changes them`
		if r.code != ExitOK || !strings.Contains(r.err, want) {
			t.Errorf("a schedule: exit %d, stderr:\n%s\nwant %q", r.code, r.err, want)
		}
	}
}

// TestMutatingPoliciesReinvoked: after the webhook changed the pod (the
// layer's sidecar), the API server's second pass applies again a policy
// whose reinvocationPolicy is IfNeeded, and not one that is Never.
func TestMutatingPoliciesReinvoked(t *testing.T) {
	dir, _, pod := limitsRepo(t)
	write := writerIn(t, dir)
	for policy, want := range map[string]string{"IfNeeded": "2", "Never": "1"} {
		config := write("cluster/mutating-"+policy+".yaml", mutatingPolicy("count", "ApplyConfiguration",
			`Object{metadata: Object.metadata{annotations: {"containers": string(size(object.spec.containers) + (has(object.spec.initContainers) ? size(object.spec.initContainers) : 0))}}}`, "  reinvocationPolicy: "+policy+"\n", "etl"))
		r := composer(t, "", "compose", "-f", pod, "--layers", filepath.Join(dir, "layers"), "--cluster", "c", "--pool", "p", "--cluster-config", config, "-o", "json")
		if r.code != ExitOK {
			t.Fatalf("%s: exit %d: %s", policy, r.code, r.err)
		}
		if got := composedPod(t, r.out); got.Annotations["containers"] != want {
			t.Errorf("%s: containers %q, want %q (the pod stored: %v)", policy, got.Annotations["containers"], want, got.Annotations)
		}
	}
}

// TestMutatingPoliciesNotApplied: a policy the dry run cannot apply (no
// file holds its params, and no cluster is read) is named with the reason
// and not applied.
func TestMutatingPoliciesNotApplied(t *testing.T) {
	dir, _, pod := limitsRepo(t)
	config := writerIn(t, dir)("cluster/mutating.yaml", mutatingPolicy("team", "ApplyConfiguration", `Object{metadata: Object.metadata{labels: {"team": params.data.team}}}`,
		"  reinvocationPolicy: Never\n  paramKind: {apiVersion: v1, kind: ConfigMap}\n", "etl"))
	r := composer(t, "", "compose", "-f", pod, "--layers", filepath.Join(dir, "layers"), "--cluster", "c", "--pool", "p", "--cluster-config", config, "-o", "json")
	const want = `Note: Pod etl/exec-1: MutatingAdmissionPolicy "team" (binding "team-etl") applies to it in the API server, before the webhooks; ` +
		`the dry run does not apply it: its params (paramKind v1 ConfigMap) could not be read: no file given holds one, and no cluster is read: what the API server stores may differ from what is printed`
	if r.code != ExitOK || !strings.Contains(r.err, want) {
		t.Errorf("exit %d, stderr:\n%s\nwant %q", r.code, r.err, want)
	}
	if got := composedPod(t, r.out); got.Labels["team"] != "" {
		t.Errorf("labels %v: applied", got.Labels)
	}
}

// TestMutatingPolicyRefuses: a policy that fails where its failurePolicy
// is Fail refuses the pod before any webhook, in the API server's words,
// with and without --validate.
func TestMutatingPolicyRefuses(t *testing.T) {
	dir, _, pod := limitsRepo(t)
	config := writerIn(t, dir)("cluster/mutating.yaml", mutatingPolicy("node", "JSONPatch", `[JSONPatch{op: "add", path: "/spec/nodeName", value: object.metadata.labels["pinned-node"]}]`,
		"  reinvocationPolicy: Never\n", "etl"))
	for _, validate := range []bool{false, true} {
		args := []string{"compose", "-f", pod, "--layers", filepath.Join(dir, "layers"), "--cluster", "c", "--pool", "p", "--cluster-config", config}
		if validate {
			args = append(args, "--validate")
		}
		r := composer(t, "", args...)
		if r.code != ExitDenied || !strings.Contains(r.err, `policy 'node' with binding 'node-etl' denied request`) || !strings.Contains(r.err, "no such key: pinned-node") {
			t.Errorf("--validate %v: exit %d, stderr:\n%s", validate, r.code, r.err)
		}
	}
}

// TestMutatingPoliciesOnLaunchedPods: --validate judges the pods an
// application launches as the cluster's MutatingAdmissionPolicies change
// them (a policy that gives them the host's network has them refused, as
// the validating webhook refuses them), and a policy that fails refuses
// them in the API server's words.
func TestMutatingPoliciesOnLaunchedPods(t *testing.T) {
	dir, _, _ := limitsRepo(t)
	write := writerIn(t, dir)
	app := write("app.yaml", reportApp("etl", "1g"))
	validate := func(config string) run {
		return composer(t, "", "compose", "-f", app, "--layers", filepath.Join(dir, "layers"), "--cluster", "c", "--pool", "p", "--validate", "--cluster-config", config)
	}
	if r := validate(write("cluster/none.yaml", mutatingPolicy("stamp", "ApplyConfiguration", `Object{metadata: Object.metadata{labels: {"stamped": "yes"}}}`, "  reinvocationPolicy: Never\n", "etl"))); r.code != ExitOK {
		t.Fatalf("a policy that refuses nothing: exit %d: %s", r.code, r.err)
	}
	r := validate(write("cluster/host.yaml", mutatingPolicy("host", "JSONPatch", `[JSONPatch{op: "add", path: "/spec/hostNetwork", value: true}]`, "  reinvocationPolicy: Never\n", "etl")))
	if r.code != ExitDenied || !strings.Contains(r.err, "hostNetwork") {
		t.Errorf("the host's network: exit %d, stderr:\n%s", r.code, r.err)
	}
	r = validate(write("cluster/broken.yaml", mutatingPolicy("node", "JSONPatch", `[JSONPatch{op: "add", path: "/spec/nodeName", value: object.metadata.labels["pinned-node"]}]`, "  reinvocationPolicy: Never\n", "etl")))
	const want = `mutating-admission-policy: SparkApplication "report": driver pod: policy 'node' with binding 'node-etl' denied request`
	if r.code != ExitDenied || !strings.Contains(r.err, want) {
		t.Errorf("a failing policy: exit %d, stderr:\n%s\nwant %q", r.code, r.err, want)
	}
}

// TestMutatingPoliciesInTestsAndDiffs: a MutatingAdmissionPolicy kept in
// the layer repository is applied by composer test (a case judges the
// pod as it changes it) and by composer diff (a change that brings it
// flips the pod to denied).
func TestMutatingPoliciesInTestsAndDiffs(t *testing.T) {
	dir, _, pod := limitsRepo(t)
	write := writerIn(t, dir)
	write("base/layer.yaml", readFile(t, filepath.Join(dir, "layers", "layer.yaml")))
	write("layers/host.yaml", mutatingPolicy("host", "JSONPatch", `[JSONPatch{op: "add", path: "/spec/hostNetwork", value: true}]`, "  reinvocationPolicy: Never\n", "etl"))
	file := write("t.yaml", `apiVersion: strata.dev/v1alpha1
kind: PolicyTest
metadata: {name: mutating}
layers: layers
cluster: c
pool: p
cases:
  - name: given the host's network by a policy
    pod: pod.yaml
    expect:
      allowed: false
      violations:
      - policy: baseline
        message: "baseline: pod must not set hostNetwork=true (Pod Security Standards baseline, hostNamespaces)"
`)
	wantOnePassed(t, file)
	r := composer(t, "", "diff", "-f", pod, "--base", filepath.Join(dir, "base"), "--head", filepath.Join(dir, "layers"),
		"--cluster", "c", "--pool", "p", "-o", "json", "--fail-on-deny")
	if r.code != ExitDenied || !strings.Contains(r.out, "hostNetwork") {
		t.Errorf("diff: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
}

// TestMutatingPoliciesExplained: -o explain names a MutatingAdmissionPolicy,
// not the user, as the source of a value it gave the pod, and the user
// still of the pod's own.
func TestMutatingPoliciesExplained(t *testing.T) {
	dir, _, _ := limitsRepo(t)
	write := writerIn(t, dir)
	write("layers/team.yaml", `apiVersion: strata.dev/v1alpha1
kind: Layer
metadata: {name: team-default}
spec:
  tier: ClusterDefaults
  config: {labels: {team: platform, cost-center: shared}}
`)
	pod := write("own.yaml", strings.Replace(executorYAML("etl", ""), "labels: {", "labels: {cost-center: own, ", 1))
	config := write("cluster/team.yaml", mutatingPolicy("team", "ApplyConfiguration", `Object{metadata: Object.metadata{labels: {"team": "ml"}}}`, "  reinvocationPolicy: Never\n", "etl"))
	r := composer(t, "", "compose", "-f", pod, "--layers", filepath.Join(dir, "layers"), "--cluster", "c", "--pool", "p", "--cluster-config", config, "-o", "explain")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(r.out, "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], "metadata.labels.") {
			rows[f[0]] = strings.Join(f[1:], " ")
		}
	}
	for field, want := range map[string]string{
		"metadata.labels.team":        `"ml" a MutatingAdmissionPolicy ClusterDefaults layer "team-default" "platform"`,
		"metadata.labels.cost-center": `"own" user ClusterDefaults layer "team-default" "shared"`,
	} {
		if rows[field] != want {
			t.Errorf("%s: %q, want %q\n%s", field, rows[field], want, r.out)
		}
	}
}

// TestMutatingPoliciesReadTheNamespace: a policy's namespaceObject is the
// pod's Namespace as the cluster configuration holds it, its annotations
// included.
func TestMutatingPoliciesReadTheNamespace(t *testing.T) {
	dir, _, pod := limitsRepo(t)
	write := writerIn(t, dir)
	config := write("cluster/mutating.yaml", `apiVersion: v1
kind: Namespace
metadata:
  name: etl
  annotations: {scheduling.example.com/scheduler: volcano}
---
`+mutatingPolicy("scheduler", "JSONPatch", `[JSONPatch{op: "add", path: "/spec/schedulerName", value: namespaceObject.metadata.annotations["scheduling.example.com/scheduler"]}]`,
		"  reinvocationPolicy: Never\n", "etl"))
	r := composer(t, "", "compose", "-f", pod, "--layers", filepath.Join(dir, "layers"), "--cluster", "c", "--pool", "p", "--cluster-config", config, "-o", "json")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	if got := composedPod(t, r.out); got.Spec.SchedulerName != "volcano" {
		t.Errorf("schedulerName %q, want the namespace's annotation", got.Spec.SchedulerName)
	}
}

// TestMutatingPolicyParamsFromFiles: a policy's params in --cluster-config
// (a ConfigMap, a custom resource) are found by its binding as the API
// server finds them: the pod's namespace's, or a refusal where the one
// named is missing and parameterNotFoundAction is Deny.
func TestMutatingPolicyParamsFromFiles(t *testing.T) {
	dir, _, pod := limitsRepo(t)
	write := writerIn(t, dir)
	const objects = `apiVersion: v1
kind: ConfigMap
metadata: {name: team, namespace: etl}
data: {team: ml}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: team, namespace: geo}
data: {team: maps}
---
apiVersion: example.com/v1
kind: TeamDefaults
metadata: {name: team, namespace: etl}
spec: {cost: c-42}
---
`
	policies := func(ref string) string {
		return write("cluster/params.yaml", objects+mutatingPolicy("team", "ApplyConfiguration", `Object{metadata: Object.metadata{labels: {"team": params.data.team}}}`,
			"  reinvocationPolicy: Never\n  paramKind: {apiVersion: v1, kind: ConfigMap}\n", "etl")+
			`  paramRef: {name: `+ref+`, parameterNotFoundAction: Deny}
---
`+mutatingPolicy("cost", "ApplyConfiguration", `Object{metadata: Object.metadata{labels: {"cost": params.spec.cost}}}`,
			"  reinvocationPolicy: Never\n  paramKind: {apiVersion: example.com/v1, kind: TeamDefaults}\n", "etl")+
			`  paramRef: {name: team, parameterNotFoundAction: Deny}
`)
	}
	compose := func(config string) run {
		return composer(t, "", "compose", "-f", pod, "--layers", filepath.Join(dir, "layers"), "--cluster", "c", "--pool", "p", "--cluster-config", config, "-o", "json")
	}
	r := compose(policies("team"))
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	if got := composedPod(t, r.out); got.Labels["team"] != "ml" || got.Labels["cost"] != "c-42" {
		t.Errorf("labels %v, want the team and cost of etl's params", got.Labels)
	}
	if r = compose(policies("absent")); r.code != ExitDenied || !strings.Contains(r.err, "no params found for policy binding with `Deny` parameterNotFoundAction") {
		t.Errorf("a param missing: exit %d, stderr:\n%s", r.code, r.err)
	}
}

// TestMutatingPoliciesInEitherOrder: where two policies set the same field
// of a pod, the API server's result depends on its order, which is not
// fixed: the dry run says so; of policies that set fields of their own it
// says nothing.
func TestMutatingPoliciesInEitherOrder(t *testing.T) {
	dir, _, pod := limitsRepo(t)
	write := writerIn(t, dir)
	const note = "the cluster's MutatingAdmissionPolicies give it other values applied in another order"
	for _, tc := range []struct {
		name, second string
		want         bool
	}{
		{"the same field", `[JSONPatch{op: "add", path: "/spec/schedulerName", value: "b"}]`, true},
		{"fields of their own", `[JSONPatch{op: "add", path: "/spec/priorityClassName", value: "b"}]`, false},
	} {
		config := write("cluster/order.yaml", mutatingPolicy("a", "JSONPatch", `[JSONPatch{op: "add", path: "/spec/schedulerName", value: "a"}]`, "  reinvocationPolicy: Never\n", "etl")+
			"---\n"+mutatingPolicy("b", "JSONPatch", tc.second, "  reinvocationPolicy: Never\n", "etl"))
		r := composer(t, "", "compose", "-f", pod, "--layers", filepath.Join(dir, "layers"), "--cluster", "c", "--pool", "p", "--cluster-config", config, "-o", "json")
		if r.code != ExitOK || strings.Contains(r.err, note) != tc.want {
			t.Errorf("%s: exit %d, stderr:\n%s\nwant the note: %v", tc.name, r.code, r.err, tc.want)
		}
	}
}
