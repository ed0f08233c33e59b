package overlay

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
)

// PatchPod applies a strategic merge patch (what kubectl patch takes) to a
// Pod's JSON, as apimachinery's strategicpatch does, with one difference:
// strategicpatch panics on some patches a layer author or a test case may
// write (a $setElementOrder directive for a list without a merge key, such
// as tolerations, compares maps), and such a patch is an error here, not a
// crash of the webhook, the snapshot's build or the composer.
func PatchPod(doc, patch []byte) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("the strategic merge patch cannot be applied: %v", r)
		}
	}()
	return strategicpatch.StrategicMergePatch(doc, patch, &corev1.Pod{})
}
