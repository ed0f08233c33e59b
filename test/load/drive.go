package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/strata-dev/strata/test/controlplane"
	"github.com/strata-dev/strata/test/median"
	"github.com/strata-dev/strata/test/proc"
)

// result is one handler's load.
type result struct {
	handler  string
	sent     int // requests (pods for "pod")
	errors   int
	denied   int
	firstErr error
	// firstDenial is the message of the first denial.
	firstDenial string
	elapsed     time.Duration
	latency     []time.Duration // sorted
	cpu         time.Duration   // the webhook's CPU time during the load
	peakRSS     int64
	rss         int64
	perUnit     int // requests per unit (2 for pod)
	// shed is how many requests the webhook answered 429 (and the load
	// retried, as the API server does).
	shed int
}

// maxPrebuilt bounds the bodies built ahead of a time-bounded closed loop;
// after them the names repeat.
const maxPrebuilt = 50000

// measure loads handler h: a warm-up, then the measured run.
func measure(ctx context.Context, srv *server, reqs *requests, h string, o *options) (result, error) {
	n := o.requests
	switch {
	case o.rate > 0:
		n = int(o.rate*o.duration.Seconds()) + 1
	case o.duration > 0:
		n = maxPrebuilt
	}
	all, err := reqs.bodies(h, o.warmup+n)
	if err != nil {
		return result{}, err
	}
	warm := &options{concurrency: o.concurrency, requests: max(o.warmup, 1)}
	_ = closedLoop(ctx, srv, h, all[:o.warmup], warm) // warms connections, caches and the Go runtime
	shedBefore, _ := metricValue(ctx, srv.metrics, "strata_admissions_shed_total")
	before, procErr := proc.Read(srv.pid)
	profiled := make(chan error, 1)
	if o.profileDir != "" {
		seconds := 2
		if o.duration > 0 {
			seconds = max(1, int(o.duration.Seconds())-1)
		}
		go func() { profiled <- profile(ctx, srv, o.profileDir, h, seconds) }()
	} else {
		profiled <- nil
	}
	var r result
	if o.rate > 0 {
		r = openLoop(ctx, srv, h, all[o.warmup:], o)
	} else {
		r = closedLoop(ctx, srv, h, all[o.warmup:], o)
	}
	if after, err := proc.Read(srv.pid); procErr == nil && err == nil {
		r.cpu, r.peakRSS, r.rss = after.CPU-before.CPU, after.PeakRSS, after.RSS
	}
	if shedAfter, err := metricValue(ctx, srv.metrics, "strata_admissions_shed_total"); err == nil {
		r.shed = int(shedAfter - shedBefore)
	}
	if err := <-profiled; err != nil {
		return r, fmt.Errorf("profiling: %w", err)
	}
	return r, ctx.Err()
}

// settle waits, at most limit, until the process is idle: under 5% of a
// core over a quarter of a second, twice running.
func settle(ctx context.Context, pid int, limit time.Duration) error {
	const window = 250 * time.Millisecond
	deadline := time.Now().Add(limit)
	prev, err := proc.Read(pid)
	if err != nil {
		return err
	}
	quiet := 0
	for quiet < 2 && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(window):
		}
		now, err := proc.Read(pid)
		if err != nil {
			return err
		}
		if now.CPU-prev.CPU < window/20 {
			quiet++
		} else {
			quiet = 0
		}
		prev = now
	}
	return nil
}

// profile writes a CPU profile of the webhook over the next seconds to
// dir/name.pprof.
func profile(ctx context.Context, srv *server, dir, name string, seconds int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/profile?seconds=%d", srv.pprof, seconds), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d", req.URL, resp.StatusCode)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, name+".pprof"))
	if err != nil {
		return err
	}
	_, err = io.Copy(f, resp.Body)
	return errors.Join(err, f.Close())
}

// unit sends one unit of load: a request, or a pod's two. denied is the
// message of a denial.
func unit(ctx context.Context, srv *server, h string, body [2][]byte) (denied string, err error) {
	if h == "pod" {
		if denied, err = request(ctx, srv, paths["mutate"], body[0]); denied != "" || err != nil {
			return denied, err
		}
		return request(ctx, srv, paths["validate"], body[1])
	}
	return request(ctx, srv, paths[h], body[0])
}

func request(ctx context.Context, srv *server, path string, body []byte) (denied string, err error) {
	resp, err := send(ctx, srv, path, body)
	switch {
	case err != nil:
		return "", err
	case resp.Allowed:
		return "", nil
	case resp.Result != nil && resp.Result.Message != "":
		return resp.Result.Message, nil
	default:
		return "denied", nil
	}
}

type recorder struct {
	mu sync.Mutex
	r  result
}

func (rec *recorder) add(d time.Duration, denied string, err error) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.r.sent++
	rec.r.latency = append(rec.r.latency, d)
	switch {
	case err != nil:
		rec.r.errors++
		if rec.r.firstErr == nil {
			rec.r.firstErr = err
		}
	case denied != "":
		rec.r.denied++
		if rec.r.firstDenial == "" {
			rec.r.firstDenial = denied
		}
	}
}

func (rec *recorder) done(h string, elapsed time.Duration) result {
	r := rec.r
	r.handler, r.elapsed, r.perUnit = h, elapsed, 1
	if h == "pod" {
		r.perUnit = 2
	}
	slices.Sort(r.latency)
	return r
}

// closedLoop keeps o.concurrency units in flight until every body is sent
// or o.duration has passed.
func closedLoop(ctx context.Context, srv *server, h string, bodies [][2][]byte, o *options) result {
	rec := &recorder{}
	var next atomic.Int64
	start := time.Now()
	deadline := time.Time{}
	if o.duration > 0 {
		deadline = start.Add(o.duration)
	}
	var wg sync.WaitGroup
	for range o.concurrency {
		wg.Go(func() {
			for ctx.Err() == nil && (deadline.IsZero() || time.Now().Before(deadline)) {
				i := int(next.Add(1)) - 1
				if deadline.IsZero() && i >= len(bodies) {
					return
				}
				t := time.Now()
				denied, err := unit(ctx, srv, h, bodies[i%len(bodies)])
				rec.add(time.Since(t), denied, err)
			}
		})
	}
	wg.Wait()
	return rec.done(h, time.Since(start))
}

// openLoop starts one unit every 1/o.rate seconds for o.duration, whatever
// the answers; latency counts from when a unit was due, so a slow server
// cannot hide its queue (no coordinated omission).
func openLoop(ctx context.Context, srv *server, h string, bodies [][2][]byte, o *options) result {
	rec := &recorder{}
	interval := time.Duration(float64(time.Second) / o.rate)
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < len(bodies); i++ {
		due := start.Add(time.Duration(i) * interval)
		if due.Sub(start) >= o.duration {
			break
		}
		if d := time.Until(due); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				wg.Wait()
				return rec.done(h, time.Since(start))
			}
		}
		wg.Go(func() {
			denied, err := unit(ctx, srv, h, bodies[i])
			rec.add(time.Since(due), denied, err)
		})
	}
	wg.Wait()
	return rec.done(h, time.Since(start))
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p/100*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// report prints one line per handler and the ratios to the floor.
func report(w io.Writer, o *options, srv *server, results []result, rounds [][]result) {
	mode := fmt.Sprintf("closed loop, concurrency %d", o.concurrency)
	if o.rate > 0 {
		mode = fmt.Sprintf("open loop, %.0f per second", o.rate)
	}
	proto := "HTTP/1.1"
	if o.http2 {
		proto = "HTTP/2"
	}
	webhook := srv.base
	if len(srv.goEnv) > 0 {
		from := "as " + controlplane.DeploymentFile
		if len(o.webhookEnv) > 0 {
			from = "the Deployment's with --webhook-env"
		}
		webhook += " (" + strings.Join(srv.goEnv, " ") + ", " + from + ")"
	}
	_, _ = fmt.Fprintf(w, "%s over %s; webhook %s; %d cached pods\n\n", mode, proto, webhook, srv.cachedPods)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	_, _ = fmt.Fprintln(tw, "handler\tunits\tunits/s\tp50\tp90\tp99\tp99.9\terrors\tdenied\tshed\tCPU/unit\t× noop CPU\tp50 × noop\tRSS\tpeak RSS\t")
	var floor *result
	for i := range results {
		if results[i].handler == "noop" {
			floor = &results[i]
		}
	}
	for _, r := range results {
		cpu := time.Duration(0)
		if r.sent > 0 {
			cpu = r.cpu / time.Duration(r.sent)
		}
		ratio, latRatio := "-", "-"
		if floor != nil && floor.sent > 0 && floor.cpu > 0 && r.sent > 0 {
			ratio = fmt.Sprintf("%.2f", float64(r.cpu)/float64(r.sent)/(float64(floor.cpu)/float64(floor.sent)))
			latRatio = fmt.Sprintf("%.2f", float64(percentile(r.latency, 50))/float64(percentile(floor.latency, 50)))
		}
		_, _ = fmt.Fprintf(tw, "%s\t%d\t%.0f\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\t%.0f MiB\t%.0f MiB\t\n", r.handler, r.sent,
			float64(r.sent)/r.elapsed.Seconds(), round(percentile(r.latency, 50)), round(percentile(r.latency, 90)),
			round(percentile(r.latency, 99)), round(percentile(r.latency, 99.9)), r.errors, r.denied, r.shed,
			round(cpu), ratio, latRatio, float64(r.rss)/(1<<20), float64(r.peakRSS)/(1<<20))
	}
	_ = tw.Flush()
	if len(rounds) > 1 {
		_, _ = fmt.Fprintf(w, "\n%d rounds, each handler's CPU per unit in each round:\n", len(rounds))
		for _, r := range results {
			var text []string
			for _, d := range cpuByRound(rounds, r.handler) {
				text = append(text, round(d).String())
			}
			_, _ = fmt.Fprintf(w, "  %s: %s\n", r.handler, strings.Join(text, " "))
		}
		_, _ = fmt.Fprintln(w, "and over the floor's of the same round:")
		for _, r := range results {
			if ratios := floorRatios(rounds, r.handler); r.handler != "noop" && ratios != nil {
				text := make([]string, len(ratios))
				for i, x := range ratios {
					text[i] = fmt.Sprintf("%.2f", x)
				}
				_, _ = fmt.Fprintf(w, "  %s: %s; median %.2f\n", r.handler, strings.Join(text, " "), median.Of(ratios))
			}
		}
	}
	_, _ = fmt.Fprintln(w, "\nunits: requests, or pods for \"pod\" (mutate then validate: two requests). CPU: the webhook process's, from /proc.\nshed: requests the webhook answered 429 past --max-in-flight; the load retries them after Retry-After, as the API server does.")
	for _, r := range results {
		if r.firstErr != nil {
			_, _ = fmt.Fprintf(w, "%s: first error: %v\n", r.handler, r.firstErr)
		}
		if r.firstDenial != "" {
			_, _ = fmt.Fprintf(w, "%s: first denial: %s\n", r.handler, r.firstDenial)
		}
	}
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= 100*time.Millisecond:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	default:
		return d.Round(time.Microsecond)
	}
}
