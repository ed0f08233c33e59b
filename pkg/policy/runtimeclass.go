package policy

import (
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	"k8s.io/apimachinery/pkg/api/equality"

	"github.com/strata-dev/strata/pkg/overlay"
)

// runtimeClassCheck is isolation's check of a SparkApplication whose pods
// the API server's RuntimeClass plugin would refuse.
const runtimeClassCheck = "runtimeClass"

// WithRuntimeClass returns pod as the API server's RuntimeClass admission
// plugin leaves it, before any webhook, when it names rc: the class's
// overhead as the pod's (counted by quota), the node selectors of its
// scheduling added to the pod's, its tolerations merged with the pod's.
// The composer applies it to a pod, and Check.App to the pods an
// application launches, so that what they judge is what the webhook will
// be sent. The errors are the plugin's refusals: an overhead other than
// the class's, a node selector the class gives another value. pod is not
// changed; with no class it is returned as it is.
func WithRuntimeClass(pod *corev1.Pod, rc *nodev1.RuntimeClass) (*corev1.Pod, error) {
	if rc == nil || (rc.Overhead == nil && rc.Scheduling == nil) {
		return pod, nil
	}
	out := pod.DeepCopy()
	if o := rc.Overhead; o != nil {
		if len(out.Spec.Overhead) > 0 && !equality.Semantic.DeepEqual(o.PodFixed, out.Spec.Overhead) {
			return nil, fmt.Errorf("pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead")
		}
		out.Spec.Overhead = o.PodFixed.DeepCopy()
	}
	if s := rc.Scheduling; s != nil {
		if len(s.NodeSelector) > 0 && out.Spec.NodeSelector == nil {
			out.Spec.NodeSelector = map[string]string{}
		}
		for _, k := range slices.Sorted(maps.Keys(s.NodeSelector)) {
			v := s.NodeSelector[k]
			if podValue, ok := out.Spec.NodeSelector[k]; ok && podValue != v {
				return nil, fmt.Errorf("conflict: runtimeClass.scheduling.nodeSelector[%s] = %s; pod.spec.nodeSelector[%s] = %s", k, v, k, podValue)
			}
			out.Spec.NodeSelector[k] = v
		}
		out.Spec.Tolerations = mergeTolerations(out.Spec.Tolerations, s.Tolerations)
	}
	return out, nil
}

// AdmitRuntimeClass is WithRuntimeClass of pod and the RuntimeClass of
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
	if out, err = WithRuntimeClass(pod, rc); err != nil {
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
	return s != nil && holdsToleration(s.Tolerations, t)
}

// holdsToleration reports whether ts holds t, field for field.
func holdsToleration(ts []corev1.Toleration, t *corev1.Toleration) bool {
	return slices.ContainsFunc(ts, func(x corev1.Toleration) bool { return sameToleration(&x, t) })
}

// sameToleration is equality.Semantic.DeepEqual of two tolerations,
// field by field, without reflection.
func sameToleration(a, b *corev1.Toleration) bool {
	return a.Key == b.Key && a.Operator == b.Operator && a.Value == b.Value && a.Effect == b.Effect &&
		(a.TolerationSeconds == nil) == (b.TolerationSeconds == nil) &&
		(a.TolerationSeconds == nil || *a.TolerationSeconds == *b.TolerationSeconds)
}

// mergeTolerations is the RuntimeClass plugin's merge of the pod's
// tolerations (first) with the class's (second): each once, in order,
// without one another of them covers. It follows
// k8s.io/kubernetes/pkg/util/tolerations.MergeTolerations, which is not a
// library Kubernetes publishes (k8s.io/kubernetes is not meant to be
// imported), on the v1 types.
func mergeTolerations(first, second []corev1.Toleration) []corev1.Toleration {
	all := slices.Concat(first, second)
	var merged []corev1.Toleration
next:
	for i := range all {
		t := &all[i]
		for j := range merged {
			if covers(&merged[j], t) {
				continue next
			}
		}
		for j := i + 1; j < len(all); j++ {
			// Of two equal tolerations, the first is kept.
			if !sameToleration(t, &all[j]) && covers(&all[j], t) {
				continue next
			}
		}
		merged = append(merged, *t)
	}
	return merged
}

// covers reports whether the toleration ss tolerates every taint t does
// (the plugin's isSuperset). Both are pairwise over the pod's tolerations,
// which mutate.CheckSize bounds (MaxTolerations).
func covers(ss, t *corev1.Toleration) bool {
	if sameToleration(t, ss) {
		return true
	}
	if t.Key != ss.Key && (ss.Key != "" || ss.Operator != corev1.TolerationOpExists) {
		return false // an empty key with Exists matches every key
	}
	if t.Effect != ss.Effect && ss.Effect != "" {
		return false // an empty effect matches every effect
	}
	if ss.Effect == corev1.TaintEffectNoExecute && ss.TolerationSeconds != nil &&
		(t.TolerationSeconds == nil || *t.TolerationSeconds > *ss.TolerationSeconds) {
		return false
	}
	switch ss.Operator {
	case corev1.TolerationOpEqual, "":
		return t.Operator == corev1.TolerationOpEqual && t.Value == ss.Value
	case corev1.TolerationOpExists:
		return true
	}
	return false
}
