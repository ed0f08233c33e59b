package app

import (
	"context"
	"sync"
	"time"

	"github.com/strata-dev/strata/pkg/policy"
	"github.com/strata-dev/strata/pkg/policy/volcanov1beta1"
)

// admittedGangs are the PodGroups with a hold (minResources) this replica
// admitted in the last ttl, by namespace. A list of a namespace's
// PodGroups made before the API server stored one would leave its hold
// out, so each is counted with what a list shows until a list shows it, or
// a list made gangSettled after its admission still does not (a create
// another webhook refused), or ttl passes. Judging a namespace's
// PodGroup holds the namespace's turn, so two creates at once count each
// other. (Another replica's admissions count once the API server stores
// them, as its pods' reservations do.)
type admittedGangs struct {
	ttl time.Duration
	now func() time.Time

	mu    sync.Mutex
	turns map[string]chan struct{}
	byNS  map[string]map[string]admittedGang
}

type admittedGang struct {
	pg    volcanov1beta1.PodGroup
	at    time.Time
	until time.Time
}

// gangSettled is how long after its admission a PodGroup the API server
// lists from etcd (the lookup's list) must show: one admitted this long
// ago that a list does not show was refused after the webhook admitted
// it (by another webhook, say), and is forgotten then rather than at the
// ttl, as the pods' reservations are (reservationCheck).
const gangSettled = reservationCheckAfter

func newAdmittedGangs(ttl time.Duration) *admittedGangs {
	return &admittedGangs{ttl: ttl, now: time.Now, turns: map[string]chan struct{}{}, byNS: map[string]map[string]admittedGang{}}
}

// turn waits for namespace's turn, or for ctx to be done; the function it
// returns ends the turn.
func (a *admittedGangs) turn(ctx context.Context, namespace string) (func(), error) {
	a.mu.Lock()
	t, ok := a.turns[namespace]
	if !ok {
		t = make(chan struct{}, 1)
		a.turns[namespace] = t
	}
	a.mu.Unlock()
	select {
	case t <- struct{}{}:
		return func() { <-t }, nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// lookup is list with the PodGroups admitted lately that it does not
// show; those it shows, and those past ttl, are forgotten.
func (a *admittedGangs) lookup(list policy.PodGroupLookup) policy.PodGroupLookup {
	return func(ctx context.Context, namespace string) ([]volcanov1beta1.PodGroup, error) {
		pgs, err := list(ctx, namespace)
		if err != nil {
			return nil, err
		}
		listed := make(map[string]bool, len(pgs))
		for _, pg := range pgs {
			listed[pg.Name] = true
		}
		now := a.now()
		a.mu.Lock()
		defer a.mu.Unlock()
		for name, g := range a.byNS[namespace] {
			switch {
			case listed[name] || now.After(g.until) || now.Sub(g.at) > gangSettled:
				delete(a.byNS[namespace], name)
			default:
				pgs = append(pgs, g.pg)
			}
		}
		return pgs, nil
	}
}

// admit counts pg, just admitted, until a list shows it.
func (a *admittedGangs) admit(pg volcanov1beta1.PodGroup) {
	if pg.MinResources == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	ns := a.byNS[pg.Namespace]
	if ns == nil {
		ns = map[string]admittedGang{}
		a.byNS[pg.Namespace] = ns
	}
	now := a.now()
	ns[pg.Name] = admittedGang{pg: pg, at: now, until: now.Add(a.ttl)}
}
