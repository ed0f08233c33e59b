package controlplane

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	webhookapp "github.com/strata-dev/strata/cmd/webhook/app"
	"github.com/strata-dev/strata/pkg/mutate"
)

// Options configure a control plane.
type Options struct {
	// Cluster is the identity the webhook runs with.
	Cluster mutate.Cluster
	// Progress receives what the start is doing (building binaries can take
	// minutes the first time); nil discards it.
	Progress io.Writer
	// AdmissionPlugins are admission plugins the API server enables besides
	// its defaults (--enable-admission-plugins), such as PodNodeSelector.
	AdmissionPlugins []string
	// ToolManagedNamespaceLabels is the webhook's
	// --tool-managed-namespace-labels.
	ToolManagedNamespaceLabels []string
	// WebhookLog receives what every webhook the process runs logs of
	// what it serves (webhookLogger); nil discards it.
	WebhookLog io.Writer
	// PluginConfigs configure the API server's admission plugins, by
	// name (PodSecurity, PodNodeSelector, PodTolerationRestriction,
	// ResourceQuota): each plugin's configuration (YAML), in the
	// AdmissionConfiguration of its --admission-control-config-file. The webhook is given the same file
	// (--admission-config), as a cluster's Deployment is
	// (manifests/components/pod-security-config), so both follow one
	// configuration. Empty: neither is configured.
	PluginConfigs map[string]string
}

// ControlPlane is a running kube-apiserver and etcd with the webhook.
type ControlPlane struct {
	// Config reaches the API server as an administrator.
	Config *rest.Config
	// Client is a client with the webhook's scheme.
	Client client.Client
	// Webhook is the in-process webhook: its store, handlers and metrics.
	Webhook *webhookapp.Webhook
	// Registry holds the webhook's metrics.
	Registry *prometheus.Registry
	// ClientCA signs the client certificate the API server presents to
	// webhooks (naming APIServerClientName); every webhook the control
	// plane starts serves only clients it signed.
	ClientCA *CA

	env        *envtest.Environment
	apiDir     string
	cluster    mutate.Cluster
	toolLabels []string
	// admissionConfig is the webhook's --admission-config: the API
	// server's AdmissionConfiguration when it configures plugins
	// (Options.PluginConfigs); "" for none.
	admissionConfig string
	stopServer      context.CancelFunc
	serverDone      chan error
}

// RepoRoot is the root of the repository this package is in.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Start starts etcd, kube-apiserver and the webhook, and waits until the
// webhook serves its first snapshot.
func Start(ctx context.Context, opts Options) (*ControlPlane, error) {
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	// The in-process webhook logs to WebhookLog, or nowhere, but says so:
	// left unset, controller-runtime prints a warning with a stack trace
	// into the test's output once the webhook logs after 30 s.
	if opts.WebhookLog != nil {
		ctrllog.SetLogger(webhookLogger(opts.WebhookLog))
	} else {
		ctrllog.SetLogger(logr.Discard())
	}
	assets, err := assetsDir(progress)
	if err != nil {
		return nil, err
	}
	mutating, validating, others, err := webhookConfigurations(filepath.Join(RepoRoot(), "manifests", "default"))
	if err != nil {
		return nil, err
	}
	env := environment(assets)
	env.WebhookInstallOptions = envtest.WebhookInstallOptions{MutatingWebhooks: mutating, ValidatingWebhooks: validating}
	// The API server's certificates live in a folder of our own, so a restart
	// (RestartAPIServer) serves the same ones and every client keeps working.
	apiDir, err := os.MkdirTemp("", "strata-kube-apiserver-")
	if err != nil {
		return nil, err
	}
	env.ControlPlane.APIServer = &envtest.APIServer{Path: filepath.Join(assets, "kube-apiserver"), CertDir: apiDir,
		StopTimeout: 10 * time.Second}
	if len(opts.AdmissionPlugins) > 0 {
		env.ControlPlane.APIServer.Configure().Set("enable-admission-plugins", strings.Join(opts.AdmissionPlugins, ","))
	}
	clientCA, admissionConfig, err := presentClientCertificate(env.ControlPlane.APIServer, apiDir, opts.PluginConfigs)
	if err != nil {
		return nil, errors.Join(err, os.RemoveAll(apiDir))
	}
	_, _ = fmt.Fprintln(progress, "starting etcd and kube-apiserver...")
	cfg, err := env.Start()
	if err != nil {
		// envtest leaves etcd and kube-apiserver running when a later step
		// (installing the CRD or the webhooks) fails: stop them.
		return nil, errors.Join(fmt.Errorf("starting the control plane from %s: %w", assets, err), env.Stop(), os.RemoveAll(apiDir))
	}
	cp := &ControlPlane{Config: cfg, env: env, cluster: opts.Cluster, toolLabels: opts.ToolManagedNamespaceLabels, apiDir: apiDir, ClientCA: clientCA}
	if len(opts.PluginConfigs) > 0 {
		cp.admissionConfig = admissionConfig
	}
	if err := cp.installOthers(ctx, others); err != nil {
		return nil, errors.Join(err, env.Stop())
	}
	if err := cp.StartWebhook(ctx); err != nil {
		_ = env.Stop()
		return nil, err
	}
	return cp, nil
}

// StartWebhook starts the in-process webhook (Start already did; this
// restarts it after StopWebhook) and waits until it serves its first snapshot.
func (cp *ControlPlane) StartWebhook(ctx context.Context) error {
	if cp.stopServer != nil {
		return errors.New("the webhook is already running")
	}
	wio := &cp.env.WebhookInstallOptions
	opts := webhookapp.DefaultOptions()
	opts.Cluster, opts.ToolManagedNamespaceLabels = cp.cluster, cp.toolLabels
	opts.AdmissionConfigFile = cp.admissionConfig
	opts.WebhookHost, opts.WebhookPort, opts.CertDir = wio.LocalServingHost, wio.LocalServingPort, wio.LocalServingCertDir
	opts.MetricsBindAddress, opts.HealthProbeBindAddress = "0", "0"
	cp.authenticateAPIServer(opts)
	// Shadow layers' reports written soon, so tests read them.
	opts.ShadowReportInterval, opts.Replica = 200*time.Millisecond, "e2e-webhook"
	cp.Registry = prometheus.NewRegistry()
	m, err := webhookapp.NewMetrics(cp.Registry)
	if err != nil {
		return err
	}
	mgr, err := webhookapp.NewManager(cp.webhookConfig(), opts, m)
	if err != nil {
		return err
	}
	if cp.Webhook, err = webhookapp.Setup(ctx, mgr, opts, m); err != nil {
		return err
	}
	cp.Client = mgr.GetClient()
	serverCtx, cancel := context.WithCancel(ctx)
	cp.stopServer, cp.serverDone = cancel, make(chan error, 1)
	go func() { cp.serverDone <- mgr.Start(serverCtx) }()
	deadline := time.Now().Add(60 * time.Second)
	for cp.Webhook.Store.Load() == nil || cp.Webhook.Server.StartedChecker()(nil) != nil {
		select {
		case err := <-cp.serverDone:
			return fmt.Errorf("webhook stopped while starting: %w", err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			return errors.New("webhook did not load its first snapshot within 60s")
		}
	}
	// A direct client, so reads right after writes see them.
	cp.Client, err = client.New(cp.Config, client.Options{Scheme: mgr.GetScheme()})
	return err
}

// AdmissionConfigFile is the API server's AdmissionConfiguration file,
// which the webhook is given too (Options.PluginConfigs); "" for none.
func (cp *ControlPlane) AdmissionConfigFile() string { return cp.admissionConfig }

// KubeConfig returns a kubeconfig for an administrator of the control plane.
func (cp *ControlPlane) KubeConfig() []byte { return cp.env.KubeConfig }

// Kubectl returns the path of the kubectl built with the control plane.
func (cp *ControlPlane) Kubectl() string {
	return filepath.Join(cp.env.BinaryAssetsDirectory, "kubectl")
}

// WebhookNamespace is where manifests/default installs the webhook; its
// ServiceAccount is named as the webhook.
const WebhookNamespace = "strata-system"

// webhookConfig reaches the API server as the webhook's ServiceAccount, so
// the in-process webhook may do only what the shipped RBAC lets it: a
// read or write the manifests do not grant fails the tests as it would
// fail in a cluster.
func (cp *ControlPlane) webhookConfig() *rest.Config {
	cfg := rest.CopyConfig(cp.Config)
	cfg.Impersonate = rest.ImpersonationConfig{
		UserName: "system:serviceaccount:" + WebhookNamespace + ":strata-webhook",
		Groups:   []string{"system:serviceaccounts", "system:serviceaccounts:" + WebhookNamespace, "system:authenticated"},
	}
	return cfg
}

// StopWebhook stops the in-process webhook; the control plane keeps running.
func (cp *ControlPlane) StopWebhook() error {
	if cp.stopServer == nil {
		return nil
	}
	cp.stopServer()
	cp.stopServer = nil
	return <-cp.serverDone
}

// Stop stops the webhook and the control plane.
func (cp *ControlPlane) Stop() error {
	return errors.Join(cp.StopWebhook(), cp.env.Stop(), os.RemoveAll(cp.apiDir))
}

// assetsDir returns the folder of kube-apiserver, etcd and kubectl: from
// KUBEBUILDER_ASSETS, or built by hack/tools/envtest/build.sh.
func assetsDir(progress io.Writer) (string, error) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		for _, bin := range []string{"kube-apiserver", "etcd"} {
			if _, err := os.Stat(filepath.Join(dir, bin)); err != nil {
				return "", fmt.Errorf("KUBEBUILDER_ASSETS=%s: %w (run make envtest, or unset it to build the binaries)", dir, err)
			}
		}
		return dir, nil
	}
	script := filepath.Join(RepoRoot(), "hack", "tools", "envtest", "build.sh")
	cmd := exec.Command(script)
	cmd.Stderr = progress
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("building the control-plane binaries with %s: %w", script, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// webhookConfigurations builds a kustomization in-process and returns its
// webhook configurations and the other objects the tests install
// (installOthers).
func webhookConfigurations(dir string) ([]*admissionregistrationv1.MutatingWebhookConfiguration, []*admissionregistrationv1.ValidatingWebhookConfiguration, []client.Object, error) {
	resMap, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	var (
		mutating   []*admissionregistrationv1.MutatingWebhookConfiguration
		validating []*admissionregistrationv1.ValidatingWebhookConfiguration
		others     []client.Object
	)
	for _, r := range resMap.Resources() {
		raw, err := r.MarshalJSON()
		if err != nil {
			return nil, nil, nil, err
		}
		var obj client.Object
		switch r.GetKind() {
		case "MutatingWebhookConfiguration":
			c := &admissionregistrationv1.MutatingWebhookConfiguration{}
			mutating, obj = append(mutating, c), c
		case "ValidatingWebhookConfiguration":
			c := &admissionregistrationv1.ValidatingWebhookConfiguration{}
			validating, obj = append(validating, c), c
		// The webhook's identity and what it may do: the in-process webhook
		// acts as that ServiceAccount (webhookConfig).
		case "ServiceAccount":
			obj = &corev1.ServiceAccount{}
		case "Role":
			obj = &rbacv1.Role{}
		case "RoleBinding":
			obj = &rbacv1.RoleBinding{}
		case "ClusterRole":
			obj = &rbacv1.ClusterRole{}
		case "ClusterRoleBinding":
			obj = &rbacv1.ClusterRoleBinding{}
		case "ValidatingAdmissionPolicy":
			obj = &admissionregistrationv1.ValidatingAdmissionPolicy{}
		case "ValidatingAdmissionPolicyBinding":
			obj = &admissionregistrationv1.ValidatingAdmissionPolicyBinding{}
		default:
			continue
		}
		if err := yaml.UnmarshalStrict(raw, obj); err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %s: %w", dir, r.GetName(), err)
		}
		switch obj.(type) {
		case *admissionregistrationv1.MutatingWebhookConfiguration, *admissionregistrationv1.ValidatingWebhookConfiguration:
			obj.SetNamespace("") // cluster-scoped
		case *corev1.ServiceAccount, *rbacv1.Role, *rbacv1.RoleBinding:
			others = append(others, obj)
		default:
			obj.SetNamespace("") // cluster-scoped
			others = append(others, obj)
		}
	}
	if len(mutating) == 0 || len(validating) == 0 {
		return nil, nil, nil, fmt.Errorf("kustomize build %s: want a mutating and a validating webhook configuration, got %d and %d", dir, len(mutating), len(validating))
	}
	return mutating, validating, others, nil
}

// installOthers creates the webhook's namespace and the manifests' other
// objects: admission policies and their bindings, the webhook's
// ServiceAccount and RBAC.
func (cp *ControlPlane) installOthers(ctx context.Context, others []client.Object) error {
	c, err := client.New(cp.Config, client.Options{})
	if err != nil {
		return err
	}
	ns := &corev1.Namespace{}
	ns.Name = WebhookNamespace
	if err := c.Create(ctx, ns); err != nil {
		return fmt.Errorf("creating the webhook's namespace: %w", err)
	}
	for _, p := range others {
		if err := c.Create(ctx, p); err != nil {
			return fmt.Errorf("creating %s %q: %w", p.GetObjectKind().GroupVersionKind().Kind, p.GetName(), err)
		}
	}
	return nil
}

// Bare is etcd and kube-apiserver with Strata's CRD installed and no
// webhook registered: the cluster a webhook process started by hand (the
// load tool's) reads its Layers, Namespaces and pods from.
type Bare struct {
	// Config reaches the API server as an administrator.
	Config *rest.Config
	// KubeConfig is a kubeconfig file's content for the same user.
	KubeConfig []byte
	env        *envtest.Environment
}

// StartBare starts etcd and kube-apiserver with the CRD of manifests/crd.
func StartBare(progress io.Writer) (*Bare, error) {
	if progress == nil {
		progress = io.Discard
	}
	assets, err := assetsDir(progress)
	if err != nil {
		return nil, err
	}
	env := environment(assets)
	_, _ = fmt.Fprintln(progress, "starting etcd and kube-apiserver...")
	cfg, err := env.Start()
	if err != nil {
		return nil, errors.Join(fmt.Errorf("starting the control plane from %s: %w", assets, err), env.Stop())
	}
	return &Bare{Config: cfg, KubeConfig: env.KubeConfig, env: env}, nil
}

// Stop stops kube-apiserver and etcd.
func (b *Bare) Stop() error { return b.env.Stop() }

// environment is etcd and kube-apiserver from assets with Strata's CRD and
// the Spark Operator's SparkApplication CRD.
func environment(assets string) *envtest.Environment {
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     []string{filepath.Join(RepoRoot(), "manifests", "crd"), filepath.Join(RepoRoot(), "test", "controlplane", "crds")},
		ErrorIfCRDPathMissing: true,
	}
	// A single-member etcd needs no slow elections.
	env.ControlPlane.Etcd = &envtest.Etcd{Path: filepath.Join(assets, "etcd")}
	env.ControlPlane.Etcd.Configure().Append("heartbeat-interval", "10").Append("election-timeout", "100")
	return env
}
