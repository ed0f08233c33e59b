package manifests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/strata-dev/strata/test/controlplane"
)

// rbacFiles are every file of manifests/ that grants permissions.
var rbacFiles = []string{"base/rbac.yaml", "default/cert-rbac.yaml"}

// TestEveryGrantIsJustified lists every verb the manifests grant, and
// fails on a rule without a comment right above it saying why Strata needs
// it, on any wildcard, and on any write to Secrets or webhook
// configurations not limited to Strata's own objects.
func TestEveryGrantIsJustified(t *testing.T) {
	grants := 0
	for _, file := range rbacFiles {
		data, err := os.ReadFile(filepath.Join(controlplane.RepoRoot(), "manifests", file))
		if err != nil {
			t.Fatal(err)
		}
		nodes, err := (&kio.ByteReader{Reader: strings.NewReader(string(data)), OmitReaderAnnotations: true}).Read()
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, n := range nodes {
			if k := n.GetKind(); k != "Role" && k != "ClusterRole" {
				continue
			}
			rules, err := n.Pipe(yaml.Lookup("rules"))
			if err != nil || rules == nil {
				t.Fatalf("%s: %s %s has no rules", file, n.GetKind(), n.GetName())
			}
			items, _ := rules.Elements()
			for i, rule := range items {
				where := file + ": " + n.GetKind() + " " + n.GetName() + " rule " + string(rune('0'+i))
				if comment(rule) == "" {
					t.Errorf("%s: no comment says why this is granted", where)
				}
				groups, _ := rule.GetSlice("apiGroups")
				resources, _ := rule.GetSlice("resources")
				verbs, _ := rule.GetSlice("verbs")
				names, _ := rule.GetSlice("resourceNames")
				for _, list := range [][]any{groups, resources, verbs} {
					for _, v := range list {
						if v == "*" {
							t.Errorf("%s: wildcard %v", where, list)
						}
					}
				}
				for _, v := range verbs {
					grants++
					t.Logf("%s grants %v on %v %v (names %v)", n.GetName(), v, groups, resources, names)
					write := v != "get" && v != "list" && v != "watch"
					for _, r := range resources {
						sensitive := r == "secrets" || strings.HasSuffix(r.(string), "webhookconfigurations")
						if write && sensitive && len(names) == 0 {
							t.Errorf("%s: %v on every %v; limit it with resourceNames", where, v, r)
						}
						if r == "secrets" && n.GetKind() != "Role" {
							t.Errorf("%s: Secrets granted cluster-wide; only Strata's namespace may be readable", where)
						}
					}
				}
			}
		}
	}
	if grants == 0 {
		t.Fatal("no grants found: the test reads nothing")
	}
}

// comment is the comment right above a rule (yaml.v3 keeps it on the item
// or on its first key).
func comment(rule *yaml.RNode) string {
	y := rule.YNode()
	if y.HeadComment != "" {
		return y.HeadComment
	}
	if len(y.Content) > 0 {
		return y.Content[0].HeadComment
	}
	return ""
}
