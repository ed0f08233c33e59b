package e2e

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	webhookapp "github.com/strata-dev/strata/cmd/webhook/app"
	"github.com/strata-dev/strata/test/controlplane"
)

// TestSelfManagedCertificates runs a second webhook with --cert-rotation
// against the real API server and checks it issues its CA and serving
// certificate into the Secret of manifests/default and patches the CA into
// both its webhook configurations. Copies of the configurations, matching
// nothing, stand in for the real ones so the other tests keep their CA.
func TestSelfManagedCertificates(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The control plane installed manifests/default's namespace. This
	// webhook runs as an administrator: its RBAC names the shipped
	// webhook configurations, not the copies below.
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: controlplane.WebhookNamespace}}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "strata-webhook-cert", Namespace: ns.Name}, Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{corev1.TLSCertKey: nil, corev1.TLSPrivateKeyKey: nil}}
	if err := cp.Client.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
	never := &metav1.LabelSelector{MatchLabels: map[string]string{"strata.dev/never": "true"}}
	var mwc, appMWC admissionregistrationv1.MutatingWebhookConfiguration
	if err := cp.Client.Get(ctx, client.ObjectKey{Name: "strata-mutating"}, &mwc); err != nil {
		t.Fatal(err)
	}
	if err := cp.Client.Get(ctx, client.ObjectKey{Name: "00-strata-sparkapplications"}, &appMWC); err != nil {
		t.Fatal(err)
	}
	mwcCopy := &admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "rotation-mutating"}, Webhooks: mwc.Webhooks}
	mwcCopy.Webhooks[0].ObjectSelector, mwcCopy.Webhooks[0].ClientConfig.CABundle = never, nil
	appCopy := &admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "rotation-sparkapplications"}, Webhooks: appMWC.Webhooks}
	appCopy.Webhooks[0].ObjectSelector, appCopy.Webhooks[0].ClientConfig.CABundle = never, nil
	var vwc admissionregistrationv1.ValidatingWebhookConfiguration
	if err := cp.Client.Get(ctx, client.ObjectKey{Name: "strata-validating"}, &vwc); err != nil {
		t.Fatal(err)
	}
	vwcCopy := &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "rotation-validating"}, Webhooks: vwc.Webhooks}
	vwcCopy.Webhooks[0].ObjectSelector, vwcCopy.Webhooks[0].ClientConfig.CABundle = never, nil
	for _, obj := range []client.Object{mwcCopy, appCopy, vwcCopy} {
		if err := cp.Client.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), obj) })
	}

	opts := webhookapp.DefaultOptions()
	opts.Cluster = cluster
	opts.CertDir = t.TempDir()
	opts.MetricsBindAddress, opts.HealthProbeBindAddress = "0", "0"
	opts.CertRotation.Enabled = true
	opts.CertRotation.Namespace = ns.Name
	opts.CertRotation.MutatingWebhooks, opts.CertRotation.ValidatingWebhook = []string{mwcCopy.Name, appCopy.Name}, vwcCopy.Name
	m, err := webhookapp.NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	mgr, err := webhookapp.NewManager(cp.Config, opts, m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := webhookapp.Setup(ctx, mgr, opts, m); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("the rotating webhook stopped with %v", err)
		}
	}()

	var ca []byte
	err = waitFor(60*time.Second, func() bool {
		if err := cp.Client.Get(ctx, client.ObjectKeyFromObject(secret), secret); err != nil {
			return false
		}
		ca = secret.Data["ca.crt"]
		if len(ca) == 0 || len(secret.Data[corev1.TLSCertKey]) == 0 {
			return false
		}
		var m, a admissionregistrationv1.MutatingWebhookConfiguration
		var v admissionregistrationv1.ValidatingWebhookConfiguration
		return cp.Client.Get(ctx, client.ObjectKey{Name: mwcCopy.Name}, &m) == nil &&
			cp.Client.Get(ctx, client.ObjectKey{Name: appCopy.Name}, &a) == nil &&
			cp.Client.Get(ctx, client.ObjectKey{Name: vwcCopy.Name}, &v) == nil &&
			bytes.Equal(m.Webhooks[0].ClientConfig.CABundle, ca) && bytes.Equal(a.Webhooks[0].ClientConfig.CABundle, ca) &&
			bytes.Equal(v.Webhooks[0].ClientConfig.CABundle, ca)
	})
	if err != nil {
		t.Fatalf("certificates not issued and injected: %v (secret keys %v)", err, keys(secret.Data))
	}
	block, _ := pem.Decode(secret.Data[corev1.TLSCertKey])
	if block == nil {
		t.Fatal("tls.crt is not PEM")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(cert.DNSNames, "strata-webhook.strata-system.svc") {
		t.Errorf("serving certificate names %v, want strata-webhook.strata-system.svc", cert.DNSNames)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(ca) {
		t.Fatal("ca.crt is not PEM")
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "strata-webhook.strata-system.svc"}); err != nil {
		t.Errorf("serving certificate does not verify against the injected CA: %v", err)
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
