package app

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/open-policy-agent/cert-controller/pkg/rotator"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
)

// CertRotationOptions configure self-managed certificates: the webhook
// generates its own CA and serving certificate, keeps them in a Secret,
// rotates them before they expire and patches the CA bundle into its webhook
// configurations. This is open-policy-agent/cert-controller, the library
// Gatekeeper uses for the same job. Without it, certificates come from
// --cert-dir (cert-manager, for instance) and are reloaded when they change.
type CertRotationOptions struct {
	Enabled bool
	// Namespace and SecretName name the Secret holding the CA and serving
	// certificate; it is mounted at --cert-dir.
	Namespace, SecretName string
	// ServiceName is the webhook's Service; the certificate is for
	// <service>.<namespace>.svc.
	ServiceName string
	// MutatingWebhooks and ValidatingWebhook are the configurations whose
	// CA bundle is kept up to date: the pods' and the SparkApplications'
	// mutating ones (two, so that each is called in its place among other
	// webhooks: manifests/base/webhooks.yaml), and the validating one.
	MutatingWebhooks  []string
	ValidatingWebhook string
}

func defaultCertRotationOptions() CertRotationOptions {
	ns := os.Getenv("POD_NAMESPACE")
	if ns == "" {
		ns = "strata-system"
	}
	return CertRotationOptions{
		Namespace:         ns,
		SecretName:        "strata-webhook-cert",
		ServiceName:       "strata-webhook",
		MutatingWebhooks:  []string{"strata-mutating", "00-strata-sparkapplications"},
		ValidatingWebhook: "strata-validating",
	}
}

func (o *CertRotationOptions) addFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.Enabled, "cert-rotation", o.Enabled, "generate, rotate and inject the webhook's own CA and serving certificate (self-managed certificates)")
	fs.StringVar(&o.Namespace, "cert-namespace", o.Namespace, "namespace of the certificate Secret and the Service (default: $POD_NAMESPACE)")
	fs.StringVar(&o.SecretName, "cert-secret", o.SecretName, "Secret holding the self-managed CA and serving certificate")
	fs.StringVar(&o.ServiceName, "cert-service", o.ServiceName, "the webhook's Service; the certificate is issued for <service>.<namespace>.svc")
	fs.StringSliceVar(&o.MutatingWebhooks, "mutating-webhook-configuration", o.MutatingWebhooks, "MutatingWebhookConfigurations whose caBundle is kept up to date (comma-separated, or the flag repeated)")
	fs.StringVar(&o.ValidatingWebhook, "validating-webhook-configuration", o.ValidatingWebhook, "ValidatingWebhookConfiguration whose caBundle is kept up to date")
}

func (o *CertRotationOptions) validate() []error {
	if !o.Enabled {
		return nil
	}
	var errs []error
	// In the flags' order: the same flags give the same message.
	for _, f := range []struct{ flag, value string }{
		{"--cert-namespace", o.Namespace}, {"--cert-secret", o.SecretName}, {"--cert-service", o.ServiceName},
		{"--validating-webhook-configuration", o.ValidatingWebhook},
	} {
		if f.value == "" {
			errs = append(errs, fmt.Errorf("%s must not be empty with --cert-rotation", f.flag))
		}
	}
	if len(o.MutatingWebhooks) == 0 || slices.Contains(o.MutatingWebhooks, "") {
		errs = append(errs, fmt.Errorf("--mutating-webhook-configuration must name configurations, none empty, with --cert-rotation (got %q)", o.MutatingWebhooks))
	}
	return errs
}

// addCertRotator adds the rotator to mgr and returns a channel closed when
// the certificates are in --cert-dir. Every replica runs it: the rotator
// updates the Secret with optimistic concurrency, so replicas converge on one
// certificate, and each replica waits for its mounted copy.
func addCertRotator(mgr ctrl.Manager, certDir string, o CertRotationOptions) (<-chan struct{}, error) {
	ready := make(chan struct{})
	err := rotator.AddRotator(mgr, &rotator.CertRotator{
		SecretKey:              types.NamespacedName{Namespace: o.Namespace, Name: o.SecretName},
		CertDir:                certDir,
		CAName:                 "strata-webhook-ca",
		CAOrganization:         "strata",
		DNSName:                fmt.Sprintf("%s.%s.svc", o.ServiceName, o.Namespace),
		ExtraDNSNames:          []string{fmt.Sprintf("%s.%s.svc.cluster.local", o.ServiceName, o.Namespace)},
		IsReady:                ready,
		Webhooks:               webhookInfos(o),
		RequireLeaderElection:  false,
		RestartOnSecretRefresh: false, // certwatcher reloads the files in place
		CaCertDuration:         10 * 365 * 24 * time.Hour,
		ServerCertDuration:     365 * 24 * time.Hour,
		RotationCheckFrequency: 12 * time.Hour,
		LookaheadInterval:      90 * 24 * time.Hour,
	})
	if err != nil {
		return nil, errors.Join(errors.New("setting up certificate rotation"), err)
	}
	return ready, nil
}

// webhookInfos are the configurations the rotator injects the CA into.
func webhookInfos(o CertRotationOptions) []rotator.WebhookInfo {
	out := make([]rotator.WebhookInfo, 0, len(o.MutatingWebhooks)+1)
	for _, name := range o.MutatingWebhooks {
		out = append(out, rotator.WebhookInfo{Name: name, Type: rotator.Mutating})
	}
	return append(out, rotator.WebhookInfo{Name: o.ValidatingWebhook, Type: rotator.Validating})
}
