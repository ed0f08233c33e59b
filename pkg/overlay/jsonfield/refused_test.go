package jsonfield

import (
	stdjson "encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/strata-dev/strata/pkg/overlay/quantity"
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

// FuzzRefused: on any document decoded into a Pod, Refused names a field
// for a type error or a quantity that is none, without panicking, and the
// quantity it names is one resource.Quantity cannot read.
func FuzzRefused(f *testing.F) {
	f.Add([]byte(`{"spec":{"containers":[{"name":"a"},{"name":"b","resources":{"requests":{"cpu":"1x"}}}]}}`))
	f.Add([]byte(`{"spec":{"overhead":{"cpu":1.5,"memory":"2KK"},"containers":[{"image":3}]}}`))
	f.Add([]byte(`{"spec":{"volumes":[{"name":"v","emptyDir":{"sizeLimit":" 1Gi "}},{"emptyDir":{"sizeLimit":"--1"}}]}}`))
	podType := reflect.TypeFor[corev1.Pod]()
	f.Fuzz(func(t *testing.T, data []byte) {
		// A quantity of a huge exponent would take the decoder minutes:
		// every caller refuses it first.
		if quantity.CheckJSON(data, podType) != nil {
			return
		}
		var pod corev1.Pod
		err := stdjson.Unmarshal(data, &pod)
		if err == nil {
			return
		}
		field, why, ok := Refused(data, podType, err)
		if quantity.IsParseError(err) && ok {
			q := quantity.InvalidJSON(data, podType)
			if q == nil || q.Path != field || why == "" {
				t.Fatalf("%s: Refused named %q %q for %v", data, field, why, err)
			}
			if _, perr := resource.ParseQuantity(strings.TrimSpace(q.Value)); perr == nil {
				t.Fatalf("%s: %q parses", data, q.Value)
			}
		}
	})
}
