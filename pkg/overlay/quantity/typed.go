package quantity

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
)

// MayHoldUnbounded reports whether raw, JSON, may hold a quantity Parse
// refuses: false means it holds none, and CheckJSON need not run. It is a
// scan of the bytes for a number whose exponent has three digits or more,
// between JSON's delimiters, quotes or spaces (a quantity is read with the
// spaces around it trimmed, Unicode's among them); a run of more than
// MaxLength digits; or any \u escape, which an API server writes only for
// a few characters no quantity holds.
func MayHoldUnbounded(raw []byte) bool {
	digits := 0
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if isDigit(c) {
			if digits++; digits > MaxLength {
				return true
			}
			continue
		}
		digits = 0
		switch c {
		case 'e', 'E':
			if wholeNumberAt(raw, i) {
				return true
			}
		case '\\':
			if i+1 < len(raw) && raw[i+1] == 'u' {
				return true
			}
		}
	}
	return false
}

// wholeNumberAt reports whether the e at raw[i] is the exponent, of three
// digits or more, of a number that is a whole JSON token or string.
func wholeNumberAt(raw []byte, i int) bool {
	j := i - 1
	for j >= 0 && (isDigit(raw[j]) || raw[j] == '.') {
		j--
	}
	if j == i-1 {
		return false // no mantissa
	}
	if j >= 0 && (raw[j] == '+' || raw[j] == '-') {
		j--
	}
	escapedSpace := j >= 1 && raw[j-1] == '\\' && strings.IndexByte("tnrf", raw[j]) >= 0
	if j >= 0 && !boundary(raw[j], "\":,[") && !escapedSpace {
		return false
	}
	k := i + 1
	if k < len(raw) && (raw[k] == '+' || raw[k] == '-') {
		k++
	}
	n := 0
	for k < len(raw) && isDigit(raw[k]) {
		k++
		n++
	}
	return n >= 3 && (k == len(raw) || boundary(raw[k], "\",}]\\"))
}

// boundary reports whether c may stand next to a number a quantity is
// read from: one of delims, a space, or a byte of a multi-byte character
// (which may be a Unicode space, trimmed as a quantity is read). An escape
// may stand after it (a backslash among delims), and an escaped space
// before it.
func boundary(c byte, delims string) bool {
	return strings.IndexByte(delims, c) >= 0 || strings.IndexByte(" \t\r\n\v\f", c) >= 0 || c >= 0x80
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

var quantityType = reflect.TypeFor[resource.Quantity]()

// UnboundedError names a quantity Parse refuses, by its path in the
// document.
type UnboundedError struct {
	Path, Value string
}

// Error names the quantity's path and says what Parse refuses.
func (e *UnboundedError) Error() string {
	return fmt.Sprintf("%s: %q: a quantity of more than %d characters or of an exponent beyond ±%d", e.Path, truncate(e.Value), MaxLength, MaxExponent)
}

// CheckJSON reads data, one JSON document, as t, the Go type it decodes
// into, and returns an *UnboundedError naming the first resource.Quantity
// of it that Parse refuses: decoding it would take resource.Quantity
// minutes. Fields are matched by their exact JSON names; every occurrence
// of a key is read, as a decoder that merges them reads them; what t does
// not type (a RawExtension's bytes, an unknown field) is skipped. A
// document that is not JSON is no error here: its decoder refuses it. It
// is checked whole first, as every decoder of it checks it: the tokens
// come one at a time, so a number ends at any byte, valid there or not.
func CheckJSON(data []byte, t reflect.Type) error {
	path, value, found := firstQuantity(data, t, unbounded)
	if !found {
		return nil
	}
	return &UnboundedError{Path: path, Value: value}
}

// InvalidError names a quantity resource.Quantity cannot be decoded from,
// by its path in the document, with Parse's error.
type InvalidError struct {
	Path, Value string
	Err         error
}

// Error names the quantity's path, then its Reason.
func (e *InvalidError) Error() string { return e.Path + ": " + e.Reason() }

// Reason is the quantity's value and what is wrong with it, in words
// rather than resource.Quantity's regular expression.
func (e *InvalidError) Reason() string {
	why := e.Err.Error()
	switch {
	case errors.Is(e.Err, resource.ErrFormatWrong):
		why = "not a quantity: a number with an optional suffix, such as 500m, 2, 1.5Gi or 4e3"
	case errors.Is(e.Err, resource.ErrSuffix):
		why = "not a quantity's suffix: one of m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei, or a decimal exponent"
	}
	return fmt.Sprintf("%q: %s", truncate(e.Value), why)
}

// Unwrap returns Parse's error (resource.ErrFormatWrong, ...).
func (e *InvalidError) Unwrap() error { return e.Err }

// IsParseError reports whether err is resource.Quantity's error of a
// string it cannot parse, which names no field: InvalidJSON finds it.
func IsParseError(err error) bool {
	return errors.Is(err, resource.ErrFormatWrong) || errors.Is(err, resource.ErrSuffix) || errors.Is(err, resource.ErrNumeric)
}

// InvalidJSON reads data as CheckJSON reads it and returns an
// *InvalidError naming the first resource.Quantity of it that Parse
// refuses: what a decoder of data into t failed on, where
// resource.Quantity's own error (resource.ErrFormatWrong, ErrNumeric,
// ErrSuffix) names no field. Nil when every quantity parses, or data is
// not JSON.
func InvalidJSON(data []byte, t reflect.Type) *InvalidError {
	var err error
	path, value, found := firstQuantity(data, t, func(s string) bool {
		_, err = Parse(strings.TrimSpace(s))
		return err != nil
	})
	if !found {
		return nil
	}
	return &InvalidError{Path: path, Value: value, Err: err}
}

// firstQuantity reads data, one JSON document, as t and returns the path
// and value of its first resource.Quantity (a string or a number) that bad
// holds to be bad.
func firstQuantity(data []byte, t reflect.Type, bad func(string) bool) (path, value string, found bool) {
	if !json.Valid(data) {
		return "", "", false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var q *foundQuantity
	if err := checkValue(dec, t, "", bad); errors.As(err, &q) {
		return q.path, q.value, true
	}
	return "", "", false
}

// foundQuantity stops checkValue at the quantity it found.
type foundQuantity struct{ path, value string }

func (f *foundQuantity) Error() string { return f.path }

func checkValue(dec *json.Decoder, t reflect.Type, path string, bad func(string) bool) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok := tok.(type) {
	case json.Delim:
		if tok == '[' {
			var elem reflect.Type
			if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
				elem = t.Elem()
			}
			for i := 0; dec.More(); i++ {
				if err := checkValue(dec, elem, indexPath(elem, path, i), bad); err != nil {
					return err
				}
			}
		} else {
			var fields map[string]reflect.Type
			if t != nil && t.Kind() == reflect.Struct && t != quantityType {
				fields = jsonFields(t)
			}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				key, _ := kt.(string)
				var ft reflect.Type
				switch {
				case fields != nil:
					ft = fields[key]
				case t != nil && t.Kind() == reflect.Map:
					ft = t.Elem()
				}
				if err := checkValue(dec, ft, keyPath(ft, path, key), bad); err != nil {
					return err
				}
			}
		}
		_, err := dec.Token() // the closing delimiter
		return err
	case string:
		if t == quantityType && bad(tok) {
			return &foundQuantity{path: path, value: tok}
		}
	case json.Number:
		if t == quantityType && bad(tok.String()) {
			return &foundQuantity{path: path, value: tok.String()}
		}
	}
	return nil
}

// keyPath and indexPath build a value's path, only for a value that is
// typed (a skipped one needs none).
func keyPath(t reflect.Type, path, key string) string {
	if t == nil {
		return ""
	}
	return JoinKey(path, key)
}

// JoinKey is path with key, a field's name or a map's key, joined as
// Strata's messages name a field: after a dot, or in brackets where the
// key is not a plain name of letters, digits, '_' and '-'
// (spec.containers[0].resources.limits[nvidia.com/gpu]), so that a key
// holding dots reads as one key.
func JoinKey(path, key string) string {
	if !plainName(key) {
		return path + "[" + key + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// plainName reports whether key reads unambiguously after a dot.
func plainName(key string) bool {
	if key == "" {
		return false
	}
	for _, r := range key {
		switch {
		case r == '_', r == '-', r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		default:
			return false
		}
	}
	return true
}

func indexPath(t reflect.Type, path string, i int) string {
	if t == nil {
		return ""
	}
	return fmt.Sprintf("%s[%d]", path, i)
}

// jsonFields are t's fields by JSON name, the fields of an inline or
// untagged embedded struct among them.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-":
		case f.Anonymous && (name == "" || strings.Contains(","+opts+",", ",inline,")):
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					if _, ok := out[k]; !ok {
						out[k] = v
					}
				}
			}
		case !f.IsExported():
		case name == "":
			out[f.Name] = f.Type
		default:
			out[name] = f.Type
		}
	}
	return out
}
