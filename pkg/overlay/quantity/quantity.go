package quantity

import (
	"errors"
	"fmt"
	"math"
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
	if len(s) > MaxLength {
		return resource.Quantity{}, fmt.Errorf("quantity of %d characters: at most %d", len(s), MaxLength)
	}
	// An e starts a decimal exponent, unless it is the suffix E (exa) or
	// Ei (exbi).
	if i := strings.IndexAny(s, "eE"); i >= 0 && s[i+1:] != "" && s[i+1:] != "i" {
		exp, err := strconv.ParseInt(s[i+1:], 10, 64)
		if err == nil && (exp > MaxExponent || exp < -MaxExponent) || errors.Is(err, strconv.ErrRange) {
			return resource.Quantity{}, fmt.Errorf("quantity %q: the exponent is beyond ±%d", s, MaxExponent)
		}
	}
	return resource.ParseQuantity(s)
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
			out = make(corev1.ResourceList, len(list))
			for n, v := range list {
				out[n] = v
			}
		}
		out[name] = limit(&q)
	}
	if out == nil {
		return list, false
	}
	return out, true
}
