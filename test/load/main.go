package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/policy"
	"github.com/strata-dev/strata/test/controlplane"
)

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1 // the load ran and a request failed
	exitSetup = 2 // bad flags, or the webhook could not be started
)

// options are the tool's flags.
type options struct {
	target, caFile string
	pid            int
	layers         string
	cluster, pool  string
	handlers       []string
	concurrency    int
	requests       int
	duration       time.Duration
	rate           float64
	warmup         int
	rounds         int
	extraLayers    int
	livePods       int
	verbose        bool
	reservationTTL time.Duration
	profileDir     string
	createLayers   int
	createPods     int
	createPodsFrom string
	// largeApps is how many reviews of a large SparkApplication are sent
	// at once after the load (largeBurst).
	largeApps int
	// watched is the pod --create-pods creates copies of: --create-pods-from's, or nil for a
	// one-container executor.
	watched    *corev1.Pod
	http2      bool
	clientAuth bool
	// policies is the started webhook's --policies directory; empty for
	// the built-in policies.
	policies string
	jsonFile string
	// webhookEnv are NAME=value settings for a started webhook, over the
	// Deployment's (GOGC=100, to compare collector settings).
	webhookEnv []string
}

func parse(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	handlers := ""
	fs.StringVar(&o.target, "target", "", "base URL of a webhook already running (https://host:port); by default one is started")
	fs.StringVar(&o.caFile, "ca", "", "with --target: the CA that signed its serving certificate")
	fs.IntVar(&o.pid, "pid", 0, "with --target: the webhook's process id, to report its CPU and memory")
	fs.StringVar(&o.layers, "layers", filepath.Join(controlplane.RepoRoot(), "examples", "layers", "clusters", "prod-a"), "layer repository applied to the started cluster")
	fs.StringVar(&o.cluster, "cluster", "prod-a", "the started webhook's cluster name")
	fs.StringVar(&o.pool, "pool", "batch", "the started webhook's pool")
	fs.StringVar(&handlers, "handlers", "noop,mutate,validate,pod", "what to load, in order: noop (the floor), mutate, validate, pod (mutate then validate, per pod)")
	fs.IntVar(&o.concurrency, "concurrency", 8, "closed loop: requests in flight")
	fs.IntVar(&o.requests, "requests", 4000, "closed loop: requests per handler (pods for pod)")
	fs.DurationVar(&o.duration, "duration", 0, "run each handler this long instead of --requests (open loop: required)")
	fs.Float64Var(&o.rate, "rate", 0, "open loop: pods per second (each handler's requests are sent at this rate); 0 for a closed loop")
	fs.IntVar(&o.warmup, "warmup", 300, "requests per handler sent before measuring")
	fs.Func("webhook-env", "started webhook: NAME=value in its environment, over what its Deployment sets (repeatable; e.g. GOGC=100)", func(v string) error {
		if name, _, ok := strings.Cut(v, "="); !ok || name == "" {
			return fmt.Errorf("%q is not NAME=value", v)
		}
		o.webhookEnv = append(o.webhookEnv, v)
		return nil
	})
	fs.IntVar(&o.rounds, "rounds", 1, "load the handlers this many times in turn and report each round's ratio to the floor and their median (--profile: the last round's)")
	fs.IntVar(&o.extraLayers, "extra-layers", 0, "started cluster: add this many Layers that match no pod of the load")
	fs.IntVar(&o.livePods, "live-pods", 0, "started cluster: create this many Spark pods before the load (the webhook caches and counts them)")
	fs.BoolVar(&o.verbose, "v", false, "show the webhook's log")
	fs.StringVar(&o.jsonFile, "json", "", "also write the results to FILE as JSON (what `make bench` puts in BENCHMARKS.md)")
	fs.BoolVar(&o.http2, "http2", true, "use HTTP/2, as the API server does when the webhook offers it (one connection); false: HTTP/1.1 keep-alive, a connection per request in flight")
	fs.BoolVar(&o.clientAuth, "client-auth", false, "started webhook: serve only clients presenting a certificate of a CA of its own (--client-ca-file, --client-names), as the API server does with manifests/components/apiserver-client-auth; the load presents one")
	fs.StringVar(&o.policies, "policies", "", "started webhook: judge pods with the Rego policies of DIR (the webhook's --policies) instead of the built-in ones: what a site's policies cost per admission")
	fs.IntVar(&o.createLayers, "create-layers", 0, "started cluster: after the load, create this many Layers (matching no pod) while the webhook runs, and report its CPU per Layer (less what it spends idle)")
	fs.IntVar(&o.createPods, "create-pods", 0, "started cluster: after the load, create this many Spark pods while the webhook runs (not through it), and report its CPU per pod: what watching pods costs")
	fs.StringVar(&o.createPodsFrom, "create-pods-from", "", "with --create-pods: create copies of the pod in FILE (YAML, e.g. examples/pods/executor.yaml; its name, namespace, Spark labels and priority replaced) instead of one-container executors")
	fs.IntVar(&o.largeApps, "large-apps", 0, "started webhook: after the load, send this many reviews of a SparkApplication of almost 3 MiB (the API server's largest request) at once to each SparkApplication handler, retried on 429 as the API server does, and report the webhook's peak memory, CPU and the requests shed")
	fs.StringVar(&o.profileDir, "profile", "", "started webhook: write a CPU profile of each handler's measured run to DIR/<handler>.pprof (go tool pprof)")
	fs.DurationVar(&o.reservationTTL, "reservation-ttl", 50*time.Millisecond, "started webhook: how long an admitted pod counts against quota. No pod the load admits is ever created, so its reservation stands for the pod the cache would soon see; a long TTL fills the namespace's quota with pods that do not exist and the load becomes denials")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	o.handlers = nil
	if handlers != "" {
		o.handlers = strings.Split(handlers, ",")
	}
	var errs []error
	for _, h := range o.handlers {
		if _, ok := paths[h]; !ok {
			errs = append(errs, fmt.Errorf("--handlers: unknown handler %q (want noop, mutate, validate or pod)", h))
		}
	}
	if o.rate > 0 && o.duration <= 0 {
		errs = append(errs, errors.New("--rate needs --duration (an open loop runs for a time)"))
	}
	if o.rate < 0 || o.concurrency < 1 || o.requests < 1 || o.rounds < 1 || o.warmup < 0 || o.extraLayers < 0 || o.livePods < 0 || o.largeApps < 0 {
		errs = append(errs, errors.New("--rate, --concurrency, --requests, --warmup, --extra-layers, --live-pods and --large-apps must not be negative (--concurrency, --requests and --rounds at least 1)"))
	}
	if o.target != "" && (o.extraLayers > 0 || o.livePods > 0 || o.profileDir != "" || o.createLayers > 0 || o.createPods > 0 || o.largeApps > 0 || len(o.webhookEnv) > 0 || o.clientAuth || o.policies != "") {
		errs = append(errs, errors.New("--extra-layers, --live-pods, --create-layers, --create-pods, --large-apps, --profile, --webhook-env, --client-auth and --policies need a started webhook; not with --target"))
	}
	if o.createPodsFrom != "" {
		if o.createPods == 0 {
			errs = append(errs, errors.New("--create-pods-from needs --create-pods"))
		}
		var err error
		if o.watched, err = readPod(o.createPodsFrom); err != nil {
			errs = append(errs, fmt.Errorf("--create-pods-from: %w", err))
		}
	}
	if o.policies != "" {
		// Read as the webhook will read them, so a bad directory is named
		// here rather than by a webhook that does not start.
		if _, err := policy.LoadDir(o.policies); err != nil {
			errs = append(errs, err)
		}
	}
	return o, errors.Join(errs...)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parse(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			_, _ = fmt.Fprintf(stderr, "load: %v\n", err)
		}
		return exitSetup
	}
	srv, err := startOrTarget(ctx, o, stderr)
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "load: %v\n", err)
		return exitSetup
	}
	defer func() {
		if err := srv.stop(); err != nil {
			_, _ = fmt.Fprintf(stderr, "load: stopping: %v\n", err)
		}
	}()
	reqs, err := newRequests(ctx, srv)
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "load: %v\n", err)
		return exitSetup
	}
	if srv.pid != 0 {
		// Its start (caches synced, the snapshot compiled, their garbage
		// collected) would otherwise be measured as the first handler's:
		// the floor's, in the first round.
		if err := settle(ctx, srv.pid, 15*time.Second); err != nil {
			_, _ = fmt.Fprintf(stderr, "load: %v\n", err)
			return exitSetup
		}
	}
	// A round not measured: the first handler loaded on a fresh process
	// costs more (its heap still growing to the size the collector will
	// keep it at, every new page faulted in), which made the first round's
	// floor 20–30% above the others'.
	warm := *o
	warm.rate, warm.duration, warm.profileDir, warm.requests = 0, 0, "", min(o.requests, 2000)
	for _, h := range o.handlers {
		_, _ = fmt.Fprintf(stderr, "warming up %s (not measured)...\n", h)
		if _, err := measure(ctx, srv, reqs, h, &warm); err != nil {
			_, _ = fmt.Fprintf(stderr, "load: %s: %v\n", h, err)
			return exitSetup
		}
	}
	rounds := make([][]result, o.rounds)
	for i := range rounds {
		for _, h := range o.handlers {
			if o.rounds > 1 {
				_, _ = fmt.Fprintf(stderr, "loading %s (round %d of %d)...\n", h, i+1, o.rounds)
			} else {
				_, _ = fmt.Fprintf(stderr, "loading %s...\n", h)
			}
			r, err := measure(ctx, srv, reqs, h, o)
			if err != nil {
				_, _ = fmt.Fprintf(stderr, "load: %s: %v\n", h, err)
				return exitSetup
			}
			rounds[i] = append(rounds[i], r)
		}
	}
	results := merged(rounds)
	report(stdout, o, srv, results, rounds)
	if o.jsonFile != "" {
		if err := writeJSON(o.jsonFile, o, srv, results, rounds); err != nil {
			_, _ = fmt.Fprintf(stderr, "load: %v\n", err)
			return exitSetup
		}
	}
	if o.createPods > 0 {
		_, _ = fmt.Fprintf(stderr, "creating %d pods...\n", o.createPods)
		cpu, elapsed, err := watchCost(ctx, srv, o.createPods, o.watched, o.profileDir)
		if err != nil {
			_, _ = fmt.Fprintf(stderr, "load: creating pods: %v\n", err)
			return exitSetup
		}
		_, _ = fmt.Fprintf(stdout, "\n%d pods created in %s: the webhook used %s of CPU watching them, %s per pod\n",
			o.createPods, elapsed.Round(time.Millisecond), cpu.Round(time.Millisecond), (cpu / time.Duration(o.createPods)).Round(time.Microsecond))
	}
	if o.createLayers > 0 {
		_, _ = fmt.Fprintf(stderr, "creating %d Layers...\n", o.createLayers)
		churn, err := createLayers(ctx, srv, o.createLayers, o.profileDir)
		if err != nil {
			_, _ = fmt.Fprintf(stderr, "load: creating Layers: %v\n", err)
			return exitSetup
		}
		_, _ = fmt.Fprintf(stdout, "\n%d Layers created in %s (%d already there): the webhook served them all after %s, using %s of CPU (less %s it would have spent idle), %s per Layer\n",
			o.createLayers, churn.created.Round(time.Millisecond), churn.before, churn.served.Round(time.Millisecond),
			churn.cpu.Round(time.Millisecond), churn.idle.Round(time.Millisecond), (churn.cpu / time.Duration(o.createLayers)).Round(time.Microsecond))
	}
	failed := false
	if o.largeApps > 0 {
		_, _ = fmt.Fprintf(stderr, "sending %d large SparkApplications at once...\n", o.largeApps)
		bursts, err := largeBurst(ctx, srv, o.largeApps)
		if err != nil {
			_, _ = fmt.Fprintf(stderr, "load: large SparkApplications: %v\n", err)
			return exitSetup
		}
		for _, b := range bursts {
			_, _ = fmt.Fprintf(stdout, "\n%d reviews of %d bytes at once to %s: answered in %s, %d failed, %.0f shed and retried, %d timed out shed; the webhook used %s of CPU, its RSS %d MiB before and %d MiB at its peak\n",
				b.sent, b.reviewBytes, b.path, b.elapsed.Round(time.Millisecond), b.errors, b.shed, b.timedOut, b.cpu.Round(time.Millisecond), b.start>>20, b.peakRSS>>20)
			failed = failed || b.errors > 0
		}
	}
	for _, r := range results {
		if r.errors > 0 {
			return exitFail
		}
	}
	if failed {
		return exitFail
	}
	return exitOK
}
