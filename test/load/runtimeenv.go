package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// deploymentFile is the webhook's Deployment as Strata ships it.
const deploymentFile = "manifests/base/deployment.yaml"

// runtimeEnv is the Go runtime settings (GOGC, GOMEMLIMIT, any GO*
// variable with a literal value) the shipped Deployment gives the webhook
// container, as NAME=value: a started webhook runs with them, so the load
// measures the garbage collector as deployed.
func runtimeEnv(root string) ([]string, error) {
	c, err := webhookContainer(root)
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

// webhookContainer is the container named webhook of the shipped Deployment.
func webhookContainer(root string) (*corev1.Container, error) {
	path := filepath.Join(root, deploymentFile)
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
