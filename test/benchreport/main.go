package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/strata-dev/strata/test/median"
)

// The markers around the generated section of BENCHMARKS.md.
const (
	beginMarker = "<!-- make bench: begin (generated; rewritten by every `make bench`) -->"
	endMarker   = "<!-- make bench: end -->"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "benchreport: %v\n", err)
		os.Exit(2)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("benchreport", flag.ContinueOnError)
	benchFile := fs.String("bench", "", "output of go test -bench (required)")
	loadFile := fs.String("load", "", "output of test/load --json")
	out := fs.String("out", "BENCHMARKS.md", "file whose generated section is replaced")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *benchFile == "" {
		return errors.New("--bench is required")
	}
	f, err := os.Open(*benchFile)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	benches, err := parseBench(f)
	if err != nil {
		return fmt.Errorf("%s: %w", *benchFile, err)
	}
	var load *loadReport
	if *loadFile != "" {
		b, err := os.ReadFile(*loadFile)
		if err != nil {
			return err
		}
		load = &loadReport{}
		if err := json.Unmarshal(b, load); err != nil {
			return fmt.Errorf("%s: %w", *loadFile, err)
		}
	}
	doc, err := os.ReadFile(*out)
	if err != nil {
		return err
	}
	section := render(benches, load, machine(), time.Now().UTC().Format("2006-01-02"))
	return os.WriteFile(*out, []byte(replaceSection(string(doc), section)), 0o644)
}

// bench is one benchmark's runs.
type bench struct {
	name              string
	ns, bytes, allocs []float64
}

// parseBench reads go test -bench output: every Benchmark line, by name
// without the -GOMAXPROCS suffix, in order of first appearance.
func parseBench(r io.Reader) ([]*bench, error) {
	var out []*bench
	byName := map[string]*bench{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		name := fields[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		b, ok := byName[name]
		if !ok {
			b = &bench{name: name}
			byName[name] = b
			out = append(out, b)
		}
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				continue
			}
			switch fields[i+1] {
			case "ns/op":
				b.ns = append(b.ns, v)
			case "B/op":
				b.bytes = append(b.bytes, v)
			case "allocs/op":
				b.allocs = append(b.allocs, v)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("no benchmark results")
	}
	return out, nil
}

// floorOf is the name of the no-op benchmark b is measured against:
// BenchmarkHandlers/noop/<size> for BenchmarkHandlers/<handler>/<size>,
// and likewise for BenchmarkServeHTTP.
func floorOf(name string) (string, bool) {
	parts := strings.SplitN(name, "/", 3)
	if len(parts) != 3 || (parts[0] != "BenchmarkHandlers" && parts[0] != "BenchmarkServeHTTP") || parts[1] == "noop" {
		return "", false
	}
	return parts[0] + "/noop/" + parts[2], true
}

// loadReport is test/load's --json.
type loadReport struct {
	Mode     string   `json:"mode"`
	Protocol string   `json:"protocol"`
	Runtime  []string `json:"runtime"`
	Handlers []struct {
		Handler      string  `json:"handler"`
		Units        int     `json:"units"`
		UnitsPerSec  float64 `json:"unitsPerSec"`
		P50Ms        float64 `json:"p50Ms"`
		P99Ms        float64 `json:"p99Ms"`
		Errors       int     `json:"errors"`
		Shed         int     `json:"shed"`
		CPUPerUnitMs float64 `json:"cpuPerUnitMs"`
		FloorRatio   float64 `json:"floorRatio"`
		RSSMiB       float64 `json:"rssMiB"`
	} `json:"handlers"`
}

// machine describes where the benchmarks ran.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				if kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64); err == nil {
					mem = fmt.Sprintf(", %.0f GiB", kb/(1<<20))
				}
			}
		}
	}
	return fmt.Sprintf("%d cores (%s, GOMAXPROCS=%d)%s, %s, %s/%s", runtime.NumCPU(), model, runtime.GOMAXPROCS(0), mem,
		runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// render is the generated section.
func render(benches []*bench, load *loadReport, machine, date string) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("%s\n## Latest `make bench` (%s)\n\nMachine: %s. Commands: `make bench` (below, medians of every run of each benchmark).\n\n", beginMarker, date, machine)
	w("```\ngo test -run '^$' -bench . -benchmem -count 6 ./pkg/... ./cmd/...\ngo run ./test/load --rounds 3 --requests 2000 --json bin/load.json\n```\n\n")
	w("| benchmark | runs | median | B/op | allocs/op | × noop |\n| --- | --- | --- | --- | --- | --- |\n")
	byName := map[string]*bench{}
	for _, x := range benches {
		byName[x.name] = x
	}
	for _, x := range benches {
		ratio := ""
		if floor, ok := floorOf(x.name); ok {
			if f, ok := byName[floor]; ok && median.Of(f.ns) > 0 {
				ratio = fmt.Sprintf("%.2f", median.Of(x.ns)/median.Of(f.ns))
			}
		}
		w("| `%s` | %d | %s | %.0f | %.0f | %s |\n", x.name, len(x.ns), duration(median.Of(x.ns)), median.Of(x.bytes), median.Of(x.allocs), ratio)
	}
	if load != nil {
		runtime := ""
		if len(load.Runtime) > 0 {
			runtime = ", the webhook at `" + strings.Join(load.Runtime, " ") + "` as its Deployment ships"
		}
		w("\nLoad (`test/load`, %s, %s%s): CPU is the webhook process's, per request (per pod for `pod`: mutate then validate).\n\n", load.Mode, load.Protocol, runtime)
		w("| handler | units | units/s | p50 | p99 | errors | shed | CPU/unit | × noop CPU | RSS |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
		for _, h := range load.Handlers {
			w("| %s | %d | %.0f | %.2f ms | %.2f ms | %d | %d | %.3f ms | %.2f | %.0f MiB |\n", h.Handler, h.Units, h.UnitsPerSec,
				h.P50Ms, h.P99Ms, h.Errors, h.Shed, h.CPUPerUnitMs, h.FloorRatio, h.RSSMiB)
		}
	}
	w("%s\n", endMarker)
	return b.String()
}

func duration(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	default:
		return fmt.Sprintf("%.0f ns", ns)
	}
}

// replaceSection puts section between the markers of doc, or after its
// first paragraph block (the title and introduction) when it has none.
func replaceSection(doc, section string) string {
	if i := strings.Index(doc, beginMarker); i >= 0 {
		if j := strings.Index(doc[i:], endMarker); j >= 0 {
			end := i + j + len(endMarker)
			if end < len(doc) && doc[end] == '\n' {
				end++
			}
			return doc[:i] + section + doc[end:]
		}
	}
	at := strings.Index(doc, "\n## ")
	if at < 0 {
		return strings.TrimRight(doc, "\n") + "\n\n" + section
	}
	return doc[:at+1] + section + "\n" + doc[at+1:]
}
