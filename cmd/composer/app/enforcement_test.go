package app

import (
	"strings"
	"testing"
)

// TestValidateWarnsOfEnforcementOfNoPolicy: compose --validate warns of a
// Layer's enforcement of a policy that the policies it judges with (the
// built-in ones, or --policies) do not have, as the Layer webhook does,
// and judges the pod as without it.
func TestValidateWarnsOfEnforcementOfNoPolicy(t *testing.T) {
	dir := t.TempDir()
	write := writerIn(t, dir)
	write("layers/layer.yaml", `apiVersion: strata.dev/v1alpha1
kind: Layer
metadata: {name: etl-rollout}
spec:
  tier: NamespaceOverrides
  match: {namespaces: [etl]}
  config:
    limits: {maxPodCPU: "1"}
    enforcement: {qouta: warn}
`)
	pod := write("pod.yaml", executorYAML("etl", `{requests: {cpu: "2", memory: 1Gi}}`))
	args := []string{"compose", "-f", pod, "--layers", dir + "/layers", "--cluster", "c", "--pool", "p"}
	want := `/layers/layer.yaml: Layer "etl-rollout": spec.config.enforcement[qouta]: no policy named "qouta" is loaded (baseline, isolation, quota), so this applies to nothing`
	r := composer(t, "", append(args, "--validate")...)
	if r.code != ExitDenied || !strings.Contains(r.err, want) {
		t.Errorf("exit %d, want %d (the quota still denies) and stderr with %q:\n%s", r.code, ExitDenied, want, r.err)
	}
	if r := composer(t, "", args...); strings.Contains(r.err, "enforcement[qouta]") {
		t.Errorf("warned without --validate, where no policy judges:\n%s", r.err)
	}
}

// TestPolicyTestWarnsOfItsLayers: composer test warns, on stderr, of what
// the Layer webhook would warn of in the Layers its suites read, each
// warning once however many suites read them, and its results are as
// without them.
func TestPolicyTestWarnsOfItsLayers(t *testing.T) {
	dir := t.TempDir()
	write := writerIn(t, dir)
	write("layers/layer.yaml", `apiVersion: strata.dev/v1alpha1
kind: Layer
metadata: {name: odd}
spec:
  tier: NamespaceOverrides
  match: {clusters: [prod-a], roles: [executor]}
  config:
    enforcement: {qouta: warn}
  driver:
    labels: {tier: gold}
`)
	pod := write("pod.yaml", executorYAML("etl", `{requests: {cpu: "1", memory: 1Gi}}`))
	for _, name := range []string{"a", "b"} {
		write("tests/"+name+".yaml", prodASuite(name, dir+"/layers")+"  - name: an executor\n    pod: "+pod+"\n    expect: {allowed: true}\n")
	}
	r := composer(t, "", "test", dir+"/tests")
	if r.code != ExitOK || !strings.Contains(r.out, "2 passed, 0 failed") {
		t.Fatalf("exit %d\n%s%s", r.code, r.out, r.err)
	}
	for _, want := range []string{
		`Layer "odd": spec.config.enforcement[qouta]: no policy named "qouta" is loaded (baseline, isolation, quota)`,
		`Layer "odd": spec.driver: spec.match.roles [executor] leaves out driver pods`,
	} {
		if n := strings.Count(r.err, want); n != 1 {
			t.Errorf("stderr holds %q %d times, want once:\n%s", want, n, r.err)
		}
	}
	if strings.Contains(r.out, "Warning") {
		t.Errorf("a warning among the results:\n%s", r.out)
	}
}
