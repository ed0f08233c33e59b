package policy

import (
	"context"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// TestInputUse: the evaluated document holds what the policies read and
// everything when they read the input whole or by a computed key.
func TestInputUse(t *testing.T) {
	tests := []struct {
		name, rego string
		needs      []string
		notNeeds   []string
	}{
		{"keys", `violation contains {"message": "x"} if { input.pod.spec; input.config.limits.maxPodCPU }`,
			[]string{"pod", "config.limits"}, []string{"user", "namespace", "config.fields", "config.values", "config"}},
		{"config whole", `violation contains {"message": "x"} if { c := input.config; c.fields }`,
			[]string{"config.fields", "config.values", "config.limits"}, []string{"pod"}},
		{"nested ref", `violation contains {"message": "x"} if { input.images[input.role] }`,
			[]string{"images", "role"}, []string{"pod"}},
		{"computed key", `violation contains {"message": "x"} if { some k; input[k] }`,
			[]string{"pod", "config.fields", "namespace"}, nil},
		{"whole input", `violation contains {"message": "x"} if { x := input; x.pod }`,
			[]string{"pod", "config.values", "namespace"}, nil},
		{"import", "import input.namespace as ns\nviolation contains {\"message\": \"x\"} if { ns.metadata }",
			[]string{"namespace"}, []string{"pod"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ast.ParseModuleWithOpts("p.rego", "package strata.site\n"+tt.rego, ast.ParserOptions{RegoVersion: ast.RegoV1})
			if err != nil {
				t.Fatal(err)
			}
			u := inputUseOf([]*ast.Module{m})
			for _, k := range tt.needs {
				if !u.needs(k) {
					t.Errorf("%s is read but not built", k)
				}
			}
			for _, k := range tt.notNeeds {
				if u.needs(k) {
					t.Errorf("%s is built but never read", k)
				}
			}
		})
	}
}

// TestBuiltInPoliciesSkipProvenance: the built-in policies do not read the
// costly parts site policies may (every field's provenance, the composed
// values, the Namespace object), so a webhook with only them never builds
// those; a test fails here when a built-in policy starts to.
func TestBuiltInPoliciesSkipProvenance(t *testing.T) {
	e := builtinEngine(t)
	for _, k := range []string{"config.fields", "config.values", "namespace"} {
		if e.uses.needs(k) {
			t.Errorf("the built-in policies read input.%s", k)
		}
	}
	for _, k := range []string{"pod", "user", "images", "iamRoles", "config.limits", "config.isolation"} {
		if !e.uses.needs(k) {
			t.Errorf("the built-in policies are not given input.%s", k)
		}
	}
}

// TestSitePolicyReadsEveryField: a site policy that reads the provenance of
// every field is given all of it, the images mirrors derive included (a pod
// the mutating webhook did not reach still has its docker.io image), and
// the composed values.
func TestSitePolicyReadsEveryField(t *testing.T) {
	check, pod := exampleCheck(t)
	engine, err := NewEngine(context.Background(), Modules{"site.rego": `package strata.site
violation contains {"message": sprintf("%s set by %s", [p, f.source])} if {
	some p, f in input.config.fields
	endswith(p, ".image")
}
violation contains {"message": sprintf("%d sidecars", [count(input.config.values.sidecars)])} if true
`})
	if err != nil {
		t.Fatal(err)
	}
	check.Engine = engine
	_, d, err := check.Pod(context.Background(), pod, Request{Operation: "CREATE"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var images, values int
	for _, v := range d.Violations {
		switch {
		case strings.Contains(v.Message, ".image set by"):
			images++
		case strings.HasSuffix(v.Message, " sidecars") && !strings.HasPrefix(v.Message, "site: 0 "):
			values++
		}
	}
	if images == 0 || values != 1 {
		t.Fatalf("the site policy did not see the mirrored images' provenance (%d) or the composed values (%d): %v", images, values, d.Violations)
	}
}
