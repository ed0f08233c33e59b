package quantity

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

const (
	// MaxLength is the longest quantity string Parse takes: no resource
	// amount is written in more.
	MaxLength = 64
	// MaxExponent bounds the decimal exponent (the E of "3e2") of a
	// quantity string Parse takes, either way.
	MaxExponent = 99
	// Limit is the magnitude above which a parsed quantity is out of
	// bounds (Bounded) and clamped (Clamp): 10^18, beyond every amount
	// Strata counts (v1alpha1.MaxCountableCPUMilli and
	// MaxCountableMemoryBytes) and every amount resources are made of.
	Limit = 1e18
)

// Parse is resource.ParseQuantity for a string Strata does not control:
// a string longer than MaxLength or with a decimal exponent beyond
// ±MaxExponent is an error before it is parsed.
func Parse(s string) (resource.Quantity, error) {
	if unbounded(s) {
		return resource.Quantity{}, fmt.Errorf("quantity %q: more than %d characters or an exponent beyond ±%d", truncate(s), MaxLength, MaxExponent)
	}
	return resource.ParseQuantity(s)
}

// unbounded reports whether s is longer than MaxLength or, its spaces
// trimmed as resource.Quantity's UnmarshalJSON trims them, a number written
// with a decimal exponent beyond ±MaxExponent (the suffixes E and Ei are
// none).
func unbounded(s string) bool {
	if len(s) > MaxLength {
		return true
	}
	s = strings.TrimSpace(s)
	m := decimalExponent.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	exp, err := strconv.ParseInt(m[1], 10, 64)
	return err != nil || exp > MaxExponent || exp < -MaxExponent
}

// decimalExponent matches a number written with a decimal exponent, as a
// quantity or a JSON number may be: its exponent is the last group.
var decimalExponent = regexp.MustCompile(`^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE]([+-]?[0-9]+)$`)

// truncate shortens s for a message.
func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// Bounded reports whether q's magnitude is at most Limit. It converts q to
// a float, whatever its exponent, rather than compare it.
func Bounded(q *resource.Quantity) bool {
	if q.Sign() == 0 {
		return true
	}
	f := q.AsApproximateFloat64()
	return !math.IsNaN(f) && math.Abs(f) <= Limit
}

// limit is Limit as a quantity of q's sign.
func limit(q *resource.Quantity) resource.Quantity {
	if q.Sign() < 0 {
		return *resource.NewScaledQuantity(-1, 18)
	}
	return *resource.NewScaledQuantity(1, 18)
}

// Clamp returns list with every quantity out of bounds (Bounded) replaced
// by Limit of its sign, and whether it replaced any; list itself, not a
// copy, when every quantity is in bounds.
func Clamp(list corev1.ResourceList) (corev1.ResourceList, bool) {
	var out corev1.ResourceList
	for name, q := range list {
		if Bounded(&q) {
			continue
		}
		if out == nil {
			out = maps.Clone(list)
		}
		out[name] = limit(&q)
	}
	if out == nil {
		return list, false
	}
	return out, true
}
