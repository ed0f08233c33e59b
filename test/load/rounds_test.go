package main

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/strata-dev/strata/test/median"
)

// TestRounds: rounds merge into one result per handler (units, CPU,
// errors summed; latencies pooled and sorted; the highest peak RSS; the
// first error), and each round's ratio is taken against that round's
// floor, with their median.
func TestRounds(t *testing.T) {
	ms := time.Millisecond
	rounds := [][]result{
		{
			{handler: "noop", sent: 100, cpu: 30 * ms, latency: []time.Duration{2, 5}, peakRSS: 10},
			{handler: "mutate", sent: 100, cpu: 60 * ms, latency: []time.Duration{3}, peakRSS: 20, errors: 1, firstErr: errors.New("first")},
		},
		{
			{handler: "noop", sent: 100, cpu: 40 * ms, latency: []time.Duration{1}, peakRSS: 30},
			{handler: "mutate", sent: 100, cpu: 60 * ms, latency: []time.Duration{4, 1}, peakRSS: 5, errors: 2, firstErr: errors.New("second")},
		},
		{
			{handler: "noop", sent: 100, cpu: 20 * ms, peakRSS: 1},
			{handler: "mutate", sent: 50, cpu: 20 * ms, peakRSS: 1},
		},
	}
	m := merged(rounds)
	if len(m) != 2 || m[1].sent != 250 || m[1].cpu != 140*ms || m[1].errors != 3 || m[1].firstErr.Error() != "first" ||
		m[0].peakRSS != 30 || !slices.Equal(m[1].latency, []time.Duration{1, 3, 4}) || !slices.Equal(m[0].latency, []time.Duration{1, 2, 5}) {
		t.Fatalf("merged %+v", m)
	}
	if !slices.Equal(rounds[0][0].latency, []time.Duration{2, 5}) {
		t.Fatal("merging changed a round's latencies")
	}
	ratios := floorRatios(rounds, "mutate")
	if want := []float64{2, 1.5, 2}; !slices.Equal(ratios, want) {
		t.Fatalf("ratios %v, want %v", ratios, want)
	}
	if got := median.Of(ratios); got != 2 {
		t.Fatalf("median %v", got)
	}
	if got, want := cpuByRound(rounds, "noop"), []time.Duration{300 * time.Microsecond, 400 * time.Microsecond, 200 * time.Microsecond}; !slices.Equal(got, want) {
		t.Fatalf("noop by round %v, want %v", got, want)
	}
	if floorRatios(rounds[:1], "mutate") != nil || floorRatios(rounds, "validate") != nil {
		t.Fatal("ratios without rounds or without the handler")
	}
}

// TestLastOfEach: --webhook-env wins over the Deployment's setting of the
// same name, and the names keep their order.
func TestLastOfEach(t *testing.T) {
	got := lastOfEach([]string{"GOGC=400", "GOMEMLIMIT=400MiB", "GOGC=100", "GODEBUG=x=1"})
	if want := []string{"GOGC=100", "GOMEMLIMIT=400MiB", "GODEBUG=x=1"}; !slices.Equal(got, want) {
		t.Fatalf("%v, want %v", got, want)
	}
}
