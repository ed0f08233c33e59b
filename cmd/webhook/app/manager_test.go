package app

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"
)

// TestClientAsksForNoCompression: the webhook's client does not ask the
// API server to gzip its watches and lists, and the caller's config is
// left as it was.
func TestClientAsksForNoCompression(t *testing.T) {
	cfg := &rest.Config{Host: "https://127.0.0.1:1"}
	if !clientConfig(cfg).DisableCompression {
		t.Error("the webhook's client asks for compressed responses")
	}
	if cfg.DisableCompression {
		t.Error("clientConfig changed the caller's config")
	}
}

// TestRunWithoutACluster: a webhook that finds no cluster to run in says
// so, and runs nothing.
func TestRunWithoutACluster(t *testing.T) {
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "missing"))
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	opts := DefaultOptions()
	opts.Cluster.Name, opts.Cluster.Pool = "prod-a", "batch"
	if err := Run(ctx, opts); err == nil || !strings.HasPrefix(err.Error(), "loading kubeconfig: ") {
		t.Fatalf("Run without a cluster: %v, want an error loading the kubeconfig", err)
	}
}
