package main

import (
	"slices"
	"time"
)

// Rounds. On a shared machine the CPU a request costs drifts by ±20%
// between runs a minute apart, which is as much as a change being
// measured. With --rounds N every handler is loaded N times in turn
// (noop, mutate, ..., noop, mutate, ...): each round's ratio to the floor
// compares runs seconds apart, and the median of the rounds' ratios is
// the figure to quote.

// merged is each handler's results over all rounds, as one run: units,
// CPU, errors and time summed, latencies pooled, the peak RSS the highest.
func merged(rounds [][]result) []result {
	if len(rounds) == 0 {
		return nil
	}
	out := slices.Clone(rounds[0])
	for i := range out {
		out[i].latency = slices.Clone(out[i].latency)
	}
	for _, round := range rounds[1:] {
		for i, r := range round {
			m := &out[i]
			m.sent += r.sent
			m.errors += r.errors
			m.denied += r.denied
			m.shed += r.shed
			m.elapsed += r.elapsed
			m.cpu += r.cpu
			m.latency = append(m.latency, r.latency...)
			m.peakRSS = max(m.peakRSS, r.peakRSS)
			m.rss = r.rss
			if m.firstErr == nil {
				m.firstErr = r.firstErr
			}
			if m.firstDenial == "" {
				m.firstDenial = r.firstDenial
			}
		}
	}
	for i := range out {
		slices.Sort(out[i].latency)
	}
	return out
}

// floorRatios is, per round, handler's CPU per unit over the no-op's in
// the same round; none without a no-op or with one round.
func floorRatios(rounds [][]result, handler string) []float64 {
	if len(rounds) < 2 {
		return nil
	}
	var out []float64
	for _, round := range rounds {
		var floor, r *result
		for i := range round {
			switch round[i].handler {
			case "noop":
				floor = &round[i]
			case handler:
				r = &round[i]
			}
		}
		if floor == nil || r == nil || floor.sent == 0 || floor.cpu == 0 || r.sent == 0 {
			return nil
		}
		out = append(out, perUnit(r)/perUnit(floor))
	}
	return out
}

func perUnit(r *result) float64 { return float64(r.cpu) / float64(time.Duration(r.sent)) }

// cpuByRound is handler's CPU per unit in each round (0 for a round that
// sent nothing): how the floor itself drifts is half of every ratio.
func cpuByRound(rounds [][]result, handler string) []time.Duration {
	var out []time.Duration
	for _, round := range rounds {
		for i := range round {
			if r := &round[i]; r.handler == handler {
				var d time.Duration
				if r.sent > 0 {
					d = time.Duration(perUnit(r))
				}
				out = append(out, d)
			}
		}
	}
	return out
}
