package mutate

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// Names of the Spark containers, as spark-submit and the Spark Operator create them.
const (
	driverContainer   = v1alpha1.SparkDriverContainer
	executorContainer = v1alpha1.SparkExecutorContainer
)

// sparkContainer returns the index of the pod's Spark container, as Spark
// built the pod: the one named for its role (Spark's default name, and the
// one the Spark Operator has Spark select in a template), else named for
// the other role; else the first that runs Spark's entrypoint for the role
// (the argument "driver" or "executor") with the variable Spark gives only
// its own container of the role (sparkOwnVariable); else the first
// container; -1 for a pod without containers.
//
// The two find a Spark container a pod template named otherwise:
// Spark keeps the template's name and appends its container after the
// template's others, so a template of [main, log-shipper] makes a pod of
// [log-shipper, main], whose first container is not Spark's. A Spark
// Connect server is started by the operator, not by Spark: its container
// is the named one, else the first, as the operator picks it.
func sparkContainer(pod *corev1.Pod, role v1alpha1.Role) int {
	want := sparkContainerName(role)
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
	if pod.Labels[v1alpha1.RoleLabel] != v1alpha1.ConnectServerRoleValue {
		own := sparkOwnVariable(role)
		for i := range pod.Spec.Containers {
			c := &pod.Spec.Containers[i]
			if slices.Contains(c.Args, string(role)) && slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == own }) {
				return i
			}
		}
	}
	return 0
}

// sparkContainerName is the name Spark gives its container of a pod of
// role.
func sparkContainerName(role v1alpha1.Role) string {
	if role == v1alpha1.RoleDriver {
		return driverContainer
	}
	return executorContainer
}

// sparkOwnVariable is the environment variable Spark sets in the Spark
// container of a pod of role, and in no other container: the executor's
// id, or the address the driver binds to (each of Spark's Basic*FeatureStep
// since Spark 2.3). A layer's container may not set it (Layer
// validation), so composition never moves the Spark container to one it
// adds.
func sparkOwnVariable(role v1alpha1.Role) string {
	if role == v1alpha1.RoleExecutor {
		return v1alpha1.SparkExecutorIDVariable
	}
	return v1alpha1.SparkDriverBindAddressVariable
}

// movedSparkContainer is the error of a composition that would not keep
// the written pod's Spark container as its Spark container: a layer's
// sidecar or init container of its name (one a pod template named
// otherwise, which the layers' names do not avoid), which would replace
// it, Spark's arguments, environment and resources with it; or a podPatch
// that adds a container of Spark's name ahead of it, or gives one Spark's
// own variable, after which the webhook's second pass (reinvocation) and
// the validator's recomposition of the stored pod would render the
// layers' env, mounts and Secrets into another container, and composing
// twice would not be composing once.
func movedSparkContainer(written, composed *corev1.Pod, role v1alpha1.Role, comp *overlay.Result) error {
	was := sparkContainer(written, role)
	if was < 0 {
		return nil
	}
	spark := written.Spec.Containers[was].Name
	if err := replacesSparkContainer(spark, comp); err != nil {
		return err
	}
	is := sparkContainer(composed, role)
	if is >= 0 && composed.Spec.Containers[is].Name == spark {
		return nil
	}
	by := "a layer's container"
	if len(comp.PodPatches) > 0 {
		by = patchSources(comp.PodPatches)
	}
	name := ""
	if is >= 0 {
		name = composed.Spec.Containers[is].Name
	}
	return invalidComposition(fmt.Errorf("spec.containers[%s]: would be taken for the pod's Spark container, which is %q: Spark's container is the one named %s or %s, else the one Spark starts with its argument for the role and %s or %s (%s)",
		name, spark, driverContainer, executorContainer,
		v1alpha1.SparkDriverBindAddressVariable, v1alpha1.SparkExecutorIDVariable, by))
}

// replacesSparkContainer is the error of a composition whose sidecars or
// init containers hold a layer's named spark, the Spark container's name,
// which would replace it, Spark's arguments, environment and resources
// with it.
func replacesSparkContainer(spark string, comp *overlay.Result) error {
	for _, list := range []struct {
		path, what string
		containers []corev1.Container
	}{{overlay.PathSidecars, "sidecar", comp.Config.Sidecars}, {overlay.PathInitContainers, "init container", comp.Config.InitContainers}} {
		for i := range list.containers {
			if spark == "" || list.containers[i].Name != spark {
				continue
			}
			by := "a layer"
			if src, ok := comp.Provenance.WinnerOf(overlay.ElementKey(list.path, spark)); ok {
				if src.IsUser() {
					continue // a SparkApplication's own sidecar, which the operator does not add over it
				}
				by = src.String()
			}
			return invalidComposition(fmt.Errorf("spec.containers[%s]: a layer's %s of that name would replace the pod's Spark container, and Spark's arguments, environment and resources with it: name the %s otherwise (%s)",
				spark, list.what, list.what, by))
		}
	}
	return nil
}

// templateSparkContainer is the index of the Spark container of a pod
// template's containers, as Spark picks it (KubernetesUtils.
// selectSparkContainer) with the container name the Spark Operator gives
// it: the one named for role, else the first; -1 for none.
func templateSparkContainer(containers []corev1.Container, role v1alpha1.Role) int {
	if len(containers) == 0 {
		return -1
	}
	want := sparkContainerName(role)
	if i := slices.IndexFunc(containers, func(c corev1.Container) bool { return c.Name == want }); i >= 0 {
		return i
	}
	return 0
}

func isNativeSidecar(c *corev1.Container) bool {
	return c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
}
