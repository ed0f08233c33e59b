package policy

import (
	"context"
	"path"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/policies"
)

// The two halves of judging a pod besides composing it, each alone on the
// example executor as the mutating webhook leaves it: building the policy
// input (BenchmarkPolicyInput) and OPA evaluating the prepared query on it
// (BenchmarkEvaluate). BenchmarkCheckPod is the whole check, and
// BenchmarkCheckPodWithoutPolicies the check without these two.

// composedView is the input pod is judged by once the mutating webhook
// composed it, as check builds it, not yet built into a document.
func composedView(t testing.TB, check *Check, pod *corev1.Pod) *Input {
	t.Helper()
	res, err := mutate.Compose(check.Snapshot, check.Cluster, pod)
	if err != nil {
		t.Fatal(err)
	}
	views, _, err := check.inputs(res.Pod, Request{Operation: "CREATE", Namespace: res.Pod.Namespace})
	if err != nil {
		t.Fatal(err)
	}
	if len(views) != 1 {
		t.Fatalf("a Spark pod is judged by one input, got %d", len(views))
	}
	return views[0]
}

// exampleView is composedView of the example executor, judged by engine.
func exampleView(b *testing.B, engine *Engine) *Input {
	b.Helper()
	check, pod := exampleCheck(b)
	check.Engine = engine
	return composedView(b, check, pod)
}

// BenchmarkPolicyInput builds the example executor's input from scratch:
// "evaluated" is what Evaluate hands OPA (what the built-in policies read,
// as OPA's value), "documented" the whole document (the golden, `composer
// -o explain`, a site policy that reads the input whole).
func BenchmarkPolicyInput(b *testing.B) {
	engine := builtinEngine(b)
	view := exampleView(b, engine)
	b.Run("evaluated", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			in := *view
			v, err := in.value(&engine.uses, engine.conv)
			if err != nil {
				b.Fatal(err)
			}
			if _, ok := v.(ast.Object); !ok {
				b.Fatalf("the input is a %T, not an object", v)
			}
		}
	})
	b.Run("documented", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			in := *view
			doc, err := in.document()
			if err != nil {
				b.Fatal(err)
			}
			if doc["pod"] == nil {
				b.Fatal("the documented input has no pod")
			}
		}
	})
}

// BenchmarkEvaluate is OPA's evaluation alone, over an input built once:
// each built-in policy compiled on its own, then the three together (what
// the webhook runs). The example executor breaks no rule, so every
// evaluation must find no violation.
func BenchmarkEvaluate(b *testing.B) {
	all, err := LoadModules(policies.FS)
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"baseline", "isolation", "quota", "all"} {
		mods := Modules{}
		for file, src := range all {
			if name == "all" || path.Dir(file) == name {
				mods[file] = src
			}
		}
		if len(mods) == 0 {
			b.Fatalf("no policy %s among %v", name, all.Files())
		}
		engine, err := NewEngine(context.Background(), mods)
		if err != nil {
			b.Fatal(err)
		}
		doc, err := exampleView(b, engine).value(&engine.uses, engine.conv)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("policy="+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rs, err := eval(context.Background(), engine.prepared, doc)
				if err != nil || len(rs) != 0 {
					b.Fatalf("%v %v", err, rs)
				}
			}
		})
	}
}
