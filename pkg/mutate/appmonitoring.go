package mutate

import (
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// What the Spark Operator (v2.5) does for an application's Prometheus
// monitoring, spec.monitoring with prometheus set: configPrometheusMonitoring
// as it submits, and its pod webhook's addPrometheusConfig.
const (
	// metricsConfKey and metricsNamespaceKey are the Spark keys the
	// operator writes into sparkConf, over what it held.
	metricsConfKey      = "spark.metrics.conf"
	metricsNamespaceKey = "spark.metrics.namespace"
	// prometheusConfigDir is where the operator's ConfigMap
	// (<application>-prom-conf: metrics.properties and prometheus.yaml)
	// is mounted in the Spark container.
	prometheusConfigDir = "/etc/metrics/conf"
	// The JMX exporter's port, unless spec.monitoring.prometheus names one.
	defaultPrometheusPort     int32 = 8090
	defaultPrometheusPortName       = "jmx-exporter"
)

// prometheusOf is s's Prometheus monitoring; nil when the operator does
// none.
func prometheusOf(s *sparkv1beta2.Spec) *sparkv1beta2.Prometheus {
	if s.Monitoring == nil {
		return nil
	}
	return s.Monitoring.Prometheus
}

// metricsPropertiesFile is the metrics.properties file s names for the
// operator to set spark.metrics.conf to, under Prometheus monitoring;
// false when it names none (the operator then names its ConfigMap's) or
// the operator does no monitoring.
func metricsPropertiesFile(s *sparkv1beta2.Spec) (string, bool) {
	if prometheusOf(s) == nil {
		return "", false
	}
	if f := s.Monitoring.MetricsPropertiesFile; f != nil && *f != "" {
		return *f, true
	}
	return "", false
}

// metricsConfAlias is spark.metrics.conf as spec.monitoring.metricsPropertiesFile
// while Prometheus monitoring is on: the operator writes the key over
// sparkConf, from that file (else its ConfigMap's, withMonitoring), so a
// layer's value runs only from there.
func metricsConfAlias() sparkAlias {
	return sparkAlias{key: metricsConfKey, role: v1alpha1.RoleDriver, field: "spec.monitoring.metricsPropertiesFile",
		get: metricsPropertiesFile,
		set: func(s *sparkv1beta2.Spec, v string) bool {
			if prometheusOf(s) == nil || v == "" {
				return false
			}
			s.Monitoring.MetricsPropertiesFile = &v
			return true
		},
		clear: func(s *sparkv1beta2.Spec) {
			if s.Monitoring != nil {
				s.Monitoring.MetricsPropertiesFile = nil
			}
		}}
}

// metricsExposed reports whether the operator exposes role's metrics to
// Prometheus: gives its pods the JMX exporter.
func metricsExposed(s *sparkv1beta2.Spec, role v1alpha1.Role) bool {
	if prometheusOf(s) == nil {
		return false
	}
	if role == v1alpha1.RoleDriver {
		return s.Monitoring.ExposeDriverMetrics
	}
	return s.Monitoring.ExposeExecutorMetrics
}

// prometheusPort is the JMX exporter's port and its name.
func prometheusPort(p *sparkv1beta2.Prometheus) (int32, string) {
	port, name := defaultPrometheusPort, defaultPrometheusPortName
	if p.Port != nil {
		port = *p.Port
	}
	if p.PortName != nil {
		name = *p.PortName
	}
	return port, name
}

// withMonitoring sets, in conf, what the operator's Prometheus monitoring
// passes over sparkConf: spark.metrics.conf, the file s names
// (metricsConfAlias) or its ConfigMap's; and for each role whose metrics it
// exposes, Prometheus' annotations (prometheusAnnotations) and the role's
// Java options, its javaOptions, or none, then the JMX exporter's agent. (A
// spark.<role>.extraJavaOptions in sparkConf no longer runs then: the
// typed field the operator writes wins over it; monitoringWarnings.)
func withMonitoring(conf map[string]string, s *sparkv1beta2.Spec) {
	p := prometheusOf(s)
	if p == nil {
		return
	}
	if _, named := metricsPropertiesFile(s); !named {
		conf[metricsConfKey] = prometheusConfigDir + "/metrics.properties"
	}
	agent := javaAgent(p)
	for _, role := range Roles() {
		if !metricsExposed(s, role) {
			continue
		}
		for k, v := range prometheusAnnotations(p) {
			conf["spark.kubernetes."+string(role)+".annotation."+k] = v
		}
		key := "spark." + string(role) + ".extraJavaOptions"
		if opts := s.Pod(string(role)).JavaOptions; opts != nil {
			conf[key] = *opts + " " + agent
		} else {
			conf[key] = agent
		}
	}
}

// prometheusAnnotations are the annotations the operator writes over a
// role's whose metrics it exposes, for Prometheus to scrape them.
func prometheusAnnotations(p *sparkv1beta2.Prometheus) map[string]string {
	port, _ := prometheusPort(p)
	return map[string]string{"prometheus.io/scrape": "true", "prometheus.io/port": fmt.Sprint(port), "prometheus.io/path": "/metrics"}
}

// javaAgent is the Java option of the JMX exporter the operator appends
// to the javaOptions of a role whose metrics it exposes.
func javaAgent(p *sparkv1beta2.Prometheus) string {
	port, _ := prometheusPort(p)
	if p.ConfigFile != nil && *p.ConfigFile != "" {
		return fmt.Sprintf("-javaagent:%s=%d:%s", p.JmxExporterJar, port, *p.ConfigFile)
	}
	return fmt.Sprintf("-javaagent:%s=%d:%s/prometheus.yaml", p.JmxExporterJar, port, prometheusConfigDir)
}

// metricsNamespace is what the operator sets spark.metrics.namespace of
// app to, over sparkConf; false without Prometheus monitoring.
func metricsNamespace(app *sparkv1beta2.SparkApplication) (string, bool) {
	if prometheusOf(&app.Spec) == nil {
		return "", false
	}
	return app.Namespace + "." + app.Name, true
}

// monitoringWarnings warn of the keys the composed app's sparkConf holds
// (the user's, or a layer's a typed field could not take) that the
// operator's Prometheus monitoring writes over: spark.metrics.namespace
// (the application's), spark.metrics.conf (spec.monitoring's file, or its
// ConfigMap's), and spark.<role>.extraJavaOptions of a role whose metrics
// it exposes and whose javaOptions are unset (its Java agent alone).
func monitoringWarnings(app *sparkv1beta2.SparkApplication) []string {
	s := &app.Spec
	if prometheusOf(s) == nil {
		return nil
	}
	var out []string
	noEffect := func(key, passed string) {
		if v, set := s.SparkConf[key]; set {
			out = append(out, fmt.Sprintf("spec.sparkConf[%q] %q has no effect: with spec.monitoring.prometheus set, the Spark Operator passes %s, which wins", key, v, passed))
		}
	}
	if ns, _ := metricsNamespace(app); s.SparkConf[metricsNamespaceKey] != ns {
		noEffect(metricsNamespaceKey, fmt.Sprintf("%q", ns))
	}
	noEffect(metricsConfKey, "spec.monitoring.metricsPropertiesFile, else its ConfigMap's metrics.properties")
	for _, role := range Roles() {
		if metricsExposed(s, role) && s.Pod(string(role)).JavaOptions == nil {
			noEffect("spark."+string(role)+".extraJavaOptions", fmt.Sprintf("spec.%s.javaOptions, unset, with its JMX exporter's Java agent", role))
		}
	}
	return out
}

// withPrometheusExporter gives pod, of role, what the operator gives a pod
// of a role whose metrics it exposes: Prometheus' annotations (written
// over the section's), and, unless both configuration files are the
// image's, its ConfigMap mounted in the Spark container and the exporter's
// port.
func withPrometheusExporter(pod *corev1.Pod, app *sparkv1beta2.SparkApplication, role v1alpha1.Role) {
	s := &app.Spec
	if !metricsExposed(s, role) {
		return
	}
	p := s.Monitoring.Prometheus
	port, portName := prometheusPort(p)
	if pod.Annotations == nil {
		pod.Annotations = map[string]string{}
	}
	maps.Copy(pod.Annotations, prometheusAnnotations(p))
	propertiesFile := s.Monitoring.MetricsPropertiesFile != nil && *s.Monitoring.MetricsPropertiesFile != ""
	if propertiesFile && p.ConfigFile != nil && *p.ConfigFile != "" {
		return
	}
	configMap := app.Name + "-prom-conf"
	pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: configMap + "-vol",
		VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: configMap}}}})
	spark := &pod.Spec.Containers[0]
	spark.VolumeMounts = append(spark.VolumeMounts, corev1.VolumeMount{Name: configMap + "-vol", ReadOnly: true, MountPath: prometheusConfigDir})
	spark.Ports = append(spark.Ports, corev1.ContainerPort{Name: portName, ContainerPort: port, Protocol: corev1.ProtocolTCP})
}
