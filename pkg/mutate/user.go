package mutate

import (
	"maps"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// Values the API server fills in by itself. They count as unset, so that the
// webhook (which sees pods after the API server's defaulting) and the CLI
// (which sees them before) compose the same pod.
const (
	defaultSchedulerName      = corev1.DefaultSchedulerName // "default-scheduler"
	defaultServiceAccountName = "default"
	// defaultTolerationSeconds is what the DefaultTolerationSeconds admission
	// plugin gives the not-ready and unreachable tolerations it adds.
	defaultTolerationSeconds = 300
)

// UserConfig returns what the pod itself sets, in the schema of a layer's
// config: the "user" source of the composition. Values the API server fills
// in by itself count as unset: schedulerName default-scheduler,
// serviceAccountName default, the not-ready/unreachable tolerations of the
// DefaultTolerationSeconds plugin, empty strings and empty maps. The
// strata.dev/layers annotation is Strata's own and is not the user's.
func UserConfig(pod *corev1.Pod) v1alpha1.Config {
	var c v1alpha1.Config
	c.Labels = nonEmpty(maps.Clone(pod.Labels))
	annotations := maps.Clone(pod.Annotations)
	delete(annotations, v1alpha1.LayersAnnotation)
	c.Annotations = nonEmpty(annotations)
	c.NodeSelector = nonEmpty(maps.Clone(pod.Spec.NodeSelector))
	c.PriorityClassName = setUnless(pod.Spec.PriorityClassName, "")
	c.SchedulerName = setUnless(pod.Spec.SchedulerName, defaultSchedulerName)
	sa := pod.Spec.ServiceAccountName
	if sa == "" {
		sa = pod.Spec.DeprecatedServiceAccount //nolint:staticcheck // still read by the API server
	}
	c.ServiceAccountName = setUnless(sa, defaultServiceAccountName)
	for i := range pod.Spec.Tolerations {
		if !IsDefaultToleration(&pod.Spec.Tolerations[i]) {
			c.Tolerations = append(c.Tolerations, *pod.Spec.Tolerations[i].DeepCopy())
		}
	}
	userContainers(&c, pod)
	c.Volumes = cloneAll(pod.Spec.Volumes)
	if role := pod.Annotations[v1alpha1.IAMRoleAnnotation]; role != "" {
		c.IAM = &v1alpha1.IAM{Role: &role}
	}
	return c
}

// userContainers reads the user's sidecars, init containers and the Spark
// container's env, envFrom and mounts. A sidecar is any container but the
// Spark container, native or not: a layer's sidecar of the same name is the
// same container. Its restartPolicy is dropped, as the sidecar mode decides
// it, so a user sidecar and an identical layer sidecar compare equal.
func userContainers(c *v1alpha1.Config, pod *corev1.Pod) {
	role, _ := SparkRole(pod)
	spark := sparkContainer(pod, role)
	for i := range pod.Spec.InitContainers {
		ic := pod.Spec.InitContainers[i].DeepCopy()
		if isNativeSidecar(ic) {
			ic.RestartPolicy = nil
			c.Sidecars = append(c.Sidecars, *ic)
		} else {
			c.InitContainers = append(c.InitContainers, *ic)
		}
	}
	for i := range pod.Spec.Containers {
		if i != spark {
			c.Sidecars = append(c.Sidecars, *pod.Spec.Containers[i].DeepCopy())
		}
	}
	if spark < 0 {
		return
	}
	sc := &pod.Spec.Containers[spark]
	c.Env = cloneAll(sc.Env)
	c.EnvFrom = cloneAll(sc.EnvFrom)
	c.VolumeMounts = cloneAll(sc.VolumeMounts)
}

// cloneAll deep-copies a list; nil for an empty one (unset).
func cloneAll[T any, P interface {
	*T
	DeepCopy() *T
}](in []T) []T {
	if len(in) == 0 {
		return nil
	}
	out := make([]T, len(in))
	for i := range in {
		out[i] = *P(&in[i]).DeepCopy()
	}
	return out
}

func nonEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

func setUnless(v, unset string) *string {
	if v == "" || v == unset {
		return nil
	}
	return &v
}

// IsDefaultToleration reports whether t is one the DefaultTolerationSeconds
// admission plugin adds to every pod.
func IsDefaultToleration(t *corev1.Toleration) bool {
	return (t.Key == corev1.TaintNodeNotReady || t.Key == corev1.TaintNodeUnreachable) &&
		t.Operator == corev1.TolerationOpExists && t.Value == "" &&
		t.Effect == corev1.TaintEffectNoExecute &&
		t.TolerationSeconds != nil && *t.TolerationSeconds == defaultTolerationSeconds
}
