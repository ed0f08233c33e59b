package mutate

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// TestAPodPatchThatDoesNotApplyIsInvalid: a layer's podPatch the strategic
// merge cannot apply to the pod fails its composition as invalid, naming
// the layer; so does one whose result is not a pod.
func TestAPodPatchThatDoesNotApplyIsInvalid(t *testing.T) {
	src := overlay.Source{Tier: v1alpha1.ClusterOverrides, Layer: "l"}
	for _, tc := range []struct{ patch, want string }{
		{`{"spec":{"containers":[{"image":"y"}]}}`, `podPatch of ClusterOverrides layer "l": map: map[image:y] does not contain declared merge key: name`},
		{`{"spec":{"containers":"x"}}`, `podPatch result is not a Pod`},
	} {
		err := applyPodPatches(executorPod(), []overlay.PodPatch{{Source: src, Patch: []byte(tc.patch)}})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !IsInvalidComposition(err) {
			t.Errorf("%s: %v, want an InvalidCompositionError that says %q", tc.patch, err, tc.want)
		}
	}
}

// TestIsInvalidComposition: found however deep it is wrapped, with its
// message unchanged; nil and other errors are not one.
func TestIsInvalidComposition(t *testing.T) {
	inner := errors.New("spec.volumes[cfg]: defined apart")
	wrapped := fmt.Errorf("SparkApplication %q: %w", "etl/nightly", fmt.Errorf("driver: %w", invalidComposition(inner)))
	if !IsInvalidComposition(wrapped) || !errors.Is(wrapped, inner) || wrapped.Error() != `SparkApplication "etl/nightly": driver: spec.volumes[cfg]: defined apart` {
		t.Errorf("wrapped: %v (invalid %v)", wrapped, IsInvalidComposition(wrapped))
	}
	if invalidComposition(nil) != nil || IsInvalidComposition(nil) || IsInvalidComposition(inner) {
		t.Error("nil or a plain error taken for an InvalidCompositionError")
	}
}
