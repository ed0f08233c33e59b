package mutate

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strconv"

	"gomodules.xyz/jsonpatch/v2"

	"github.com/strata-dev/strata/pkg/mutate/jsonform"
)

// appendJSON appends v's JSON as CreatePatch's value of it would encode:
// what json.Marshal(valueOf(v)) gives, byte for byte (object keys sorted,
// HTML escaped), written straight from the typed value. An added sidecar
// or volume so costs the patch one encoding, not a tree of maps built for
// the response to walk and sort again. TestPatchValueIsItsEncoding holds
// it to the slow path.
func appendJSON(buf []byte, v reflect.Value) ([]byte, error) {
	t := v.Type()
	if jsonform.EncodesItself(v) {
		return appendCanonical(buf, v)
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return append(buf, "null"...), nil
		}
		return appendJSON(buf, v.Elem())
	case reflect.Struct:
		fields, ok := diffFieldsOf(t) // sorted by name
		if !ok {
			return appendCanonical(buf, v)
		}
		buf = append(buf, '{')
		first := true
		for _, f := range fields {
			fv := v.FieldByIndex(f.Index)
			if f.Omitted(fv) {
				continue
			}
			if !first {
				buf = append(buf, ',')
			}
			first = false
			buf = append(appendString(buf, f.Name), ':')
			var err error
			if buf, err = appendJSON(buf, fv); err != nil {
				return nil, err
			}
		}
		return append(buf, '}'), nil
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return appendCanonical(buf, v)
		}
		if v.IsNil() {
			return append(buf, "null"...), nil
		}
		if m, ok := stringMap(v); ok {
			return appendStringMap(buf, m), nil
		}
		keys := mapKeys(make([]string, 0, v.Len()), v)
		slices.Sort(keys)
		kt := t.Key()
		buf = append(buf, '{')
		for i, k := range keys {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(appendString(buf, k), ':')
			var err error
			if buf, err = appendJSON(buf, v.MapIndex(reflect.ValueOf(k).Convert(kt))); err != nil {
				return nil, err
			}
		}
		return append(buf, '}'), nil
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return appendCanonical(buf, v)
		}
		if v.IsNil() {
			return append(buf, "null"...), nil
		}
		buf = append(buf, '[')
		for i := range v.Len() {
			if i > 0 {
				buf = append(buf, ',')
			}
			var err error
			if buf, err = appendJSON(buf, v.Index(i)); err != nil {
				return nil, err
			}
		}
		return append(buf, ']'), nil
	case reflect.String:
		return appendString(buf, v.String()), nil
	case reflect.Bool:
		return strconv.AppendBool(buf, v.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(buf, v.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.AppendUint(buf, v.Uint(), 10), nil
	}
	return appendCanonical(buf, v)
}

// appendStringMap is appendJSON of a map[string]string: its keys sorted.
func appendStringMap(buf []byte, m map[string]string) []byte {
	keys := slices.Sorted(maps.Keys(m))
	buf = append(buf, '{')
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendString(append(appendString(buf, k), ':'), m[k])
	}
	return append(buf, '}')
}

// appendCanonical appends v's JSON through valueOf's slow path: encoded,
// decoded, encoded again with its keys sorted. A string or a literal (a
// quantity, a time, a number) is its own canonical form.
func appendCanonical(buf []byte, v reflect.Value) ([]byte, error) {
	if raw, ok := plainJSONString(v); ok {
		return append(buf, raw...), nil
	}
	val, err := jsonValueOf(v)
	if err != nil {
		return nil, err
	}
	if s, ok := val.(string); ok {
		return appendString(buf, s), nil
	}
	raw, err := json.Marshal(val)
	if err != nil {
		return nil, err
	}
	return append(buf, raw...), nil
}

// plainJSONString is what v's own MarshalJSON writes, when that is a
// string of printable ASCII that encoding/json leaves as it is (no quote,
// backslash or HTML's <, > and &): a quantity, a time, a string
// IntOrString. json.Marshal would give the same bytes through an encoder,
// a check of them and a copy; the slow path a decoding on top.
func plainJSONString(v reflect.Value) ([]byte, bool) {
	if v.CanAddr() {
		v = v.Addr()
	}
	m, ok := v.Interface().(json.Marshaler)
	if !ok || v.Kind() == reflect.Pointer && v.IsNil() {
		return nil, false
	}
	raw, err := m.MarshalJSON()
	if err != nil || len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return nil, false
	}
	return raw, plain(raw[1 : len(raw)-1])
}

// plain reports whether s is printable ASCII without a quote, a
// backslash or HTML's <, > and &: what encoding/json writes as it is.
func plain[S string | []byte](s S) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// appendString appends s as encoding/json writes a string: printable ASCII
// without quotes, backslashes or HTML's <, > and & as it is; anything else
// through the encoder itself.
func appendString(buf []byte, s string) []byte {
	if !plain(s) {
		raw, _ := json.Marshal(s) // a string always encodes
		return append(buf, raw...)
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}

// EncodePatch is ops as the API server receives them: what json.Marshal
// gives for them, byte for byte, with each value encoded already
// (appendJSON's) written as it is instead of scanned twice more by the
// encoder. The webhook answers with it. TestTypedDiffIsTheGenericDiff
// holds it to json.Marshal.
func EncodePatch(ops []jsonpatch.Operation) ([]byte, error) {
	if ops == nil {
		return []byte("null"), nil
	}
	buf := append(make([]byte, 0, encodedSize(ops)), '[')
	for i := range ops {
		op := &ops[i]
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendString(append(buf, `{"op":`...), op.Operation)
		buf = appendString(append(buf, `,"path":`...), op.Path)
		switch v := op.Value.(type) {
		case nil:
			// jsonpatch.Operation's own encoding: add and replace always
			// carry a value, the others none when it is nil.
			if op.Operation == "add" || op.Operation == "replace" {
				buf = append(buf, `,"value":null`...)
			}
		case string:
			buf = appendString(append(buf, `,"value":`...), v)
		case json.RawMessage:
			if len(v) == 0 {
				v = json.RawMessage("null")
			}
			buf = append(append(buf, `,"value":`...), v...)
		default:
			raw, err := json.Marshal(v)
			if err != nil {
				return nil, err
			}
			buf = append(append(buf, `,"value":`...), raw...)
		}
		buf = append(buf, '}')
	}
	return append(buf, ']'), nil
}

// encodedSize is about the length of ops encoded: the whole patch in one
// allocation, most of the time.
func encodedSize(ops []jsonpatch.Operation) int {
	n := 2
	for i := range ops {
		n += len(`{"op":"replace","path":"","value":},`) + len(ops[i].Path)
		switch v := ops[i].Value.(type) {
		case json.RawMessage:
			n += len(v)
		case string:
			n += len(v) + 2
		default:
			n += 16
		}
	}
	return n
}
