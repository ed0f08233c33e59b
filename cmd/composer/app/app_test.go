package app

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	jsonpatchv5 "github.com/evanphx/json-patch/v5"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/strata-dev/strata/pkg/mutate"
)

var update = flag.Bool("update", false, "rewrite the golden files with the current output")

const (
	examples = "../../../examples"
	golden   = "testdata/golden"
)

type run struct {
	code     ExitCode
	out, err string
}

func composer(t *testing.T, stdin string, args ...string) run {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, Streams{In: strings.NewReader(stdin), Out: &out, Err: &errOut})
	return run{code: code, out: out.String(), err: errOut.String()}
}

// goldenCases are the example pods composed for each example cluster.
var goldenCases = []struct {
	name, pods, layers, cluster, pool string
}{
	{"prod-a-driver", "driver.yaml", "clusters/prod-a", "prod-a", "batch"},
	{"prod-a-executor", "executor.yaml", "clusters/prod-a", "prod-a", "batch"},
	{"prod-a-geo-executor", "geo-executor.yaml", "clusters/prod-a", "prod-a", "batch"},
	{"prod-b-geo-executor", "geo-executor.yaml", "clusters/prod-b", "prod-b", "interactive"},
}

// writerIn writes files under dir: each call writes data to name (a path
// under dir, its folders made) and returns the file's path.
func writerIn(t *testing.T, dir string) func(name, data string) string {
	return func(name, data string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
}

func exampleArgs(pods, layers, cluster, pool string) []string {
	return []string{"compose", "-f", filepath.Join(examples, "pods", pods),
		"--layers", filepath.Join(examples, "layers", layers), "--cluster", cluster, "--pool", pool}
}

func TestGolden(t *testing.T) {
	formats := map[string]string{"yaml": ".yaml", "patch": ".patch.json", "explain": ".explain.txt"}
	for _, tc := range goldenCases {
		for format, ext := range formats {
			t.Run(tc.name+"/"+format, func(t *testing.T) {
				r := composer(t, "", append(exampleArgs(tc.pods, tc.layers, tc.cluster, tc.pool), "-o", format)...)
				if r.code != ExitOK {
					t.Fatalf("exit %d: %s", r.code, r.err)
				}
				checkGolden(t, filepath.Join(golden, tc.name+ext), r.out)
			})
		}
	}
}

func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run: go test ./cmd/composer/app -update)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (after an intended change: go test ./cmd/composer/app -update):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestPatchGivesJSONOutput applies the -o patch output to the input pod with
// an independent JSON Patch library and checks it equals the -o json output.
func TestPatchGivesJSONOutput(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			args := exampleArgs(tc.pods, tc.layers, tc.cluster, tc.pool)
			patchRun := composer(t, "", append(args, "-o", "patch")...)
			jsonRun := composer(t, "", append(args, "-o", "json")...)
			if patchRun.code != ExitOK || jsonRun.code != ExitOK {
				t.Fatalf("exit %d/%d: %s%s", patchRun.code, jsonRun.code, patchRun.err, jsonRun.err)
			}
			input, err := os.ReadFile(filepath.Join(examples, "pods", tc.pods))
			if err != nil {
				t.Fatal(err)
			}
			var pod corev1.Pod
			if err := yaml.Unmarshal(input, &pod); err != nil {
				t.Fatal(err)
			}
			inJSON, _ := json.Marshal(&pod)
			patch, err := jsonpatchv5.DecodePatch([]byte(patchRun.out))
			if err != nil {
				t.Fatalf("patch output is not a JSON Patch: %v\n%s", err, patchRun.out)
			}
			if len(patch) == 0 {
				t.Fatal("empty patch; the example composes nothing")
			}
			got, err := patch.Apply(inJSON)
			if err != nil {
				t.Fatalf("patch does not apply: %v", err)
			}
			if !jsonpatchv5.Equal(got, []byte(jsonRun.out)) {
				t.Errorf("patched input differs from -o json:\n%s\n%s", got, jsonRun.out)
			}
		})
	}
}

// TestComposeTwiceIsNoOp feeds the composed pods back in: the patch is empty
// and the output byte-identical.
func TestComposeTwiceIsNoOp(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			args := exampleArgs(tc.pods, tc.layers, tc.cluster, tc.pool)
			first := composer(t, "", args...)
			if first.code != ExitOK {
				t.Fatalf("exit %d: %s", first.code, first.err)
			}
			args[2] = "-"
			second := composer(t, first.out, append(args, "-o", "patch")...)
			if second.code != ExitOK || strings.TrimSpace(second.out) != "[]" {
				t.Fatalf("second pass: exit %d, patch %s %s", second.code, second.out, second.err)
			}
			third := composer(t, first.out, args...)
			if third.out != first.out {
				t.Errorf("re-composed output differs:\n%s\n%s", third.out, first.out)
			}
		})
	}
}

func TestSeveralPodsAndNonSparkPods(t *testing.T) {
	input := "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: etl}\nspec: {containers: [{name: c, image: nginx}]}\n---\n"
	driver, err := os.ReadFile(filepath.Join(examples, "pods", "driver.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	input += string(driver)
	args := []string{"compose", "-f", "-", "--layers", filepath.Join(examples, "layers", "clusters/prod-a"), "--cluster", "prod-a", "--pool", "batch"}
	r := composer(t, input, append(args, "-o", "patch")...)
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	dec := json.NewDecoder(strings.NewReader(r.out))
	var patches [][]any
	for dec.More() {
		var p []any
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		patches = append(patches, p)
	}
	if len(patches) != 2 || len(patches[0]) != 0 || len(patches[1]) == 0 {
		t.Fatalf("patches = %v, want [] for the web pod and a patch for the driver", patches)
	}
	r = composer(t, input, append(args, "-o", "explain")...)
	if !strings.Contains(r.out, "Pod etl/web: not a Spark pod") {
		t.Errorf("explain does not say the web pod is not a Spark pod:\n%s", r.out)
	}
	r = composer(t, input, append(args, "-o", "json")...)
	var list corev1.List
	if err := json.Unmarshal([]byte(r.out), &list); err != nil || list.Kind != "List" || len(list.Items) != 2 {
		t.Fatalf("-o json of two pods is not a List of two: %v %s", err, r.out)
	}
}

func TestNamespaceLabelsFlag(t *testing.T) {
	// The executor runs in etl; labelling etl group=geo makes the geo layer match it too.
	args := append(exampleArgs("executor.yaml", "clusters/prod-a", "prod-a", "batch"), "-o", "explain")
	without := composer(t, "", args...)
	with := composer(t, "", append(args, "--namespace-labels", "group=geo")...)
	if strings.Contains(without.out, "ns-geo") || !strings.Contains(with.out, "ns-geo") {
		t.Fatalf("--namespace-labels did not select the geo layer:\nwithout:\n%s\nwith:\n%s", without.out, with.out)
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write := writerIn(t, dir)
	pod := filepath.Join(examples, "pods", "driver.yaml")
	good := filepath.Join(examples, "layers", "clusters/prod-a")
	typo := write("typo/ns.yaml", "apiVersion: strata.dev/v1alpha1\nkind: Layer\nmetadata: {name: ns-typo}\nspec: {tier: NamespaceDefaults}\n")
	unknown := write("unknown/l.yaml", "apiVersion: strata.dev/v1alpha1\nkind: Layer\nmetadata: {name: x}\nspec: {tier: PoolDefaults, config: {lables: {a: b}}}\n")
	write("dup/a.yaml", "apiVersion: strata.dev/v1alpha1\nkind: Layer\nmetadata: {name: same}\nspec: {tier: PoolDefaults}\n")
	write("dup/b.yaml", "apiVersion: strata.dev/v1alpha1\nkind: Layer\nmetadata: {name: same}\nspec: {tier: PoolDefaults}\n")
	write("noname/a.yaml", "apiVersion: strata.dev/v1alpha1\nkind: Layer\nmetadata: {}\nspec: {tier: PoolDefaults}\n")
	write("selector/a.yaml", "apiVersion: strata.dev/v1alpha1\nkind: Layer\nmetadata: {name: s}\nspec: {tier: PoolDefaults, match: {namespaceSelector: {matchExpressions: [{key: a, operator: Near}]}}}\n")
	write("tol/a.yaml", "apiVersion: strata.dev/v1alpha1\nkind: Layer\nmetadata: {name: t}\nspec: {tier: PoolDefaults, config: {tolerations: [{key: gpu, operator: Exists, value: x}]}}\n")
	write("patch/a.yaml", "apiVersion: strata.dev/v1alpha1\nkind: Layer\nmetadata: {name: pp}\nspec: {tier: ClusterOverrides, config: {podPatch: {spec: {containers: {name: x}}}}}\n")
	write("sidecar/a.yaml", "apiVersion: strata.dev/v1alpha1\nkind: Layer\nmetadata: {name: sc}\nspec: {tier: PoolDefaults, config: {sidecars: [{name: log, image: x, imagePullPolicyy: Always}]}}\n")
	badPod := write("pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containerz: []}\n")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown tier", []string{"compose", "-f", pod, "--layers", filepath.Dir(typo)},
			typo + `: Layer "ns-typo": spec.tier: Unsupported value: "NamespaceDefaults": supported values: "PoolDefaults", "ClusterDefaults", "ClusterOverrides", "NamespaceOverrides"`},
		{"unknown field", []string{"compose", "-f", pod, "--layers", filepath.Dir(unknown)}, unknown + `: Layer "x": unknown field "spec.config.lables"`},
		{"duplicate names", []string{"compose", "-f", pod, "--layers", filepath.Join(dir, "dup")},
			filepath.Join(dir, "dup/b.yaml") + `: Layer "same": metadata.name: Duplicate value: "same": also in ` + filepath.Join(dir, "dup/a.yaml")},
		{"empty name", []string{"compose", "-f", pod, "--layers", filepath.Join(dir, "noname")}, `a.yaml: Layer "": metadata.name: Required value`},
		{"bad selector", []string{"compose", "-f", pod, "--layers", filepath.Join(dir, "selector")}, `Layer "s": spec.match.namespaceSelector.matchExpressions[0].operator: Invalid value: "Near": not a valid selector operator`},
		{"bad toleration", []string{"compose", "-f", pod, "--layers", filepath.Join(dir, "tol")}, `Layer "t": spec.config.tolerations[0].value: Invalid value: "x": must be empty when operator is Exists`},
		{"bad pod patch", []string{"compose", "-f", pod, "--layers", filepath.Join(dir, "patch")}, `Layer "pp": spec.config.podPatch: `},
		{"unknown sidecar field", []string{"compose", "-f", pod, "--layers", filepath.Join(dir, "sidecar")}, `Layer "sc": unknown field "spec.config.sidecars[0].imagePullPolicyy"`},
		{"bad pod", []string{"compose", "-f", badPod, "--layers", good}, badPod + `: Pod "p": unknown field "spec.containerz"`},
		{"missing pod file", []string{"compose", "-f", filepath.Join(dir, "none.yaml"), "--layers", good}, "-f: reading "},
		{"missing layers dir", []string{"compose", "-f", pod, "--layers", filepath.Join(dir, "none")}, "none: not a directory"},
		{"bad output", []string{"compose", "-f", pod, "--layers", good, "-o", "xml"}, `-o: unknown output format "xml" (want yaml, json, patch, explain or spark-conf)`},
		{"a misspelt user", []string{"compose", "-f", pod, "--layers", good, "--as", "system:serviceaccount:etl"}, `--as: "system:serviceaccount:etl" is not a service account's user name`},
		{"bad namespace labels", []string{"compose", "-f", pod, "--layers", good, "--namespace-labels", "a"}, "--namespace-labels:"},
		{"missing flag", []string{"compose", "-f", pod}, `required flag(s) "cluster", "layers", "pool" not set`},
		{"unknown flag", []string{"compose", "--nope"}, "unknown flag: --nope"},
		{"unknown command", []string{"decompose"}, `unknown command "decompose"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if args[0] == "compose" && tt.name != "missing flag" && tt.name != "unknown flag" {
				args = append(slices.Clone(args), "--cluster", "prod-a", "--pool", "batch")
			}
			r := composer(t, "", args...)
			if r.code != ExitInput {
				t.Fatalf("exit %d, want %d; stderr: %s", r.code, ExitInput, r.err)
			}
			if !strings.Contains(r.err, tt.want) {
				t.Errorf("stderr %q does not contain %q", r.err, tt.want)
			}
			if strings.Contains(r.err, "goroutine") || strings.Contains(r.err, "panic") {
				t.Errorf("stack trace on stderr: %s", r.err)
			}
			if r.out != "" {
				t.Errorf("output on a failed run: %s", r.out)
			}
		})
	}
}

// TestOverTheBoundsIsDenied: a pod or SparkApplication over the bounds the
// webhook refuses before any work (mutate.CheckSize, mutate.CheckApp), or
// with a key spark-submit would read as another, is denied by the dry run
// too, naming the object and the bound, with or
// without --validate; composer diff refuses it as input it cannot compose.
func TestOverTheBoundsIsDenied(t *testing.T) {
	containers := strings.Repeat("    - {name: c, image: busybox}\n", mutate.MaxContainers+1)
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: wide, namespace: etl, labels: {spark-role: executor}}\nspec:\n  containers:\n" + containers
	var env strings.Builder
	for i := range mutate.MaxEnvVars + 1 {
		fmt.Fprintf(&env, "v%d: x\n        ", i)
	}
	app := "apiVersion: sparkoperator.k8s.io/v1beta2\nkind: SparkApplication\nmetadata: {name: loud, namespace: etl}\nspec:\n  type: Scala\n  driver:\n    envVars:\n        " + env.String() + "\n"
	keyed := "apiVersion: sparkoperator.k8s.io/v1beta2\nkind: SparkApplication\nmetadata: {name: keyed, namespace: etl}\nspec:\n  type: Scala\n  sparkConf: {\"spark.eventLog.dir=s3a://b/\": x}\n"
	schedule := "apiVersion: sparkoperator.k8s.io/v1beta2\nkind: ScheduledSparkApplication\nmetadata: {name: nightly, namespace: etl}\nspec:\n  schedule: \"@daily\"\n  template:\n    type: Scala\n    sparkConf: {\"spark.eventLog.dir=s3a://b/\": x}\n"
	const equals = `spec.sparkConf["spark.eventLog.dir=s3a://b/"]: must not hold "=": the Spark Operator passes it to spark-submit as --conf spark.eventLog.dir=s3a://b/=<value>, which spark-submit reads as key "spark.eventLog.dir" (a key ends at its first "=")`
	layers := filepath.Join(examples, "layers", "clusters/prod-a")
	for _, tc := range []struct {
		name, stdin, want string
	}{
		{"an app with a key spark-submit reads as another", keyed, `<stdin>: SparkApplication etl/keyed: denied by the webhook before any work: ` + equals},
		{"a schedule whose runs hold one", schedule, `<stdin>: ScheduledSparkApplication etl/nightly: denied by the webhook before any work: ` + equals + ` (each run of ScheduledSparkApplication "nightly")`},
		{"a pod", pod, fmt.Sprintf(`<stdin>: Pod etl/wide: denied by the webhook before any work: pod has %d containers; Strata admits at most %d`, mutate.MaxContainers+1, mutate.MaxContainers)},
		{"an app", app, fmt.Sprintf(`<stdin>: SparkApplication etl/loud: denied by the webhook before any work: spec.driver: pod has %d environment variables; Strata admits at most %d`, mutate.MaxEnvVars+1, mutate.MaxEnvVars)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, extra := range [][]string{nil, {"--validate"}} {
				r := composer(t, tc.stdin, append([]string{"compose", "-f", "-", "--layers", layers, "--cluster", "prod-a", "--pool", "batch"}, extra...)...)
				if r.code != ExitDenied || !strings.Contains(r.err, tc.want) || r.out != "" {
					t.Errorf("%v: exit %d, stderr %q, output %d bytes; want exit %d and %q", extra, r.code, r.err, len(r.out), ExitDenied, tc.want)
				}
			}
			r := composer(t, tc.stdin, "diff", "-f", "-", "--base", layers, "--head", layers, "--cluster", "prod-a", "--pool", "batch")
			if r.code != ExitInput || !strings.Contains(r.err, "denied by the webhook before any work") {
				t.Errorf("diff: exit %d, stderr %q", r.code, r.err)
			}
		})
	}
}
