package mutate

import (
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// renderContainers writes the composed init containers and sidecars.
//
// A container the pod already has (by name, anywhere) is replaced where it
// is, so names stay unique and a second pass changes nothing. New init
// containers go before the first native sidecar; new sidecars go last in
// initContainers with restartPolicy Always (native mode, the default) or
// last in containers (container mode).
func renderContainers(pod *corev1.Pod, c *v1alpha1.Config) {
	native := c.SidecarMode == nil || *c.SidecarMode != v1alpha1.SidecarModeContainer
	for i := range c.InitContainers {
		ic := c.InitContainers[i].DeepCopy()
		ic.RestartPolicy = nil
		if replaceContainer(pod, ic, false) {
			continue
		}
		at := len(pod.Spec.InitContainers)
		for j := range pod.Spec.InitContainers {
			if isNativeSidecar(&pod.Spec.InitContainers[j]) {
				at = j
				break
			}
		}
		pod.Spec.InitContainers = slices.Insert(pod.Spec.InitContainers, at, *ic)
	}
	for i := range c.Sidecars {
		sc := c.Sidecars[i].DeepCopy()
		if replaceContainer(pod, sc, true) {
			continue
		}
		if native {
			sc.RestartPolicy = ptrTo(corev1.ContainerRestartPolicyAlways)
			pod.Spec.InitContainers = append(pod.Spec.InitContainers, *sc)
		} else {
			sc.RestartPolicy = nil
			pod.Spec.Containers = append(pod.Spec.Containers, *sc)
		}
	}
}

// replaceContainer replaces the pod's container named like c, in
// containers or initContainers, and reports whether there was one. A
// sidecar that lands in initContainers is given restartPolicy Always; in
// containers, none.
func replaceContainer(pod *corev1.Pod, c *corev1.Container, sidecar bool) bool {
	for j := range pod.Spec.InitContainers {
		if pod.Spec.InitContainers[j].Name == c.Name {
			if sidecar {
				c.RestartPolicy = ptrTo(corev1.ContainerRestartPolicyAlways)
			}
			pod.Spec.InitContainers[j] = *c
			return true
		}
	}
	for j := range pod.Spec.Containers {
		if pod.Spec.Containers[j].Name == c.Name {
			c.RestartPolicy = nil
			pod.Spec.Containers[j] = *c
			return true
		}
	}
	return false
}

// renderSparkContainer writes the composed env, envFrom and volume mounts
// into the Spark container, and the composed volumes into the pod.
func renderSparkContainer(pod *corev1.Pod, role v1alpha1.Role, c *v1alpha1.Config) {
	pod.Spec.Volumes = upsert(pod.Spec.Volumes, c.Volumes, overlay.VolumeKey, copyInto[corev1.Volume])
	spark := sparkContainer(pod, role)
	if spark < 0 {
		return
	}
	sc := &pod.Spec.Containers[spark]
	sc.Env = upsert(sc.Env, c.Env, overlay.EnvKey, copyInto[corev1.EnvVar])
	sc.EnvFrom = upsert(sc.EnvFrom, c.EnvFrom, overlay.EnvFromKey, copyInto[corev1.EnvFromSource])
	sc.VolumeMounts = upsert(sc.VolumeMounts, c.VolumeMounts, overlay.VolumeMountKey, copyInto[corev1.VolumeMount])
}

// copyInto deep-copies in into out: upsert's copy, which writes each item
// into its place (a DeepCopy would allocate it once more on the way).
func copyInto[T any, P interface {
	*T
	DeepCopyInto(*T)
}](in, out *T) {
	P(in).DeepCopyInto(out)
}
