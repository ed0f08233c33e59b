package app

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestMutatingPoliciesFromFiles: the cluster's MutatingAdmissionPolicies
// and bindings in --cluster-config are named where they may apply to a
// pod composed, which the dry run does not apply; one bound elsewhere is
// not.
func TestMutatingPoliciesFromFiles(t *testing.T) {
	dir, _, pod := limitsRepo(t)
	write := writerIn(t, dir)
	policies := func(namespace string) string {
		return write("cluster/mutating.yaml", `apiVersion: admissionregistration.k8s.io/v1
kind: MutatingAdmissionPolicy
metadata: {name: stamp}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
  matchConditions: [{name: labelled, expression: "has(object.metadata.labels)"}]
  mutations:
  - patchType: ApplyConfiguration
    applyConfiguration: {expression: 'Object{metadata: Object.metadata{labels: {"stamped": "yes"}}}'}
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingAdmissionPolicyBinding
metadata: {name: stamp-`+namespace+`}
spec:
  policyName: stamp
  matchResources: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: `+namespace+`}}}
`)
	}
	compose := func(config string) run {
		return composer(t, "", "compose", "-f", pod, "--layers", filepath.Join(dir, "layers"), "--cluster", "c", "--pool", "p", "--cluster-config", config, "-o", "json")
	}
	const note = `Note: Pod etl/exec-1: MutatingAdmissionPolicy "stamp" (binding "stamp-etl") applies to it in the API server unless its match conditions leave it out, before the webhooks; ` +
		`the dry run does not apply MutatingAdmissionPolicies: what the API server stores may differ from what is printed`
	if r := compose(policies("etl")); r.code != ExitOK || !strings.Contains(r.err, note) {
		t.Errorf("bound to etl: exit %d, stderr:\n%s\nwant %q", r.code, r.err, note)
	}
	if r := compose(policies("geo")); r.code != ExitOK || strings.Contains(r.err, "MutatingAdmissionPolicy") {
		t.Errorf("bound to geo: exit %d, stderr:\n%s", r.code, r.err)
	}
	// A ScheduledSparkApplication: its runs' pods.
	config := policies("etl")
	r := composer(t, "", "compose", "-f", filepath.Join(examples, "apps", "etl-report-nightly.yaml"), "--layers", filepath.Join(dir, "layers"),
		"--cluster", "c", "--pool", "p", "--cluster-config", config, "-o", "json")
	for _, role := range []string{"driver", "executor"} {
		if want := `MutatingAdmissionPolicy "stamp" (binding "stamp-etl") applies to the ` + role + ` pods it launches`; r.code != ExitOK || !strings.Contains(r.err, want) {
			t.Errorf("a schedule: exit %d, stderr:\n%s\nwant %q", r.code, r.err, want)
		}
	}
}
