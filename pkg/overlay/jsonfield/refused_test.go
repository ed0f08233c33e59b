package jsonfield

import (
	stdjson "encoding/json"
	"errors"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestRefused: a type error and a quantity resource.Quantity cannot read
// are each named by their path, with what is wrong; any other error is
// not one Refused names.
func TestRefused(t *testing.T) {
	podType := reflect.TypeFor[corev1.Pod]()
	for _, tt := range []struct{ in, field, why string }{
		{`{"spec":{"containers":[{"name":"a"},{"name":"b","image":3}]}}`, "spec.containers[1].image", "expected string, got JSON number"},
		{`{"spec":{"containers":[{"name":"a"},{"name":"b","resources":{"requests":{"cpu":"1x"}}}]}}`, "spec.containers[1].resources.requests.cpu",
			`"1x": not a quantity: a number with an optional suffix, such as 500m, 2, 1.5Gi or 4e3`},
	} {
		var pod corev1.Pod
		err := stdjson.Unmarshal([]byte(tt.in), &pod)
		field, why, ok := Refused([]byte(tt.in), podType, err)
		if !ok || field != tt.field || why != tt.why {
			t.Errorf("%s: got %q %q %v, want %q %q", tt.in, field, why, ok, tt.field, tt.why)
		}
	}
	var pod corev1.Pod
	for _, in := range []string{`{"spec":`, `{"spec":{"containers":[{"name":"a"}]}}`} {
		err := stdjson.Unmarshal([]byte(in), &pod)
		if field, why, ok := Refused([]byte(in), podType, err); ok {
			t.Errorf("%s (%v): got %q %q, want nothing named", in, err, field, why)
		}
	}
	if _, _, ok := Refused(nil, podType, errors.New("other")); ok {
		t.Error("another error was named")
	}
}
