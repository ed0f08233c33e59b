package controlplane

import (
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	webhookapp "github.com/strata-dev/strata/cmd/webhook/app"
)

// APIServerClientName is the common name of the client certificate the
// API server presents to every webhook it calls.
const APIServerClientName = "strata-e2e-kube-apiserver"

// clientCAFile is the file, in the API server's folder, holding ClientCA.
const clientCAFile = "webhook-client-ca.crt"

// presentClientCertificate configures api to present a client certificate,
// signed by the CA it returns, to every admission webhook, as a platform
// does with the AdmissionConfiguration README describes (Who can call the
// webhook), and the admission plugins of configs (each plugin's
// configuration, YAML, by name) in the same file, whose path it returns.
// The files are written into dir.
func presentClientCertificate(api *envtest.APIServer, dir string, configs map[string]string) (*CA, string, error) {
	ca, err := NewCA()
	if err != nil {
		return nil, "", err
	}
	certPEM, keyPEM, err := ca.ClientPEM(APIServerClientName)
	if err != nil {
		return nil, "", err
	}
	// "*" is the credential for every webhook, whatever its host.
	kubeconfig := clientcmdapi.NewConfig()
	kubeconfig.AuthInfos["*"] = &clientcmdapi.AuthInfo{ClientCertificateData: certPEM, ClientKeyData: keyPEM}
	kubeconfigPath := filepath.Join(dir, "webhook-client.kubeconfig")
	if err := clientcmd.WriteToFile(*kubeconfig, kubeconfigPath); err != nil {
		return nil, "", fmt.Errorf("writing the API server's webhook kubeconfig: %w", err)
	}
	webhookConfig := map[string]any{
		"apiVersion": "apiserver.config.k8s.io/v1", "kind": "WebhookAdmissionConfiguration",
		"kubeConfigFile": kubeconfigPath,
	}
	plugins := []any{
		map[string]any{"name": "MutatingAdmissionWebhook", "configuration": webhookConfig},
		map[string]any{"name": "ValidatingAdmissionWebhook", "configuration": webhookConfig},
	}
	for _, name := range slices.Sorted(maps.Keys(configs)) {
		var cfg map[string]any
		if err := yaml.Unmarshal([]byte(configs[name]), &cfg); err != nil {
			return nil, "", fmt.Errorf("the %s admission's configuration: %w", name, err)
		}
		plugins = append(plugins, map[string]any{"name": name, "configuration": cfg})
	}
	admissionConfig, err := yaml.Marshal(map[string]any{
		"apiVersion": "apiserver.config.k8s.io/v1", "kind": "AdmissionConfiguration", "plugins": plugins,
	})
	if err != nil {
		return nil, "", err
	}
	admissionPath := filepath.Join(dir, "admission.yaml")
	if err := os.WriteFile(admissionPath, admissionConfig, 0o600); err != nil {
		return nil, "", err
	}
	if err := os.WriteFile(filepath.Join(dir, clientCAFile), ca.PEM, 0o600); err != nil {
		return nil, "", err
	}
	api.Configure().Set("admission-control-config-file", admissionPath)
	return ca, admissionPath, nil
}

// authenticateAPIServer makes a webhook started with opts serve only the
// API server's client certificate.
func (cp *ControlPlane) authenticateAPIServer(opts *webhookapp.Options) {
	opts.ClientCAFile = filepath.Join(cp.apiDir, clientCAFile)
	opts.ClientNames = []string{APIServerClientName}
}

// WebhookAddress is host:port of the in-process webhook.
func (cp *ControlPlane) WebhookAddress() string {
	wio := &cp.env.WebhookInstallOptions
	return net.JoinHostPort(wio.LocalServingHost, strconv.Itoa(wio.LocalServingPort))
}

// WebhookServingCA is the PEM of the CA that signed the in-process
// webhook's serving certificate.
func (cp *ControlPlane) WebhookServingCA() []byte {
	return cp.env.WebhookInstallOptions.LocalServingCAData
}
