package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// secondPassFields are the fields of a diff's -o json that the API
// server's second pass gives, each as FIELD=OLD->NEW ((unset) for none),
// and the whole report as text for a failure.
func secondPassFields(t *testing.T, out string) []string {
	t.Helper()
	var report diffReport
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatalf("-o json: %v\n%s", err, out)
	}
	unset := func(v *string) string {
		if v == nil {
			return "(unset)"
		}
		return *v
	}
	var got []string
	for _, d := range report.Objects {
		for _, f := range d.Fields {
			if f.Layer == secondPassSource {
				got = append(got, f.Field+"="+unset(f.Old)+"->"+unset(f.New))
			}
		}
	}
	return got
}

// TestDiffOfTheSecondPass: composer diff lists what a change of the layers
// changes of what the API server's second pass stores, which no layer
// sets: here a LimitRange's default cpu limit on the sidecar the head's
// layer injects without one (and the plugin's annotation saying so), and
// the value a reinvoked MutatingAdmissionPolicy computes from the
// SparkConf the layers give. A change that leaves the second pass's work
// as it was lists none.
func TestDiffOfTheSecondPass(t *testing.T) {
	t.Run("a LimitRange's default on a sidecar", func(t *testing.T) {
		head, limits, pod := limitsRepo(t)
		dir := t.TempDir()
		writerIn(t, dir)("layers/layer.yaml", `apiVersion: strata.dev/v1alpha1
kind: Layer
metadata: {name: log-shipper}
spec:
  tier: ClusterDefaults
  config:
    labels: {team: etl}
`)
		args := func(base, head string, more ...string) []string {
			return append([]string{"diff", "-f", pod, "--base", base, "--head", head, "--cluster", "c", "--pool", "p", "--cluster-config", limits}, more...)
		}
		r := composer(t, "", args(filepath.Join(dir, "layers"), filepath.Join(head, "layers"), "-o", "json")...)
		if r.code != ExitOK {
			t.Fatalf("exit %d: %s", r.code, r.err)
		}
		got := strings.Join(secondPassFields(t, r.out), "\n")
		for _, want := range []string{
			`spec.initContainers[log-shipper].resources.limits.cpu=(unset)->"1"`,
			`metadata.annotations["kubernetes.io/limit-ranger"]=`,
		} {
			if !strings.Contains(got, want) {
				t.Errorf("the second pass's fields lack %s:\n%s", want, got)
			}
		}
		text := composer(t, "", args(filepath.Join(dir, "layers"), filepath.Join(head, "layers"))...)
		if !strings.Contains(text.out, `spec.initContainers[log-shipper].resources.limits.cpu`) || !strings.Contains(text.out, secondPassSource) {
			t.Errorf("the text report lacks the second pass's field:\n%s", text.out)
		}
		// The same layers on both sides: the second pass gives the
		// sidecar its default on each, which is no change.
		same := composer(t, "", args(filepath.Join(head, "layers"), filepath.Join(head, "layers"), "-o", "json")...)
		if got := secondPassFields(t, same.out); same.code != ExitOK || len(got) != 0 {
			t.Errorf("no change: exit %d, the second pass's fields %v: %s", same.code, got, same.err)
		}
	})
	t.Run("a reinvoked MutatingAdmissionPolicy on an application", func(t *testing.T) {
		base, app := appRepo(t)
		write := writerIn(t, base)
		config := write("cluster/count.yaml", appMutatingPolicy("count", "ApplyConfiguration",
			`Object{metadata: Object.metadata{annotations: {"settings": string(has(object.spec.sparkConf) ? size(object.spec.sparkConf) : 0)}}}`,
			"  reinvocationPolicy: IfNeeded\n", "etl")+"---\n"+sparkAppCRD(t))
		layer, err := os.ReadFile(filepath.Join(base, "layers", "layer.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		head := t.TempDir()
		writerIn(t, head)("layers/layer.yaml", strings.Replace(string(layer), `spark.eventLog.enabled: "true",`, `spark.eventLog.enabled: "true", spark.eventLog.compress: "true",`, 1))
		r := composer(t, "", "diff", "-f", app, "--base", filepath.Join(base, "layers"), "--head", filepath.Join(head, "layers"),
			"--cluster", "c", "--pool", "p", "--cluster-config", config, "-o", "json")
		if r.code != ExitOK {
			t.Fatalf("exit %d: %s", r.code, r.err)
		}
		if got, want := strings.Join(secondPassFields(t, r.out), "\n"), `metadata.annotations.settings="2"->"3"`; got != want {
			t.Errorf("the second pass's fields:\n%s\nwant:\n%s", got, want)
		}
	})
	t.Run("a reinvoked MutatingAdmissionPolicy on a SparkConnect", func(t *testing.T) {
		dir := t.TempDir()
		write := writerIn(t, dir)
		crd := readFile(t, filepath.Join("..", "..", "..", "test", "controlplane", "crds", "sparkoperator.k8s.io_sparkconnects.yaml"))
		config := write("count.yaml", over("v1alpha1", "sparkconnects", mutatingPolicy("count", "ApplyConfiguration",
			`Object{metadata: Object.metadata{annotations: {"settings": string(has(object.spec.sparkConf) ? size(object.spec.sparkConf) : 0)}}}`,
			"  reinvocationPolicy: IfNeeded\n", "etl"))+"---\n"+crd)
		repo := filepath.Join(dir, "repo")
		if err := os.CopyFS(repo, os.DirFS(filepath.Join(examples, "layers"))); err != nil {
			t.Fatal(err)
		}
		defaults := filepath.Join(repo, "clusters", "prod-a", "defaults.yaml")
		data := readFile(t, defaults)
		changed := strings.Replace(data, "      spark.eventLog.enabled: \"true\"\n", "      spark.eventLog.enabled: \"true\"\n      spark.eventLog.compress: \"true\"\n", 1)
		if changed == data {
			t.Fatal("prod-a's defaults changed shape: update the test's change")
		}
		write("repo/clusters/prod-a/defaults.yaml", changed)
		r := composer(t, "", "diff", "-f", filepath.Join(examples, "apps", "notebooks-connect.yaml"),
			"--base", filepath.Join(examples, "layers", "clusters", "prod-a"), "--head", filepath.Join(repo, "clusters", "prod-a"),
			"--cluster", "prod-a", "--pool", "batch", "--cluster-config", config, "-o", "json")
		if r.code != ExitOK {
			t.Fatalf("exit %d: %s", r.code, r.err)
		}
		got := secondPassFields(t, r.out)
		if len(got) != 1 || got[0] != `metadata.annotations.settings="4"->"5"` {
			t.Errorf("the second pass's fields: %v, want the count of the keys the layers give, one more", got)
		}
	})
}
