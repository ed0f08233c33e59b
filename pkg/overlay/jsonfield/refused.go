package jsonfield

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/strata-dev/strata/pkg/overlay/quantity"
)

// Refused is the field of data whose value err refused, err being what
// decoding data into a value of type t returned, and why: a value of the
// wrong type ("spec.config.env[1].value", "expected string, got JSON
// bool"; OfTypeError), or a quantity resource.Quantity cannot read
// (`spec.volumes[0].emptyDir.sizeLimit`, `"1x": not a quantity: ...`;
// quantity.InvalidJSON), whose own error names no field. ok is false for
// any other error (not JSON, an unknown field, ...), which names what it
// refuses itself or no field at all.
func Refused(data []byte, t reflect.Type, err error) (field, why string, ok bool) {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return OfTypeError(data, te), fmt.Sprintf("expected %s, got JSON %s", te.Type, te.Value), true
	}
	if quantity.IsParseError(err) {
		if q := quantity.InvalidJSON(data, t); q != nil {
			return q.Path, q.Reason(), true
		}
	}
	return "", "", false
}
