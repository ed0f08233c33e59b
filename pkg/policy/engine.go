package policy

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// query collects the violations of every policy package under data.strata.
const query = "data.strata[policy].violation[v]"

// Engine evaluates one compiled policy set. It is safe for concurrent use.
type Engine struct {
	prepared rego.PreparedEvalQuery
	// podGroups is the query of the PodGroup rules (podGroupQuery).
	podGroups rego.PreparedEvalQuery
	policies  []string
	// uses is what of the input the policies read.
	uses inputUse
	// counting are the policies whose violations can depend on the
	// inventory, each with its own query; nil when every policy may
	// (countingPolicies): Reevaluate then evaluates them all.
	counting map[string]rego.PreparedEvalQuery
	// conv builds the input as OPA's value.
	conv *astConverter
	// explained are the fields of a pod's composition the input is built
	// from (explainedFields); every field when a policy reads them all.
	explained overlay.FieldSet
	// platformReaders are the policies whose violations can depend on a
	// pod's platform parts, and platformOnDemand whether those are
	// computed only for a pod that breaks one of their rules without them
	// (platformReaders).
	platformReaders  map[string]bool
	platformOnDemand bool
	// settings caches the terms of the policies' settings per snapshot
	// and target (settings.go); nil when they cannot be.
	settings *settingsCache
}

// explainedFields are the fields of a pod's composition the evaluated
// input reads, unless a policy reads config.fields or config.values: the
// provenance of the metadata, node selector, tolerations, priority class
// and RuntimeClass (which of the pod's values are the tenant's), the IAM
// role, the policies' parameters and the layers' pod patches (their node
// affinity); and sparkConf, which folds into the metadata and the node
// selector.
// Composing only these is a third of composing the pod.
var explainedFields = []string{"labels", "annotations", "nodeSelector", "priorityClassName", "runtimeClassName", "tolerations", "sparkConf",
	"iam", "podPatch", "limits", "isolation", "enforcement"}

// NewEngine compiles modules (Rego v1 syntax) and prepares the query once.
// Compile errors name the file and line.
func NewEngine(ctx context.Context, mods Modules) (*Engine, error) {
	opts := []func(*rego.Rego){rego.Query(query), rego.SetRegoVersion(ast.RegoV1)}
	var (
		policies []string
		parsed   []*ast.Module
		sources  []string
	)
	for _, file := range mods.Files() {
		m, err := ast.ParseModuleWithOpts(file, mods[file], ast.ParserOptions{RegoVersion: ast.RegoV1, ProcessAnnotation: true})
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
		sources = append(sources, mods[file])
	}
	prepared, err := rego.New(opts...).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("compiling policies: %w", err)
	}
	podGroups, err := rego.New(append(slices.Clip(opts), rego.Query(podGroupQuery))...).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("compiling policies' PodGroup rules: %w", err)
	}
	slices.Sort(policies)
	e := &Engine{prepared: prepared, podGroups: podGroups, policies: policies, uses: inputUseOf(parsed), conv: &astConverter{},
		settings: newSettingsCache()}
	e.platformReaders, e.platformOnDemand = platformReaders(parsed, sources)
	if e.uses.unread, err = unreadContainerFields(parsed); err != nil {
		return nil, err
	}
	if !e.uses.needs("config.fields") && !e.uses.needs("config.values") {
		if e.explained, err = overlay.FieldsNamed(explainedFields...); err != nil {
			return nil, err
		}
	}
	if counting, ok := countingPolicies(parsed); ok {
		e.counting = map[string]rego.PreparedEvalQuery{}
		for _, name := range policies {
			if !counting[name] {
				continue
			}
			// The options differ from the first only in the query, built
			// as a term: any package name makes a valid one.
			ref := ast.Ref{ast.DefaultRootDocument, ast.StringTerm("strata"), ast.StringTerm(name), ast.StringTerm("violation"), ast.VarTerm("v")}
			q := append(slices.Clip(opts), rego.ParsedQuery(ast.NewBody(ast.NewExpr(ast.NewTerm(ref)))))
			if e.counting[name], err = rego.New(q...).PrepareForEval(ctx); err != nil {
				return nil, fmt.Errorf("compiling policy %s: %w", name, err)
			}
		}
	}
	return e, nil
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
// and message, so the same input always gives the same decision. A pod
// whose platform parts are not computed yet is judged with none marked
// first, and again with them when it breaks a rule of a policy that reads
// them (ondemand.go).
func (e *Engine) Evaluate(ctx context.Context, in *Input) (Decision, error) {
	d, err := e.evaluate(ctx, in)
	if err != nil || !e.readsPlatform(d) {
		return d, err
	}
	if resolved, err := in.resolvePlatform(); err != nil || !resolved {
		return d, err
	}
	return e.evaluate(ctx, in)
}

// evaluate is Evaluate with in's platform parts as they are.
func (e *Engine) evaluate(ctx context.Context, in *Input) (Decision, error) {
	doc, err := in.value(&e.uses, e.conv)
	if err != nil {
		return Decision{}, err
	}
	rs, err := eval(ctx, e.prepared, doc)
	if err != nil {
		return Decision{}, fmt.Errorf("evaluating policies: %w", err)
	}
	var d Decision
	if d.Violations, err = violations(nil, rs, "", in); err != nil {
		return Decision{}, err
	}
	sortViolations(d.Violations)
	return d, nil
}

// Reevaluate is Evaluate of in after its inventory changed, given before,
// in's decision under the inventory it had: the violations of the
// policies that cannot read the inventory stand, and only the others are
// evaluated again (all of them when that cannot be told).
func (e *Engine) Reevaluate(ctx context.Context, in *Input, before Decision) (Decision, error) {
	if e.counting == nil {
		return e.Evaluate(ctx, in)
	}
	doc, err := in.value(&e.uses, e.conv)
	if err != nil {
		return Decision{}, err
	}
	var d Decision
	for _, v := range before.Violations {
		if _, counts := e.counting[v.Policy]; !counts {
			d.Violations = append(d.Violations, v)
		}
	}
	for _, name := range e.policies {
		q, counts := e.counting[name]
		if !counts {
			continue
		}
		rs, err := eval(ctx, q, doc)
		if err != nil {
			return Decision{}, fmt.Errorf("evaluating policy %s: %w", name, err)
		}
		if d.Violations, err = violations(d.Violations, rs, name, in); err != nil {
			return Decision{}, err
		}
	}
	sortViolations(d.Violations)
	if e.readsPlatform(d) && in.platformOf != nil {
		return e.Evaluate(ctx, in) // every policy, with the platform parts
	}
	return d, nil
}

// readsPlatform reports whether d holds a violation of a policy that
// reads the platform parts.
func (e *Engine) readsPlatform(d Decision) bool {
	for _, v := range d.Violations {
		if e.platformReaders[v.Policy] {
			return true
		}
	}
	return false
}

// violations appends to out the violations in rs: bindings of v, and of
// policy unless the query named one (policy).
func violations(out []Violation, rs rego.ResultSet, policy string, in *Input) ([]Violation, error) {
	for _, r := range rs {
		policy := policy
		if policy == "" {
			policy, _ = r.Bindings["policy"].(string)
		}
		obj, ok := r.Bindings["v"].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("policy %s: a violation must be an object with a message, got %v", policy, r.Bindings["v"])
		}
		msg, _ := obj["message"].(string)
		if msg == "" {
			return nil, errors.New("policy " + policy + ": a violation has no message")
		}
		check, _ := obj["check"].(string)
		// The policy's name leads every message (quota: ..., baseline: ...),
		// added here so no policy has to write it and none can get it wrong.
		out = append(out, Violation{Policy: policy, Check: check, Message: policy + ": " + msg, Enforcement: in.enforcement(policy)})
	}
	return out, nil
}

// sortViolations sorts by policy, check and message, so the same input
// always gives the same decision.
func sortViolations(vs []Violation) {
	slices.SortFunc(vs, func(a, b Violation) int {
		return cmp.Or(cmp.Compare(a.Policy, b.Policy), cmp.Compare(a.Check, b.Check), cmp.Compare(a.Message, b.Message))
	})
}

// eval evaluates q with doc as its input, stopped when ctx is done. OPA's
// Eval watches ctx with a goroutine of its own for every evaluation, a
// seventh of evaluating the built-in policies; context.AfterFunc cancels
// the query the same way without one.
func eval(ctx context.Context, q rego.PreparedEvalQuery, doc ast.Value) (rego.ResultSet, error) {
	cancel := topdown.NewCancel()
	stop := context.AfterFunc(ctx, cancel.Cancel)
	defer stop()
	return q.Eval(ctx, rego.EvalParsedInput(doc), rego.EvalExternalCancel(cancel))
}
