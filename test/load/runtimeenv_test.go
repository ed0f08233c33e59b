package main

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/strata-dev/strata/test/controlplane"
)

// TestRuntimeEnvIsTheDeployment: the load runs the webhook with the
// garbage collector settings the shipped Deployment gives it, and the
// soft memory limit sits below the container's memory limit (a GC
// target above it would let the kernel kill the webhook first).
func TestRuntimeEnvIsTheDeployment(t *testing.T) {
	root := controlplane.RepoRoot()
	env, err := runtimeEnv(root)
	if err != nil {
		t.Fatal(err)
	}
	c, err := webhookContainer(root)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		got[k] = v
	}
	if got["GOGC"] == "" || got["GOMEMLIMIT"] == "" {
		t.Fatalf("%s gives the webhook %v, want GOGC and GOMEMLIMIT", deploymentFile, env)
	}
	// GOMEMLIMIT's units (MiB, GiB) are a Quantity's with a B.
	soft, err := resource.ParseQuantity(strings.TrimSuffix(got["GOMEMLIMIT"], "B"))
	if err != nil {
		t.Fatalf("GOMEMLIMIT %q: %v", got["GOMEMLIMIT"], err)
	}
	hard, ok := c.Resources.Limits[corev1.ResourceMemory]
	if !ok {
		t.Fatalf("%s: the webhook container has no memory limit", deploymentFile)
	}
	if soft.Cmp(hard) >= 0 || soft.Value() < hard.Value()*6/10 {
		t.Fatalf("GOMEMLIMIT %s, want between 60%% and 100%% of the container's limit %s", got["GOMEMLIMIT"], hard.String())
	}
}
