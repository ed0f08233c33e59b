package app

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/pkg/policy/volcanov1beta1"
)

// TestAdmittedGangsCountUntilListed: a PodGroup this replica admitted
// counts with what a list shows until a list shows it, or a list made
// gangSettled after its admission does not, or the ttl passes; one
// without a hold is not kept.
func TestAdmittedGangsCountUntilListed(t *testing.T) {
	now := time.Unix(1000, 0)
	a := newAdmittedGangs(30 * time.Second)
	a.now = func() time.Time { return now }
	var listed []volcanov1beta1.PodGroup
	list := a.lookup(func(context.Context, string) ([]volcanov1beta1.PodGroup, error) { return slices.Clone(listed), nil })
	names := func() []string {
		t.Helper()
		pgs, err := list(context.Background(), "etl")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, pg := range pgs {
			out = append(out, pg.Name)
		}
		slices.Sort(out)
		return out
	}
	held := func(name, ns string) volcanov1beta1.PodGroup {
		return volcanov1beta1.PodGroup{Name: name, Namespace: ns, MinResources: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}}
	}
	a.admit(held("a", "etl"))
	a.admit(held("b", "etl"))
	a.admit(held("other", "geo"))
	a.admit(volcanov1beta1.PodGroup{Name: "none", Namespace: "etl"})
	if got := names(); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("before any is stored: %v", got)
	}
	listed = []volcanov1beta1.PodGroup{{Name: "a", Namespace: "etl", Phase: "Inqueue"}}
	if got := names(); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("a stored: %v", got)
	}
	listed = nil
	if got := names(); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("a listed once is forgotten (its own list counts it), b still counted: %v", got)
	}
	// One a list made a while after its admission still does not show
	// was refused after the webhook admitted it: forgotten before the ttl.
	now = now.Add(gangSettled + time.Second)
	a.admit(held("c", "etl"))
	if got := names(); !slices.Equal(got, []string{"c"}) {
		t.Fatalf("b not listed %s after its admission: %v, want it forgotten and c counted", gangSettled+time.Second, got)
	}
	now = now.Add(31 * time.Second)
	if got := names(); len(got) != 0 {
		t.Fatalf("past the ttl: %v", got)
	}
	if _, err := a.lookup(func(context.Context, string) ([]volcanov1beta1.PodGroup, error) { return nil, errors.New("forbidden") })(context.Background(), "etl"); err == nil {
		t.Error("a list that fails: no error")
	}
}

// TestPodGroupsJudgedTogether: PodGroups each within a namespace's total
// but not together are refused once the namespace's total is held, even
// when created at once, before the API server stores any of them; a turn
// not given before the request's deadline is a timeout, never a verdict.
func TestPodGroupsJudgedTogether(t *testing.T) {
	l := teamLayer()
	l.Spec.Config.Limits = &v1alpha1.Limits{NamespaceCPU: new(resource.MustParse("10"))}
	v := newTestPodGroupValidator(t, l)
	v.PodGroups = func(context.Context, string) ([]volcanov1beta1.PodGroup, error) { return nil, nil } // none stored yet
	v.Admitted = newAdmittedGangs(time.Minute)
	holding := func(name string) []byte { return podGroupJSON(name, "") } // each holds 3 CPU
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		allowed int
		denials []string
	)
	for i := range 5 {
		wg.Go(func() {
			resp := v.Handle(context.Background(), podGroupRequest(admissionv1.Create, holding("pg-"+string(rune('a'+i))), nil))
			mu.Lock()
			defer mu.Unlock()
			if resp.Allowed {
				allowed++
			} else {
				denials = append(denials, resp.Result.Message)
			}
		})
	}
	wg.Wait()
	if allowed != 3 || len(denials) != 2 {
		t.Fatalf("%d of 5 PodGroups of 3 CPU admitted where 10 may be held; denials: %q", allowed, denials)
	}
	for _, d := range denials {
		if !strings.Contains(d, `spec.minResources has Volcano hold 3 CPU for the gang, 12 with the namespace's other gangs waiting to run`) {
			t.Errorf("denial %q", d)
		}
	}

	// The namespace's turn held elsewhere past the request's deadline.
	done, err := v.Admitted.turn(context.Background(), "etl")
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if resp := v.Handle(ctx, podGroupRequest(admissionv1.Create, holding("late"), nil)); resp.Allowed || resp.Result.Code != http.StatusGatewayTimeout {
		t.Errorf("a turn not given in time: allowed %v code %d", resp.Allowed, resp.Result.Code)
	}
}
