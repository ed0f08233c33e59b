package app

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestPlacementControllersAreWarnedOf: the composer warns, as the Layer
// webhook does, of a placement controller that is a service account of a
// namespace tenants may administer: compose and diff (of what --head
// brings) print it on stderr with the file and the Layer, and still
// compose. A namespace --cluster-config labels exempt is not warned of,
// and one the composer was not given is said to be missing from its inputs.
func TestPlacementControllersAreWarnedOf(t *testing.T) {
	dir := t.TempDir()
	write := writerIn(t, dir)
	write("base/layer.yaml", "apiVersion: strata.dev/v1alpha1\nkind: Layer\nmetadata: {name: defaults}\nspec:\n  tier: ClusterDefaults\n  config: {labels: {team: data}}\n")
	head := "apiVersion: strata.dev/v1alpha1\nkind: Layer\nmetadata: {name: placement}\nspec:\n  tier: ClusterOverrides\n  config:\n    isolation:\n      placementControllers:\n" +
		"      - system:serviceaccount:kube-system:scheduler-plugins\n      - system:serviceaccount:etl:placer\n      - system:serviceaccount:queues:kueue\n"
	layer := write("head/layer.yaml", head)
	write("head/etl.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: etl}\n")
	exempt := write("cluster/queues.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: queues, labels: {strata.dev/exempt: \"true\"}}\n")
	pod := filepath.Join(examples, "pods", "executor.yaml")
	tenant := layer + `: Layer "placement": spec.config.isolation.placementControllers[1]: "system:serviceaccount:etl:placer" is a service account of namespace "etl", which is not the platform's (strata.dev/exempt=true)`
	missing := layer + `: Layer "placement": spec.config.isolation.placementControllers[2]: "system:serviceaccount:queues:kueue" is a service account of namespace "queues", which is in neither --layers nor --cluster-config: unless tenants administer it, label it strata.dev/exempt=true`

	r := composer(t, "", "compose", "-f", pod, "--layers", filepath.Join(dir, "head"), "--cluster", "c", "--pool", "p")
	if r.code != ExitOK || !strings.Contains(r.out, "kind: Pod") {
		t.Fatalf("compose: exit %d, stderr:\n%s", r.code, r.err)
	}
	if strings.Count(r.err, "Warning: ") != 2 || !strings.Contains(r.err, "Warning: "+tenant) || !strings.Contains(r.err, "Warning: "+missing+"\n") {
		t.Errorf("compose's warnings:\n%s\nwant\nWarning: %s...\nWarning: %s", r.err, tenant, missing)
	}

	r = composer(t, "", "compose", "-f", pod, "--layers", filepath.Join(dir, "head"), "--cluster", "c", "--pool", "p", "--cluster-config", exempt)
	if r.code != ExitOK || strings.Count(r.err, "Warning: ") != 1 || !strings.Contains(r.err, "Warning: "+tenant) {
		t.Errorf("compose with the exempt namespace: exit %d, stderr:\n%s", r.code, r.err)
	}

	r = composer(t, "", "diff", "-f", pod, "--base", filepath.Join(dir, "base"), "--head", filepath.Join(dir, "head"), "--cluster", "c", "--pool", "p", "--cluster-config", exempt)
	if r.code != ExitOK || strings.Count(r.err, "Warning: ") != 1 || !strings.Contains(r.err, "Warning: --head: "+tenant) {
		t.Errorf("diff: exit %d, stderr:\n%s", r.code, r.err)
	}
	r = composer(t, "", "diff", "-f", pod, "--base", filepath.Join(dir, "head"), "--head", filepath.Join(dir, "base"), "--cluster", "c", "--pool", "p")
	if r.code != ExitOK || r.err != "" {
		t.Errorf("diff removing the Layer: exit %d, stderr:\n%s", r.code, r.err)
	}
}
