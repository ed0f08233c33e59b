package sparkvalue

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/strata-dev/strata/pkg/overlay/quantity"
)

// Kind is how Spark reads a setting's value.
type Kind uint8

// The kinds of the settings Strata reads.
const (
	// Count is a whole number of Java's int range, at least 0 (Spark's
	// intConf): cores, executors.
	Count Kind = iota + 1
	// Switch is true or false, in any case (Spark's booleanConf).
	Switch
	// MiB is a size: a whole number with an optional binary unit, MiB
	// when it has none (Spark's bytesConf(ByteUnit.MiB)).
	MiB
	// Bytes is a size, bytes when it has no unit
	// (bytesConf(ByteUnit.BYTE)).
	Bytes
	// Factor is a decimal number, at least 0 (doubleConf).
	Factor
	// CPU is a Kubernetes CPU quantity, which Spark writes on the pod as
	// it is.
	CPU
)

// want is what a value of k must be, for a message.
func (k Kind) want() string {
	switch k {
	case Count:
		return "a whole number, at least 0"
	case Switch:
		return "true or false"
	case MiB:
		return "a Spark memory size: a whole number with an optional unit b, k, m, g, t or p (MiB when none; e.g. 4g, 512m)"
	case Bytes:
		return "a Spark memory size: a whole number with an optional unit b, k, m, g, t or p (bytes when none; e.g. 4g, 512m)"
	case Factor:
		return "a decimal number, at least 0"
	case CPU:
		return "a CPU quantity (e.g. 2, 500m)"
	}
	return fmt.Sprintf("kind %d", k)
}

// Trim is Java's String.trim, which Spark applies to a number or a switch
// before it parses it: it cuts every leading and trailing character up to
// the space (U+0020), control characters included, and no other (not
// U+00A0 or U+0085, which strings.TrimSpace would also cut).
func Trim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
}

// ParseSwitch reads a switch as Spark does: true or false in any case,
// trimmed; anything else is an error (Spark refuses the application).
func ParseSwitch(s string) (bool, error) {
	// EqualFold also folds ſ (U+017F) to s, as Java's equalsIgnoreCase
	// does; no other character folds to a letter of true or false.
	switch t := Trim(s); {
	case strings.EqualFold(t, "true"):
		return true, nil
	case strings.EqualFold(t, "false"):
		return false, nil
	}
	return false, errors.New("not true or false")
}

// ParseCount reads a count as Spark does (Integer.parseInt of the trimmed
// value), at least 0. Java also takes digits of other scripts; those are
// an error here, as a count Strata cannot read is.
func ParseCount(s string) (int64, error) {
	n, err := strconv.ParseInt(Trim(s), 10, 32)
	if err != nil {
		return 0, err
	}
	if n < 0 {
		return 0, errors.New("negative")
	}
	return n, nil
}

// ParseSize reads a size of kind MiB or Bytes in bytes, as Spark's
// JavaUtils.byteStringAs reads it (lower-cased, trimmed, a whole number
// and an optional unit b, k, kb, m, mb, g, gb, t, tb, p or pb, binary),
// at most math.MaxInt64. Spark counts a MiB setting in whole MiB, which
// is never more than this.
func ParseSize(s string, k Kind) (int64, error) {
	t := Trim(strings.ToLower(s))
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, errors.New("no number")
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if err != nil {
		return 0, err
	}
	var shift uint
	switch t[i:] {
	case "":
		if k == MiB {
			shift = 20
		}
	case "b":
	case "k", "kb":
		shift = 10
	case "m", "mb":
		shift = 20
	case "g", "gb":
		shift = 30
	case "t", "tb":
		shift = 40
	case "p", "pb":
		shift = 50
	default:
		return 0, fmt.Errorf("unit %q", t[i:])
	}
	if n > math.MaxInt64>>shift {
		return math.MaxInt64, nil
	}
	return n << shift, nil
}

// ParseFactor reads a factor as Spark does (Double.parseDouble of the
// trimmed value), finite and at least 0.
func ParseFactor(s string) (float64, error) {
	f, err := strconv.ParseFloat(Trim(s), 64)
	if err != nil {
		return 0, err
	}
	if f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, errors.New("not a finite number, at least 0")
	}
	return f, nil
}

// ParseCPU reads a CPU quantity, at least 0, with quantity.Parse (a huge
// exponent is refused before it is parsed).
func ParseCPU(s string) (resource.Quantity, error) {
	q, err := quantity.Parse(strings.TrimSpace(s))
	if err != nil {
		return resource.Quantity{}, err
	}
	if q.Sign() < 0 {
		return resource.Quantity{}, errors.New("negative")
	}
	return q, nil
}

// check parses s as k, for Problem.
func check(s string, k Kind) error {
	var err error
	switch k {
	case Count:
		_, err = ParseCount(s)
	case Switch:
		_, err = ParseSwitch(s)
	case MiB, Bytes:
		_, err = ParseSize(s, k)
	case Factor:
		_, err = ParseFactor(s)
	case CPU:
		_, err = ParseCPU(s)
	default:
		err = fmt.Errorf("unknown kind %d", k)
	}
	return err
}
