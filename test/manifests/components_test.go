package manifests

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	webhookapp "github.com/strata-dev/strata/cmd/webhook/app"
	"github.com/strata-dev/strata/pkg/overlay/manifest"
	"github.com/strata-dev/strata/test/controlplane"
)

// TestWhoCanCallTheWebhook builds an overlay as README's "Who can call the
// webhook" says a platform writes one: manifests/default with both
// components, its own CA, names and CIDR. The webhook's flags, as the
// Deployment gives them, parse to a client CA file that holds the
// platform's CA and to its names; the NetworkPolicy lets only the
// platform's CIDR reach the admission port, and leaves every other port of
// the container reachable.
func TestWhoCanCallTheWebhook(t *testing.T) {
	const (
		caPEM = "-----BEGIN CERTIFICATE-----\nplatform CA\n-----END CERTIFICATE-----\n"
		names = "kube-apiserver-webhook-client,apiserver.prod-a.example"
		cidr  = "10.0.0.0/24"
	)
	m := buildOverlay(t, map[string]string{"ca.crt": caPEM}, func(rel func(...string) string) string {
		return fmt.Sprintf(`resources: [%s]
components: [%s, %s]
configMapGenerator:
  - name: strata-apiserver-client-ca
    namespace: strata-system
    files: [ca.crt]
    literals: ["names=%s"]
patches:
  - target: {kind: NetworkPolicy, name: strata-webhook}
    patch: |-
      - op: replace
        path: /spec/ingress/0/from/0/ipBlock/cidr
        value: %s
`, rel("default"), rel("components", "apiserver-client-auth"), rel("components", "network-policy"), names, cidr)
	})

	d := decode[appsv1.Deployment](t, m, "Deployment", "strata-webhook")
	c := d.Spec.Template.Spec.Containers[0]
	opts := parseArgs(t, m, c)
	if !slices.Equal(opts.ClientNames, strings.Split(names, ",")) {
		t.Errorf("--client-names = %q, want %q", opts.ClientNames, names)
	}
	if got := mountedFile(t, m, d, c, opts.ClientCAFile); got != caPEM {
		t.Errorf("--client-ca-file %s holds %q, want the platform's CA", opts.ClientCAFile, got)
	}

	np := decode[networkingv1.NetworkPolicy](t, m, "NetworkPolicy", "strata-webhook")
	if np.Namespace != "strata-system" {
		t.Errorf("NetworkPolicy namespace %q", np.Namespace)
	}
	for k, v := range np.Spec.PodSelector.MatchLabels {
		if d.Spec.Template.Labels[k] != v {
			t.Errorf("NetworkPolicy selects %s=%s, which the webhook's pods do not carry", k, v)
		}
	}
	for _, port := range c.Ports {
		var from [][]networkingv1.NetworkPolicyPeer
		for _, rule := range np.Spec.Ingress {
			for _, p := range rule.Ports {
				if p.Port != nil && p.Port.IntValue() == int(port.ContainerPort) {
					from = append(from, rule.From)
				}
			}
		}
		switch {
		case port.ContainerPort == int32(opts.WebhookPort):
			if len(from) != 1 || len(from[0]) != 1 || from[0][0].IPBlock == nil || from[0][0].IPBlock.CIDR != cidr ||
				from[0][0].PodSelector != nil || from[0][0].NamespaceSelector != nil {
				t.Errorf("admission port %d reachable from %+v, want from %s only", port.ContainerPort, from, cidr)
			}
		case len(from) == 0:
			t.Errorf("port %s (%d) is not in the NetworkPolicy: nothing could reach it", port.Name, port.ContainerPort)
		}
	}
}

// TestPodSecurityConfigComponent builds an overlay as the component
// pod-security-config says a platform writes one: manifests/default with
// the component and the API server's AdmissionConfiguration in a generated
// ConfigMap. The webhook's flags, as the Deployment gives them, name a
// file that holds it, and the webhook reads from it the default level and
// exemptions the platform wrote, and the placement plugins' defaults.
func TestPodSecurityConfigComponent(t *testing.T) {
	const admission = `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodSecurity
  configuration:
    apiVersion: pod-security.admission.config.k8s.io/v1
    kind: PodSecurityConfiguration
    defaults: {enforce: baseline, enforce-version: latest}
    exemptions: {namespaces: [kube-system]}
- name: PodNodeSelector
  configuration:
    podNodeSelectorPluginConfig: {clusterDefaultNodeSelector: "zone=shared"}
`
	m := buildOverlay(t, map[string]string{"admission-configuration.yaml": admission}, func(rel func(...string) string) string {
		return fmt.Sprintf(`resources: [%s]
components: [%s]
configMapGenerator:
  - name: strata-pod-security
    namespace: strata-system
    files: [config.yaml=admission-configuration.yaml]
`, rel("default"), rel("components", "pod-security-config"))
	})
	d := decode[appsv1.Deployment](t, m, "Deployment", "strata-webhook")
	c := d.Spec.Template.Spec.Containers[0]
	opts := parseArgs(t, m, c)
	got := mountedFile(t, m, d, c, opts.AdmissionConfigFile)
	if got != admission {
		t.Fatalf("--admission-config %s holds %q, want the API server's AdmissionConfiguration", opts.AdmissionConfigFile, got)
	}
	fsys := filesys.MakeFsInMemory()
	if err := fsys.WriteFile(opts.AdmissionConfigFile, []byte(got)); err != nil {
		t.Fatal(err)
	}
	a, err := manifest.LoadAdmission(fsys, opts.AdmissionConfigFile)
	if cfg := a.PodSecurity; err != nil || cfg == nil || cfg.Defaults.Enforce != "baseline" || !slices.Equal(cfg.Exemptions.Namespaces, []string{"kube-system"}) {
		t.Errorf("the webhook reads %+v (%v), want baseline with kube-system exempt", cfg, err)
	}
	if a.ClusterPlacement.NodeSelector["zone"] != "shared" {
		t.Errorf("the webhook reads the placement %+v, want the cluster's default node selector zone=shared", a.ClusterPlacement)
	}
}

// TestSparkOperatorUserComponent: manifests/default with the
// spark-operator-user component gives the webhook, as its own command
// parses the Deployment's arguments, the Spark Operator's user that the
// spark-operator-status component lets write the status: the two name one
// operator.
func TestSparkOperatorUserComponent(t *testing.T) {
	m := buildOverlay(t, map[string]string{}, func(rel func(...string) string) string {
		return fmt.Sprintf("resources: [%s]\ncomponents: [%s, %s]\n", rel("default"), rel("components", "spark-operator-user"), rel("components", "spark-operator-status"))
	})
	d := decode[appsv1.Deployment](t, m, "Deployment", "strata-webhook")
	opts := parseArgs(t, m, d.Spec.Template.Spec.Containers[0])
	vap := decode[admissionregistrationv1.ValidatingAdmissionPolicy](t, m, "ValidatingAdmissionPolicy", "strata-spark-operator-status")
	var statusWriters []string
	for _, v := range vap.Spec.Variables {
		if v.Name == "operator" {
			statusWriters = regexp.MustCompile(`'(system:serviceaccount:[^']+)'`).FindAllString(v.Expression, -1)
		}
	}
	if want := []string{"'" + opts.Cluster.SparkOperator + "'"}; opts.Cluster.SparkOperator == "" || !slices.Equal(statusWriters, want) {
		t.Errorf("the webhook's Spark Operator %q; the status is the operator's of %q", opts.Cluster.SparkOperator, statusWriters)
	}
	// Without the component the operator is not known.
	m = buildOverlay(t, map[string]string{}, func(rel func(...string) string) string {
		return fmt.Sprintf("resources: [%s]\n", rel("default"))
	})
	d = decode[appsv1.Deployment](t, m, "Deployment", "strata-webhook")
	if got := parseArgs(t, m, d.Spec.Template.Spec.Containers[0]).Cluster.SparkOperator; got != "" {
		t.Errorf("manifests/default: the Spark Operator %q, want none", got)
	}
}

// buildOverlay builds, with kustomize, an overlay of files and the
// kustomization.yaml kustomization writes, given the path of a folder of
// manifests/ relative to the overlay (kustomize takes bases and components
// by relative path only).
func buildOverlay(t *testing.T, files map[string]string, kustomization func(rel func(elem ...string) string) string) resmap.ResMap {
	t.Helper()
	manifests := filepath.Join(controlplane.RepoRoot(), "manifests")
	dir := t.TempDir()
	rel := func(elem ...string) string {
		r, err := filepath.Rel(dir, filepath.Join(append([]string{manifests}, elem...)...))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	files["kustomization.yaml"] = kustomization(rel)
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build: %v", err)
	}
	return m
}

// parseArgs parses the container's arguments with the webhook's own
// command, after expanding $(VAR) from its environment as the kubelet does.
func parseArgs(t *testing.T, m resmap.ResMap, c corev1.Container) *webhookapp.Options {
	t.Helper()
	var pairs []string
	for _, e := range c.Env {
		value := e.Value
		if ref := e.ValueFrom; ref != nil && ref.ConfigMapKeyRef != nil {
			value = decode[corev1.ConfigMap](t, m, "ConfigMap", ref.ConfigMapKeyRef.Name).Data[ref.ConfigMapKeyRef.Key]
		}
		pairs = append(pairs, "$("+e.Name+")", value)
	}
	expand := strings.NewReplacer(pairs...)
	args := make([]string, len(c.Args))
	for i, a := range c.Args {
		args[i] = expand.Replace(a)
	}
	var opts *webhookapp.Options
	cmd := webhookapp.NewCommand(context.Background(), func(_ context.Context, o *webhookapp.Options) error { opts = o; return nil })
	cmd.SetArgs(args)
	if err := cmd.Execute(); err != nil {
		t.Fatalf("the webhook refuses the Deployment's arguments %q: %v", args, err)
	}
	return opts
}

// mountedFile returns the content of the file at path in container c, read
// from the ConfigMap volume mounted over it.
func mountedFile(t *testing.T, m resmap.ResMap, d *appsv1.Deployment, c corev1.Container, path string) string {
	t.Helper()
	for _, mount := range c.VolumeMounts {
		rel, err := filepath.Rel(mount.MountPath, path)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		for _, v := range d.Spec.Template.Spec.Volumes {
			if v.Name != mount.Name || v.ConfigMap == nil {
				continue
			}
			cm := decode[corev1.ConfigMap](t, m, "ConfigMap", v.ConfigMap.Name)
			if len(v.ConfigMap.Items) == 0 { // every key a file of its name
				if data, ok := cm.Data[rel]; ok {
					return data
				}
			}
			for _, item := range v.ConfigMap.Items {
				if item.Path == rel {
					return cm.Data[item.Key]
				}
			}
		}
	}
	t.Fatalf("%s is not in a ConfigMap the container mounts", path)
	return ""
}
