package app

import (
	"math"
	"runtime/debug"
	"testing"
)

// TestTuneGC: the tuning needs a soft memory limit and no GOGC of the
// operator's, and lets the heap grow to three quarters of the limit.
func TestTuneGC(t *testing.T) {
	if got := gcThreshold(400 << 20); got != 300<<20 {
		t.Fatalf("threshold %d under 400MiB, want %d", got, 300<<20)
	}
	if gcThreshold(math.MaxInt64) != 0 || gcThreshold(0) != 0 {
		t.Fatal("a threshold without a limit")
	}
	prev := debug.SetMemoryLimit(400 << 20)
	defer debug.SetMemoryLimit(prev)
	if heap, stop := TuneGC(func(string) string { return "200" }); heap != 0 {
		stop()
		t.Fatal("tuned over the operator's GOGC")
	}
	heap, stop := TuneGC(func(string) string { return "" })
	stop()
	if heap != 300<<20 {
		t.Fatalf("tuned for %d, want %d", heap, 300<<20)
	}
	debug.SetMemoryLimit(math.MaxInt64)
	if heap, stop := TuneGC(func(string) string { return "" }); heap != 0 {
		stop()
		t.Fatal("tuned without a soft memory limit")
	}
}
