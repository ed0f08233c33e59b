package policy

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

func executor(app string, i int) LivePod {
	return LivePod{Key: fmt.Sprintf("etl/%s-exec-%d", app, i), Namespace: "etl", App: app, Executor: true,
		Usage: Usage{CPUMilli: 1000, MemoryBytes: 1 << 30, Pods: 1}}
}

// TestLedgerConcurrentAdmissionsDoNotOvershoot admits 50 executors at once
// against a limit of 20: exactly 20 get in.
func TestLedgerConcurrentAdmissionsDoNotOvershoot(t *testing.T) {
	l := NewLedger(time.Minute)
	admitted := admittedConcurrently(50, func(i int) bool {
		ok, err := l.Admit(executor("app1", i), NewTracker(), true, func(inv Inventory) (bool, error) {
			time.Sleep(time.Millisecond) // a slow evaluation, so admissions overlap
			return inv.AppExecutors+1 <= 20, nil
		})
		if err != nil {
			t.Error(err)
		}
		return ok
	})
	if admitted != 20 || l.Reserved() != 20 {
		t.Fatalf("admitted %d, reserved %d; want 20", admitted, l.Reserved())
	}
}

// admittedConcurrently runs admit(0), ..., admit(n-1) at once and counts
// those that return true.
func admittedConcurrently(n int, admit func(i int) bool) int {
	var (
		wg       sync.WaitGroup
		admitted atomic.Int64
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if admit(i) {
				admitted.Add(1)
			}
		}()
	}
	wg.Wait()
	return int(admitted.Load())
}

func TestLedgerInventory(t *testing.T) {
	now := time.Unix(1000, 0)
	l := NewLedger(30 * time.Second)
	l.now = func() time.Time { return now }
	live := TrackerOf([]LivePod{executor("app1", 1), executor("app2", 1), {Key: "other/x", Namespace: "other", Usage: Usage{CPUMilli: 99000, Pods: 1}}})
	var got Inventory
	decide := func(inv Inventory) (bool, error) { got = inv; return true, nil }
	if _, err := l.Admit(executor("app1", 2), live, true, decide); err != nil {
		t.Fatal(err)
	}
	if got.AppExecutors != 1 || got.Namespace.Pods != 2 || got.Namespace.CPUMilli != 2000 || got.App != (Usage{CPUMilli: 1000, MemoryBytes: 1 << 30, Pods: 1}) {
		t.Fatalf("inventory %+v: want app1's 1 executor of 1 CPU, etl's 2 pods and 2 CPU", got)
	}
	// The reservation counts until the cache sees the pod...
	if _, err := l.Admit(executor("app1", 3), live, false, decide); err != nil {
		t.Fatal(err)
	}
	if got.AppExecutors != 2 || got.Namespace.Pods != 3 || got.App.CPUMilli != 2000 {
		t.Fatalf("reservation not counted: %+v", got)
	}
	if l.Reserved() != 1 {
		t.Fatalf("a dry run reserved: %d", l.Reserved())
	}
	// ...then the live pod counts instead, once.
	live = TrackerOf([]LivePod{executor("app1", 1), executor("app2", 1), executor("app1", 2)})
	if _, err := l.Admit(executor("app1", 4), live, false, decide); err != nil {
		t.Fatal(err)
	}
	if got.AppExecutors != 2 || got.App.Pods != 2 || l.Reserved() != 0 {
		t.Fatalf("reservation and live pod both counted: %+v reserved %d", got, l.Reserved())
	}
	// A reservation the cache never sees expires.
	if _, err := l.Admit(executor("app1", 5), NewTracker(), true, decide); err != nil {
		t.Fatal(err)
	}
	now = now.Add(31 * time.Second)
	if _, err := l.Admit(executor("app1", 6), NewTracker(), false, decide); err != nil {
		t.Fatal(err)
	}
	if got.AppExecutors != 0 || l.Reserved() != 0 {
		t.Fatalf("expired reservation still counted: %+v", got)
	}
	// A denied pod reserves nothing.
	if _, err := l.Admit(executor("app1", 7), NewTracker(), true, func(Inventory) (bool, error) { return false, nil }); err != nil || l.Reserved() != 0 {
		t.Fatalf("denied pod reserved: %v %d", err, l.Reserved())
	}
}

// TestLedgerAppsAndSelf: another app's reservation counts in the
// namespace's totals only, and a pod judged again (an UPDATE of a live pod)
// is not counted against itself, in the namespace's totals or its app's.
func TestLedgerAppsAndSelf(t *testing.T) {
	l := NewLedger(time.Minute)
	var got Inventory
	decide := func(inv Inventory) (bool, error) { got = inv; return true, nil }
	for _, p := range []LivePod{executor("app2", 1), executor("app1", 1)} {
		if _, err := l.Admit(p, NewTracker(), true, decide); err != nil {
			t.Fatal(err)
		}
	}
	if want := (Inventory{Namespace: Usage{CPUMilli: 1000, MemoryBytes: 1 << 30, Pods: 1}}); got != want {
		t.Fatalf("app1 after app2's reservation: %+v, want %+v (app2's in the namespace's totals only)", got, want)
	}
	self := executor("app1", 2)
	if _, err := l.Admit(self, TrackerOf([]LivePod{self, executor("app1", 3)}), false, decide); err != nil {
		t.Fatal(err)
	}
	// Two reservations (app1's and app2's) and app1's other live executor.
	want := Inventory{Namespace: Usage{CPUMilli: 3000, MemoryBytes: 3 << 30, Pods: 3}, AppExecutors: 2, App: Usage{CPUMilli: 2000, MemoryBytes: 2 << 30, Pods: 2}}
	if got != want {
		t.Fatalf("a live pod judged again: %+v, want %+v (itself not counted)", got, want)
	}
	// The app's driver judged again: the app's executors are all counted.
	driver := LivePod{Key: "etl/app1-driver", Namespace: "etl", App: "app1", Usage: Usage{CPUMilli: 1000, MemoryBytes: 1 << 30, Pods: 1}}
	if _, err := l.Admit(driver, TrackerOf([]LivePod{driver, executor("app1", 3)}), false, decide); err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("the app's driver judged again: %+v, want %+v (itself not counted, every executor counted)", got, want)
	}
}

func TestLedgerNamespacesAreSeparate(t *testing.T) {
	l := NewLedger(time.Minute)
	other := executor("app1", 1)
	other.Namespace, other.Key = "other", "other/app1-exec-1"
	if _, err := l.Admit(other, NewTracker(), true, func(Inventory) (bool, error) { return true, nil }); err != nil {
		t.Fatal(err)
	}
	var got Inventory
	if _, err := l.Admit(executor("app1", 2), NewTracker(), true, func(inv Inventory) (bool, error) { got = inv; return true, nil }); err != nil {
		t.Fatal(err)
	}
	if got != (Inventory{}) || l.Reserved() != 2 {
		t.Fatalf("a reservation in another namespace counted: %+v (reserved %d)", got, l.Reserved())
	}
}

// TestLedgerWithTheCacheCatchingUp admits 50 executors at once while the
// tracker receives the admitted ones, as the informer delivers them: each
// admitted pod counts exactly once, as a reservation or as live, never
// zero times, so exactly 20 get in.
func TestLedgerWithTheCacheCatchingUp(t *testing.T) {
	for round := range 20 {
		l := NewLedger(time.Minute)
		tracker := NewTracker()
		admitted := admittedConcurrently(50, func(i int) bool {
			pod := sparkExecutor(fmt.Sprintf("exec-%d", i), "app1", "1", corev1.PodPending)
			ok, err := l.Admit(LivePodOf(pod), tracker, true, func(inv Inventory) (bool, error) {
				return inv.AppExecutors+1 <= 20, nil
			})
			if err != nil {
				t.Error(err)
			}
			if ok {
				go func() { time.Sleep(time.Duration(i%3) * time.Millisecond); tracker.Upsert(pod) }()
			}
			return ok
		})
		if admitted != 20 {
			t.Fatalf("round %d: admitted %d, want 20", round, admitted)
		}
	}
}

// TestLedgerRelease: the reservations made before a time are listed oldest
// first, at most as many as asked; releasing one made before the time the
// API server was found to hold no such pod ends it, and the inventory no
// longer counts it; one made since (the pod created again) stays.
func TestLedgerRelease(t *testing.T) {
	now := time.Unix(1000, 0)
	l := NewLedger(30 * time.Second)
	l.now = func() time.Time { return now }
	var got Inventory
	decide := func(inv Inventory) (bool, error) { got = inv; return true, nil }
	for i := range 3 {
		if _, err := l.Admit(executor("app1", i), NewTracker(), true, decide); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Second)
	}
	if keys := l.MadeBefore(time.Unix(1002, 0), 10, NewTracker()); !slices.Equal(keys, []string{"etl/app1-exec-0", "etl/app1-exec-1"}) {
		t.Fatalf("made before 1002: %q", keys)
	}
	if keys := l.MadeBefore(now, 1, NewTracker()); !slices.Equal(keys, []string{"etl/app1-exec-0"}) {
		t.Fatalf("the oldest one: %q", keys)
	}
	if !l.Release("etl/app1-exec-0", now) || l.Release("etl/app1-exec-2", time.Unix(1001, 0)) || l.Release("etl/none", now) {
		t.Fatal("released what was not to be, or not what was")
	}
	if _, err := l.Admit(executor("app1", 9), NewTracker(), false, decide); err != nil {
		t.Fatal(err)
	}
	if got.AppExecutors != 2 || l.Reserved() != 2 {
		t.Fatalf("after a release: %+v, %d reserved; want the 2 others counted", got, l.Reserved())
	}
	// A reservation the live state holds ends, and is not listed.
	if keys := l.MadeBefore(now, 10, TrackerOf([]LivePod{executor("app1", 1)})); !slices.Equal(keys, []string{"etl/app1-exec-2"}) || l.Reserved() != 1 {
		t.Fatalf("with exec-1 live: %q listed, %d reserved; want exec-2 alone", keys, l.Reserved())
	}
}
