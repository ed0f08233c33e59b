package app

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	admissionmetrics "k8s.io/apiserver/pkg/admission/metrics"
	"k8s.io/component-base/metrics/legacyregistry"
	"sigs.k8s.io/yaml"
)

// alertRules is the PrometheusRule of manifests/components/monitoring.
const alertRules = "../../../manifests/components/monitoring/prometheusrule.yaml"

// targetLabels are the labels Prometheus gives every series it scrapes
// through a ServiceMonitor: the target's.
var targetLabels = []string{"job", "namespace", "pod", "service", "instance", "endpoint", "container"}

// exportedMetric is what a metric of the webhook's registry offers a
// query: its label names, and the values known for some of them.
type exportedMetric struct {
	labels []string
	values map[string][]string
}

// TestAlertsNameWhatIsExported holds the monitoring component's alerts to
// what the webhook and the API server export: each rule is valid as
// Prometheus loads a rule file (promtool check rules' validation), and
// every metric a rule selects, every label it matches or groups by, and
// every value it matches exactly is one the webhook registers (or the API
// server's webhook rejections, or a target's up). An alert left naming a
// metric or a label that was renamed would never fire; this fails instead.
func TestAlertsNameWhatIsExported(t *testing.T) {
	raw, err := os.ReadFile(alertRules)
	if err != nil {
		t.Fatal(err)
	}
	var rule monitoringv1.PrometheusRule
	if err := yaml.UnmarshalStrict(raw, &rule); err != nil {
		t.Fatalf("%s: %v", filepath.Base(alertRules), err)
	}
	file, err := yaml.Marshal(map[string]any{"groups": rule.Spec.Groups})
	if err != nil {
		t.Fatal(err)
	}
	p := parser.NewParser(parser.Options{})
	groups, errs := rulefmt.Parse(file, false, model.UTF8Validation, p, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, err := range errs {
		t.Errorf("%s: %v", filepath.Base(alertRules), err)
	}
	if groups == nil {
		t.FailNow()
	}

	known := webhookMetrics(t)
	for name, m := range apiServerMetrics(t) {
		known[name] = m
	}
	// Prometheus' own series of a scrape target, whose labels are the
	// target's.
	known["up"] = exportedMetric{labels: targetLabels}

	var alerts int
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			alerts++
			expr, err := p.ParseExpr(r.Expr)
			if err != nil {
				t.Errorf("alert %s: %v", r.Alert, err)
				continue
			}
			for _, problem := range unexported(expr, known) {
				t.Errorf("alert %s: %s", r.Alert, problem)
			}
			if r.Labels["severity"] == "" || r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("alert %s: wants a severity label, a summary and a description", r.Alert)
			}
		}
	}
	if alerts == 0 {
		t.Errorf("%s holds no alert", filepath.Base(alertRules))
	}
}

// TestUnexportedIsFound: the check above finds each kind of mistake.
func TestUnexportedIsFound(t *testing.T) {
	known := webhookMetrics(t)
	p := parser.NewParser(parser.Options{})
	for _, tt := range []struct{ expr, want string }{
		{`rate(strata_admissions_total{outcome="error"}[5m])`, ""},
		{`sum by (handler) (rate(strata_admission_duration_seconds_bucket{le="0.25"}[5m]))`, ""},
		{`rate(strata_admission_total[5m])`, `strata_admission_total is not a metric`},
		{`rate(strata_admissions_total{outcome="failed"}[5m])`, `outcome="failed"`},
		{`rate(strata_admissions_total{result="error"}[5m])`, `no label "result"`},
		{`sum by (policy) (rate(strata_admissions_total[5m]))`, `no label "policy"`},
		{`rate(strata_admission_duration_seconds_bucket{le="0.3"}[5m])`, `le="0.3"`},
		{`max(strata_layers_invalid{job="strata-webhook"}) > 0`, ""},
		{`absent(up{job="strata-webhook"} == 1)`, `up is not a metric`},
	} {
		expr, err := p.ParseExpr(tt.expr)
		if err != nil {
			t.Fatalf("%s: %v", tt.expr, err)
		}
		problems := strings.Join(unexported(expr, known), "; ")
		if tt.want == "" && problems != "" || !strings.Contains(problems, tt.want) {
			t.Errorf("%s: %q, want %q", tt.expr, problems, tt.want)
		}
	}
}

// unexported is what expr names that known does not hold.
func unexported(expr parser.Expr, known map[string]exportedMetric) []string {
	var problems []string
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		switch n := node.(type) {
		case *parser.VectorSelector:
			m, ok := known[n.Name]
			if !ok {
				problems = append(problems, n.Name+" is not a metric the webhook or the API server exports")
				return nil
			}
			for _, matcher := range n.LabelMatchers {
				if matcher.Name == model.MetricNameLabel {
					continue
				}
				if !slices.Contains(m.labels, matcher.Name) {
					problems = append(problems, n.Name+` has no label "`+matcher.Name+`"`)
					continue
				}
				if values, ok := m.values[matcher.Name]; ok && matcher.Type.String() == "=" && !slices.Contains(values, matcher.Value) {
					problems = append(problems, n.Name+`{`+matcher.Name+`="`+matcher.Value+`"} matches no value it takes (`+strings.Join(values, ", ")+`)`)
				}
			}
		case *parser.AggregateExpr:
			if n.Without {
				return nil
			}
			for _, selector := range selectorsIn(n.Expr) {
				m, ok := known[selector.Name]
				if !ok {
					continue // said above
				}
				for _, l := range n.Grouping {
					if !slices.Contains(m.labels, l) {
						problems = append(problems, selector.Name+` has no label "`+l+`" to group by`)
					}
				}
			}
		}
		return nil
	})
	return problems
}

// selectorsIn are the vector selectors of expr.
func selectorsIn(expr parser.Expr) []*parser.VectorSelector {
	var out []*parser.VectorSelector
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		if s, ok := node.(*parser.VectorSelector); ok {
			out = append(out, s)
		}
		return nil
	})
	return out
}

// recordingRegisterer is a Registerer that keeps what is registered.
type recordingRegisterer struct {
	prometheus.Registerer
	collectors []prometheus.Collector
}

func (r *recordingRegisterer) Register(c prometheus.Collector) error {
	r.collectors = append(r.collectors, c)
	return r.Registerer.Register(c)
}

func (r *recordingRegisterer) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

// descPattern reads a metric's name and label names off its description
// (prometheus.Desc has no accessors).
var descPattern = regexp.MustCompile(`^Desc\{fqName: "([^"]+)", .*variableLabels: \{([^}]*)\}\}$`)

// webhookMetrics are the metrics NewMetrics registers, as Prometheus
// scrapes them (with the target's labels), a histogram's series under
// their own names, with the values of the outcome label and
// the histogram's bucket bounds.
func webhookMetrics(t *testing.T) map[string]exportedMetric {
	t.Helper()
	reg := prometheus.NewRegistry()
	rec := &recordingRegisterer{Registerer: reg}
	m, err := NewMetrics(rec)
	if err != nil {
		t.Fatal(err)
	}
	descs := make(chan *prometheus.Desc, 64)
	for _, c := range rec.collectors {
		c.Describe(descs)
	}
	close(descs)
	// The bucket bounds, as a series reports them.
	m.latency.WithLabelValues("pod").Observe(0)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var bounds []string
	for _, f := range families {
		for _, b := range f.GetMetric()[0].GetHistogram().GetBucket() {
			bounds = append(bounds, strconv.FormatFloat(b.GetUpperBound(), 'g', -1, 64))
		}
	}
	bounds = append(bounds, "+Inf")

	out := map[string]exportedMetric{}
	for d := range descs {
		match := descPattern.FindStringSubmatch(d.String())
		if match == nil {
			t.Fatalf("cannot read %s", d)
		}
		name, labels := match[1], slices.Clip(targetLabels)
		if match[2] != "" {
			labels = append(labels, strings.Split(match[2], ",")...)
		}
		if name == "strata_admissions_total" {
			out[name] = exportedMetric{labels: labels, values: map[string][]string{"outcome": outcomes}}
			continue
		}
		out[name] = exportedMetric{labels: labels}
		if name == "strata_admission_duration_seconds" {
			out[name+"_bucket"] = exportedMetric{labels: append(slices.Clip(labels), "le"), values: map[string][]string{"le": bounds}}
			out[name+"_count"] = exportedMetric{labels: labels}
			out[name+"_sum"] = exportedMetric{labels: labels}
		}
	}
	if _, ok := out["strata_admissions_total"]; !ok || len(bounds) < 2 {
		t.Fatalf("the webhook's metrics read as %v, bucket bounds %v", out, bounds)
	}
	return out
}

// apiServerMetrics is the API server's count of requests refused because
// of a webhook, as its admission metrics export it: the series one call
// that failed records.
func apiServerMetrics(t *testing.T) map[string]exportedMetric {
	t.Helper()
	admissionmetrics.Metrics.ObserveWebhookRejection(context.Background(), "pods.strata.dev", "admit", "CREATE",
		admissionmetrics.WebhookRejectionCallingWebhookError, 500)
	families, err := legacyregistry.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]exportedMetric{}
	for _, f := range families {
		if f.GetName() != "apiserver_admission_webhook_rejection_count" {
			continue
		}
		m := exportedMetric{labels: slices.Clip(targetLabels), values: map[string][]string{"error_type": {
			string(admissionmetrics.WebhookRejectionCallingWebhookError),
			string(admissionmetrics.WebhookRejectionAPIServerInternalError),
			string(admissionmetrics.WebhookRejectionNoError),
		}}}
		for _, l := range f.GetMetric()[0].GetLabel() {
			m.labels = append(m.labels, l.GetName())
		}
		out[f.GetName()] = m
	}
	if len(out) == 0 {
		t.Fatal("the API server's admission metrics hold no webhook rejection count")
	}
	return out
}
