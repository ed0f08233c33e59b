package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/strata-dev/strata/test/median"
)

// Report is what --json writes: the run's setup and one entry per handler.
// test/benchreport reads it.
type Report struct {
	Mode     string `json:"mode"`
	Protocol string `json:"protocol"`
	// Runtime are the Go runtime settings the webhook ran with
	// (GOGC=400, ...), those of the shipped Deployment.
	Runtime  []string        `json:"runtime,omitempty"`
	Handlers []HandlerResult `json:"handlers"`
}

// HandlerResult is one handler's load; times in milliseconds.
type HandlerResult struct {
	Handler      string  `json:"handler"`
	Units        int     `json:"units"`
	UnitsPerSec  float64 `json:"unitsPerSec"`
	P50Ms        float64 `json:"p50Ms"`
	P99Ms        float64 `json:"p99Ms"`
	Errors       int     `json:"errors"`
	Denied       int     `json:"denied"`
	Shed         int     `json:"shed"`
	CPUPerUnitMs float64 `json:"cpuPerUnitMs"`
	// FloorRatio is CPUPerUnitMs over the no-op handler's, 0 without one;
	// with rounds, the median of FloorRatios.
	FloorRatio float64 `json:"floorRatio"`
	// FloorRatios are each round's, with more than one.
	FloorRatios []float64 `json:"floorRatios,omitempty"`
	RSSMiB      float64   `json:"rssMiB"`
	PeakRSSMiB  float64   `json:"peakRssMiB"`
}

func writeJSON(file string, o *options, srv *server, results []result, rounds [][]result) error {
	rep := Report{Mode: fmt.Sprintf("closed loop, concurrency %d", o.concurrency), Protocol: "HTTP/1.1", Runtime: srv.goEnv}
	if o.rate > 0 {
		rep.Mode = fmt.Sprintf("open loop, %.0f per second for %s", o.rate, o.duration)
	}
	if o.http2 {
		rep.Protocol = "HTTP/2"
	}
	if len(rounds) > 1 {
		rep.Mode += fmt.Sprintf(", %d rounds (each ratio the median of the rounds')", len(rounds))
	}
	var floor float64
	for _, r := range results {
		if r.handler == "noop" && r.sent > 0 {
			floor = float64(r.cpu) / float64(r.sent)
		}
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	for _, r := range results {
		h := HandlerResult{Handler: r.handler, Units: r.sent, Errors: r.errors, Denied: r.denied, Shed: r.shed,
			P50Ms: ms(percentile(r.latency, 50)), P99Ms: ms(percentile(r.latency, 99)),
			RSSMiB: float64(r.rss) / (1 << 20), PeakRSSMiB: float64(r.peakRSS) / (1 << 20)}
		if r.elapsed > 0 {
			h.UnitsPerSec = float64(r.sent) / r.elapsed.Seconds()
		}
		if r.sent > 0 {
			per := float64(r.cpu) / float64(r.sent)
			h.CPUPerUnitMs = per / float64(time.Millisecond)
			if floor > 0 {
				h.FloorRatio = per / floor
			}
		}
		if ratios := floorRatios(rounds, r.handler); ratios != nil && r.handler != "noop" {
			h.FloorRatios, h.FloorRatio = ratios, median.Of(ratios)
		}
		rep.Handlers = append(rep.Handlers, h)
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(file, append(b, '\n'), 0o644)
}
