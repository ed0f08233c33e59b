package policy

import (
	"fmt"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// CompositionPolicy names the webhook's refusal of an object the layers
// compose into one the API server would refuse
// (mutate.InvalidCompositionError), as the composer predicts it.
const CompositionPolicy = "composition"

// CompositionInvalid is err, an invalid composition of an object of kind
// ("pod"), as a RefusedError: the webhook refuses the object, 422
// Invalid, so the dry run shows it refused, a verdict like a policy's,
// rather than failing as on bad input.
func CompositionInvalid(kind string, err error) *RefusedError {
	return &RefusedError{reason: err.Error(), byWebhook: true, violations: []Violation{{Policy: CompositionPolicy, Enforcement: v1alpha1.EnforcementDeny,
		Message: fmt.Sprintf("%s: %v (the webhook refuses the %s: 422 Invalid)", CompositionPolicy, err, kind)}}}
}
