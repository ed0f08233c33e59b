package app

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestAppliersSharedByCases: a suite's cases share the repository
// compiled and an applier of the cluster's MutatingAdmissionPolicies
// where they meet the same cluster, and only there: a policy bound to
// namespaces of a label applies to the cases whose namespace has it
// (namespaceLabels), whichever case came before; one that writes who
// creates the pod writes each case's user and groups.
func TestAppliersSharedByCases(t *testing.T) {
	dir := t.TempDir()
	audit := strings.Replace(mutatingPolicy("audit", "ApplyConfiguration", `Object{metadata: Object.metadata{labels: {"audited": "yes"}}}`, "  reinvocationPolicy: Never\n", "etl"),
		"kubernetes.io/metadata.name: etl", `audit: "on"`, 1)
	by := mutatingPolicy("by", "ApplyConfiguration", `Object{metadata: Object.metadata{annotations: {"created-by": request.userInfo.username + " " + request.userInfo.groups.join(",")}}}`, "  reinvocationPolicy: Never\n", "etl")
	_, head := nextOverlay(t, dir, audit+"---\n"+by)
	write := writerIn(t, dir)
	pod := write("repo/pod.yaml", readFile(t, filepath.Join(examples, "pods", "executor.yaml")))
	kase := func(name, extra, audited, createdBy string) string {
		return "  - name: " + name + "\n    pod: " + pod + "\n" + extra + "    expect:\n      allowed: true\n      stored:\n        metadata.labels.audited: " + audited +
			"\n        'metadata.annotations[\"created-by\"]': " + createdBy + "\n"
	}
	suite := prodASuite("shared", head) +
		kase("audited", "    namespaceLabels: {audit: \"on\"}\n    user: alice\n", `"yes"`, `"alice system:authenticated"`) +
		kase("not audited", "    user: alice\n", "null", `"alice system:authenticated"`) +
		kase("audited again, by bob", "    namespaceLabels: {audit: \"on\"}\n    user: bob\n    groups: [etl-admins]\n", `"yes"`, `"bob etl-admins,system:authenticated"`) +
		kase("not audited, by alice again", "    user: alice\n", "null", `"alice system:authenticated"`) +
		kase("audited, by alice of etl-admins", "    namespaceLabels: {audit: \"on\"}\n    user: alice\n    groups: [etl-admins]\n", `"yes"`, `"alice etl-admins,system:authenticated"`)
	r := composer(t, "", "test", write("repo/t.yaml", suite))
	if r.code != ExitOK || !strings.Contains(r.out, "5 passed, 0 failed") {
		t.Errorf("exit %d\n%s\n%s", r.code, r.out, r.err)
	}
}
