package controlplane

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// TestWebhookGoEnv: the shipped Deployment gives the webhook a soft memory
// limit below the container's memory limit (a GC target above it would let
// the kernel kill the webhook first) and leaves GOGC unset, which is what
// turns the webhook's own tuning of it on (webhookapp.TuneGC).
func TestWebhookGoEnv(t *testing.T) {
	env, err := WebhookGoEnv()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		got[k] = v
	}
	if got["GOMEMLIMIT"] == "" {
		t.Fatalf("%s gives the webhook %v, want GOMEMLIMIT", DeploymentFile, env)
	}
	if v, ok := got["GOGC"]; ok {
		t.Fatalf("%s sets GOGC=%s, which turns the webhook's tuning of it off", DeploymentFile, v)
	}
	soft, err := MemoryLimit(got["GOMEMLIMIT"])
	if err != nil {
		t.Fatal(err)
	}
	c, err := WebhookContainer()
	if err != nil {
		t.Fatal(err)
	}
	hard, ok := c.Resources.Limits[corev1.ResourceMemory]
	if !ok {
		t.Fatalf("%s: the webhook container has no memory limit", DeploymentFile)
	}
	if soft.Cmp(hard) >= 0 || soft.Value() < hard.Value()*6/10 {
		t.Fatalf("GOMEMLIMIT %s, want between 60%% and 100%% of the container's limit %s", got["GOMEMLIMIT"], hard.String())
	}
}

// TestUseWebhookGC sets the process's memory limit as the Deployment does,
// tunes GOGC as the webhook does, and puts both back.
func TestUseWebhookGC(t *testing.T) {
	env, err := WebhookGoEnv()
	if err != nil {
		t.Fatal(err)
	}
	var wantLimit int64
	for _, kv := range env {
		if k, v, _ := strings.Cut(kv, "="); k == "GOMEMLIMIT" {
			q, _ := MemoryLimit(v)
			wantLimit = q.Value()
		}
	}
	current := func() (int, int64) {
		p := debug.SetGCPercent(100)
		debug.SetGCPercent(p)
		return p, debug.SetMemoryLimit(-1)
	}
	beforePercent, beforeLimit := current()
	restore, err := UseWebhookGC()
	if err != nil {
		t.Fatal(err)
	}
	if _, limit := current(); limit != wantLimit {
		t.Fatalf("memory limit %d in use, want the Deployment's %d", limit, wantLimit)
	}
	// The tuner sets GOGC after a collection: a small heap gets more than
	// Go's default.
	var tuned int
	for range 100 { // the tuner runs in a finalizer, after the collection
		runtime.GC()
		if tuned, _ = current(); tuned > 100 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	restore()
	if p, l := current(); p != beforePercent || l != beforeLimit {
		t.Fatalf("GOGC %d and memory limit %d after restore, were %d and %d", p, l, beforePercent, beforeLimit)
	}
	if tuned <= 100 {
		t.Fatalf("GOGC %d with a small heap under the soft limit, want it raised", tuned)
	}
}
