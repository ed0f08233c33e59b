package policy

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/fixtures"
)

// TestBuiltinEngineCachesSettings: the built-in policies' engine caches
// the settings, which it can while no pod carries a value of them. When a
// field of the settings becomes one a pod carries, the cache turns itself
// off and this fails, asking whether that was meant.
func TestBuiltinEngineCachesSettings(t *testing.T) {
	if builtinEngine(t).settings == nil {
		t.Fatalf("no settings cache: a pod can carry one of %v (mutate.UserWritable)", settingsFields)
	}
}

// TestCachedSettingsAreTheConversion: every input's value, its settings
// taken from the cache, is the value converted whole, the first time (a
// miss) and the second (a hit, holding the first's terms), on the example
// pods and on pods under layers that set every field, Spark pods and pods
// judged as both roles.
func TestCachedSettingsAreTheConversion(t *testing.T) {
	checks, pods := inputCorpus(t)
	for name, c := range checks {
		c.Engine = freshEngine(t)
		for _, pod := range pods {
			where := name + "/" + pod.Name
			var first []*ast.Term
			for round := range 2 {
				views, _, err := c.inputs(pod, Request{Operation: "CREATE", Namespace: pod.Namespace})
				if err != nil {
					t.Fatal(err)
				}
				for i, in := range views {
					if in.settings == nil {
						t.Fatalf("%s: view %d caches no settings", where, i)
					}
					alone := *in
					alone.settings, alone.pod = nil, nil
					got, want := valueAndAlone(t, c.Engine, in, &alone)
					if got.Compare(want) != 0 {
						t.Errorf("%s, round %d, view %d: the input differs from the one converted whole:\n got %v\nwant %v",
							where, round, i, ast.NewTerm(got), ast.NewTerm(want))
					}
					limits := got.(ast.Object).Get(ast.StringTerm("config")).Value.(ast.Object).Get(ast.StringTerm("limits"))
					if round == 0 {
						first = append(first, limits)
					} else if limits != first[i] {
						t.Errorf("%s, view %d: the second judging converted the limits again", where, i)
					}
				}
			}
		}
	}
}

// TestCachedSettingsFollowTheSnapshot: one engine judges the same pods
// under two snapshots in turn, whose layers give the executors, then the
// drivers, a CPU limit the pod is over: each verdict is its snapshot's and
// its role's, however the cache was filled before.
func TestCachedSettingsFollowTheSnapshot(t *testing.T) {
	engine := freshEngine(t)
	snapshot := func(role string) *Check {
		c := tenantCheck(t, map[string]string{"limits": `{tier: ClusterDefaults, config: {limits: {maxPodCPU: "8"}}, ` +
			role + `: {limits: {maxPodCPU: "500m"}}}`})
		c.Engine = engine
		return c
	}
	executorsLimited, driversLimited := snapshot("executor"), snapshot("driver")
	pod := func(c *Check, role string) *corev1.Pod {
		p := sparkPod(role)
		p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("1Gi")}
		return composed(t, c, p)
	}
	for _, c := range []struct {
		name    string
		check   *Check
		role    string
		refused bool
	}{
		{"executor, executors limited", executorsLimited, "executor", true},
		{"driver, executors limited", executorsLimited, "driver", false},
		{"executor, drivers limited", driversLimited, "executor", false},
		{"driver, drivers limited", driversLimited, "driver", true},
		{"executor, executors limited again", executorsLimited, "executor", true},
		{"driver, executors limited again", executorsLimited, "driver", false},
		{"driver, drivers limited again", driversLimited, "driver", true},
	} {
		checks, _ := verdict(t, c.check, pod(c.check, c.role), Request{Namespace: "etl"})
		if refused := strings.Contains(checks, "maxPodCPU"); refused != c.refused {
			t.Errorf("%s: checks %q, refused for maxPodCPU %v, want %v", c.name, checks, refused, c.refused)
		}
	}
}

// TestCachedSettingsUnderConcurrency judges pods of two snapshots and both
// roles from many goroutines at once, each verdict its own (run with
// -race in CI).
func TestCachedSettingsUnderConcurrency(t *testing.T) {
	engine := freshEngine(t)
	var checks []*Check
	for _, role := range []string{"executor", "driver"} {
		c := tenantCheck(t, map[string]string{"limits": `{tier: ClusterDefaults, ` + role + `: {limits: {maxPodCPU: "500m"}}}`})
		c.Engine = engine
		checks = append(checks, c)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Go(func() {
			for i := range 20 {
				c, role := checks[(g+i)%2], []string{"executor", "driver"}[i%2]
				p := sparkPod(role)
				p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("1Gi")}
				_, d, err := c.Pod(context.Background(), p, Request{Operation: "CREATE", Namespace: "etl"}, nil)
				if err != nil {
					errs <- err
					return
				}
				limited := c == checks[0] && role == "executor" || c == checks[1] && role == "driver"
				refused := false
				for _, v := range d.Violations {
					refused = refused || v.Check == "maxPodCPU"
				}
				if refused != limited {
					errs <- fmt.Errorf("goroutine %d, pod %d (%s): refused for maxPodCPU %v, want %v", g, i, role, refused, limited)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestSettingsCacheIsBounded: a cache holds at most maxSettingsTargets
// targets, and a new snapshot empties it.
func TestSettingsCacheIsBounded(t *testing.T) {
	engine := freshEngine(t)
	snap := fixtures.Snapshot(t, "prod-a")
	config := map[string]any{"enforcement": map[string]v1alpha1.Enforcement{"quota": v1alpha1.EnforcementWarn}}
	for i := range maxSettingsTargets + 10 {
		at := engine.settingsAt(snap, overlay.Target{Namespace: fmt.Sprintf("ns-%d", i), Role: v1alpha1.RoleExecutor})
		if _, err := at.termsOf(func() map[string]any { return config }, engine.conv); err != nil {
			t.Fatal(err)
		}
		if n := len(engine.settings.terms); n > maxSettingsTargets {
			t.Fatalf("%d targets cached", n)
		}
	}
	other := fixtures.Snapshot(t, "prod-a")
	if _, err := engine.settingsAt(other, overlay.Target{Namespace: "etl"}).termsOf(func() map[string]any { return config }, engine.conv); err != nil {
		t.Fatal(err)
	}
	if n := len(engine.settings.terms); n != 1 || engine.settings.snap != other {
		t.Errorf("after a new snapshot %d targets cached, of the snapshot %p (the new one is %p)", n, engine.settings.snap, other)
	}
}

// freshEngine is an engine of the built-in policies of its own, with an
// empty settings cache.
func freshEngine(t *testing.T) *Engine {
	t.Helper()
	e := *builtinEngine(t)
	e.settings = newSettingsCache()
	return &e
}
