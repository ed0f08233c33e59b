package mutate

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// Names of the Spark containers, as spark-submit and the Spark Operator create them.
const (
	driverContainer   = v1alpha1.SparkDriverContainer
	executorContainer = v1alpha1.SparkExecutorContainer
)

// sparkContainer returns the index of the pod's Spark container: the one
// named for its role, else the first container; -1 for a pod without
// containers.
func sparkContainer(pod *corev1.Pod, role v1alpha1.Role) int {
	want := executorContainer
	if role == v1alpha1.RoleDriver {
		want = driverContainer
	}
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == want {
			return i
		}
	}
	for i := range pod.Spec.Containers {
		if n := pod.Spec.Containers[i].Name; n == driverContainer || n == executorContainer {
			return i
		}
	}
	if len(pod.Spec.Containers) == 0 {
		return -1
	}
	return 0
}

func isNativeSidecar(c *corev1.Container) bool {
	return c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
}
