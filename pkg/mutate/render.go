package mutate

import (
	"fmt"
	"maps"
	"strings"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// renderMetadata writes the composed labels and annotations, and the
// strata.dev/layers annotation listing the applied layers (removed when no
// layer applied, so it never claims what did not happen).
func renderMetadata(pod *corev1.Pod, c *v1alpha1.Config, layers []string) {
	if c.Labels != nil {
		pod.Labels = maps.Clone(c.Labels)
	}
	annotations := maps.Clone(c.Annotations)
	if len(layers) > 0 {
		if annotations == nil {
			annotations = map[string]string{}
		}
		annotations[v1alpha1.LayersAnnotation] = strings.Join(layers, ",")
	}
	if annotations == nil {
		// Only Strata's own annotation may be there; drop it.
		delete(pod.Annotations, v1alpha1.LayersAnnotation)
		if len(pod.Annotations) == 0 {
			pod.Annotations = nil
		}
		return
	}
	pod.Annotations = annotations
}

// renderScheduling writes the composed node selector, scheduler, service
// account and priority class name. A field the composition left unset keeps
// whatever the pod has (the API server's default, for instance).
func renderScheduling(pod *corev1.Pod, c *v1alpha1.Config) {
	if c.NodeSelector != nil {
		pod.Spec.NodeSelector = maps.Clone(c.NodeSelector)
	}
	if c.SchedulerName != nil {
		pod.Spec.SchedulerName = *c.SchedulerName
	}
	if c.ServiceAccountName != nil {
		pod.Spec.ServiceAccountName = *c.ServiceAccountName
		if pod.Spec.DeprecatedServiceAccount != "" { //nolint:staticcheck // kept equal, as the API server does
			pod.Spec.DeprecatedServiceAccount = *c.ServiceAccountName //nolint:staticcheck
		}
	}
	if c.PriorityClassName != nil {
		pod.Spec.PriorityClassName = *c.PriorityClassName
	}
}

// renderRuntimeClassName sets the composed RuntimeClass; "" names none
// (the node's default runtime), as the API server refuses an empty name.
func renderRuntimeClassName(pod *corev1.Pod, c *v1alpha1.Config) {
	switch {
	case c.RuntimeClassName == nil:
	case *c.RuntimeClassName == "":
		pod.Spec.RuntimeClassName = nil
	default:
		pod.Spec.RuntimeClassName = new(*c.RuntimeClassName)
	}
}

// renderTolerations merges the composed tolerations into the pod's list by
// key/effect: a pod toleration the composition holds is replaced in place,
// and new ones are appended in composition order. The pod's own order is
// kept, so the patch stays minimal.
func renderTolerations(pod *corev1.Pod, c *v1alpha1.Config) {
	pod.Spec.Tolerations = upsert(pod.Spec.Tolerations, c.Tolerations, overlay.TolerationKey, copyInto[corev1.Toleration])
}

// PriorityResolver looks up PriorityClasses; *overlay.Snapshot is one.
type PriorityResolver interface {
	PriorityClass(name string) (*schedulingv1.PriorityClass, bool)
	GlobalDefaultPriorityClass() (*schedulingv1.PriorityClass, bool)
	// PriorityClassesPartial reports whether the resolver may lack some
	// of the cluster's classes (a dry run of a repository that does not
	// hold them).
	PriorityClassesPartial() bool
}

// renderPriority makes spec.priority and spec.preemptionPolicy agree with
// the pod's priority class when the composition changed the class. The API
// server's Priority admission plugin resolves them from the class the pod
// arrived with, before any webhook runs, so a webhook that changes the class
// must resolve them itself (as the Spark Operator's webhook does). A class
// that does not exist is an error: the pod would otherwise run at the
// priority of a class it no longer names. Where the resolver may lack some
// of the cluster's classes (a dry run), a class it does not hold is not
// an error: spec.priority and spec.preemptionPolicy are left out, and the
// note returned says the webhook resolves them from the cluster.
func renderPriority(pod *corev1.Pod, before string, pcs PriorityResolver) (note string, err error) {
	name := pod.Spec.PriorityClassName
	if name == before {
		return "", nil
	}
	var (
		pc *schedulingv1.PriorityClass
		ok bool
	)
	if name == "" {
		pc, ok = pcs.GlobalDefaultPriorityClass()
		if !ok {
			pod.Spec.Priority = ptrTo(int32(0))
			pod.Spec.PreemptionPolicy = ptrTo(corev1.PreemptLowerPriority)
			return "", nil
		}
	} else if pc, ok = pcs.PriorityClass(name); !ok {
		if pcs.PriorityClassesPartial() {
			pod.Spec.Priority, pod.Spec.PreemptionPolicy = nil, nil
			return fmt.Sprintf("spec.priorityClassName: PriorityClass %q is not in the inputs (add it with --cluster-config, or read the cluster with --kubeconfig); "+
				"spec.priority and spec.preemptionPolicy are left out: the webhook resolves them from the cluster", name), nil
		}
		return "", fmt.Errorf("spec.priorityClassName: PriorityClass %q not found", name)
	}
	pod.Spec.Priority = ptrTo(pc.Value)
	policy := corev1.PreemptLowerPriority
	if pc.PreemptionPolicy != nil {
		policy = *pc.PreemptionPolicy
	}
	pod.Spec.PreemptionPolicy = &policy
	return "", nil
}

func ptrTo[T any](v T) *T { return &v }
