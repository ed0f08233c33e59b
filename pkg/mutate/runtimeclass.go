package mutate

import (
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	"k8s.io/apimachinery/pkg/api/equality"

	"github.com/strata-dev/strata/pkg/overlay"
)

// RuntimeClassResolver looks up RuntimeClasses; *overlay.Snapshot is one.
type RuntimeClassResolver interface {
	RuntimeClass(name string) (*nodev1.RuntimeClass, bool)
	// RuntimeClassesPartial reports whether the resolver may lack some
	// of the cluster's classes (a dry run of a repository that does not
	// hold them).
	RuntimeClassesPartial() bool
}

// renderRuntimeClass gives pod what the API server's RuntimeClass
// admission plugin gives a pod of its class, when composition changed the
// class from the one the pod arrived with (before). The plugin runs before
// any webhook, on the class the pod arrived with, and refuses a pod whose
// overhead is not its class's; so a webhook that changes the class must do
// what the plugin does itself. The pod is composed from what it arrived
// with less what that class gave it (withoutClassScheduling, renderWith);
// here its overhead goes too. Then the new class's overhead, node
// selectors and tolerations are added, as the plugin adds them: a node
// selector the class gives another value than the pod's is the plugin's
// refusal. A class that does not exist is an error (the plugin refuses the
// pod); where the resolver may lack some of the cluster's classes (a dry
// run), the note returned says what is left to the webhook. A pod that
// keeps its class is refused when composition gave a node selector of the
// class another value (keptClassConflict).
func renderRuntimeClass(pod *corev1.Pod, before *string, prov *overlay.Provenance, classes RuntimeClassResolver) (note string, err error) {
	now := pod.Spec.RuntimeClassName
	if sameClass(now, before) {
		return "", keptClassConflict(pod, prov, classes)
	}
	pod.Spec.Overhead = nil // only ever its class's: the plugin refuses any other
	if now == nil {
		return "", nil
	}
	rc, ok := classes.RuntimeClass(*now)
	if !ok {
		if classes.RuntimeClassesPartial() {
			return fmt.Sprintf("spec.runtimeClassName: RuntimeClass %q is not in the inputs (add it with --cluster-config, or read the cluster with --kubeconfig); "+
				"its overhead, node selectors and tolerations are left out: the webhook adds them from the cluster", *now), nil
		}
		return "", fmt.Errorf("spec.runtimeClassName: RuntimeClass %q not found", *now)
	}
	with, err := WithRuntimeClass(pod, rc)
	if err != nil {
		return "", invalidComposition(fmt.Errorf("spec.runtimeClassName: RuntimeClass %q: %w", *now, err))
	}
	*pod = *with
	return "", nil
}

// withoutClassScheduling is pod as it arrived before the API server's
// RuntimeClass plugin added what the class it names gives: without the
// node selectors of the class's scheduling it holds at the class's value
// and without the tolerations the class holds. The plugin does not record
// what it added, so a value the tenant wrote equal to the class's goes
// too, as it would with the class gone. Composing that pod lets every
// layer give what it gives: a default fills a key the class had held, an
// override's value stays. nil when the pod names no class, its class is
// not known, or the pod holds nothing of its class's scheduling. pod is
// not changed; the copy shares all but the node selector and tolerations.
func withoutClassScheduling(pod *corev1.Pod, classes RuntimeClassResolver) *corev1.Pod {
	s := classScheduling(pod, classes)
	if s == nil {
		return nil
	}
	givenSelector := func(k, v string) bool {
		cv, ok := s.NodeSelector[k]
		return ok && cv == v
	}
	givenToleration := func(t corev1.Toleration) bool { return HoldsToleration(s.Tolerations, &t) }
	selectorHeld := false
	for k, v := range pod.Spec.NodeSelector {
		if givenSelector(k, v) {
			selectorHeld = true
			break
		}
	}
	if !selectorHeld && !slices.ContainsFunc(pod.Spec.Tolerations, givenToleration) {
		return nil
	}
	bare := *pod
	bare.Spec.NodeSelector = maps.Clone(pod.Spec.NodeSelector)
	maps.DeleteFunc(bare.Spec.NodeSelector, givenSelector)
	if len(bare.Spec.NodeSelector) == 0 {
		bare.Spec.NodeSelector = nil
	}
	bare.Spec.Tolerations = slices.DeleteFunc(slices.Clone(pod.Spec.Tolerations), givenToleration)
	if len(bare.Spec.Tolerations) == 0 {
		bare.Spec.Tolerations = nil
	}
	return &bare
}

// keptClassConflict is the refusal of a pod that keeps the class it
// arrived with when composition gave one of the node selectors of the
// class's scheduling another value: a layer's override of a key the class
// sets. The API server's plugin, run again after the webhooks, refuses
// that pod; this says which layer set the value. nil when there is none,
// or the class is not known.
func keptClassConflict(pod *corev1.Pod, prov *overlay.Provenance, classes RuntimeClassResolver) error {
	s := classScheduling(pod, classes)
	if s == nil {
		return nil
	}
	name := pod.Spec.RuntimeClassName
	for _, k := range slices.Sorted(maps.Keys(s.NodeSelector)) {
		v := s.NodeSelector[k]
		if podValue, ok := pod.Spec.NodeSelector[k]; ok && podValue != v {
			by := ""
			if w, ok := prov.WinnerOf(overlay.MapKey(overlay.PathNodeSelector, k)); ok {
				by = ", set by " + w.String()
			}
			return invalidComposition(fmt.Errorf("spec.runtimeClassName: RuntimeClass %q: conflict: runtimeClass.scheduling.nodeSelector[%s] = %s; pod.spec.nodeSelector[%s] = %s%s",
				*name, k, v, k, podValue, by))
		}
	}
	return nil
}

// classScheduling is the scheduling of the RuntimeClass pod names; nil
// when it names none, the class is not known, or has no scheduling.
func classScheduling(pod *corev1.Pod, classes RuntimeClassResolver) *nodev1.Scheduling {
	name := pod.Spec.RuntimeClassName
	if name == nil {
		return nil
	}
	rc, ok := classes.RuntimeClass(*name)
	if !ok {
		return nil
	}
	return rc.Scheduling
}

// sameClass reports whether two RuntimeClass names name the same class
// (nil: none).
func sameClass(a, b *string) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

// HoldsToleration reports whether ts holds t, field for field.
func HoldsToleration(ts []corev1.Toleration, t *corev1.Toleration) bool {
	return slices.ContainsFunc(ts, func(x corev1.Toleration) bool { return SameToleration(&x, t) })
}

// WithRuntimeClass returns pod as the API server's RuntimeClass admission
// plugin leaves it, before any webhook, when it names rc: the class's
// overhead as the pod's (counted by quota), the node selectors of its
// scheduling added to the pod's, its tolerations merged with the pod's.
// The composer applies it to a pod, and policy's Check.App to the pods
// an application launches, so that what they judge is what the webhook
// will be sent; composition applies it to a pod whose class it changed
// (renderRuntimeClass). The errors are the plugin's refusals: an overhead
// other than the class's, a node selector the class gives another value.
// pod is not changed; with no class it is returned as it is.
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

// SameToleration is equality.Semantic.DeepEqual of two tolerations,
// field by field, without reflection.
func SameToleration(a, b *corev1.Toleration) bool {
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
			if tolerationCovers(&merged[j], t) {
				continue next
			}
		}
		for j := i + 1; j < len(all); j++ {
			// Of two equal tolerations, the first is kept.
			if !SameToleration(t, &all[j]) && tolerationCovers(&all[j], t) {
				continue next
			}
		}
		merged = append(merged, *t)
	}
	return merged
}

// tolerationCovers reports whether the toleration ss tolerates every taint t does
// (the plugin's isSuperset). Both are pairwise over the pod's tolerations,
// which CheckSize bounds (MaxTolerations).
func tolerationCovers(ss, t *corev1.Toleration) bool {
	if SameToleration(t, ss) {
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
