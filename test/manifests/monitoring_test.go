package manifests

import (
	"fmt"
	"net"
	"strconv"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/prometheus/promql/parser"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/kustomize/api/resmap"
)

// TestMonitoringComponent builds manifests/default with the monitoring
// component, as README's "Monitoring" says a platform applies it, with
// and without a namePrefix. The
// ServiceMonitor selects the webhook's Service and scrapes the port the
// webhook serves its metrics on (--metrics-bind-address, as the
// Deployment gives it); the alerts on the webhook's targets name the job
// and namespace Prometheus gives them, and those on the
// API server's calls match every webhook the configurations register.
// (cmd/webhook/app's TestAlertsNameWhatIsExported holds the rules to the
// metrics themselves.)
func TestMonitoringComponent(t *testing.T) {
	for _, prefix := range []string{"", "prod-"} {
		t.Run("namePrefix="+prefix, func(t *testing.T) {
			m := buildOverlay(t, map[string]string{}, func(rel func(...string) string) string {
				return fmt.Sprintf("namePrefix: %q\nresources: [%s]\ncomponents: [%s]\n", prefix, rel("default"), rel("components", "monitoring"))
			})
			checkMonitoring(t, m, prefix+"strata-webhook")
		})
	}
}

// checkMonitoring checks the build m, whose webhook's objects are named
// name.
func checkMonitoring(t *testing.T, m resmap.ResMap, name string) {
	svc := decode[corev1.Service](t, m, "Service", name)
	d := decode[appsv1.Deployment](t, m, "Deployment", name)
	c := d.Spec.Template.Spec.Containers[0]
	opts := parseArgs(t, m, c)
	_, metricsPort, err := net.SplitHostPort(opts.MetricsBindAddress)
	if err != nil {
		t.Fatalf("--metrics-bind-address %q: %v", opts.MetricsBindAddress, err)
	}

	sm := decode[monitoringv1.ServiceMonitor](t, m, "ServiceMonitor", name)
	if sm.Namespace != svc.Namespace {
		t.Errorf("ServiceMonitor in namespace %q, the Service in %q", sm.Namespace, svc.Namespace)
	}
	if len(sm.Spec.Selector.MatchLabels) == 0 || len(sm.Spec.Selector.MatchExpressions) > 0 {
		t.Errorf("ServiceMonitor selector %+v, want labels of the webhook's Service", sm.Spec.Selector)
	}
	for k, v := range sm.Spec.Selector.MatchLabels {
		if svc.Labels[k] != v {
			t.Errorf("ServiceMonitor selects %s=%s, which the Service does not carry (%v)", k, v, svc.Labels)
		}
	}
	if len(sm.Spec.Endpoints) != 1 {
		t.Fatalf("ServiceMonitor endpoints %+v, want the metrics port", sm.Spec.Endpoints)
	}
	if got := scrapedContainerPort(t, svc, c, sm.Spec.Endpoints[0].Port); got != metricsPort {
		t.Errorf("ServiceMonitor scrapes container port %s; the webhook serves its metrics on %s", got, metricsPort)
	}

	var webhooks []string
	for _, r := range m.Resources() {
		if k := r.GetKind(); k == "ValidatingWebhookConfiguration" || k == "MutatingWebhookConfiguration" {
			webhooks = append(webhooks, webhookNames(t, m, k, r.GetName())...)
		}
	}

	rule := decode[monitoringv1.PrometheusRule](t, m, "PrometheusRule", name)
	if rule.Namespace != svc.Namespace {
		t.Errorf("PrometheusRule in namespace %q, want %q", rule.Namespace, svc.Namespace)
	}
	p := parser.NewParser(parser.Options{})
	var targets, calls int
	for _, g := range rule.Spec.Groups {
		for _, r := range g.Rules {
			expr, err := p.ParseExpr(r.Expr.String())
			if err != nil {
				t.Errorf("alert %s: %v", r.Alert, err)
				continue
			}
			parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
				sel, ok := node.(*parser.VectorSelector)
				if !ok {
					return nil
				}
				for _, matcher := range sel.LabelMatchers {
					switch {
					case matcher.Name == "job" || matcher.Name == "namespace":
						// The target's labels: job is the value of the
						// Service's label jobLabel names, else its name.
						job := svc.Name
						if sm.Spec.JobLabel != "" {
							job = svc.Labels[sm.Spec.JobLabel]
						}
						want := map[string]string{"job": job, "namespace": svc.Namespace}[matcher.Name]
						if !matcher.Matches(want) {
							t.Errorf("alert %s: %s does not select the webhook's targets (job %q, namespace %q)", r.Alert, sel, job, svc.Namespace)
						}
						targets++
					case sel.Name == "apiserver_admission_webhook_rejection_count" && matcher.Name == "name":
						for _, w := range webhooks {
							if !matcher.Matches(w) {
								t.Errorf("alert %s: %s leaves out webhook %s", r.Alert, matcher, w)
							}
						}
						calls++
					}
				}
				return nil
			})
		}
	}
	if targets == 0 || calls == 0 || len(webhooks) < 2 {
		t.Errorf("the alerts select the webhook's targets %d times and the API server's calls %d times, over %d webhooks", targets, calls, len(webhooks))
	}
}

// scrapedContainerPort is the number of the container port that the
// Service's port of name port targets.
func scrapedContainerPort(t *testing.T, svc *corev1.Service, c corev1.Container, port string) string {
	t.Helper()
	for _, sp := range svc.Spec.Ports {
		if sp.Name != port {
			continue
		}
		if sp.TargetPort.Type == intstr.Int {
			return strconv.Itoa(sp.TargetPort.IntValue())
		}
		for _, cp := range c.Ports {
			if cp.Name == sp.TargetPort.StrVal {
				return strconv.Itoa(int(cp.ContainerPort))
			}
		}
		t.Fatalf("Service port %s targets %s, which the container does not name", port, sp.TargetPort.String())
	}
	t.Fatalf("the Service has no port %q", port)
	return ""
}

// webhookNames are the names of the webhooks of the configuration of kind
// and name.
func webhookNames(t *testing.T, m resmap.ResMap, kind, name string) []string {
	t.Helper()
	var out []string
	if kind == "MutatingWebhookConfiguration" {
		for _, w := range decode[admissionregistrationv1.MutatingWebhookConfiguration](t, m, kind, name).Webhooks {
			out = append(out, w.Name)
		}
		return out
	}
	for _, w := range decode[admissionregistrationv1.ValidatingWebhookConfiguration](t, m, kind, name).Webhooks {
		out = append(out, w.Name)
	}
	return out
}
