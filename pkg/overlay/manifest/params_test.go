package manifest

import (
	"slices"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// TestMutatingPolicyParamsAreKept: the objects of kinds nothing else reads
// (a ConfigMap, a custom resource) are kept as what a
// MutatingAdmissionPolicy's paramKind may name, from a cluster
// configuration and a repository alike; a Layer of another group in a
// cluster configuration is not (Strata's objects are the repository's),
// nor a document without a kind, which is no error.
func TestMutatingPolicyParamsAreKept(t *testing.T) {
	fsys := filesys.MakeFsInMemory()
	const objects = `apiVersion: v1
metadata: {name: no-kind}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: team, namespace: etl}
data: {team: ml}
---
apiVersion: example.com/v1
kind: TeamDefaults
metadata: {name: team}
spec: {cost: c-42}
---
apiVersion: other.example.com/v1
kind: Layer
metadata: {name: not-strata}
---
apiVersion: v1
kind: Namespace
metadata: {name: etl}
`
	if err := fsys.WriteFile("/cluster.yaml", []byte(objects)); err != nil {
		t.Fatal(err)
	}
	in, err := LoadClusterConfig(fsys, []string{"/cluster.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, u := range in.MutatingPolicies.Params {
		kept = append(kept, u.GetKind()+" "+u.GetNamespace()+"/"+u.GetName())
	}
	if want := []string{"ConfigMap etl/team", "TeamDefaults /team"}; !slices.Equal(kept, want) {
		t.Errorf("params %v, want %v", kept, want)
	}
	if len(in.Namespaces) != 1 {
		t.Errorf("namespaces %v", in.Namespaces)
	}
	if err := fsys.MkdirAll("/repo"); err != nil {
		t.Fatal(err)
	}
	if err := fsys.WriteFile("/repo/params.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: team, namespace: etl}\ndata: {team: ml}\n")); err != nil {
		t.Fatal(err)
	}
	repo, err := LoadRepo(fsys, "/repo")
	if err != nil {
		t.Fatal(err)
	}
	if p := repo.MutatingPolicies.Params; len(p) != 1 || p[0].GetName() != "team" {
		t.Errorf("a repository's params: %v", p)
	}
}
