package mutate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// applyPodPatches applies the layers' strategic merge patches to the pod,
// in composition order, the way kubectl patch applies them.
func applyPodPatches(pod *corev1.Pod, patches []overlay.PodPatch) error {
	if len(patches) == 0 {
		return nil
	}
	doc, err := json.Marshal(pod)
	if err != nil {
		return fmt.Errorf("encoding pod: %w", err)
	}
	for _, p := range patches {
		if doc, err = overlay.PatchPod(doc, p.Patch); err != nil {
			return invalidComposition(fmt.Errorf("podPatch of %s: %w", p.Source, err))
		}
	}
	var out corev1.Pod
	if err := json.Unmarshal(doc, &out); err != nil {
		return invalidComposition(fmt.Errorf("podPatch result is not a Pod: %w", err))
	}
	*pod = out
	return nil
}

// applyPodPatchesNoting is applyPodPatches, recording in prov (when not
// nil) each value of a field prov explains that a patch replaced or sets,
// as set by the patch's layer: explain then names who set the value the
// pod holds, a user's value a patch replaced is Overridden, and a value
// the platform's patch gave is never taken for the tenant's.
func applyPodPatchesNoting(pod *corev1.Pod, role v1alpha1.Role, patches []overlay.PodPatch, prov *overlay.Provenance) error {
	if prov == nil {
		return applyPodPatches(pod, patches)
	}
	for i := range patches {
		before := podValuesOf(pod, role)
		if err := applyPodPatches(pod, patches[i:i+1]); err != nil {
			return err
		}
		sets := patchSets(patches[i], role)
		after := podValuesOf(pod, role)
		for k, now := range after {
			old, had := before[k]
			set, says := sets[k]
			if !had || !reflect.DeepEqual(old, now) || (says && set.text == now.text) {
				prov.Replace(k, now.text, patches[i].Source)
			}
		}
		for k := range before {
			if _, kept := after[k]; !kept {
				prov.Replace(k, removedByPatch, patches[i].Source)
			}
		}
	}
	return nil
}

// removedByPatch is how explain shows a value a pod patch removed (a
// strategic merge patch replaces a list without a merge key, tolerations
// among them, whole).
const removedByPatch = "(removed)"

// attributePodPatches records in prov, as set by its patch's layer, each
// value of pod that one of patches sets: a stored pod holds what the
// patches gave it, which is the layers', not the tenant's (a label under a
// reserved prefix, a toleration). A value the pod holds that differs from
// the patch's (changed since) stays the tenant's.
func attributePodPatches(prov *overlay.Provenance, pod *corev1.Pod, role v1alpha1.Role, patches []overlay.PodPatch) {
	if prov == nil || len(patches) == 0 {
		return
	}
	values := podValuesOf(pod, role)
	for _, p := range patches {
		for k, set := range patchSets(p, role) {
			if now, ok := values[k]; ok && now.text == set.text {
				prov.Replace(k, set.text, p.Source)
			}
		}
	}
}

// patchSets are the values a pod patch sets of those podValuesOf finds,
// as it sets them on an empty pod: what the patch says, whatever pod it
// is applied to.
func patchSets(p overlay.PodPatch, role v1alpha1.Role) map[overlay.Key]podValue {
	pod, ok := patchedEmpty(p)
	if !ok {
		return nil
	}
	return podValuesOf(pod, role)
}

// patchedEmpty is an empty pod with p applied, and whether p applies: what
// the patch sets, whatever pod it is applied to. A strategic merge patch
// with no deletion (null) and no directive ("$patch", "$retainKeys", ...)
// applied to an empty pod is the patch itself, and is decoded as it is,
// at a tenth of the merge's cost (TestPatchedEmptyIsTheMerge); any other
// is merged.
func patchedEmpty(p overlay.PodPatch) (*corev1.Pod, bool) {
	if !bytes.Contains(p.Patch, []byte("null")) && !bytes.Contains(p.Patch, []byte(`"$`)) {
		pod := &corev1.Pod{}
		if json.Unmarshal(p.Patch, pod) == nil {
			return pod, true
		}
	}
	pod := &corev1.Pod{}
	if applyPodPatches(pod, []overlay.PodPatch{p}) != nil {
		return nil, false
	}
	return pod, true
}

// podValue is a value of a pod's, and its text as provenance renders it.
type podValue struct {
	value any
	text  string
}

// podValuesOf are the values of a pod explain names by key: its labels,
// annotations and node selectors, its scheduling fields, tolerations and
// volumes, and
// the Spark container's env (the last of a name given twice), envFrom and
// mounts. Linear in the pod: a tenant's pod may hold many.
func podValuesOf(pod *corev1.Pod, role v1alpha1.Role) map[overlay.Key]podValue {
	out := map[overlay.Key]podValue{}
	for root, m := range map[string]map[string]string{overlay.PathLabels: pod.Labels, overlay.PathAnnotations: pod.Annotations,
		overlay.PathNodeSelector: pod.Spec.NodeSelector} {
		for k, v := range m {
			out[overlay.MapKey(root, k)] = podValue{v, strconv.Quote(v)}
		}
	}
	for root, v := range map[string]string{overlay.PathPriorityClassName: pod.Spec.PriorityClassName,
		overlay.PathSchedulerName: pod.Spec.SchedulerName, overlay.PathServiceAccountName: pod.Spec.ServiceAccountName,
		overlay.PathRuntimeClassName: ptr.Deref(pod.Spec.RuntimeClassName, "")} {
		if v != "" {
			out[overlay.FieldKey(root)] = podValue{v, strconv.Quote(v)}
		}
	}
	for i := range pod.Spec.Tolerations {
		t := &pod.Spec.Tolerations[i]
		out[overlay.ElementKey(overlay.PathTolerations, overlay.TolerationKey(t))] = podValue{*t, overlay.RenderToleration(t)}
	}
	for i := range pod.Spec.Volumes {
		v := &pod.Spec.Volumes[i]
		out[overlay.ElementKey(overlay.PathVolumes, overlay.VolumeKey(v))] = podValue{*v, overlay.RenderJSON(v)}
	}
	if i := sparkContainer(pod, role); i >= 0 {
		sc := &pod.Spec.Containers[i]
		for j := range sc.Env {
			e := &sc.Env[j]
			out[overlay.ElementKey(overlay.PathEnv, overlay.EnvKey(e))] = podValue{*e, overlay.RenderEnv(e)}
		}
		for j := range sc.EnvFrom {
			e := &sc.EnvFrom[j]
			out[overlay.ElementKey(overlay.PathEnvFrom, overlay.EnvFromKey(e))] = podValue{*e, overlay.RenderJSON(e)}
		}
		for j := range sc.VolumeMounts {
			m := &sc.VolumeMounts[j]
			out[overlay.ElementKey(overlay.PathVolumeMounts, overlay.VolumeMountKey(m))] = podValue{*m, overlay.RenderJSON(m)}
		}
	}
	return out
}
