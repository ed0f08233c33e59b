package policy

import (
	"github.com/open-policy-agent/opa/v1/ast"
)

// Counting policies. A pod is judged against the live inventory, and the
// Ledger confirms an allowing verdict under its namespace's lock: when the
// inventory changed meanwhile (executors of one application admitted side
// by side: the usual case), the pod is judged again. Only the policies
// whose violations can depend on the inventory need to be evaluated again;
// the others' violations stand, their input being the same.

// countingPolicies are the policies (data.strata.NAME, by name) whose
// modules read input.inventory, or the input whole or under a key chosen
// at run time. ok is false when that cannot be told from each policy's
// own modules: a module outside data.strata.NAME..., or one that refers to
// data of another policy or outside data.strata (a rule there could read
// the inventory for it); then every policy counts.
func countingPolicies(mods []*ast.Module) (counting map[string]bool, ok bool) {
	byPolicy := map[string][]*ast.Module{}
	for _, m := range mods {
		name, isPolicy := policyOf(m.Package.Path)
		if !isPolicy || !refersToItsPolicyOnly(m, name) {
			return nil, false
		}
		byPolicy[name] = append(byPolicy[name], m)
	}
	counting = map[string]bool{}
	for name, ms := range byPolicy {
		if u := inputUseOf(ms); u.needs("inventory") {
			counting[name] = true
		}
	}
	return counting, true
}

// policyOf is the policy a package belongs to: NAME of data.strata.NAME
// and of the packages under it.
func policyOf(path ast.Ref) (string, bool) {
	if len(path) < 3 || !path[1].Equal(ast.StringTerm("strata")) {
		return "", false
	}
	name, ok := path[2].Value.(ast.String)
	return string(name), ok
}

// refersToItsPolicyOnly reports whether every reference of m to data
// (data.x..., and imports of it) is under data.strata.policy.
func refersToItsPolicyOnly(m *ast.Module, policy string) bool {
	own := true
	var vis *ast.GenericVisitor
	vis = ast.NewGenericVisitor(func(x any) bool {
		switch x := x.(type) {
		case ast.Ref:
			if x[0].Equal(ast.DefaultRootDocument) {
				if name, ok := policyOf(x); !ok || name != policy {
					own = false
				}
			} else {
				vis.Walk(x[0])
			}
			for _, t := range x[1:] {
				vis.Walk(t)
			}
			return true
		case ast.Var:
			// The data document as a value (x := data) is all of it.
			if x.Equal(ast.DefaultRootDocument.Value) {
				own = false
			}
		}
		return false
	})
	vis.Walk(m)
	return own
}
