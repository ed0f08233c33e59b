package app

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// Outcomes of an admission, as the outcome label of strata_admissions_total.
const (
	outcomeAllowed = "allowed" // allowed without changes
	outcomePatched = "patched" // allowed with a non-empty patch
	outcomeDenied  = "denied"
	outcomeInvalid = "invalid" // refused as invalid (422): a Layer, a custom object not of its kind's types, a composition the API server would refuse
	outcomeError   = "error"   // the request could not be handled
)

// outcomes are the values of the outcome label, each one observe gives.
var outcomes = []string{outcomeAllowed, outcomePatched, outcomeDenied, outcomeInvalid, outcomeError}

// Metrics are the webhook's Prometheus metrics. They are registered with
// controller-runtime's registry, so they are served with its own metrics.
type Metrics struct {
	admissions    *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	layersLoaded  prometheus.Gauge
	generation    prometheus.Gauge
	compileErrors prometheus.Counter
	violations    *prometheus.CounterVec
	policyErrors  prometheus.Counter
	panics        *prometheus.CounterVec
	brokenLayers  prometheus.Gauge
	shed          prometheus.Counter
	shadow        *prometheus.CounterVec
	unauthorized  prometheus.Counter
	released      prometheus.Counter
	// judgedAtComposition counts pods judged with the snapshot that
	// composed them (PodValidator.composingSnapshot).
	judgedAtComposition prometheus.Counter
	// watchFailures counts the failed lists and watches of the Layer and
	// pod watches (watched.failures) and of the manager's informers
	// (informerWatchError), by kind.
	watchFailures *prometheus.CounterVec
}

// NewMetrics creates the metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		admissions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "strata_admissions_total",
			Help: "Admission requests handled, by handler and outcome (allowed, patched, denied, invalid, error).",
		}, []string{"handler", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "strata_admission_duration_seconds",
			Help:    "Time to handle an admission request inside the webhook, by handler.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25},
		}, []string{"handler"}),
		layersLoaded: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "strata_layers_loaded",
			Help: "Layers in the snapshot being served.",
		}),
		generation: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "strata_snapshot_generation",
			Help: "Generation of the snapshot being served; it increases with every good configuration loaded.",
		}),
		compileErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "strata_snapshot_compile_errors_total",
			Help: "Snapshots built with a Layer that does not compile, which they leave out (the pods it matches are refused).",
		}),
		violations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "strata_policy_violations_total",
			Help: "Policy violations found, by policy and enforcement (deny, warn, dryrun).",
		}, []string{"policy", "enforcement"}),
		policyErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "strata_policy_compile_errors_total",
			Help: "Policy sets that failed to compile; the previous policies kept serving.",
		}),
		panics: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "strata_admission_panics_total",
			Help: "Panics recovered in a handler, by handler; each failed only its own request.",
		}, []string{"handler"}),
		brokenLayers: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "strata_layers_invalid",
			Help: "Layers in the cluster that do not compile; the pods they would match are refused until they are fixed.",
		}),
		shed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "strata_admissions_shed_total",
			Help: "Admission requests answered 429 (retry after a second) because --max-in-flight requests, or --max-bytes-in-flight bytes of them, were being served.",
		}),
		shadow: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "strata_shadow_changes_total",
			Help: "Fields a Shadow layer would have changed on the pods admitted, by layer (one per field per pod).",
		}, []string{"layer"}),
		unauthorized: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "strata_requests_unauthorized_total",
			Help: "Requests refused because the client presented no certificate of --client-ca-file, or one not naming --client-names.",
		}),
		released: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "strata_reservations_released_total",
			Help: "Quota reservations of admitted pods ended because, seconds later, neither the pod watch nor the API server held the pod: the API server refused it after the webhook admitted it (the ResourceQuota admission, say).",
		}),
		watchFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "strata_watch_failures_total",
			Help: "Lists and watches that failed, by the kind watched (Layer, Pod, Namespace, PriorityClass, ...): while they fail, the webhook serves what it last read of that kind.",
		}, []string{"kind"}),
		judgedAtComposition: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "strata_pods_judged_at_composition_total",
			Help: "Pods created while the Layers changed and refused by the newest ones, judged again with the snapshot whose Layers composed them (strata.dev/layers).",
		}),
	}
	for _, c := range []prometheus.Collector{m.admissions, m.latency, m.layersLoaded, m.generation, m.compileErrors, m.violations, m.policyErrors, m.panics, m.brokenLayers, m.shed, m.shadow, m.unauthorized, m.released, m.judgedAtComposition, m.watchFailures} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// observe counts one admission of handler and its latency since start. The
// outcome is read off the response: an error code (400, 5xx), an object
// or composition refused as invalid (422: invalidLayer, invalidObject), a
// denial, a non-empty patch, or allowed.
func (m *Metrics) observe(handler string, start time.Time, resp admission.Response) {
	outcome := outcomeAllowed
	switch {
	case resp.Result != nil && (resp.Result.Code >= 500 || resp.Result.Code == http.StatusBadRequest):
		outcome = outcomeError
	case resp.Result != nil && resp.Result.Code == http.StatusUnprocessableEntity && !resp.Allowed:
		outcome = outcomeInvalid
	case !resp.Allowed:
		outcome = outcomeDenied
	case len(resp.Patch) > 0 || len(resp.Patches) > 0:
		outcome = outcomePatched
	}
	m.admissions.WithLabelValues(handler, outcome).Inc()
	m.latency.WithLabelValues(handler).Observe(time.Since(start).Seconds())
}
