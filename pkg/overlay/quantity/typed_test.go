package quantity

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestMayHoldUnbounded: the scan finds every way to write a number Parse
// refuses, and passes what API servers write: uids, digests, times.
func TestMayHoldUnbounded(t *testing.T) {
	for doc, want := range map[string]bool{
		`{"cpu":"1e-999999999"}`:                             true,
		`{"cpu":1.5e999}`:                                    true,
		`{"cpu":"+.5E+100"}`:                                 true,
		`["1e100"]`:                                          true,
		`1e100`:                                              true,
		`{"cpu":"1\u0065-999999"}`:                           true,
		`{"cpu":"\u0031e-99999"}`:                            true,
		`{"cpu":"1e\u002d99999"}`:                            true,
		`{"cpu":"\u00a01e-99999"}`:                           true,
		`{"cpu":" 1e-99999\t"}`:                              true,
		`{"cpu":"\n1e-99999"}`:                               true,
		`{"a":"\"x\"","b":"\\1e999\\"}`:                      false,
		"{\"cpu\":\"\u00a01e-99999\u3000\"}":                 true,
		`{"cpu":"` + strings.Repeat("9", MaxLength+1) + `"}`: true,
		`{"cpu":"1e99","memory":"4Gi","e":"1E2"}`:            false,
		`{"uid":"3f9e1234-5e67-8e90-1e23-ab4e5678e901","digest":"sha256:09e123abc","t":"2026-12-03T00:00:00Z"}`: false,
		`{"name":"x1e999","image":"spark:3e100-rc","n":"1e999x"}`:                                               false,
		`{"cpu":"` + strings.Repeat("9", MaxLength) + `"}`:                                                      false,
	} {
		if got := MayHoldUnbounded([]byte(doc)); got != want {
			t.Errorf("MayHoldUnbounded(%s) = %v, want %v", doc, got, want)
		}
	}
}

// TestCheckJSON names the first quantity Parse refuses by its path, reads
// every occurrence of a key, and reads nothing the type does not make a
// quantity.
func TestCheckJSON(t *testing.T) {
	pod := reflect.TypeFor[corev1.Pod]()
	for doc, want := range map[string]string{
		`{"spec":{"containers":[{"name":"a","resources":{"requests":{"cpu":"1"}}},{"name":"b","resources":{"limits":{"memory":"1e-999999999"}}}]}}`: `spec.containers[1].resources.limits.memory: "1e-999999999"`,
		`{"spec":{"overhead":{"cpu":1.5e999}}}`:                                                           `spec.overhead.cpu: "1.5e999"`,
		`{"spec":{"overhead":{"cpu":"\u00a0 1e-999999999\n"}}}`:                                           `spec.overhead.cpu: "\u00a0 1e-999999999\n"`,
		`{"spec":{"volumes":[{"name":"v","emptyDir":{"sizeLimit":"1e-100"}}]}}`:                           `spec.volumes[0].emptyDir.sizeLimit: "1e-100"`,
		`{"spec":{"overhead":{"cpu":"1e-100"}},"spec":{"overhead":{"cpu":"1"}}}`:                          `spec.overhead.cpu: "1e-100"`,
		`{"apiVersion":"v1","spec":{"resources":{"requests":{"cpu":"` + strings.Repeat("1", 65) + `"}}}}`: `spec.resources.requests.cpu: "1111`,
		`{"status":{"containerStatuses":[{"allocatedResources":{"cpu":"2e-999"}}]}}`:                      `status.containerStatuses[0].allocatedResources.cpu: "2e-999"`,
		// Not quantities, or not as the type reads them: nothing to refuse.
		`{"spec":{"containers":[{"name":"a","env":[{"name":"X","value":"1e-300"}]}]}}`:        "",
		`{"metadata":{"labels":{"cpu":"1e-999999999"}},"Spec":{"overhead":{"cpu":"1e-999"}}}`: "",
		`{"spec":{"overhead":{"cpu":"1e99"}}}`:                                                "",
		`{"spec":{"overhead":{"cpu":{"nested":"1e-999"}}}}`:                                   "",
		`{"spec":{"overhead":`: "",
		`not json`:             "",
		// A number, then a byte JSON has no place for: not JSON, so the
		// decoder refuses it before reading any quantity.
		`{"spec":{"overhead":{"cpu":1e999:"`:   "",
		`{"spec":{"overhead":{"cpu":1e999x}}}`: "",
	} {
		err := CheckJSON([]byte(doc), pod)
		var ue *UnboundedError
		switch {
		case want == "" && err != nil:
			t.Errorf("CheckJSON(%s) = %v, want nil", doc, err)
		case want != "" && (!errors.As(err, &ue) || !strings.HasPrefix(err.Error(), want)):
			t.Errorf("CheckJSON(%s) = %v, want %q", doc, err, want)
		}
	}
}

// FuzzMayHoldUnbounded: whatever the bytes, the scan never passes a
// document CheckJSON refuses (so skipping CheckJSON when it says false
// misses nothing), and neither panics.
func FuzzMayHoldUnbounded(f *testing.F) {
	pod := reflect.TypeFor[corev1.Pod]()
	for _, doc := range []string{
		`{"spec":{"overhead":{"cpu":"1e-999999999"}}}`,
		`{"spec":{"containers":[{"resources":{"limits":{"memory":1.5e999}}}]}}`,
		`{"spec":{"overhead":{"cpu":"1\u0065-999"}}}`,
		"{\"spec\":{\"overhead\":{\"cpu\":\"\u00a01e-999\"}}}",
		`{"spec":{"overhead":{"cpu":"100m"}},"metadata":{"uid":"3f9e1234"}}`,
	} {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := CheckJSON(data, pod); err != nil && !MayHoldUnbounded(data) {
			t.Errorf("CheckJSON refuses %q (%v), the scan passes it", data, err)
		}
	})
}

// TestInvalidJSON: the first quantity resource.Quantity cannot be
// decoded from is named by its path, with what is wrong in words, and
// the decoder's own error is one IsParseError knows.
func TestInvalidJSON(t *testing.T) {
	podType := reflect.TypeFor[corev1.Pod]()
	for in, want := range map[string]string{
		`{"spec":{"containers":[{"name":"a","resources":{"requests":{"cpu":"1"}}},{"name":"b","resources":{"limits":{"memory":"1x"}}}]}}`: `spec.containers[1].resources.limits.memory: "1x": not a quantity: a number with an optional suffix, such as 500m, 2, 1.5Gi or 4e3`,
		`{"spec":{"overhead":{"cpu":"1..5"}}}`:   `spec.overhead.cpu: "1..5": not a quantity: a number`,
		`{"spec":{"overhead":{"memory":"2KK"}}}`: `spec.overhead.memory: "2KK": not a quantity's suffix: one of m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei, or a decimal exponent`,
		// A key that is not a plain name reads as one key.
		`{"spec":{"containers":[{"resources":{"limits":{"cpu":"1","nvidia.com/gpu":"one"}}}]}}`:    `spec.containers[0].resources.limits[nvidia.com/gpu]: "one": not a quantity`,
		`{"spec":{"volumes":[{"name":"v","emptyDir":{"sizeLimit":"1Mii"}}]}}`:                      `spec.volumes[0].emptyDir.sizeLimit: "1Mii": not a quantity's suffix`,
		`{"spec":{"containers":[{"resources":{"requests":{"cpu":" 2 ","memory":` + `"1e999"}}}]}}`: `spec.containers[0].resources.requests.memory: "1e999": quantity "1e999": more than 64 characters or an exponent beyond ±99`,
	} {
		err := InvalidJSON([]byte(in), podType)
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", in, err, want)
			continue
		}
		var pod corev1.Pod
		if strings.Contains(in, "1e999") {
			continue // decoding it is what CheckJSON keeps from happening
		}
		if decodeErr := json.Unmarshal([]byte(in), &pod); !IsParseError(decodeErr) || !IsParseError(err) {
			t.Errorf("%s: the decoder's error %v is not a parse error", in, decodeErr)
		}
	}
	for _, in := range []string{
		`{"spec":{"containers":[{"resources":{"requests":{"cpu":" 2 ","memory":1.5}}}]}}`,
		`{"spec":{"containers":[{"image":"1x"}]}}`, // not a quantity
		`{"spec":`,
	} {
		if err := InvalidJSON([]byte(in), podType); err != nil {
			t.Errorf("%s: got %v, want none", in, err)
		}
	}
	if IsParseError(errors.New("other")) {
		t.Error("IsParseError of another error")
	}
}

// TestJoinKey: a plain name follows a dot, any other key is bracketed.
func TestJoinKey(t *testing.T) {
	for _, tt := range []struct{ path, key, want string }{
		{"", "spec", "spec"},
		{"spec", "containers", "spec.containers"},
		{"spec.nodeSelector", "kubernetes.io/os", "spec.nodeSelector[kubernetes.io/os]"},
		{"a", "x-y_z0", "a.x-y_z0"},
		{"a", "", "a[]"},
		{"", "a.b", "[a.b]"},
		{"a", "a b", "a[a b]"},
	} {
		if got := JoinKey(tt.path, tt.key); got != tt.want {
			t.Errorf("JoinKey(%q, %q) = %q, want %q", tt.path, tt.key, got, tt.want)
		}
	}
}
