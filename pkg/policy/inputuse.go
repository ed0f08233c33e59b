package policy

import (
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// inputUse is what of the input document a policy set reads: its top-level
// keys and, under config, the second-level ones ("pod", "config.limits").
// The evaluated document is built with those only, which is most of what
// judging a pod costs; the documented document (Input.document, the
// golden, `composer -o explain`) is always whole. A policy that reads the
// input whole, or under a key chosen at run time (input[k]), gets all of it.
type inputUse struct {
	all  bool
	keys map[string]bool
	// unread are the container fields left out of input.pod: those every
	// policy file reading the pod declares unread (unreadContainerFields).
	unread []string
}

// everything is the use of a policy set that reads every key.
var everything = inputUse{all: true}

// needs reports whether key ("pod", "config.values", ...) is read.
func (u *inputUse) needs(key string) bool {
	if u.all || u.keys[key] {
		return true
	}
	top, _, nested := strings.Cut(key, ".")
	return nested && u.keys[top]
}

// inputUseOf finds every reference to the input in mods.
func inputUseOf(mods []*ast.Module) inputUse {
	u := inputUse{keys: map[string]bool{}}
	var vis *ast.GenericVisitor
	vis = ast.NewGenericVisitor(func(x any) bool {
		switch x := x.(type) {
		case ast.Ref:
			if !x[0].Equal(ast.InputRootDocument) {
				return false
			}
			u.add(x)
			for _, t := range x[1:] {
				vis.Walk(t)
			}
			return true
		case ast.Var:
			if ast.InputRootDocument.Value.Compare(x) == 0 {
				u.all = true // the input itself, not one of its keys
			}
		}
		return false
	})
	for _, m := range mods {
		vis.Walk(m)
	}
	return u
}

// add records what ref (input.a.b...) reads.
func (u *inputUse) add(ref ast.Ref) {
	key := func(i int) (string, bool) {
		if len(ref) <= i {
			return "", false
		}
		s, ok := ref[i].Value.(ast.String)
		return string(s), ok
	}
	top, ok := key(1)
	if !ok {
		u.all = true
		return
	}
	if top != "config" {
		u.keys[top] = true
		return
	}
	if second, ok := key(2); ok {
		u.keys["config."+second] = true
		return
	}
	u.keys["config"] = true
}
