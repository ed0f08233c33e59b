package policy

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/policies"
)

// TestCountingPolicies: a policy counts when its own modules read the
// inventory; when a module could read it for another policy (data outside
// its own policy, a package outside data.strata.NAME) every policy counts.
func TestCountingPolicies(t *testing.T) {
	const reads = `violation contains {"message": "x"} if input.inventory.appExecutors > 1`
	const plain = `violation contains {"message": "x"} if input.pod.spec.hostNetwork`
	tests := []struct {
		name    string
		modules map[string]string // package -> body
		want    []string          // counting policies; nil: every policy counts
	}{
		{"by own reads", map[string]string{"strata.quota": reads, "strata.isolation": plain}, []string{"quota"}},
		{"input whole", map[string]string{"strata.a": `violation contains {"message": "x"} if { x := input; x.inventory }`, "strata.b": plain}, []string{"a"}},
		{"computed key", map[string]string{"strata.a": `violation contains {"message": "x"} if { some k; input[k] }`, "strata.b": plain}, []string{"a"}},
		{"imported", map[string]string{"strata.a": "import input.inventory as inv\nviolation contains {\"message\": \"x\"} if inv.pods", "strata.b": plain}, []string{"a"}},
		{"a package under the policy", map[string]string{
			"strata.a":         `violation contains {"message": "x"} if data.strata.a.lib.many`,
			"strata.a.lib":     `many if input.inventory.appExecutors > 1`,
			"strata.b":         plain,
			"strata.b.helpers": `x := 1`,
		}, []string{"a"}},
		{"another policy's rule", map[string]string{"strata.a": reads, "strata.b": `violation contains {"message": "x"} if data.strata.a.violation`}, nil},
		{"a library outside data.strata", map[string]string{"strata.a": plain, "lib": `n := input.inventory.pods`}, nil},
		{"an import of data", map[string]string{"strata.a": "import data.lib\n" + plain}, nil},
		{"data whole", map[string]string{"strata.a": `violation contains {"message": "x"} if { d := data; d.lib }`}, nil},
		{"no policy counts", map[string]string{"strata.a": plain}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mods []*ast.Module
			for _, pkg := range slices.Sorted(maps.Keys(tt.modules)) {
				m, err := ast.ParseModuleWithOpts(pkg+".rego", "package "+pkg+"\n"+tt.modules[pkg], ast.ParserOptions{RegoVersion: ast.RegoV1})
				if err != nil {
					t.Fatal(err)
				}
				mods = append(mods, m)
			}
			counting, ok := countingPolicies(mods)
			if tt.want == nil {
				if ok {
					t.Fatalf("counting %v, want every policy", counting)
				}
				return
			}
			if got := slices.Sorted(maps.Keys(counting)); !ok || !slices.Equal(got, tt.want) {
				t.Fatalf("counting %v (ok %v), want %v", got, ok, tt.want)
			}
		})
	}
}

// TestBuiltInCountingPolicy: of the built-in policies only quota reads the
// inventory, so a decision confirmed on a changed inventory evaluates quota
// alone.
func TestBuiltInCountingPolicy(t *testing.T) {
	e := builtinEngine(t)
	if got := slices.Sorted(maps.Keys(e.counting)); !slices.Equal(got, []string{"quota"}) {
		t.Fatalf("counting policies %v, want [quota]", got)
	}
}

// TestReevaluateIsEvaluate: re-evaluating on a new inventory gives what
// evaluating on it does, over inventories on both sides of the limits; the
// violations of a policy that does not count are kept, not recomputed.
func TestReevaluateIsEvaluate(t *testing.T) {
	c := tenantCheck(t, map[string]string{
		"limits": `{tier: NamespaceOverrides, match: {namespaces: [etl]}, config: {limits: {namespacePods: 10, namespaceCPU: "8", maxExecutorsPerApp: 4}}}`,
	})
	pod := composed(t, c, sparkPod("executor"))
	pod.Spec.HostNetwork = true // a baseline violation, whatever the inventory
	views, _, err := c.inputs(pod, Request{Operation: "CREATE", Namespace: "etl"})
	if err != nil {
		t.Fatal(err)
	}
	in := views[0]
	ctx := context.Background()
	evaluate := func(inv Inventory) Decision {
		in.Inventory = inv
		d, err := c.Engine.Evaluate(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	var invs []Inventory
	for pods := int64(0); pods <= 12; pods += 3 {
		for execs := int64(0); execs <= 5; execs += 2 {
			invs = append(invs, Inventory{Namespace: Usage{CPUMilli: pods * 700, MemoryBytes: pods << 30, Pods: pods}, AppExecutors: execs})
		}
	}
	quotaSeen := false
	for _, a := range invs {
		before := evaluate(a)
		for _, b := range invs {
			want := evaluate(b)
			in.Inventory = b
			got, err := c.Engine.Reevaluate(ctx, in, before)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Violations, want.Violations) {
				t.Fatalf("re-evaluated from %+v on %+v:\n%v\nwant %v", a, b, got.Violations, want.Violations)
			}
			quotaSeen = quotaSeen || slices.ContainsFunc(want.Violations, func(v Violation) bool { return v.Policy == quotaPolicy })
		}
	}
	if !quotaSeen {
		t.Fatal("no inventory crossed a quota limit: the test proves nothing")
	}
	stale := Violation{Policy: "baseline", Check: "stale", Message: "baseline: kept", Enforcement: v1alpha1.EnforcementDeny}
	in.Inventory = invs[0]
	got, err := c.Engine.Reevaluate(ctx, in, Decision{Violations: []Violation{stale}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(got.Violations, stale) {
		t.Fatalf("a policy that does not read the inventory was evaluated again: %v", got.Violations)
	}
}

// TestConcurrentExecutorsDoNotOvershoot admits 30 executors of one
// application at once against maxExecutorsPerApp 12, through Check.Pod
// and the Ledger: decisions made on an inventory that changed before they
// were confirmed are made again, and exactly 12 get in. With the built-in
// policies quota alone is evaluated again; with a policy set whose
// counting policies cannot be told (one refers to another's rules), every
// policy is.
func TestConcurrentExecutorsDoNotOvershoot(t *testing.T) {
	mods, err := LoadModules(policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	mods["uncountable/uncountable.rego"] = "package strata.uncountable\n\nviolation contains {\"message\": \"x\"} if data.strata.quota.nothing\n"
	uncountable, err := NewEngine(context.Background(), mods)
	if err != nil {
		t.Fatal(err)
	}
	if uncountable.counting != nil {
		t.Fatal("a policy set referring to another policy's rules was told apart")
	}
	for name, engine := range map[string]*Engine{"built-in": nil, "uncountable": uncountable} {
		t.Run(name, func(t *testing.T) {
			c := tenantCheck(t, map[string]string{
				"limits": `{tier: NamespaceOverrides, match: {namespaces: [etl]}, config: {limits: {maxExecutorsPerApp: 12}}}`,
			})
			if engine != nil {
				c.Engine = engine
			}
			c.Ledger = NewLedger(time.Minute)
			base := composed(t, c, sparkPod("executor"))
			live := NewTracker()
			admitted := admittedConcurrently(30, func(i int) bool {
				pod := base.DeepCopy()
				pod.Name = fmt.Sprintf("exec-%d", i)
				_, d, err := c.Pod(context.Background(), pod, Request{Operation: "CREATE", Namespace: "etl"}, live)
				if err != nil {
					t.Error(err)
					return false
				}
				if !d.Allowed() && !slices.ContainsFunc(d.Violations, func(v Violation) bool { return v.Check == "maxExecutorsPerApp" }) {
					t.Errorf("denied for %v", d.Violations)
				}
				return d.Allowed()
			})
			if admitted != 12 || c.Ledger.Reserved() != 12 {
				t.Fatalf("admitted %d, reserved %d; want 12", admitted, c.Ledger.Reserved())
			}
		})
	}
}

// TestEvaluationStopsWhenTheRequestIsDone: a policy that would run for
// minutes is stopped when the request's context is done, in Evaluate and
// in Reevaluate; the error says evaluation was cancelled.
func TestEvaluationStopsWhenTheRequestIsDone(t *testing.T) {
	// Ten billion steps over two ranges of 100,000: hours of CPU, little memory.
	slow := "package strata.slow\n\nviolation contains \"x\" if {\n\tsome i in numbers.range(1, 100000)\n\tsome j in numbers.range(1, 100000)\n\ti * j < input.inventory.appExecutors\n}\n"
	e, err := NewEngine(context.Background(), Modules{"slow.rego": slow})
	if err != nil {
		t.Fatal(err)
	}
	check, pod := exampleCheck(t)
	views, _, err := check.inputs(pod, Request{Operation: "CREATE"})
	if err != nil {
		t.Fatal(err)
	}
	for name, evaluate := range map[string]func(context.Context) error{
		"Evaluate":   func(ctx context.Context) error { _, err := e.Evaluate(ctx, views[0]); return err },
		"Reevaluate": func(ctx context.Context) error { _, err := e.Reevaluate(ctx, views[0], Decision{}); return err },
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		err := evaluate(ctx)
		cancel()
		if err == nil || !strings.Contains(err.Error(), "cancel") {
			t.Errorf("%s: %v, want the evaluation cancelled", name, err)
		}
	}
}
