package mutate

import (
	"maps"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay/sparkvalue"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// Labels the Spark Operator and Spark put on an application's pods.
const (
	operatorAppNameLabel    = "sparkoperator.k8s.io/app-name"
	operatorLaunchedByLabel = "sparkoperator.k8s.io/launched-by-spark-operator"
	sparkAppSelectorLabel   = "spark-app-selector"
)

// LaunchedPod is the pod of role the Spark Operator and Spark create from
// a SparkApplication: the section's settings where the operator puts them
// (labels and annotations, node selectors, tolerations, service account,
// scheduler, priority class, the Spark container's env, envFrom and
// mounts, sidecars, init containers, and the application's volumes the
// Spark container mounts), the Spark container sized as Spark sizes it
// (SizeOf), and the labels Spark adds. The composition of a composed
// application's pod is empty (TestLaunchedPodsComposeToNothing), and the
// validating webhook judges an application by its launched pods. It
// reports false for a size Spark would not accept.
func LaunchedPod(app *sparkv1beta2.SparkApplication, role v1alpha1.Role) (*corev1.Pod, error) {
	size, err := SizeOf(&app.Spec)
	if err != nil {
		return nil, err
	}
	s := &app.Spec
	sec := s.Pod(string(role))
	pod := templatePod(app, role)
	pod.Labels[operatorAppNameLabel] = app.Name
	pod.Labels[operatorLaunchedByLabel] = "true"
	pod.Labels[sparkAppSelectorLabel] = "spark-" + app.Name
	ps := size.Driver
	if role == v1alpha1.RoleExecutor {
		ps = size.Executor
		pod.Name = app.Name + "-exec-1"
		pod.Labels["spark-exec-id"] = "1"
	}
	if pod.Spec.ServiceAccountName == "" {
		pod.Spec.ServiceAccountName = defaultServiceAccountName
	}
	pod.Spec.RestartPolicy = corev1.RestartPolicyNever
	// The operator adds the volumes the Spark container mounts, no other.
	mounted := map[string]bool{}
	for _, m := range sec.VolumeMounts {
		mounted[m.Name] = true
	}
	pod.Spec.Volumes = slices.DeleteFunc(pod.Spec.Volumes, func(v corev1.Volume) bool { return !mounted[v.Name] })
	if len(pod.Spec.Volumes) == 0 {
		pod.Spec.Volumes = nil
	}
	spark := &pod.Spec.Containers[0]
	mem := *resource.NewQuantity(ps.MemoryBytes, resource.BinarySI)
	spark.Resources.Requests = corev1.ResourceList{
		corev1.ResourceCPU:    *resource.NewMilliQuantity(ps.CPUMilli, resource.DecimalSI),
		corev1.ResourceMemory: mem,
	}
	spark.Resources.Limits = corev1.ResourceList{corev1.ResourceMemory: mem}
	lim, ok, err := sparkvalue.Conf(EffectiveConf(s)).CPU("spark.kubernetes." + string(role) + ".limit.cores")
	if err != nil {
		return nil, err
	}
	if ok {
		spark.Resources.Limits[corev1.ResourceCPU] = lim
	}
	spark.Env = append(spark.Env, corev1.EnvVar{Name: "SPARK_USER", Value: "spark"},
		corev1.EnvVar{Name: "SPARK_APPLICATION_ID", Value: "spark-" + app.Name})
	if role == v1alpha1.RoleExecutor {
		spark.Env = append(spark.Env, corev1.EnvVar{Name: "SPARK_EXECUTOR_ID", Value: strconv.Itoa(1)})
	}
	pod.Annotations = maps.Clone(pod.Annotations)
	return pod, nil
}
