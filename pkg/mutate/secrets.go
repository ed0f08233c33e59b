package mutate

import (
	"crypto/sha256"
	"encoding/hex"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// secretVolumePrefix starts the name of the volume Strata adds for a Secret.
const secretVolumePrefix = "strata-secret-"

// secretVolumeName is the volume name for a Secret: strata-secret-<name>,
// shortened with a hash suffix when that is not a valid volume name.
func secretVolumeName(secret string) string {
	name := secretVolumePrefix + secret
	if len(validation.IsDNS1123Label(name)) == 0 {
		return name
	}
	sum := sha256.Sum256([]byte(secret))
	short := secretVolumePrefix + hex.EncodeToString(sum[:6])
	return short
}

// renderSecrets mounts each composed Secret read-only into the Spark
// container (and the sidecars that ask for it), or adds it as envFrom. A
// volume, mount or envFrom of the Spark container it replaces is recorded
// in prov as rendered from the Secret's entry.
func renderSecrets(pod *corev1.Pod, role v1alpha1.Role, c *v1alpha1.Config, prov *overlay.Provenance) {
	if len(c.Secrets) == 0 {
		return
	}
	var volumes []corev1.Volume
	var sparkMounts []corev1.VolumeMount
	var envFrom []corev1.EnvFromSource
	sidecarMounts := map[string][]corev1.VolumeMount{}
	from := map[string]overlay.Source{} // by volume name, mount path and envFrom key
	for i := range c.Secrets {
		s := &c.Secrets[i]
		src := overlay.RenderedSource(overlay.ElementKey(overlay.PathSecrets, overlay.SecretMountKey(s)).String())
		if s.AsEnv {
			e := corev1.EnvFromSource{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: s.SecretName}}}
			envFrom = append(envFrom, e)
			from[overlay.EnvFromKey(&e)] = src
			continue
		}
		name := secretVolumeName(s.SecretName)
		if _, seen := find(volumes, overlay.VolumeKey, name); !seen {
			volumes = append(volumes, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{
				Secret: &corev1.SecretVolumeSource{SecretName: s.SecretName}}})
			from[name] = src
		}
		m := corev1.VolumeMount{Name: name, MountPath: s.MountPath, ReadOnly: true}
		sparkMounts = append(sparkMounts, m)
		from[s.MountPath] = src
		for _, sidecar := range s.Sidecars {
			sidecarMounts[sidecar] = append(sidecarMounts[sidecar], m)
		}
	}
	source := func(k string) overlay.Source { return from[k] }
	pod.Spec.Volumes = upsertNoting(pod.Spec.Volumes, volumes, overlay.VolumeKey, copyInto[corev1.Volume],
		replacedIn(prov, overlay.PathVolumes, source, overlay.RenderJSON[corev1.Volume]))
	if spark := sparkContainer(pod, role); spark >= 0 {
		sc := &pod.Spec.Containers[spark]
		sc.VolumeMounts = upsertNoting(sc.VolumeMounts, sparkMounts, overlay.VolumeMountKey, copyInto[corev1.VolumeMount],
			replacedIn(prov, overlay.PathVolumeMounts, source, overlay.RenderJSON[corev1.VolumeMount]))
		sc.EnvFrom = upsertNoting(sc.EnvFrom, envFrom, overlay.EnvFromKey, copyInto[corev1.EnvFromSource],
			replacedIn(prov, overlay.PathEnvFrom, source, overlay.RenderJSON[corev1.EnvFromSource]))
	}
	// Only the layers' own containers: one of the user's that has the
	// name of a sidecar this pod does not get (an executors' sidecar, on
	// a driver) is the user's, and keeps its own mounts.
	forEachContainer(pod, func(ctr *corev1.Container) {
		if mounts := sidecarMounts[ctr.Name]; len(mounts) > 0 && layersContainer(prov, ctr.Name) {
			ctr.VolumeMounts = upsert(ctr.VolumeMounts, mounts, overlay.VolumeMountKey, copyInto[corev1.VolumeMount])
		}
	})
}

// layersContainer reports whether the sidecar or init container name is
// one a layer gives the pod (the composition also holds the user's
// containers, as the user's values).
func layersContainer(prov *overlay.Provenance, name string) bool {
	for _, root := range []string{overlay.PathSidecars, overlay.PathInitContainers} {
		if w, ok := prov.WinnerOf(overlay.ElementKey(root, name)); ok && !w.IsUser() {
			return true
		}
	}
	return false
}

// forEachContainer calls fn for every init container and container.
func forEachContainer(pod *corev1.Pod, fn func(*corev1.Container)) {
	for i := range pod.Spec.InitContainers {
		fn(&pod.Spec.InitContainers[i])
	}
	for i := range pod.Spec.Containers {
		fn(&pod.Spec.Containers[i])
	}
}
