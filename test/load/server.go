package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/strata-dev/strata/pkg/overlay/manifest"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/controlplane"
	"github.com/strata-dev/strata/test/fixtures"
	"github.com/strata-dev/strata/test/proc"
)

// server is the webhook under load: its address, an HTTPS client trusting
// it, and (when known) its process, to read its CPU time and memory.
type server struct {
	base   string
	client *http.Client
	pid    int
	// cachedPods is how many pods the started cluster holds.
	cachedPods int
	// pprof is the base URL of the started webhook's net/http/pprof, and
	// metrics that of its Prometheus metrics.
	pprof, metrics string
	// kube reaches the started cluster.
	kube client.Client
	// layers is how many Layers the started cluster holds.
	layers int
	// goEnv are the Go runtime settings a started webhook runs with.
	goEnv []string
	stop  func() error
}

// startOrTarget starts a cluster and a webhook process, or reaches the one
// --target names.
func startOrTarget(ctx context.Context, o *options, progress io.Writer) (*server, error) {
	if o.target != "" {
		pool := x509.NewCertPool()
		if o.caFile != "" {
			ca, err := os.ReadFile(o.caFile)
			if err != nil {
				return nil, fmt.Errorf("--ca: %w", err)
			}
			if !pool.AppendCertsFromPEM(ca) {
				return nil, fmt.Errorf("--ca %s: no PEM certificate in it", o.caFile)
			}
		}
		return &server{base: strings.TrimRight(o.target, "/"), client: httpsClient(pool, nil, o.concurrency, o.http2), pid: o.pid,
			stop: func() error { return nil }}, nil
	}
	dir, err := os.MkdirTemp("", "strata-load-")
	if err != nil {
		return nil, err
	}
	cleanup := []func() error{func() error { return os.RemoveAll(dir) }}
	stop := func() error {
		var errs []error
		for i := len(cleanup) - 1; i >= 0; i-- {
			errs = append(errs, cleanup[i]())
		}
		return errors.Join(errs...)
	}
	s, err := start(ctx, o, dir, progress, &cleanup)
	if err != nil {
		return nil, errors.Join(err, stop())
	}
	s.stop = stop
	return s, nil
}

func start(ctx context.Context, o *options, dir string, progress io.Writer, cleanup *[]func() error) (*server, error) {
	bin := filepath.Join(dir, "webhook")
	_, _ = fmt.Fprintln(progress, "building the webhook...")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/webhook")
	build.Dir, build.Stderr = controlplane.RepoRoot(), progress
	if err := build.Run(); err != nil {
		return nil, fmt.Errorf("building the webhook: %w", err)
	}
	cluster, err := controlplane.StartBare(progress)
	if err != nil {
		return nil, err
	}
	*cleanup = append(*cleanup, cluster.Stop)
	scheme := runtime.NewScheme()
	if err := errors.Join(clientgoscheme.AddToScheme(scheme), v1alpha1.AddToScheme(scheme)); err != nil {
		return nil, err
	}
	c, err := client.New(cluster.Config, client.Options{Scheme: scheme})
	if err != nil {
		return nil, err
	}
	layers, err := applyRepo(ctx, c, o.layers, o.extraLayers)
	if err != nil {
		return nil, err
	}
	if o.livePods > 0 {
		_, _ = fmt.Fprintf(progress, "creating %d pods...\n", o.livePods)
		if err := createPods(ctx, c, o.livePods); err != nil {
			return nil, err
		}
	}
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, cluster.KubeConfig, 0o600); err != nil {
		return nil, err
	}
	certDir := filepath.Join(dir, "certs")
	pool, err := writeCerts(certDir)
	if err != nil {
		return nil, err
	}
	port, health, pprof, metrics := freePort(), freePort(), freePort(), freePort()
	if port == 0 || health == 0 || pprof == 0 || metrics == 0 {
		return nil, errors.New("no free port on 127.0.0.1")
	}
	cmd := exec.Command(bin, "--cluster", o.cluster, "--pool", o.pool, "--serve-noop",
		"--cert-dir", certDir, "--webhook-host", "127.0.0.1", "--webhook-port", strconv.Itoa(port),
		"--metrics-bind-address", "127.0.0.1:"+strconv.Itoa(metrics), "--health-probe-bind-address", "127.0.0.1:"+strconv.Itoa(health),
		"--reservation-ttl", o.reservationTTL.String(), "--pprof-bind-address", "127.0.0.1:"+strconv.Itoa(pprof))
	if o.policies != "" {
		dir, err := filepath.Abs(o.policies)
		if err != nil {
			return nil, err
		}
		cmd.Args = append(cmd.Args, "--policies", dir)
	}
	var clientCert []tls.Certificate
	if o.clientAuth {
		caFile := filepath.Join(dir, "client-ca.crt")
		if clientCert, err = clientCertificate(caFile); err != nil {
			return nil, err
		}
		cmd.Args = append(cmd.Args, "--client-ca-file", caFile, "--client-names", loadClientName)
	}
	goEnv, err := controlplane.WebhookGoEnv()
	if err != nil {
		return nil, err
	}
	goEnv = lastOfEach(append(goEnv, o.webhookEnv...))
	// The Deployment's settings win over this process's own, and
	// --webhook-env over both (os/exec keeps the last value of a name).
	cmd.Env = append(append(os.Environ(), "KUBECONFIG="+kubeconfig), goEnv...)
	if o.verbose {
		cmd.Stdout, cmd.Stderr = progress, progress
	}
	_, _ = fmt.Fprintln(progress, "starting the webhook...")
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	*cleanup = append(*cleanup, func() error {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done: // a webhook that stops well exits 0 on SIGINT
			return err
		case <-time.After(10 * time.Second):
			return cmd.Process.Kill()
		}
	})
	if err := waitReady(ctx, fmt.Sprintf("http://127.0.0.1:%d/readyz", health)); err != nil {
		return nil, err
	}
	return &server{base: fmt.Sprintf("https://127.0.0.1:%d", port), client: httpsClient(pool, clientCert, o.concurrency, o.http2),
		pid: cmd.Process.Pid, cachedPods: o.livePods, pprof: fmt.Sprintf("http://127.0.0.1:%d/debug/pprof", pprof),
		metrics: fmt.Sprintf("http://127.0.0.1:%d/metrics", metrics), kube: c, layers: layers, goEnv: goEnv}, nil
}

// lastOfEach is env (NAME=value) with each name once, at its last value,
// in the order names first appear.
func lastOfEach(env []string) []string {
	var names []string
	last := map[string]string{}
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if _, seen := last[name]; !seen {
			names = append(names, name)
		}
		last[name] = kv
	}
	out := make([]string, len(names))
	for i, name := range names {
		out[i] = last[name]
	}
	return out
}

// applyRepo creates the Namespaces, PriorityClasses and Layers of a layer
// repository, and extra Layers that match no pod the load sends (a cluster
// name nothing has).
func applyRepo(ctx context.Context, c client.Client, dir string, extra int) (int, error) {
	in, err := manifest.LoadRepo(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return 0, err
	}
	var objs []client.Object
	for i := range in.Namespaces {
		objs = append(objs, &in.Namespaces[i])
	}
	objs = append(objs, &corev1.Namespace{})
	objs[len(objs)-1].SetName(backgroundNamespace)
	for i := range in.PriorityClasses {
		objs = append(objs, &in.PriorityClasses[i])
	}
	for i := range in.Layers {
		objs = append(objs, &in.Layers[i].Layer)
	}
	for i := range extra {
		objs = append(objs, fixtures.OtherLayer("other", i))
	}
	return len(in.Layers) + extra, forEach(ctx, len(objs), 8, func(i int) error {
		if err := c.Create(ctx, objs[i]); err != nil {
			return fmt.Errorf("creating %s %q: %w", objs[i].GetObjectKind().GroupVersionKind().Kind, objs[i].GetName(), err)
		}
		return nil
	})
}

// idleCPU measures, for three seconds, the webhook's CPU per second of
// wall time while nothing is asked of it (timers, the collector), and
// returns it with the process's state at the end.
func idleCPU(ctx context.Context, srv *server) (float64, proc.Stats, error) {
	from, err := proc.Read(srv.pid)
	if err != nil {
		return 0, proc.Stats{}, err
	}
	start := time.Now()
	select {
	case <-ctx.Done():
		return 0, proc.Stats{}, ctx.Err()
	case <-time.After(3 * time.Second):
	}
	to, err := proc.Read(srv.pid)
	if err != nil {
		return 0, proc.Stats{}, err
	}
	return float64(to.CPU-from.CPU) / float64(time.Since(start)), to, nil
}

// churn is what creating Layers cost the webhook.
type churn struct {
	before  int
	created time.Duration // until the last create returned
	served  time.Duration // until the webhook served them all
	// cpu is the webhook's CPU from the first create until it served
	// them all, less idle: what it would have spent idle meanwhile.
	cpu, idle time.Duration
}

// createLayers creates n Layers, one at a time as GitOps applies them, and
// waits until the webhook's snapshot holds them all.
func createLayers(ctx context.Context, srv *server, n int, profileDir string) (churn, error) {
	out := churn{before: srv.layers}
	idleRate, before, err := idleCPU(ctx, srv)
	if err != nil {
		return out, err
	}
	if profileDir != "" {
		profiled := make(chan error, 1)
		go func() { profiled <- profile(ctx, srv, profileDir, "create-layers", 3) }()
		defer func() {
			if err := <-profiled; err != nil {
				fmt.Fprintf(os.Stderr, "load: profiling: %v\n", err)
			}
		}()
	}
	start := time.Now()
	for i := range n {
		if err := srv.kube.Create(ctx, fixtures.OtherLayer("churn", i)); err != nil {
			return out, err
		}
	}
	out.created = time.Since(start)
	want := float64(srv.layers + n)
	for {
		if v, err := metricValue(ctx, srv.metrics, "strata_layers_loaded"); err == nil && v >= want {
			break
		}
		if time.Since(start) > 5*time.Minute {
			return out, fmt.Errorf("the webhook did not load %v Layers within 5 minutes", want)
		}
		select {
		case <-ctx.Done():
			return out, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	out.served = time.Since(start)
	after, err := proc.Read(srv.pid)
	if err != nil {
		return out, err
	}
	out.idle = time.Duration(idleRate * float64(out.served))
	out.cpu = max(0, after.CPU-before.CPU-out.idle)
	srv.layers += n
	return out, nil
}

// metricValue reads one unlabelled gauge from a Prometheus text endpoint.
func metricValue(ctx context.Context, url, name string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, fmt.Errorf("%s: no %s", url, name)
}

// backgroundNamespace holds the pods --live-pods creates.
const backgroundNamespace = "load-background"

// createPods creates n running Spark executors in the background namespace.
func createPods(ctx context.Context, c client.Client, n int) error {
	return createPodsNamed(ctx, c, "bg", n, nil)
}

// watchCost creates n pods in the background namespace (the webhook's
// informer sees them; no admission reaches it) and measures the webhook's
// CPU until it has been quiet for a second after the last create, less
// what it spends idle (measured for three seconds before).
func watchCost(ctx context.Context, srv *server, n int, template *corev1.Pod, profileDir string) (time.Duration, time.Duration, error) {
	idleRate, before, err := idleCPU(ctx, srv)
	if err != nil {
		return 0, 0, err
	}
	if profileDir != "" {
		profiled := make(chan error, 1)
		go func() { profiled <- profile(ctx, srv, profileDir, "create-pods", 3) }()
		defer func() {
			if err := <-profiled; err != nil {
				fmt.Fprintf(os.Stderr, "load: profiling: %v\n", err)
			}
		}()
	}
	start := time.Now()
	if err := createPodsNamed(ctx, srv.kube, "watch", n, template); err != nil {
		return 0, 0, err
	}
	elapsed := time.Since(start)
	last := before
	for quiet := 0; quiet < 10; {
		select {
		case <-ctx.Done():
			return 0, 0, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		now, err := proc.Read(srv.pid)
		if err != nil {
			return 0, 0, err
		}
		if now.CPU == last.CPU {
			quiet++
		} else {
			quiet = 0
		}
		last = now
	}
	idle := time.Duration(idleRate * float64(time.Since(start)))
	return max(0, last.CPU-before.CPU-idle), elapsed, nil
}

// createPodsNamed creates n Spark executors named prefix-NNNNNN in the
// background namespace, 100 to an application: copies of template, or
// one-container executors when it is nil. A copy's priority is left out:
// the pods are created without the webhook, and the class a template
// names may not exist.
func createPodsNamed(ctx context.Context, c client.Client, prefix string, n int, template *corev1.Pod) error {
	if template == nil {
		template = &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "spark-kubernetes-executor", Image: "apache/spark:3.5.3",
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
				corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("1408Mi")}}}}}}
	}
	return forEach(ctx, n, 16, func(i int) error {
		pod := template.DeepCopy()
		pod.Name, pod.Namespace = fmt.Sprintf("%s-%06d", prefix, i), backgroundNamespace
		pod.GenerateName, pod.ResourceVersion, pod.UID = "", "", ""
		if pod.Labels == nil {
			pod.Labels = map[string]string{}
		}
		pod.Labels[v1alpha1.RoleLabel], pod.Labels["spark-app-selector"] = "executor", fmt.Sprintf("spark-bg-%d", i/100)
		pod.Spec.PriorityClassName, pod.Spec.Priority = "", nil
		return c.Create(ctx, pod)
	})
}

// forEach runs f(0..n-1) on workers goroutines; the first error stops it.
func forEach(ctx context.Context, n, workers int, f func(int) error) error {
	next := make(chan int)
	errc := make(chan error, workers)
	for range workers {
		go func() {
			for i := range next {
				if err := f(i); err != nil {
					errc <- err
					for range next { //nolint:revive // drain
					}
					return
				}
			}
			errc <- nil
		}()
	}
	var err error
	for i := 0; i < n && err == nil; i++ {
		select {
		case next <- i:
		case err = <-errc:
			workers--
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	close(next)
	for range workers {
		err = errors.Join(err, <-errc)
	}
	return err
}

func waitReady(ctx context.Context, url string) error {
	deadline := time.Now().Add(90 * time.Second)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the webhook was not ready within 90s (%s); run with -v to see its log", url)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// httpsClient is the client the API server is: HTTPS with HTTP/2 when the
// webhook offers it (client-go's transports do; the webhook server offers
// h2), keep-alive otherwise, presenting cert when given.
func httpsClient(pool *x509.CertPool, cert []tls.Certificate, conns int, http2 bool) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool, Certificates: cert, MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2:   http2,
		MaxIdleConnsPerHost: max(conns, 64), MaxConnsPerHost: 0, IdleConnTimeout: time.Minute,
	}}
}

// loadClientName is the name the load's client certificate carries.
const loadClientName = "strata-load"

// clientCertificate writes a new CA into caFile and returns a client
// certificate it signed for loadClientName.
func clientCertificate(caFile string) ([]tls.Certificate, error) {
	ca, err := controlplane.NewCA()
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(caFile, ca.PEM, 0o600); err != nil {
		return nil, err
	}
	cert, err := ca.Client(loadClientName)
	if err != nil {
		return nil, err
	}
	return []tls.Certificate{cert}, nil
}

// writeCerts writes a serving certificate for 127.0.0.1, signed by a new
// CA, into dir, and returns the CA.
func writeCerts(dir string) (*x509.CertPool, error) {
	ca, err := controlplane.NewCA()
	if err != nil {
		return nil, err
	}
	if _, err := ca.WriteServing(dir); err != nil {
		return nil, err
	}
	return ca.Pool(), nil
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}
