package policy

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// query collects the violations of every policy package under data.strata.
const query = "data.strata[policy].violation[v]"

// Engine evaluates one compiled policy set. It is safe for concurrent use.
type Engine struct {
	prepared rego.PreparedEvalQuery
	policies []string
	// uses is what of the input the policies read.
	uses inputUse
	// conv builds the input as OPA's value.
	conv *astConverter
}

// NewEngine compiles modules (Rego v1 syntax) and prepares the query once.
// Compile errors name the file and line.
func NewEngine(ctx context.Context, mods Modules) (*Engine, error) {
	opts := []func(*rego.Rego){rego.Query(query), rego.SetRegoVersion(ast.RegoV1)}
	var (
		policies []string
		parsed   []*ast.Module
	)
	for _, file := range mods.Files() {
		m, err := ast.ParseModuleWithOpts(file, mods[file], ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			return nil, fmt.Errorf("policy %s: %w", file, err)
		}
		if len(m.Package.Path) == 3 && m.Package.Path[1].Value.Compare(ast.String("strata")) == 0 {
			if name, ok := m.Package.Path[2].Value.(ast.String); ok && !slices.Contains(policies, string(name)) {
				policies = append(policies, string(name))
			}
		}
		opts = append(opts, rego.ParsedModule(m))
		parsed = append(parsed, m)
	}
	prepared, err := rego.New(opts...).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("compiling policies: %w", err)
	}
	slices.Sort(policies)
	return &Engine{prepared: prepared, policies: policies, uses: inputUseOf(parsed), conv: &astConverter{}}, nil
}

// Policies are the names of the policies (packages data.strata.NAME).
func (e *Engine) Policies() []string { return slices.Clone(e.policies) }

// Violation is one rule a pod breaks.
type Violation struct {
	// Policy is the policy's name (quota, isolation, ...).
	Policy string `json:"policy"`
	// Check names the rule inside the policy, where the policy gives one.
	Check string `json:"check,omitempty"`
	// Message says what, the limit, and which layer set it.
	Message string `json:"message"`
	// Enforcement is what the violation does: deny, warn or dryrun.
	Enforcement v1alpha1.Enforcement `json:"enforcement"`
}

// Decision is the outcome of evaluating a pod.
type Decision struct {
	Violations []Violation `json:"violations"`
}

// Allowed reports whether no violation denies the pod.
func (d Decision) Allowed() bool {
	return !slices.ContainsFunc(d.Violations, func(v Violation) bool { return v.Enforcement == v1alpha1.EnforcementDeny })
}

// With returns the violations of one enforcement.
func (d Decision) With(e v1alpha1.Enforcement) []Violation {
	var out []Violation
	for _, v := range d.Violations {
		if v.Enforcement == e {
			out = append(out, v)
		}
	}
	return out
}

// Evaluate runs every policy on in. Violations are sorted by policy, check
// and message, so the same input always gives the same decision.
func (e *Engine) Evaluate(ctx context.Context, in *Input) (Decision, error) {
	doc, err := in.value(&e.uses, e.conv)
	if err != nil {
		return Decision{}, err
	}
	rs, err := e.prepared.Eval(ctx, rego.EvalParsedInput(doc))
	if err != nil {
		return Decision{}, fmt.Errorf("evaluating policies: %w", err)
	}
	var d Decision
	for _, r := range rs {
		policy, _ := r.Bindings["policy"].(string)
		obj, ok := r.Bindings["v"].(map[string]any)
		if !ok {
			return Decision{}, fmt.Errorf("policy %s: a violation must be an object with a message, got %v", policy, r.Bindings["v"])
		}
		msg, _ := obj["message"].(string)
		if msg == "" {
			return Decision{}, errors.New("policy " + policy + ": a violation has no message")
		}
		check, _ := obj["check"].(string)
		// The policy's name leads every message (quota: ..., baseline: ...),
		// added here so no policy has to write it and none can get it wrong.
		d.Violations = append(d.Violations, Violation{Policy: policy, Check: check, Message: policy + ": " + msg, Enforcement: in.enforcement(policy)})
	}
	sortViolations(d.Violations)
	return d, nil
}

// sortViolations sorts by policy, check and message, so the same input
// always gives the same decision.
func sortViolations(vs []Violation) {
	slices.SortFunc(vs, func(a, b Violation) int {
		return cmp.Or(cmp.Compare(a.Policy, b.Policy), cmp.Compare(a.Check, b.Check), cmp.Compare(a.Message, b.Message))
	})
}
