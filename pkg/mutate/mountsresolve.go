package mutate

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// unresolvedMount is the error of the first volume mount of composed (the
// rendered pod), init containers first, that names a volume the pod does
// not have: the API server refuses such a pod as invalid
// (spec.containers[0].volumeMounts[0].name: Not found), so a layer that
// gives one would have every pod it matches refused, each in words that
// name no layer. Its own mounts are the layers' to check: a pod that
// mounts a volume it lacks as written is refused in the API server's
// words, as without Strata; a mount whose volume a layer's podPatch took
// away is the layer's. explain is the composition of the written
// pod with whole provenance, asked for only on the way to the error (the
// webhook's composition keeps only the provenance its patch is made of).
func unresolvedMount(written, composed *corev1.Pod, role v1alpha1.Role, patches []overlay.PodPatch, explain func() *overlay.Provenance) error {
	volumes := make(map[string]bool, len(composed.Spec.Volumes))
	for i := range composed.Spec.Volumes {
		volumes[composed.Spec.Volumes[i].Name] = true
	}
	// The written pod's mounts, read at its first mount of no volume: a
	// pod of many such mounts costs one pass, not one per mount.
	var asWritten map[writtenMount]bool
	for _, list := range []struct {
		path       string
		containers []corev1.Container
	}{{"spec.initContainers", composed.Spec.InitContainers}, {"spec.containers", composed.Spec.Containers}} {
		for i := range list.containers {
			c := &list.containers[i]
			for _, m := range c.VolumeMounts {
				if volumes[m.Name] {
					continue
				}
				if asWritten == nil {
					asWritten = writtenMounts(written)
				}
				resolved, own := asWritten[writtenMount{c.Name, m.MountPath, m.Name}]
				if own && !resolved {
					continue
				}
				giver := ""
				switch {
				case own && len(patches) > 0: // its volume taken away
					giver = " (" + patchSources(patches) + ")"
				case !own:
					giver = mountGiver(composed, role, c, m, explain)
				}
				return invalidComposition(fmt.Errorf("%s[%s].volumeMounts[%s]: names volume %q, which the pod does not have%s: the API server would refuse the pod as invalid",
					list.path, c.Name, m.MountPath, m.Name, giver))
			}
		}
	}
	return nil
}

// writtenMount is a mount of a pod as written: its container's name, its
// path and its volume's name.
type writtenMount struct{ container, path, volume string }

// writtenMounts are the mounts of written, the user's own, each true
// where written has its volume: a mount that resolved as written and does
// not once composed lost its volume to a layer's podPatch (one that
// replaces the volumes), and is the layer's doing; one that did not
// resolve as written is the user's to mend.
func writtenMounts(written *corev1.Pod) map[writtenMount]bool {
	volumes := make(map[string]bool, len(written.Spec.Volumes))
	for i := range written.Spec.Volumes {
		volumes[written.Spec.Volumes[i].Name] = true
	}
	out := map[writtenMount]bool{}
	for _, list := range [][]corev1.Container{written.Spec.InitContainers, written.Spec.Containers} {
		for i := range list {
			for _, m := range list[i].VolumeMounts {
				out[writtenMount{list[i].Name, m.MountPath, m.Name}] = volumes[m.Name]
			}
		}
	}
	return out
}

// mountGiver is " (SOURCE)" of whoever gave container c of pod its mount
// m: the layer of the Spark container's mount at its path, or of the
// sidecar or init container, as explain's provenance holds them; empty
// where it holds neither (a layer's podPatch).
func mountGiver(pod *corev1.Pod, role v1alpha1.Role, c *corev1.Container, m corev1.VolumeMount, explain func() *overlay.Provenance) string {
	prov := explain()
	if spark := sparkContainer(pod, role); spark >= 0 && pod.Spec.Containers[spark].Name == c.Name {
		return givenBy(prov, overlay.ElementKey(overlay.PathVolumeMounts, overlay.VolumeMountKey(&m)))
	}
	for _, path := range []string{overlay.PathSidecars, overlay.PathInitContainers} {
		if by := givenBy(prov, overlay.ElementKey(path, c.Name)); by != "" {
			return by
		}
	}
	return ""
}

// givenBy is " (SOURCE)" of the source that gave key its value, empty
// when prov does not hold it.
func givenBy(prov *overlay.Provenance, key overlay.Key) string {
	if w, ok := prov.WinnerOf(key); ok {
		return " (" + w.String() + ")"
	}
	return ""
}
