package policy

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
)

// runtimeClassCheck is isolation's check of a SparkApplication whose pods
// the API server's RuntimeClass plugin would refuse.
const runtimeClassCheck = "runtimeClass"

// AdmitRuntimeClass is mutate.WithRuntimeClass of pod and the RuntimeClass of
// snap it names. When pod names a class snap does not hold (a dry run not
// given the cluster's RuntimeClasses), pod is returned as it is, with a
// note saying it is judged without what the class would add.
func AdmitRuntimeClass(snap *overlay.Snapshot, pod *corev1.Pod) (out *corev1.Pod, note string, err error) {
	name := pod.Spec.RuntimeClassName
	if name == nil {
		return pod, "", nil
	}
	rc, ok := snap.RuntimeClass(*name)
	if !ok {
		return pod, fmt.Sprintf("RuntimeClass %q is not known here: judged without the overhead, node selectors and tolerations the API server gives a pod of it", *name), nil
	}
	if out, err = mutate.WithRuntimeClass(pod, rc); err != nil {
		return nil, "", fmt.Errorf("RuntimeClass %q: %w", *name, err)
	}
	return out, "", nil
}

// runtimeSelects reports whether the RuntimeClass scheduling s selects
// nodes whose label k has the value v.
func runtimeSelects(s *nodev1.Scheduling, k, v string) bool {
	if s == nil {
		return false
	}
	rv, ok := s.NodeSelector[k]
	return ok && rv == v
}

// runtimeScheduled reports whether t is one of the tolerations of the
// RuntimeClass scheduling s, as the plugin merged it into the pod.
func runtimeScheduled(s *nodev1.Scheduling, t *corev1.Toleration) bool {
	return s != nil && mutate.HoldsToleration(s.Tolerations, t)
}
