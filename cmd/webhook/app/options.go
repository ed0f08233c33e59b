package app

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"go.uber.org/zap/zapcore"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/strata-dev/strata/pkg/mutate"
)

// Options are the webhook's settings, one per flag.
type Options struct {
	// Cluster is this cluster's identity, matched by the layers' match,
	// and its Spark Operator's user.
	Cluster mutate.Cluster
	// CertDir holds tls.crt and tls.key; they are reloaded when they change.
	CertDir string
	// WebhookHost and WebhookPort are where the webhook server listens.
	WebhookHost string
	WebhookPort int
	// MetricsBindAddress serves Prometheus metrics; "0" disables it.
	MetricsBindAddress string
	// HealthProbeBindAddress serves /healthz and /readyz; "0" disables it.
	HealthProbeBindAddress string
	// CertRotation, when set, makes the webhook generate and rotate its own
	// CA and serving certificate (see certs.go).
	CertRotation CertRotationOptions
	// PoliciesDir replaces the built-in policies with the .rego files of a
	// directory, reread when they change.
	PoliciesDir string
	// PprofBindAddress serves net/http/pprof; "" or "0" disables it.
	PprofBindAddress string
	// MaxInFlight is how many admission requests are served at once; more
	// are answered 429 with Retry-After (see limitInFlight). 0: no limit.
	MaxInFlight int
	// MaxBytesInFlight bounds the bytes of the request bodies served at
	// once (see limitInFlight): what bounds a replica's memory. 0: no
	// limit.
	MaxBytesInFlight int64
	// ServeNoop serves NoopHandler at NoopPath: the floor the load tool
	// measures the handlers against. Off in production.
	ServeNoop bool
	// ReservationTTL is how long an admitted pod's reservation lasts when
	// the watch of pods does not bring it.
	ReservationTTL time.Duration
	// ShadowReportInterval is how often the replica writes what Shadow
	// layers would have changed into their status.
	ShadowReportInterval time.Duration
	// Replica names this replica in the Shadow layers' reports (its pod's
	// name, from POD_NAME; the host name without it).
	Replica string
	// AdmissionConfigFile, when set, is the API server's
	// AdmissionConfiguration (its --admission-control-config-file), or a
	// PodSecurityConfiguration alone: the PodSecurity plugin's level of
	// namespaces without labels and whom it exempts, which Pod Security
	// warnings follow, and the cluster's default node selector and
	// tolerations of the PodNodeSelector and PodTolerationRestriction
	// plugins, which policies take for the platform's, and the
	// ResourceQuota plugin's limitedResources, which quota warnings follow
	// (manifest.LoadAdmission). Read at start.
	AdmissionConfigFile string
	// ClientCAFile, when set, is a PEM bundle of the CAs whose client
	// certificates may call the webhook: the API server's (clientauth.go).
	ClientCAFile string
	// ClientNames, when set, are the names (subject common name or DNS
	// SAN) one of which a client certificate must carry.
	ClientNames []string
	// ToolManagedNamespaceLabels are Namespace label keys another
	// admission controller sets on the namespaces tenants create and keeps
	// from tenants (a multi-tenancy tool's tenant label): the namespace
	// guard leaves them to it, so Layers may select namespaces by them.
	ToolManagedNamespaceLabels []string
	// Zap are the logging flags.
	Zap zap.Options
}

// defaultMaxInFlight bounds the requests a replica serves at once. Each
// takes a few milliseconds of CPU: 256 at once on a few cores is already
// a queue of hundreds of milliseconds, past which answering later only
// adds memory and timeouts.
const defaultMaxInFlight = 256

// defaultMaxBytesInFlight bounds the request bodies a replica serves at
// once: serving a large request holds ~20 times its body (a SparkApplication
// of almost 3 MiB, the API server's largest request, ~65 MiB while it is
// composed: `make load LOAD_ARGS="--large-apps 8"`), so 8 MiB of bodies
// hold at most ~170 MiB, which leaves room under the Deployment's
// GOMEMLIMIT (400 MiB) for the caches of a large cluster (~100 MiB with
// 50,000 pods and 5,000 Layers). Usual reviews, of a few tens of KiB, are
// bounded by defaultMaxInFlight long before.
const defaultMaxBytesInFlight = 8 << 20

// minMaxBytesInFlight is the least --max-bytes-in-flight but none.
const minMaxBytesInFlight = 1 << 20

// DefaultOptions returns the options a flagless start uses.
func DefaultOptions() *Options {
	return &Options{
		WebhookPort:            9443,
		CertDir:                "/tmp/k8s-webhook-server/serving-certs",
		MetricsBindAddress:     ":8080",
		HealthProbeBindAddress: ":8081",
		CertRotation:           defaultCertRotationOptions(),
		ReservationTTL:         30 * time.Second,
		ShadowReportInterval:   10 * time.Second,
		MaxInFlight:            defaultMaxInFlight,
		MaxBytesInFlight:       defaultMaxBytesInFlight,
		// No stack trace on an error's log line (zap's production default
		// adds one to each): the errors logged are about the cluster, not
		// the code, such as a library's "unable to load in-cluster
		// config" at start. A handler's panic is logged with its stack
		// anyway; --zap-stacktrace-level=error puts them back.
		Zap: zap.Options{StacktraceLevel: zapcore.PanicLevel},
	}
}

// AddFlags registers the options' flags.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Cluster.Name, "cluster", o.Cluster.Name, "this cluster's name, matched by the layers' match.clusters (required)")
	fs.StringVar(&o.Cluster.Pool, "pool", o.Cluster.Pool, "this cluster's pool, matched by the layers' match.pools (required)")
	fs.StringVar(&o.Cluster.SparkOperator, "spark-operator-user", o.Cluster.SparkOperator,
		"the Spark Operator's user, as the API server names it (system:serviceaccount:NAMESPACE:NAME): who creates an application's driver pod and a SparkConnect's server pod, so the Pod Security warnings of those pods honour the PodSecurity admission's exemption of it (--admission-config); not known when empty")
	fs.StringVar(&o.CertDir, "cert-dir", o.CertDir, "directory holding tls.crt and tls.key; reloaded when they change")
	fs.StringVar(&o.WebhookHost, "webhook-host", o.WebhookHost, "address the webhook server listens on (all addresses when empty)")
	fs.IntVar(&o.WebhookPort, "webhook-port", o.WebhookPort, "port the webhook server listens on")
	fs.StringVar(&o.MetricsBindAddress, "metrics-bind-address", o.MetricsBindAddress, `address of the Prometheus metrics endpoint; "0" disables it`)
	fs.StringVar(&o.HealthProbeBindAddress, "health-probe-bind-address", o.HealthProbeBindAddress, `address of /healthz and /readyz; "0" disables it`)
	fs.StringVar(&o.PoliciesDir, "policies", o.PoliciesDir, "directory of Rego policies replacing the built-in ones; reread when its files change")
	fs.DurationVar(&o.ReservationTTL, "reservation-ttl", o.ReservationTTL, "how long an admitted pod counts against quota before the cache sees it")
	fs.DurationVar(&o.ShadowReportInterval, "shadow-report-interval", o.ShadowReportInterval, "how often what Shadow layers would have changed is written into their status")
	fs.StringVar(&o.Replica, "replica", o.Replica, "this replica's name in the Shadow layers' reports (default $POD_NAME, else the host name)")
	fs.StringVar(&o.PprofBindAddress, "pprof-bind-address", o.PprofBindAddress, `address of net/http/pprof (profiles of a running webhook); off when empty or "0"`)
	fs.IntVar(&o.MaxInFlight, "max-in-flight", o.MaxInFlight, "admission requests served at once; more are answered 429 with Retry-After: 1, which the API server retries (0: no limit)")
	fs.Int64Var(&o.MaxBytesInFlight, "max-bytes-in-flight", o.MaxBytesInFlight, "bytes of admission request bodies served at once, which bound the webhook's memory; requests over 1/16 of it together get at most half; more are answered 429 with Retry-After: 1, which the API server retries (0: no limit)")
	fs.BoolVar(&o.ServeNoop, "serve-noop", o.ServeNoop, "also serve "+NoopPath+", a handler that decodes the pod and allows it: the floor the load tool (test/load) measures against; never register it")
	fs.StringVar(&o.AdmissionConfigFile, "admission-config", o.AdmissionConfigFile,
		"the API server's AdmissionConfiguration (its --admission-control-config-file), or a PodSecurityConfiguration alone: PodSecurity's default level of namespaces without labels and the exemptions the Pod Security warnings follow (none: the plugin's default, privileged), the default node selector and tolerations of PodNodeSelector and PodTolerationRestriction, which the policies take for the platform's, and the resources and scopes ResourceQuota lets a pod consume only under a covering quota (its limitedResources), which the warnings follow (read at start)")
	// Its name before the placement plugins' configuration was read too.
	fs.StringVar(&o.AdmissionConfigFile, "pod-security-config", o.AdmissionConfigFile, "the former name of --admission-config")
	_ = fs.MarkDeprecated("pod-security-config", "use --admission-config, which reads the same file")
	fs.StringVar(&o.ClientCAFile, "client-ca-file", o.ClientCAFile, "PEM bundle of the CAs that sign the API server's client certificate; when set, only clients presenting such a certificate are served (read at start)")
	fs.StringSliceVar(&o.ClientNames, "client-names", o.ClientNames, "names (subject common name or DNS SAN) a client certificate must carry one of; needs --client-ca-file")
	fs.StringSliceVar(&o.ToolManagedNamespaceLabels, "tool-managed-namespace-labels", o.ToolManagedNamespaceLabels,
		"Namespace label keys another admission controller sets on every namespace tenants create and keeps from tenants (e.g. capsule.clastix.io/tenant); the namespace guard leaves them to it, so Layers may select namespaces by them")
	o.CertRotation.addFlags(fs)
}

// Validate checks the options and says which flag is wrong.
func (o *Options) Validate() error {
	var errs []error
	if o.Cluster.Name == "" {
		errs = append(errs, errors.New("--cluster is required: layers match on the cluster's name"))
	}
	if o.Cluster.Pool == "" {
		errs = append(errs, errors.New("--pool is required: layers match on the cluster's pool"))
	}
	if o.Cluster.SparkOperator != "" {
		if err := mutate.CheckUserName(o.Cluster.SparkOperator); err != nil {
			errs = append(errs, fmt.Errorf("--spark-operator-user: %w", err))
		}
	}
	if o.WebhookPort <= 0 || o.WebhookPort > 65535 {
		errs = append(errs, fmt.Errorf("--webhook-port: %d is not a port (want 1-65535)", o.WebhookPort))
	}
	if o.CertDir == "" {
		errs = append(errs, errors.New("--cert-dir must not be empty"))
	}
	if o.MaxInFlight < 0 {
		errs = append(errs, fmt.Errorf("--max-in-flight: %d must not be negative (0 for no limit)", o.MaxInFlight))
	}
	if o.MaxBytesInFlight < 0 {
		errs = append(errs, fmt.Errorf("--max-bytes-in-flight: %d must not be negative (0 for no limit)", o.MaxBytesInFlight))
	} else if o.MaxBytesInFlight > 0 && o.MaxBytesInFlight < minMaxBytesInFlight {
		errs = append(errs, fmt.Errorf("--max-bytes-in-flight: %d is less than %d (1 MiB): usual reviews, of tens of KiB, would be served a few at a time", o.MaxBytesInFlight, minMaxBytesInFlight))
	}
	if o.ReservationTTL <= 0 {
		errs = append(errs, fmt.Errorf("--reservation-ttl: %s must be positive", o.ReservationTTL))
	}
	if o.ShadowReportInterval <= 0 {
		// A ticker of no interval panics: the replica would crash once
		// it leads nothing, at start.
		errs = append(errs, fmt.Errorf("--shadow-report-interval: %s must be positive", o.ShadowReportInterval))
	}
	if len(o.ClientNames) > 0 && o.ClientCAFile == "" {
		errs = append(errs, errors.New("--client-names needs --client-ca-file: names are checked on verified client certificates only"))
	}
	for _, n := range o.ClientNames {
		if n == "" {
			errs = append(errs, errors.New("--client-names: a name must not be empty"))
			break
		}
	}
	for _, k := range o.ToolManagedNamespaceLabels {
		if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("--tool-managed-namespace-labels: %q is not a label key: %s", k, strings.Join(msgs, "; ")))
		}
	}
	errs = append(errs, o.CertRotation.validate()...)
	return errors.Join(errs...)
}
