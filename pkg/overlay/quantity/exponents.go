package quantity

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// decimalExponent matches a number written with a decimal exponent, as a
// quantity or a JSON number may be: its exponent is the last group.
var decimalExponent = regexp.MustCompile(`^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE]([+-]?[0-9]+)$`)

// beyondExponent reports whether s is a number written with a decimal
// exponent beyond ±MaxExponent.
func beyondExponent(s string) bool {
	m := decimalExponent.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	exp, err := strconv.ParseInt(m[1], 10, 64)
	return err != nil || exp > MaxExponent || exp < -MaxExponent
}

// CheckExponents returns an error naming the first value of v, a JSON
// document decoded with json.Decoder.UseNumber, that is a number or a
// string written with a decimal exponent beyond ±MaxExponent: decoded into
// a resource.Quantity, it would take minutes to parse. Paths start at
// root; object keys are visited in order, so the error is the same each
// time.
func CheckExponents(v any, root string) error {
	switch v := v.(type) {
	case string:
		if beyondExponent(v) {
			return fmt.Errorf("%s: %q: a number of an exponent beyond ±%d", root, v, MaxExponent)
		}
	case json.Number:
		if beyondExponent(v.String()) {
			return fmt.Errorf("%s: %s: a number of an exponent beyond ±%d", root, v, MaxExponent)
		}
	case []any:
		for i, e := range v {
			if err := CheckExponents(e, fmt.Sprintf("%s[%d]", root, i)); err != nil {
				return err
			}
		}
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if err := CheckExponents(v[k], strings.TrimPrefix(root+"."+k, ".")); err != nil {
				return err
			}
		}
	}
	return nil
}
