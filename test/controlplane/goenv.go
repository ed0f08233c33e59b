package controlplane

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"

	webhookapp "github.com/strata-dev/strata/cmd/webhook/app"
)

// DeploymentFile is the webhook's Deployment as Strata ships it.
const DeploymentFile = "manifests/base/deployment.yaml"

// WebhookGoEnv is the Go runtime settings (GOGC, GOMEMLIMIT, any GO*
// variable with a literal value) the shipped Deployment gives the webhook
// container, as NAME=value: what a measured webhook runs with, so a
// measurement sees the garbage collector as deployed.
func WebhookGoEnv() ([]string, error) {
	c, err := WebhookContainer()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range c.Env {
		if strings.HasPrefix(e.Name, "GO") && e.ValueFrom == nil {
			out = append(out, e.Name+"="+e.Value)
		}
	}
	return out, nil
}

// WebhookContainer is the container named webhook of the shipped Deployment.
func WebhookContainer() (*corev1.Container, error) {
	path := filepath.Join(RepoRoot(), DeploymentFile)
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var d appsv1.Deployment
	if err := yaml.UnmarshalStrict(raw, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for i, c := range d.Spec.Template.Spec.Containers {
		if c.Name == "webhook" {
			return &d.Spec.Template.Spec.Containers[i], nil
		}
	}
	return nil, fmt.Errorf("%s: no container named webhook", path)
}

// UseWebhookGC sets this process's garbage collector as the Deployment
// sets the webhook's (GOGC, GOMEMLIMIT, and the webhook's own tuning of
// GOGC, webhookapp.TuneGC), for a measurement of the in-process webhook,
// and returns what puts the previous settings back.
func UseWebhookGC() (restore func(), err error) {
	env, err := WebhookGoEnv()
	if err != nil {
		return nil, err
	}
	set := map[string]string{}
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		set[name] = value
	}
	prevPercent := debug.SetGCPercent(100)
	debug.SetGCPercent(prevPercent)
	prevLimit := debug.SetMemoryLimit(-1)
	if v, ok := set["GOGC"]; ok {
		percent, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("%s: GOGC %q: %w", DeploymentFile, v, err)
		}
		debug.SetGCPercent(percent)
	}
	if v, ok := set["GOMEMLIMIT"]; ok {
		q, err := MemoryLimit(v)
		if err != nil {
			return nil, err
		}
		debug.SetMemoryLimit(q.Value())
	}
	_, stop := webhookapp.TuneGC(func(name string) string { return set[name] })
	return func() {
		stop()
		debug.SetGCPercent(prevPercent)
		debug.SetMemoryLimit(prevLimit)
	}, nil
}

// MemoryLimit reads a GOMEMLIMIT value (400MiB, 1GiB, 1048576): its units
// are a Quantity's binary suffixes with a B.
func MemoryLimit(value string) (resource.Quantity, error) {
	q, err := resource.ParseQuantity(strings.TrimSuffix(value, "B"))
	if err != nil {
		return q, fmt.Errorf("%s: GOMEMLIMIT %q: %w", DeploymentFile, value, err)
	}
	return q, nil
}
