package mutate

import (
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/strategicpatch"

	"github.com/strata-dev/strata/pkg/overlay"
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
		if doc, err = strategicpatch.StrategicMergePatch(doc, p.Patch, &corev1.Pod{}); err != nil {
			return fmt.Errorf("podPatch of %s: %w", p.Source, err)
		}
	}
	var out corev1.Pod
	if err := json.Unmarshal(doc, &out); err != nil {
		return fmt.Errorf("podPatch result is not a Pod: %w", err)
	}
	*pod = out
	return nil
}
