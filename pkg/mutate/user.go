package mutate

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/overlay"
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
// DefaultTolerationSeconds plugin, a priorityClassName that is the
// cluster's globalDefault class in pcs (the Priority admission plugin
// writes it on every pod that names no class, before any webhook sees the
// pod), empty strings and empty maps. The strata.dev/layers annotation is
// Strata's own and is not the user's. Its lists are deep copies, never the
// pod's own: provenance keeps them and renders them as text when read,
// after rendering has changed a pod. pcs may be nil: no class is then the
// cluster's default.
func UserConfig(pod *corev1.Pod, pcs PriorityResolver) v1alpha1.Config {
	return userConfigOf(pod, pcs, overlay.FieldSet{})
}

// userConfigOf is UserConfig of the fields in only.
func userConfigOf(pod *corev1.Pod, pcs PriorityResolver, only overlay.FieldSet) v1alpha1.Config {
	u := &userPod{pod: pod, classes: pcs}
	role, _ := SparkRole(pod)
	if i := sparkContainer(pod, role); i >= 0 {
		u.spark = &pod.Spec.Containers[i]
	}
	var c v1alpha1.Config
	for i, row := range podTable() {
		if read := row.user; read != nil && only.Contains(i) {
			read(u, &c)
		}
	}
	return c
}

// cloneAll deep-copies a list; nil for an empty one (unset).
func cloneAll[T any, P interface {
	*T
	DeepCopyInto(*T)
}](in []T) []T {
	if len(in) == 0 {
		return nil
	}
	out := make([]T, len(in))
	for i := range in {
		P(&in[i]).DeepCopyInto(&out[i])
	}
	return out
}

func nonEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// userPriorityClass is the class the user named on pod: none when the pod
// names the cluster's globalDefault class (pcs), which the API server wrote
// there if the user named none. Read so, a layer's default class applies
// to a pod whatever the cluster's global default, in the webhook (which
// sees pods after the Priority plugin) as in the composer (which sees them
// before); a user cannot ask for the global default class over a layer's
// default by naming it.
func userPriorityClass(pod *corev1.Pod, pcs PriorityResolver) string {
	name := pod.Spec.PriorityClassName
	if name == "" || pcs == nil {
		return name
	}
	if pc, ok := pcs.PriorityClass(name); ok && pc.GlobalDefault {
		return ""
	}
	return name
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

// UserWritable reports whether a pod can carry the user's own value of the
// Config field named name (overlay.ConfigField.Name): whether composing a
// pod reads one from it. A field no pod can carry composes from the layers
// alone, the same for every pod of a target.
func UserWritable(name string) bool {
	row, ok := podRowOf()[name]
	return ok && row.user != nil
}
