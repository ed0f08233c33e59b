package app

import (
	"context"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/strata-dev/strata/pkg/policy"
)

// Defaults of reservationCheck.
const (
	// reservationCheckAfter is how old a reservation the pod watch has not
	// retired is before the API server is asked for its pod: an admitted
	// pod is stored within milliseconds of its last validating webhook,
	// so one missing this long after was refused (or is stored so late
	// that the watch delivers it moments after).
	reservationCheckAfter = 5 * time.Second
	// reservationCheckEvery is how often reservations are checked.
	reservationCheckEvery = time.Second
	// reservationChecksPerRound bounds the GETs of one round, the oldest
	// reservations first; the others wait for the next round, or the TTL.
	reservationChecksPerRound = 50
	// reservationQuestionTimeout bounds one question to the API server: a
	// slow one keeps the next round waiting, never the admissions.
	reservationQuestionTimeout = 5 * time.Second
)

// reservationCheck ends the Ledger's reservations of pods that the API
// server refused after the webhook admitted them, so they stop counting
// against quota well before --reservation-ttl. The ResourceQuota
// admission runs after every validating webhook: a namespace whose
// ResourceQuota is spent has each pod its Spark driver keeps creating
// refused there, and each of them, reserved, would hold Strata's limits
// for the TTL after the ResourceQuota frees up. A reservation the pod watch
// has not retired after a while is released when the API server says it
// holds no such pod; one it cannot ask about stays (the TTL ends it).
type reservationCheck struct {
	ledger *policy.Ledger
	// live is the pod watch's: a reservation of a pod it holds ends
	// without a question.
	live policy.LiveState
	// pods reads from the API server, not a cache.
	pods  client.Reader
	after time.Duration
	every time.Duration
	limit int
	// released counts the reservations ended (nil: not counted).
	released prometheus.Counter
	log      logr.Logger
}

// Start checks reservations every c.every until ctx ends.
func (c *reservationCheck) Start(ctx context.Context) error {
	tick := time.NewTicker(c.every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			c.round(ctx)
		}
	}
}

// NeedLeaderElection is false: each replica checks its own reservations.
func (c *reservationCheck) NeedLeaderElection() bool { return false }

// round checks the oldest reservations made more than c.after ago, at
// most c.limit of them, and returns how many it released.
func (c *reservationCheck) round(ctx context.Context) int {
	released := 0
	for _, key := range c.ledger.MadeBefore(time.Now().Add(-c.after), c.limit, c.live) {
		namespace, name, _ := strings.Cut(key, "/")
		asked := time.Now()
		pod := &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}}
		asking, cancel := context.WithTimeout(ctx, reservationQuestionTimeout)
		err := c.pods.Get(asking, client.ObjectKey{Namespace: namespace, Name: name}, pod)
		cancel()
		switch {
		case apierrors.IsNotFound(err):
			if c.ledger.Release(key, asked) {
				released++
				if c.released != nil {
					c.released.Inc()
				}
				c.log.V(1).Info("released the reservation of a pod the API server does not hold", "pod", key)
			}
		case err != nil:
			c.log.V(1).Info("cannot read a reserved pod; its reservation stays", "pod", key, "reason", err.Error())
		}
	}
	return released
}
