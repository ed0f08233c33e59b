package mutate

import (
	"reflect"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// Platform is what of a pod the layers put there, so policies hold the
// tenant only to what the tenant wrote.
type Platform struct {
	// Containers are the names of the containers (init, native sidecar or
	// regular) that are exactly what a layer injected.
	Containers map[string]bool
	// HostPathVolumes are the names of the hostPath volumes a layer added
	// that are mounted only where a layer mounts them.
	HostPathVolumes map[string]bool
}

// PlatformParts tells which containers and hostPath volumes of pod, a pod
// as it will be stored, are the platform's. It composes the pod again
// without them (without every container a matching layer names, without
// its hostPath volumes and their mounts): what that composition adds back
// is what the layers inject. A container is the platform's only when it
// equals the injected one on every field (up to the defaults the API server
// fills in); a hostPath volume only when it is the injected one and every
// mount of it, in any container, is one the composition makes in that
// container. A tenant that reuses a sidecar's name, mounts a platform
// volume in a container of its own or adds a second mount gets nothing.
// A pod that is not a Spark pod has no platform parts.
func PlatformParts(snap *overlay.Snapshot, cluster Cluster, pod *corev1.Pod) (Platform, error) {
	return platformParts(snap, cluster, pod, renderValues)
}

// platformParts is PlatformParts with the stripped pod rendered by render.
func platformParts(snap *overlay.Snapshot, cluster Cluster, pod *corev1.Pod,
	render func(*overlay.Snapshot, Cluster, *corev1.Pod) (*Result, error)) (Platform, error) {
	p := Platform{Containers: map[string]bool{}, HostPathVolumes: map[string]bool{}}
	role, spark := SparkRole(pod)
	if !spark {
		return p, nil
	}
	named := layerContainerNames(snap, TargetOf(cluster, pod, role))
	hostPaths := map[string]bool{}
	for i := range pod.Spec.Volumes {
		if pod.Spec.Volumes[i].HostPath != nil {
			hostPaths[pod.Spec.Volumes[i].Name] = true
		}
	}
	if len(named) == 0 && len(hostPaths) == 0 {
		return p, nil
	}
	// Rendering copies the pod it is given, so stripped is shallow: it
	// shares with pod what it does not change, and the lists it filters
	// are new ones. pod is never changed.
	stripped := *pod
	stripped.Spec.InitContainers = userContainers(pod.Spec.InitContainers, named, hostPaths)
	stripped.Spec.Containers = userContainers(pod.Spec.Containers, named, hostPaths)
	stripped.Spec.EphemeralContainers = nil
	stripped.Spec.Volumes = without(pod.Spec.Volumes, func(v *corev1.Volume) bool { return hostPaths[v.Name] })
	injected, err := render(snap, cluster, &stripped)
	if err != nil {
		return p, err
	}
	want := map[string]*corev1.Container{}
	forEachContainer(injected.Pod, func(c *corev1.Container) { want[c.Name] = c })
	forEachContainer(pod, func(c *corev1.Container) {
		if w, ok := want[c.Name]; ok && named[c.Name] && covers(c, w) {
			p.Containers[c.Name] = true
		}
	})
	for i := range pod.Spec.Volumes {
		v := &pod.Spec.Volumes[i]
		if v.HostPath == nil {
			continue
		}
		w, ok := find(injected.Pod.Spec.Volumes, overlay.VolumeKey, v.Name)
		if ok && covers(v, w) && mountedAsInjected(pod, want, v.Name) {
			p.HostPathVolumes[v.Name] = true
		}
	}
	return p, nil
}

// userContainers are the containers not named by a layer, without their
// mounts of hostPaths: new lists, the containers' other fields shared.
func userContainers(containers []corev1.Container, named, hostPaths map[string]bool) []corev1.Container {
	out := without(containers, func(c *corev1.Container) bool { return named[c.Name] })
	for i := range out {
		out[i].VolumeMounts = without(out[i].VolumeMounts, func(m *corev1.VolumeMount) bool { return hostPaths[m.Name] })
	}
	return out
}

// without is a new list of the elements of list drop does not drop; nil
// for nil.
func without[T any](list []T, drop func(*T) bool) []T {
	if list == nil {
		return nil
	}
	out := make([]T, 0, len(list))
	for i := range list {
		if !drop(&list[i]) {
			out = append(out, list[i])
		}
	}
	return out
}

// mountedAsInjected reports whether every mount of the volume in pod is
// one the composition makes, in a container of the same name.
func mountedAsInjected(pod *corev1.Pod, injected map[string]*corev1.Container, volume string) bool {
	ok := true
	check := func(name string, mounts []corev1.VolumeMount) {
		for i := range mounts {
			if mounts[i].Name != volume {
				continue
			}
			w, found := injected[name]
			if !found || !slices.ContainsFunc(w.VolumeMounts, func(m corev1.VolumeMount) bool { return reflect.DeepEqual(&m, &mounts[i]) }) {
				ok = false
			}
		}
	}
	forEachContainer(pod, func(c *corev1.Container) { check(c.Name, c.VolumeMounts) })
	for i := range pod.Spec.EphemeralContainers {
		check("", pod.Spec.EphemeralContainers[i].VolumeMounts) // never the platform's
	}
	return ok
}

// layerContainerNames are the names of the sidecars and init containers
// the layers matching t define.
func layerContainerNames(snap *overlay.Snapshot, t overlay.Target) map[string]bool {
	names := map[string]bool{}
	for _, l := range snap.Match(t) {
		for _, c := range []*v1alpha1.Config{l.Spec.Config, overlay.RoleConfig(&l.Spec, t.Role)} {
			if c == nil {
				continue
			}
			for i := range c.Sidecars {
				names[c.Sidecars[i].Name] = true
			}
			for i := range c.InitContainers {
				names[c.InitContainers[i].Name] = true
			}
		}
	}
	return names
}

// LayerAffinity is the set of affinity the layers' pod patches set: their
// required node affinity expressions (keyed by NodeAffinityKey, and
// NodeFieldKey for those on a node's fields) and their pod affinity and
// anti-affinity terms (PodAffinityTerm.Key). Those are the platform's,
// every other one on a pod is the tenant's. A patch that does not apply
// sets none.
func LayerAffinity(patches []overlay.PodPatch) map[string]bool {
	out := map[string]bool{}
	for _, p := range patches {
		pod, ok := patchedEmpty(p)
		if !ok {
			continue
		}
		for _, e := range RequiredNodeAffinity(pod) {
			out[NodeAffinityKey(e)] = true
		}
		for _, e := range RequiredNodeFields(pod) {
			out[NodeFieldKey(e)] = true
		}
		for _, t := range PodAffinityTerms(pod) {
			out[t.Key()] = true
		}
	}
	return out
}

// RequiredNodeAffinity returns every expression of the pod's required node
// affinity terms.
func RequiredNodeAffinity(pod *corev1.Pod) []corev1.NodeSelectorRequirement {
	var out []corev1.NodeSelectorRequirement
	for _, term := range requiredNodeTerms(pod) {
		out = append(out, term.MatchExpressions...)
	}
	return out
}

// requiredNodeTerms are the pod's required node affinity terms.
func requiredNodeTerms(pod *corev1.Pod) []corev1.NodeSelectorTerm {
	a := pod.Spec.Affinity
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return nil
	}
	return a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
}

// NodeAffinityKey renders a node selector requirement as `key Op v1,v2`.
func NodeAffinityKey(e corev1.NodeSelectorRequirement) string {
	return e.Key + " " + string(e.Operator) + " " + strings.Join(e.Values, ",")
}

// RequiredNodeFields returns every expression of the pod's required node
// affinity terms on the nodes' fields (matchFields): metadata.name, a
// node's name, is the one field the scheduler selects nodes by.
func RequiredNodeFields(pod *corev1.Pod) []corev1.NodeSelectorRequirement {
	var out []corev1.NodeSelectorRequirement
	for _, term := range requiredNodeTerms(pod) {
		out = append(out, term.MatchFields...)
	}
	return out
}

// NodeFieldKey is NodeAffinityKey of a requirement on a node's field,
// apart from any on a label of the same name.
func NodeFieldKey(e corev1.NodeSelectorRequirement) string {
	return "field " + NodeAffinityKey(e)
}
