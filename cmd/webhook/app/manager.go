package app

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"reflect"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1alpha1"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/manifest"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/pkg/policy"
	"github.com/strata-dev/strata/pkg/policy/volcanov1beta1"
)

// NewScheme returns the scheme the webhook reads and decodes with: the
// Kubernetes built-in types and the Layer API.
func NewScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, err
	}
	if err := v1alpha1.AddToScheme(s); err != nil {
		return nil, err
	}
	return s, nil
}

// Run runs the webhook until ctx is done.
func Run(ctx context.Context, opts *Options) error {
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&opts.Zap)))
	if heap, _ := TuneGC(os.Getenv); heap > 0 {
		ctrl.Log.Info("tuning the garbage collector to the soft memory limit", "heapBytes", heap,
			"minGOGC", minGCPercent, "maxGOGC", maxGCPercent)
	}
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("loading kubeconfig: %w", err)
	}
	m, err := NewMetrics(metrics.Registry)
	if err != nil {
		return fmt.Errorf("registering metrics: %w", err)
	}
	mgr, err := NewManager(cfg, opts, m)
	if err != nil {
		return err
	}
	if _, err := Setup(ctx, mgr, opts, m); err != nil {
		return err
	}
	ctrl.Log.Info("starting webhook", "cluster", opts.Cluster.Name, "pool", opts.Cluster.Pool, "port", opts.WebhookPort)
	return mgr.Start(ctx)
}

// clientConfig is cfg as the webhook's client uses it. The webhook watches
// every pod, next to the API server: gzip of the watch streams and lists
// (which the API server gives a client that asks, as client-go does by
// default) costs CPU on both sides for bandwidth a cluster network does
// not lack. kube-controller-manager and kube-scheduler turn it off for the
// same reason. cfg is not changed.
func clientConfig(cfg *rest.Config) *rest.Config {
	out := rest.CopyConfig(cfg)
	out.DisableCompression = true
	return out
}

// NewManager returns a manager for the webhook, whose informers count
// their failed lists and watches in m. Its webhook server is added by
// Setup, once certificates are in place.
func NewManager(cfg *rest.Config, opts *Options, m *Metrics) (manager.Manager, error) {
	scheme, err := NewScheme()
	if err != nil {
		return nil, err
	}
	cfg = clientConfig(cfg)
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme: scheme,
		// Pods are not cached: watchPods keeps what quota counts of each.
		// A read of pods through the client goes to the API server rather
		// than starting an informer that would hold every pod whole.
		Client: client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.Pod{}}}},
		// The informers of Namespaces, PriorityClasses, RuntimeClasses,
		// LimitRanges and ResourceQuotas feed the snapshot: while they
		// fail, it holds what they last read.
		Cache:                  cache.Options{DefaultWatchErrorHandler: m.informerWatchError},
		Metrics:                metricsserver.Options{BindAddress: opts.MetricsBindAddress},
		HealthProbeBindAddress: opts.HealthProbeBindAddress,
		PprofBindAddress:       opts.PprofBindAddress,
		// Every replica serves admissions from its own cache; nothing needs a leader.
		LeaderElection: false,
	})
	if err != nil {
		return nil, fmt.Errorf("creating manager: %w", err)
	}
	return mgr, nil
}

// Webhook is what Setup wired: the stores and the handlers.
type Webhook struct {
	Store     *Store
	Policies  *PolicyStore
	Pods      *PodMutator
	PodPolicy *PodValidator
	Apps      *AppMutator
	AppPolicy *AppValidator
	// Connects composes SparkConnects' Spark configuration, and
	// ConnectPolicy judges them.
	Connects      *ConnectMutator
	ConnectPolicy *ConnectValidator
	// ScheduledAppPolicy judges ScheduledSparkApplications by their runs.
	ScheduledAppPolicy *ScheduledAppValidator
	// Bindings judges a binding of a pod to a node as the UPDATE it makes.
	Bindings *BindingValidator
	// PodGroups judges Volcano PodGroups by the policies' PodGroup rules.
	PodGroups *PodGroupValidator
	// NamespaceGuard keeps what of a Namespace picks its Layers to
	// platform admins.
	NamespaceGuard *NamespaceGuard
	Layers         *LayerValidator
	// LimitRanges warns of a LimitRange that would refuse what the layers
	// add to a namespace's Spark pods.
	LimitRanges *LimitRangeWarner
	// ResourceQuotas warns of a ResourceQuota that would refuse what the
	// layers add to a namespace's Spark pods.
	ResourceQuotas *ResourceQuotaWarner
	Metrics        *Metrics
	Server         webhook.Server
}

// Setup adds the snapshot controller, the webhook server with its handlers
// and the health checks to mgr, which count in m (the metrics NewManager
// was given); ctx bounds the setup's own calls (loading the policies).
func Setup(ctx context.Context, mgr manager.Manager, opts *Options, m *Metrics) (*Webhook, error) {
	w := &Webhook{Store: &Store{}, Metrics: m}
	// The shadow reports read each Layer from the API server before they
	// write its status (as a retry on conflict must): through the
	// manager's client, that read would start an informer of every Layer
	// beside the snapshot's own watch.
	uncached, err := client.New(mgr.GetConfig(), client.Options{Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper()})
	if err != nil {
		return nil, fmt.Errorf("creating the shadow reports' client: %w", err)
	}
	shadow := NewShadowRecorder(uncached, opts.Replica, opts.ShadowReportInterval, ctrl.Log.WithName("shadow"))
	if err := mgr.Add(shadow); err != nil {
		return nil, err
	}
	w.Pods = &PodMutator{Store: w.Store, Cluster: opts.Cluster, Metrics: m, Namespaces: mgr.GetAPIReader(), Shadow: shadow}
	w.LimitRanges = &LimitRangeWarner{Metrics: m, Store: w.Store, Cluster: opts.Cluster}
	w.ResourceQuotas = &ResourceQuotaWarner{Metrics: m, Store: w.Store, Cluster: opts.Cluster}
	w.Policies, err = NewPolicyStore(ctx, opts.PoliciesDir, m, ctrl.Log.WithName("policies"))
	if err != nil {
		return nil, fmt.Errorf("loading policies: %w", err)
	}
	w.Layers = &LayerValidator{Metrics: m, Namespaces: mgr.GetAPIReader(), Store: w.Store, Cluster: opts.Cluster, Policies: w.Policies}
	if err := mgr.Add(w.Policies); err != nil {
		return nil, err
	}
	tracker, synced, err := watchPods(mgr, m.watchFailures.WithLabelValues("Pod"))
	if err != nil {
		return nil, fmt.Errorf("watching pods: %w", err)
	}
	ledger := policy.NewLedger(opts.ReservationTTL)
	w.PodPolicy = &PodValidator{Store: w.Store, Policies: w.Policies, Ledger: ledger,
		Live: tracker, Synced: synced, Cluster: opts.Cluster, Metrics: m, Namespaces: mgr.GetAPIReader()}
	if err := mgr.Add(&reservationCheck{ledger: ledger, live: tracker, pods: mgr.GetAPIReader(), after: reservationCheckAfter, every: reservationCheckEvery,
		limit: reservationChecksPerRound, released: m.released, log: ctrl.Log.WithName("reservations")}); err != nil {
		return nil, err
	}
	w.Apps = &AppMutator{Store: w.Store, Cluster: opts.Cluster, Metrics: m, Namespaces: mgr.GetAPIReader()}
	w.Connects = &ConnectMutator{Store: w.Store, Cluster: opts.Cluster, Metrics: m, Namespaces: mgr.GetAPIReader()}
	w.AppPolicy = &AppValidator{Store: w.Store, Policies: w.Policies, Live: tracker, Synced: synced, Cluster: opts.Cluster,
		Metrics: m, Namespaces: mgr.GetAPIReader(), Schedules: policy.SchedulesIn(mgr.GetAPIReader()), Owners: policy.OwnersIn(mgr.GetAPIReader())}
	w.ConnectPolicy = &ConnectValidator{Store: w.Store, Policies: w.Policies, Live: tracker, Synced: synced, Cluster: opts.Cluster,
		Metrics: m, Namespaces: mgr.GetAPIReader(), Owners: policy.OwnersIn(mgr.GetAPIReader())}
	w.Bindings = &BindingValidator{Pods: w.PodPolicy, Reader: mgr.GetAPIReader(), Metrics: m}
	w.PodGroups = &PodGroupValidator{Store: w.Store, Policies: w.Policies, Cluster: opts.Cluster, Metrics: m, Namespaces: mgr.GetAPIReader(),
		PodGroups: policy.PodGroupsIn(mgr.GetAPIReader()), Admitted: newAdmittedGangs(opts.ReservationTTL)}
	w.NamespaceGuard = &NamespaceGuard{Store: w.Store, Metrics: m, ToolManaged: opts.ToolManagedNamespaceLabels}
	w.ScheduledAppPolicy = &ScheduledAppValidator{Store: w.Store, Policies: w.Policies, Cluster: opts.Cluster, Metrics: m,
		Namespaces: mgr.GetAPIReader()}

	admissionConfig, err := loadAdmission(opts.AdmissionConfigFile)
	if err != nil {
		return nil, err
	}
	for _, w := range mutate.LimitedResourcesWarnings(admissionConfig.LimitedResources) {
		ctrl.Log.WithName("admission-config").Info("the ResourceQuota admission judges nothing", "file", opts.AdmissionConfigFile, "why", w)
	}
	builder := &snapshotBuilder{
		reader: mgr.GetClient(), store: w.Store, metrics: m, admission: admissionConfig,
		recorder:    mgr.GetEventRecorder("strata-webhook"),
		log:         ctrl.Log.WithName("snapshot"),
		minInterval: rebuildInterval,
	}
	if err := builder.setupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("setting up the snapshot controller: %w", err)
	}

	auth, err := newClientAuth(opts.ClientCAFile, opts.ClientNames, m.unauthorized)
	if err != nil {
		return nil, err
	}
	tlsOpts := []func(*tls.Config){func(c *tls.Config) { c.MinVersion = tls.VersionTLS12 }}
	if auth != nil {
		tlsOpts = append(tlsOpts, auth.configure)
	} else {
		ctrl.Log.Info("client certificates are not checked (no --client-ca-file): whatever reaches the webhook's port can post admission reviews; " +
			"restrict it with a NetworkPolicy or have the API server present a client certificate (README, Who can call the webhook)")
	}
	w.Server = webhook.NewServer(webhook.Options{Host: opts.WebhookHost, Port: opts.WebhookPort, CertDir: opts.CertDir, TLSOpts: tlsOpts})
	limit := limitInFlight(opts.MaxInFlight, opts.MaxBytesInFlight, m.shed)
	// objectType is what a handler decodes a review's objects as.
	serve := func(objectType reflect.Type, h admission.Handler) http.Handler {
		return auth.require(limit(withGrownStack(withDeadline(objectReviewServer(objectType, h)))))
	}
	servePods := func(h admission.Handler) http.Handler {
		return auth.require(limit(withGrownStack(withDeadline(podReviewServer(h)))))
	}
	w.Server.Register(PodPath, servePods(w.Pods))
	w.Server.Register(LayerPath, serve(reflect.TypeFor[v1alpha1.Layer](), w.Layers))
	w.Server.Register(LimitRangePath, serve(reflect.TypeFor[corev1.LimitRange](), w.LimitRanges))
	w.Server.Register(ResourceQuotaPath, serve(reflect.TypeFor[corev1.ResourceQuota](), w.ResourceQuotas))
	w.Server.Register(PodPolicyPath, servePods(w.PodPolicy))
	w.Server.Register(BindingPolicyPath, serve(reflect.TypeFor[corev1.Binding](), w.Bindings))
	w.Server.Register(PodGroupPolicyPath, serve(reflect.TypeFor[volcanov1beta1.Object](), w.PodGroups))
	w.Server.Register(NamespaceGuardPath, serve(reflect.TypeFor[corev1.Namespace](), w.NamespaceGuard))
	w.Server.Register(AppPath, serve(reflect.TypeFor[sparkv1beta2.SparkApplication](), w.Apps))
	w.Server.Register(ConnectPath, serve(reflect.TypeFor[sparkv1alpha1.SparkConnect](), w.Connects))
	w.Server.Register(ConnectPolicyPath, serve(reflect.TypeFor[sparkv1alpha1.SparkConnect](), w.ConnectPolicy))
	w.Server.Register(AppPolicyPath, serve(reflect.TypeFor[sparkv1beta2.SparkApplication](), w.AppPolicy))
	w.Server.Register(ScheduledAppPolicyPath, serve(reflect.TypeFor[sparkv1beta2.ScheduledSparkApplication](), w.ScheduledAppPolicy))
	if opts.ServeNoop {
		w.Server.Register(NoopPath, servePods(&NoopHandler{Metrics: m}))
	}

	if opts.CertRotation.Enabled {
		ready, err := addCertRotator(mgr, opts.CertDir, opts.CertRotation)
		if err != nil {
			return nil, err
		}
		// The server starts once the certificates are there; until then
		// readiness fails and the Service sends it nothing.
		err = mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
			select {
			case <-ready:
			case <-ctx.Done():
				return nil
			}
			return w.Server.Start(ctx)
		}))
		if err != nil {
			return nil, err
		}
	} else if err := mgr.Add(w.Server); err != nil {
		return nil, err
	}

	if err := mgr.AddReadyzCheck("snapshot", func(*http.Request) error {
		if w.Store.Load() == nil {
			return errNoSnapshot
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := mgr.AddReadyzCheck("spark-pods", func(*http.Request) error {
		if !synced() {
			return errNotSynced
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := mgr.AddReadyzCheck("webhook", w.Server.StartedChecker()); err != nil {
		return nil, err
	}
	if err := mgr.AddHealthzCheck("ping", func(*http.Request) error { return nil }); err != nil {
		return nil, err
	}
	return w, nil
}

// loadAdmission reads the API server's admission configuration of
// --admission-config (manifest.LoadAdmission); none when file is "".
func loadAdmission(file string) (overlay.Admission, error) {
	if file == "" {
		return overlay.Admission{}, nil
	}
	a, err := manifest.LoadAdmission(filesys.MakeFsOnDisk(), file)
	if err != nil {
		return overlay.Admission{}, fmt.Errorf("--admission-config: %w", err)
	}
	return a, nil
}
