package mutate

import "errors"

// InvalidCompositionError is a composition the layers make of one object
// that the API server would refuse, or that cannot be made of it: a mount
// of a volume the pod lacks, a layer's container taking the place of the
// Spark container, a podPatch that does not apply to the pod or leaves it
// invalid, a node selector its RuntimeClass contradicts, volumes the
// driver's and the executors' layers define apart. The same layers and
// object give it every time, so the webhook answers it as final (422
// Invalid, as the API server answers an invalid object) rather than as
// its own failure, which clients retry (Spark's client retries every 5xx)
// and the platform is paged for: a tenant's pod can meet one (its Spark
// container named as a layer's sidecar), and must not page anyone. What
// the cluster may still give (a PriorityClass or RuntimeClass a layer
// names and the cluster lacks) is not one.
//
// Errors of composition wrap it with %w; errors.As finds it.
type InvalidCompositionError struct {
	Err error
}

func (e *InvalidCompositionError) Error() string { return e.Err.Error() }

// Unwrap returns the error that says what is invalid.
func (e *InvalidCompositionError) Unwrap() error { return e.Err }

// invalidComposition marks err (nil stays nil) an InvalidCompositionError.
func invalidComposition(err error) error {
	if err == nil {
		return nil
	}
	return &InvalidCompositionError{Err: err}
}

// IsInvalidComposition reports whether err is, or wraps, an
// InvalidCompositionError.
func IsInvalidComposition(err error) bool {
	var invalid *InvalidCompositionError
	return errors.As(err, &invalid)
}
