package mutate

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/fixtures"
)

// monitoredApp is the example application with Prometheus monitoring of
// its driver and executors, a user's spark.metrics.namespace and
// spark.metrics.conf, and Java options for each role: the driver's in
// sparkConf only, the executors' typed.
func monitoredApp(t *testing.T) *sparkv1beta2.SparkApplication {
	t.Helper()
	app := fixtures.App(t, "etl-report.yaml").App.DeepCopy()
	app.Spec.Monitoring = &sparkv1beta2.Monitoring{ExposeDriverMetrics: true, ExposeExecutorMetrics: true,
		Prometheus: &sparkv1beta2.Prometheus{JmxExporterJar: "/prometheus/jmx.jar"}}
	app.Spec.SparkConf = map[string]string{metricsNamespaceKey: "mine", metricsConfKey: "/opt/mine/metrics.properties",
		"spark.driver.extraJavaOptions": "-Dmine=1"}
	opts := "-Dexecutors=1"
	app.Spec.Executor.JavaOptions = &opts
	return app
}

// TestMonitoringConf: with Prometheus monitoring, the configuration an
// application runs with is what the Spark Operator writes over sparkConf
// (the metrics namespace and configuration, the JMX exporter's agent
// after a role's javaOptions or alone, Prometheus' annotations), and the
// keys of the user's it writes over are warned of; a layer's
// spark.metrics.conf runs, from spec.monitoring.metricsPropertiesFile.
func TestMonitoringConf(t *testing.T) {
	const agent = "-javaagent:/prometheus/jmx.jar=8090:/etc/metrics/conf/prometheus.yaml"
	res := composeTypedApp(t, snapshotOf(t, nil), prodA, monitoredApp(t))
	for key, want := range map[string]string{
		metricsNamespaceKey:               "etl.etl-report",
		metricsConfKey:                    "/etc/metrics/conf/metrics.properties",
		"spark.driver.extraJavaOptions":   agent,
		"spark.executor.extraJavaOptions": "-Dexecutors=1 " + agent,
		"spark.kubernetes.executor.annotation.prometheus.io/scrape": "true",
		"spark.kubernetes.driver.annotation.prometheus.io/port":     "8090",
		"spark.kubernetes.executor.annotation.prometheus.io/path":   "/metrics",
	} {
		if got := res.Conf[key]; got != want {
			t.Errorf("%s runs with %q, want %q", key, got, want)
		}
	}
	for _, want := range []string{
		`spec.sparkConf["spark.metrics.namespace"] "mine" has no effect: with spec.monitoring.prometheus set, the Spark Operator passes "etl.etl-report", which wins`,
		`spec.sparkConf["spark.metrics.conf"] "/opt/mine/metrics.properties" has no effect`,
		`spec.sparkConf["spark.driver.extraJavaOptions"] "-Dmine=1" has no effect: with spec.monitoring.prometheus set, the Spark Operator passes spec.driver.javaOptions, unset, with its JMX exporter's Java agent, which wins`,
	} {
		if !slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.HasPrefix(w, want) }) {
			t.Errorf("warnings %q lack %q", res.Warnings, want)
		}
	}

	// A layer's spark.metrics.conf runs: the operator reads it from the
	// typed field.
	snap := snapshotOf(t, map[string]string{"metrics": `{tier: ClusterOverrides, config: {sparkConf: {spark.metrics.conf: /opt/platform/metrics.properties}}}`})
	res = composeTypedApp(t, snap, prodA, monitoredApp(t))
	if f := res.App.App.Spec.Monitoring.MetricsPropertiesFile; f == nil || *f != "/opt/platform/metrics.properties" {
		t.Errorf("spec.monitoring.metricsPropertiesFile %v, want the layer's", f)
	}
	if got := res.Conf[metricsConfKey]; got != "/opt/platform/metrics.properties" {
		t.Errorf("spark.metrics.conf runs with %q, want the layer's", got)
	}
	if _, left := res.App.App.Spec.SparkConf[metricsConfKey]; left {
		t.Errorf("the key is still in sparkConf beside the typed field that wins: %q", res.App.App.Spec.SparkConf)
	}
	again := composeTypedApp(t, snap, prodA, &res.App.App)
	if len(again.Patch) != 0 {
		t.Errorf("composing the composed app again patches %v", again.Patch)
	}

	// Without monitoring, the keys are the user's.
	plain := monitoredApp(t)
	plain.Spec.Monitoring = nil
	res = composeTypedApp(t, snapshotOf(t, nil), prodA, plain)
	if res.Conf[metricsNamespaceKey] != "mine" || res.Conf[metricsConfKey] != "/opt/mine/metrics.properties" || res.Conf["spark.driver.extraJavaOptions"] != "-Dmine=1" {
		t.Errorf("without monitoring: %q", res.Conf)
	}
	for _, w := range res.Warnings {
		if strings.Contains(w, "monitoring") {
			t.Errorf("warned without monitoring: %s", w)
		}
	}
}

// TestLaunchedPodHasThePrometheusExporter: a role whose metrics the
// operator exposes launches pods with Prometheus' annotations and, unless
// both configuration files are the image's, the operator's ConfigMap
// mounted in the Spark container and the exporter's port; another role's
// pods have none of it.
func TestLaunchedPodHasThePrometheusExporter(t *testing.T) {
	app := monitoredApp(t)
	app.Spec.Monitoring.ExposeDriverMetrics = false
	port, name := int32(9100), "metrics"
	app.Spec.Monitoring.Prometheus.Port, app.Spec.Monitoring.Prometheus.PortName = &port, &name
	exporter := func(pod *corev1.Pod) (annotations, volume, mount, ports string) {
		annotations = pod.Annotations["prometheus.io/scrape"] + " " + pod.Annotations["prometheus.io/port"] + " " + pod.Annotations["prometheus.io/path"]
		for _, v := range pod.Spec.Volumes {
			if v.ConfigMap != nil && v.ConfigMap.Name == "etl-report-prom-conf" {
				volume = v.Name
			}
		}
		for _, m := range pod.Spec.Containers[0].VolumeMounts {
			if m.Name == volume && m.ReadOnly {
				mount = m.MountPath
			}
		}
		for _, p := range pod.Spec.Containers[0].Ports {
			ports += p.Name + ":" + string(p.Protocol) + ":" + strconv.Itoa(int(p.ContainerPort))
		}
		return annotations, volume, mount, ports
	}
	exec, err := LaunchedPod(app, v1alpha1.RoleExecutor)
	if err != nil {
		t.Fatal(err)
	}
	if a, v, m, p := exporter(exec); a != "true 9100 /metrics" || v != "etl-report-prom-conf-vol" || m != "/etc/metrics/conf" || p != "metrics:TCP:9100" {
		t.Errorf("executor: annotations %q, volume %q mounted at %q, ports %q", a, v, m, p)
	}
	drv, err := LaunchedPod(app, v1alpha1.RoleDriver)
	if err != nil {
		t.Fatal(err)
	}
	if a, v, _, p := exporter(drv); a != "  " || v != "" || p != "" {
		t.Errorf("driver, whose metrics are not exposed: annotations %q, volume %q, ports %q", a, v, p)
	}
	// Both files the image's: the annotations, no ConfigMap, no port.
	file, config := "/opt/metrics.properties", "/opt/prometheus.yaml"
	app.Spec.Monitoring.MetricsPropertiesFile, app.Spec.Monitoring.Prometheus.ConfigFile = &file, &config
	if exec, err = LaunchedPod(app, v1alpha1.RoleExecutor); err != nil {
		t.Fatal(err)
	}
	if a, v, _, p := exporter(exec); a != "true 9100 /metrics" || v != "" || p != "" {
		t.Errorf("executor, both files the image's: annotations %q, volume %q, ports %q", a, v, p)
	}
}
