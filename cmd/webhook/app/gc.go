package app

import (
	"math"
	"runtime/debug"

	"github.com/bytedance/gopkg/util/gctuner"
)

// Bounds of the GOGC TuneGC sets: never below Go's default, so a heap
// near its budget is collected as it would be untuned; at most 500, a
// heap six times its live data.
const (
	minGCPercent = 100
	maxGCPercent = 500
)

// TuneGC makes the collector run less often while the heap is small. Every
// admission allocates, and a webhook whose caches are small collected at
// Go's default every few hundred requests: a sixth of its CPU. With a soft
// memory limit set (GOMEMLIMIT, as the Deployment sets it) and GOGC left
// to Go, GOGC then follows the live heap after each collection (gctuner),
// letting the heap grow to three quarters of the limit, within
// minGCPercent and maxGCPercent. A small cluster's webhook collects up to
// five times less often; a large cluster's, whose caches are most of the
// budget, as at Go's default, so its memory per cached pod does not grow.
// An explicit GOGC is the operator's choice and is left alone. TuneGC
// returns the heap it tunes for, 0 when it does not tune, and what stops
// the tuning and puts GOGC back (for a process that runs the webhook for a
// while, as the end-to-end benchmarks do).
func TuneGC(getenv func(string) string) (heap uint64, stop func()) {
	if getenv("GOGC") != "" {
		return 0, func() {}
	}
	threshold := gcThreshold(debug.SetMemoryLimit(-1))
	if threshold == 0 {
		return 0, func() {}
	}
	before := debug.SetGCPercent(100)
	debug.SetGCPercent(before)
	gctuner.SetMinGCPercent(minGCPercent)
	gctuner.SetMaxGCPercent(maxGCPercent)
	gctuner.Tuning(threshold)
	return threshold, func() {
		gctuner.Tuning(0)
		debug.SetGCPercent(before)
	}
}

// gcThreshold is the heap TuneGC lets grow under a soft memory limit:
// three quarters of it, the rest for what is not heap (stacks, the
// runtime) and for a burst; 0 with no limit set.
func gcThreshold(limit int64) uint64 {
	if limit <= 0 || limit == math.MaxInt64 {
		return 0
	}
	return uint64(limit) / 4 * 3
}
