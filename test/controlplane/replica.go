package controlplane

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	webhookapp "github.com/strata-dev/strata/cmd/webhook/app"
)

// Replica is one more webhook process (in-process, its own manager, caches,
// metrics and listener), for tests that run several replicas behind one
// address, as a Deployment behind a Service does.
type Replica struct {
	// Webhook is the replica's store, handlers and metrics.
	Webhook *webhookapp.Webhook
	// Registry holds its metrics.
	Registry *prometheus.Registry

	stop     context.CancelFunc
	done     chan error
	stopOnce sync.Once
	stopErr  error
}

// StartReplica starts a webhook serving on host:port with the certificate
// in certDir (and the policies of policiesDir, the built-in ones when
// empty; configure, if given, sets more of its options), and waits until
// it serves its first snapshot and has synced its pods.
func (cp *ControlPlane) StartReplica(ctx context.Context, host string, port int, certDir, policiesDir string, configure ...func(*webhookapp.Options)) (*Replica, error) {
	opts := webhookapp.DefaultOptions()
	opts.Cluster = cp.cluster
	opts.WebhookHost, opts.WebhookPort, opts.CertDir = host, port, certDir
	opts.PoliciesDir = policiesDir
	opts.MetricsBindAddress, opts.HealthProbeBindAddress = "0", "0"
	for _, c := range configure {
		c(opts)
	}
	cp.authenticateAPIServer(opts)
	r := &Replica{Registry: prometheus.NewRegistry(), done: make(chan error, 1)}
	m, err := webhookapp.NewMetrics(r.Registry)
	if err != nil {
		return nil, err
	}
	mgr, err := webhookapp.NewManager(cp.webhookConfig(), opts, m)
	if err != nil {
		return nil, err
	}
	if r.Webhook, err = webhookapp.Setup(ctx, mgr, opts, m); err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	r.stop = cancel
	go func() { r.done <- mgr.Start(runCtx) }()
	deadline := time.Now().Add(60 * time.Second)
	for r.Webhook.Store.Load() == nil || r.Webhook.Server.StartedChecker()(nil) != nil || !r.Webhook.PodPolicy.Synced() {
		select {
		case err := <-r.done:
			return nil, fmt.Errorf("replica stopped while starting: %w", err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			return nil, errors.New("replica did not become ready within 60s")
		}
	}
	return r, nil
}

// Stop stops the replica as SIGTERM does: the manager's context ends, the
// webhook server stops accepting connections and finishes the requests in
// flight. It returns when the replica has stopped.
// Stopping a stopped replica returns what the first Stop returned.
func (r *Replica) Stop() error {
	r.stopOnce.Do(func() {
		r.stop()
		r.stopErr = <-r.done
	})
	return r.stopErr
}

// RestartAPIServer stops kube-apiserver (SIGTERM, then SIGKILL when it does
// not stop in time, as a crash) and starts it again on the same address
// with the same certificates, etcd keeping the data.
func (cp *ControlPlane) RestartAPIServer() error {
	api := cp.env.ControlPlane.APIServer
	_ = api.Stop() // an error here is only the SIGKILL after the timeout
	addr := api.HostPort()
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err != nil {
			break // the old process is gone
		}
		_ = conn.Close()
		if time.Now().After(deadline) {
			return fmt.Errorf("kube-apiserver still listens on %s 30s after it was stopped", addr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := api.Start(); err != nil {
		return fmt.Errorf("starting kube-apiserver again: %w", err)
	}
	return nil
}
