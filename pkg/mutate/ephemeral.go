package mutate

import (
	"strconv"

	"gomodules.xyz/jsonpatch/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// MirrorEphemeral is the JSON Patch that gives each ephemeral container
// pod has and old had not (one added through the pods/ephemeralcontainers
// subresource, as kubectl debug adds it) the image the layers' image
// mirrors give it, as a container's at creation. Ephemeral containers
// exist only after a pod is created, so composition never reaches them;
// the API server refuses any change to one already there, so those are
// left as they are. A pod that is not a Spark pod gets no mirrors; nor
// does anything else of the pod change.
func MirrorEphemeral(snap *overlay.Snapshot, cluster Cluster, pod, old *corev1.Pod) []jsonpatch.Operation {
	role, spark := SparkRole(pod)
	if !spark {
		return nil
	}
	existing := map[string]bool{}
	for i := range old.Spec.EphemeralContainers {
		existing[old.Spec.EphemeralContainers[i].Name] = true
	}
	var mirrors []v1alpha1.ImageMirror
	var ops []jsonpatch.Operation
	for i := range pod.Spec.EphemeralContainers {
		c := &pod.Spec.EphemeralContainers[i]
		if existing[c.Name] {
			continue
		}
		if mirrors == nil {
			res := snap.ComposeValues(TargetOf(cluster, pod, role), v1alpha1.Config{})
			if mirrors = res.Config.ImageMirrors; len(mirrors) == 0 {
				return nil
			}
		}
		if image, m := MirrorImage(c.Image, mirrors); m != nil {
			ops = append(ops, jsonpatch.NewOperation("replace", "/spec/ephemeralContainers/"+strconv.Itoa(i)+"/image", image))
		}
	}
	return ops
}
