package controlplane

import (
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestWebhookGoEnv: the shipped Deployment gives the webhook GOGC and
// GOMEMLIMIT, and the soft memory limit sits below the container's memory
// limit (a GC target above it would let the kernel kill the webhook first).
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
	if got["GOGC"] == "" || got["GOMEMLIMIT"] == "" {
		t.Fatalf("%s gives the webhook %v, want GOGC and GOMEMLIMIT", DeploymentFile, env)
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

// TestUseWebhookGC sets the process's collector as the Deployment does
// and puts it back.
func TestUseWebhookGC(t *testing.T) {
	env, err := WebhookGoEnv()
	if err != nil {
		t.Fatal(err)
	}
	var wantPercent, wantLimit int64
	for _, kv := range env {
		switch k, v, _ := strings.Cut(kv, "="); k {
		case "GOGC":
			wantPercent, _ = strconv.ParseInt(v, 10, 64)
		case "GOMEMLIMIT":
			q, _ := MemoryLimit(v)
			wantLimit = q.Value()
		}
	}
	current := func() (int64, int64) {
		p := debug.SetGCPercent(100)
		debug.SetGCPercent(p)
		return int64(p), debug.SetMemoryLimit(-1)
	}
	beforePercent, beforeLimit := current()
	restore, err := UseWebhookGC()
	if err != nil {
		t.Fatal(err)
	}
	percent, limit := current()
	restore()
	if p, l := current(); p != beforePercent || l != beforeLimit {
		t.Fatalf("GOGC %d and memory limit %d after restore, were %d and %d", p, l, beforePercent, beforeLimit)
	}
	if percent != wantPercent || limit != wantLimit {
		t.Fatalf("GOGC %d and memory limit %d in use, want the Deployment's %d and %d", percent, limit, wantPercent, wantLimit)
	}
}
