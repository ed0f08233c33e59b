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
