package e2e

import (
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// TestLayerSidecarsAreJudgedAsTheAPIServerJudgesPods: a Layer's sidecar
// is refused exactly when the real API server refuses a pod that runs it
// as a sidecar, and at the same field: its probes, lifecycle hooks,
// environment sources and host ports, as written and after the API
// server's defaulting. Both are dry runs, so nothing is stored.
func TestLayerSidecarsAreJudgedAsTheAPIServerJudgesPods(t *testing.T) {
	ctx := context.Background()
	namespace := exemptNamespace(t) // no Strata webhook judges its plain pods
	exec := corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}}
	envFrom := func(src corev1.EnvVarSource) []corev1.EnvVar { return []corev1.EnvVar{{Name: "X", ValueFrom: &src}} }
	tests := []struct {
		name    string
		sidecar corev1.Container
		refused string // the field the API server names; "" for allowed
	}{
		{name: "probes, hooks and sources the API server takes", sidecar: corev1.Container{
			ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromString("metrics")}}, SuccessThreshold: 3},
			LivenessProbe:  &corev1.Probe{ProbeHandler: exec, TerminationGracePeriodSeconds: ptr(int64(5))},
			StartupProbe:   &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(9102)}}},
			Lifecycle:      &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 5}}},
			Ports:          []corev1.ContainerPort{{Name: "metrics", ContainerPort: 9102, HostPort: 9102}, {ContainerPort: 9103, HostPort: 9102, Protocol: corev1.ProtocolUDP}},
			Env: []corev1.EnvVar{
				{Name: "NODE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}},
				{Name: "HOSTNAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.host"}}},
				{Name: "HOST", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.hostIPs"}}},
				{Name: "APP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels['spark-app-selector']"}}},
				{Name: "NOTE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.annotations['Example.com/Note']"}}},
				{Name: "MEM", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.memory", Divisor: resource.MustParse("1Mi")}}},
				{Name: "CPU", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "requests.cpu", Divisor: resource.MustParse("1m")}}},
				{Name: "HUGE", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "requests.hugepages-2Mi"}}},
				{Name: "CONF", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "conf"}, Key: "log.level"}}},
			},
		}},
		{name: "a probe of no handler", refused: "readinessProbe",
			sidecar: corev1.Container{ReadinessProbe: &corev1.Probe{PeriodSeconds: 5}}},
		{name: "a probe of two handlers", refused: "livenessProbe.tcpSocket",
			sidecar: corev1.Container{LivenessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: exec.Exec, TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(80)}}}}},
		{name: "a liveness probe that must succeed twice", refused: "livenessProbe.successThreshold",
			sidecar: corev1.Container{LivenessProbe: &corev1.Probe{ProbeHandler: exec, SuccessThreshold: 2}}},
		{name: "a startup probe that must succeed twice", refused: "startupProbe.successThreshold",
			sidecar: corev1.Container{StartupProbe: &corev1.Probe{ProbeHandler: exec, SuccessThreshold: 2}}},
		{name: "a negative period", refused: "startupProbe.periodSeconds",
			sidecar: corev1.Container{StartupProbe: &corev1.Probe{ProbeHandler: exec, PeriodSeconds: -1}}},
		{name: "an HTTP probe of no port", refused: "readinessProbe.httpGet.port",
			sidecar: corev1.Container{ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready"}}}}},
		{name: "a TCP probe of a bad port name", refused: "readinessProbe.tcpSocket.port",
			sidecar: corev1.Container{ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString("Metrics_Port")}}}}},
		{name: "a readiness probe of its own grace period", refused: "readinessProbe.terminationGracePeriodSeconds",
			sidecar: corev1.Container{ReadinessProbe: &corev1.Probe{ProbeHandler: exec, TerminationGracePeriodSeconds: ptr(int64(5))}}},
		{name: "a hook of no command", refused: "lifecycle.preStop.exec.command",
			sidecar: corev1.Container{Lifecycle: &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{}}}}},
		{name: "a hook of no handler", refused: "lifecycle.postStart",
			sidecar: corev1.Container{Lifecycle: &corev1.Lifecycle{PostStart: &corev1.LifecycleHandler{}}}},
		{name: "a hook sleeping a negative time", refused: "lifecycle.preStop.sleep",
			sidecar: corev1.Container{Lifecycle: &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: -1}}}}},
		{name: "an env of no source", refused: "env[0].valueFrom",
			sidecar: corev1.Container{Env: envFrom(corev1.EnvVarSource{})}},
		{name: "an env of two sources", refused: "env[0].valueFrom",
			sidecar: corev1.Container{Env: envFrom(corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"},
				SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "s"}, Key: "k"}})}},
		{name: "an env of a pod field it cannot read", refused: "env[0].valueFrom.fieldRef.fieldPath",
			sidecar: corev1.Container{Env: envFrom(corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.phase"}})}},
		{name: "an env of another API version", refused: "env[0].valueFrom.fieldRef.fieldPath",
			sidecar: corev1.Container{Env: envFrom(corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v2", FieldPath: "metadata.name"}})}},
		{name: "an env of a label of a bad key", refused: "env[0].valueFrom.fieldRef",
			sidecar: corev1.Container{Env: envFrom(corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels['a b']"}})}},
		{name: "an env of a resource it cannot read", refused: "env[0].valueFrom.resourceFieldRef.resource",
			sidecar: corev1.Container{Env: envFrom(corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.nvidia.com/gpu"}})}},
		{name: "an env of a CPU in mebibytes", refused: "env[0].valueFrom.resourceFieldRef.divisor",
			sidecar: corev1.Container{Env: envFrom(corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.cpu", Divisor: resource.MustParse("1Mi")}})}},
		{name: "an env of a ConfigMap of no name", refused: "env[0].valueFrom.configMapKeyRef.name",
			sidecar: corev1.Container{Env: envFrom(corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{Key: "k"}})}},
		{name: "an env of a Secret's bad key", refused: "env[0].valueFrom.secretKeyRef.key",
			sidecar: corev1.Container{Env: envFrom(corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "s"}, Key: "a/b"}})}},
		{name: "an env of a key of no file", refused: "env[0].valueFrom.fileKeyRef.path",
			sidecar: corev1.Container{Env: envFrom(corev1.EnvVarSource{FileKeyRef: &corev1.FileKeySelector{VolumeName: "conf", Key: "LEVEL"}})}},
		{name: "an env of a file above its volume", refused: "env[0].valueFrom.fileKeyRef.path",
			sidecar: corev1.Container{Env: envFrom(corev1.EnvVarSource{FileKeyRef: &corev1.FileKeySelector{VolumeName: "conf", Path: "../etc/env", Key: "LEVEL"}})}},
		{name: "an env of a field read by key that has none", refused: "env[0].valueFrom.fieldRef.fieldPath",
			sidecar: corev1.Container{Env: envFrom(corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name['x']"}})}},
		{name: "env from a ConfigMap and a Secret by names the API server takes", sidecar: corev1.Container{EnvFrom: []corev1.EnvFromSource{
			{Prefix: "conf.", ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "spark-conf-"}}},
			{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}}}}}},
		{name: "env from a ConfigMap of a bad name", refused: "envFrom[0].configMapRef.name", sidecar: corev1.Container{EnvFrom: []corev1.EnvFromSource{
			{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "Spark_Conf"}}}}}},
		{name: "env from a Secret of no name", refused: "envFrom[0].secretRef.name", sidecar: corev1.Container{EnvFrom: []corev1.EnvFromSource{
			{SecretRef: &corev1.SecretEnvSource{}}}}},
		{name: "env from of a prefix with =", refused: "envFrom[0].prefix", sidecar: corev1.Container{EnvFrom: []corev1.EnvFromSource{
			{Prefix: "A=", SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}}}}}},
		{name: "env from of both sources", refused: "envFrom", sidecar: corev1.Container{EnvFrom: []corev1.EnvFromSource{
			{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "conf"}},
				SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}}}}}},
		{name: "a security context, pull policy and mounts the API server takes", sidecar: corev1.Container{
			ImagePullPolicy: corev1.PullAlways, TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
			SecurityContext: &corev1.SecurityContext{RunAsUser: ptr(int64(1000)), AllowPrivilegeEscalation: ptr(false),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
			VolumeMounts: []corev1.VolumeMount{{Name: "data", MountPath: "/logs", SubPath: "logs", ReadOnly: true, RecursiveReadOnly: ptr(corev1.RecursiveReadOnlyIfPossible)},
				{Name: "data", MountPath: "/in", SubPathExpr: "$(POD_NAME)", MountPropagation: ptr(corev1.MountPropagationHostToContainer)}}}},
		{name: "a pull policy of none known", refused: "imagePullPolicy", sidecar: corev1.Container{ImagePullPolicy: "Sometimes"}},
		{name: "a termination message policy of none known", refused: "terminationMessagePolicy", sidecar: corev1.Container{TerminationMessagePolicy: "Log"}},
		{name: "a negative user", refused: "securityContext.runAsUser", sidecar: corev1.Container{SecurityContext: &corev1.SecurityContext{RunAsUser: ptr(int64(-1))}}},
		{name: "a negative group", refused: "securityContext.runAsGroup", sidecar: corev1.Container{SecurityContext: &corev1.SecurityContext{RunAsGroup: ptr(int64(-1))}}},
		{name: "a localhost seccomp profile of no file", refused: "securityContext.seccompProfile.localhostProfile",
			sidecar: corev1.Container{SecurityContext: &corev1.SecurityContext{SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeLocalhost}}}},
		{name: "a sub-path above the volume", refused: "volumeMounts.subPath",
			sidecar: corev1.Container{VolumeMounts: []corev1.VolumeMount{{Name: "data", MountPath: "/logs", SubPath: "../etc"}}}},
		{name: "a sub-path and a sub-path expression", refused: "volumeMounts[0].subPathExpr",
			sidecar: corev1.Container{VolumeMounts: []corev1.VolumeMount{{Name: "data", MountPath: "/logs", SubPath: "a", SubPathExpr: "$(POD_NAME)"}}}},
		{name: "a mount propagation of none known", refused: "volumeMounts.mountPropagation",
			sidecar: corev1.Container{VolumeMounts: []corev1.VolumeMount{{Name: "data", MountPath: "/logs", MountPropagation: ptr(corev1.MountPropagationMode("Sideways"))}}}},
		{name: "a bidirectional mount of a container not privileged", refused: "volumeMounts.mountPropagation",
			sidecar: corev1.Container{VolumeMounts: []corev1.VolumeMount{{Name: "data", MountPath: "/logs", MountPropagation: ptr(corev1.MountPropagationBidirectional)}}}},
		{name: "a recursive read-only mount that is not read-only", refused: "volumeMounts.recursiveReadOnly",
			sidecar: corev1.Container{VolumeMounts: []corev1.VolumeMount{{Name: "data", MountPath: "/logs", RecursiveReadOnly: ptr(corev1.RecursiveReadOnlyEnabled)}}}},
		{name: "one host port twice", refused: "ports[1].hostPort",
			sidecar: corev1.Container{Ports: []corev1.ContainerPort{{ContainerPort: 80, HostPort: 8080}, {ContainerPort: 81, HostPort: 8080, Protocol: corev1.ProtocolTCP}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.sidecar
			c.Name, c.Image = "agent", "busybox:1.36"
			var volumes []corev1.Volume // what the sidecar mounts
			if len(c.VolumeMounts) > 0 {
				volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
			}
			layer := &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "sidecar-rules"}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.ClusterDefaults,
				Match: v1alpha1.Match{Namespaces: []string{"sidecar-rules"}}, Config: &v1alpha1.Config{Sidecars: []corev1.Container{c}, Volumes: volumes}}}
			layerField := causeField(cp.Client.Create(ctx, layer, client.DryRunAll))
			c.RestartPolicy = ptr(corev1.ContainerRestartPolicyAlways)
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "sidecar-rules", Namespace: namespace},
				Spec: corev1.PodSpec{InitContainers: []corev1.Container{c}, Containers: []corev1.Container{{Name: "main", Image: "busybox:1.36"}}, Volumes: volumes}}
			podField := causeField(cp.Client.Create(ctx, pod, client.DryRunAll))
			if want := prefixed("spec.initContainers[0]", tt.refused); podField != want {
				t.Fatalf("the API server: refused at %q, want %q (the case is wrong)", podField, want)
			}
			if want := prefixed("spec.config.sidecars[0]", tt.refused); layerField != want {
				t.Errorf("the Layer: refused at %q, want %q, where the API server refuses the pod", layerField, want)
			}
		})
	}
}

// causeField is the field of the first cause of an Invalid error, "" for
// none, and the error itself for any other.
func causeField(err error) string {
	if err == nil {
		return ""
	}
	var status apierrors.APIStatus
	if !apierrors.IsInvalid(err) || !errors.As(err, &status) || status.Status().Details == nil || len(status.Status().Details.Causes) == 0 {
		return "not an Invalid with causes: " + err.Error()
	}
	return status.Status().Details.Causes[0].Field
}

// prefixed is field under prefix, "" for no field.
func prefixed(prefix, field string) string {
	if field == "" {
		return ""
	}
	return prefix + "." + strings.TrimPrefix(field, ".")
}
