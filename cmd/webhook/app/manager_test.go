package app

import (
	"testing"

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
