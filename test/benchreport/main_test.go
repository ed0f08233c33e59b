package main

import (
	"strings"
	"testing"

	"github.com/strata-dev/strata/test/median"
)

const sample = `goos: linux
BenchmarkHandlers/noop/layers=9/pods=100-2      	  1000	    40000 ns/op	    9000 B/op	     130 allocs/op
BenchmarkHandlers/mutate/layers=9/pods=100-2    	  1000	   400000 ns/op	  160000 B/op	    2000 allocs/op
BenchmarkHandlers/noop/layers=9/pods=100-2      	  1000	    60000 ns/op	    9000 B/op	     130 allocs/op
BenchmarkHandlers/mutate/layers=9/pods=100-2    	  1000	   500000 ns/op	  160000 B/op	    2000 allocs/op
BenchmarkHandlers/noop/layers=9/pods=100-2      	  1000	    50000 ns/op	    9000 B/op	     130 allocs/op
BenchmarkHandlers/mutate/layers=9/pods=100-2    	  1000	   450000 ns/op	  160000 B/op	    2000 allocs/op
BenchmarkServeHTTP/noop/layers=9/pods=100-2     	  1000	   100000 ns/op	   27000 B/op	     218 allocs/op
BenchmarkServeHTTP/mutate/layers=9/pods=100-2   	  1000	   250000 ns/op	  118000 B/op	    1088 allocs/op
BenchmarkCompose-2	3000	   350000 ns/op
PASS
`

// TestReport: medians per benchmark, each handler's ratio to the no-op
// floor of the same size, and a section that replaces itself: rendering
// into a file twice leaves what rendering once does, and the rest of the
// file untouched.
func TestReport(t *testing.T) {
	benches, err := parseBench(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(benches) != 5 || benches[0].name != "BenchmarkHandlers/noop/layers=9/pods=100" || median.Of(benches[1].ns) != 450000 {
		t.Fatalf("parsed %+v", benches)
	}
	load := &loadReport{Mode: "closed loop, concurrency 8", Protocol: "HTTP/2", Runtime: []string{"GOGC=400"}}
	section := render(benches, load, "2 cores", "2026-12-01")
	for _, want := range []string{
		"| `BenchmarkHandlers/mutate/layers=9/pods=100` | 3 | 450.0 µs | 160000 | 2000 | 9.00 |",
		"| `BenchmarkHandlers/noop/layers=9/pods=100` | 3 | 50.0 µs | 9000 | 130 |  |",
		"| `BenchmarkCompose` | 1 | 350.0 µs | 0 | 0 |  |",
		"| `BenchmarkServeHTTP/mutate/layers=9/pods=100` | 1 | 250.0 µs | 118000 | 1088 | 2.50 |",
		"Load (`test/load`, closed loop, concurrency 8, HTTP/2, the webhook at `GOGC=400` as its Deployment ships)",
	} {
		if !strings.Contains(section, want) {
			t.Errorf("section lacks %q:\n%s", want, section)
		}
	}
	doc := "# Benchmarks\n\nIntro.\n\n## History\n\nOld numbers.\n"
	once := replaceSection(doc, section)
	twice := replaceSection(once, section)
	if once != twice || !strings.HasPrefix(once, "# Benchmarks\n\nIntro.\n\n"+beginMarker) || !strings.HasSuffix(once, "## History\n\nOld numbers.\n") {
		t.Fatalf("replacing:\n%s\n---\n%s", once, twice)
	}
	if _, err := parseBench(strings.NewReader("no results\n")); err == nil {
		t.Error("output without results was accepted")
	}
}
