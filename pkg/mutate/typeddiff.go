package mutate

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"gomodules.xyz/jsonpatch/v2"
)

// typedDiff appends the JSON Patch operations that turn b into a, two
// values of one Go type, at path: the operations jsonpatch.CreatePatch
// gives for their JSON encodings, in canonicalOrder's order (object keys
// sorted; in a list, removals from the end, then additions, then each
// element at the same index), found on the typed values. Only what differs
// is encoded: an unchanged container, environment variable or label costs
// a comparison, not a JSON round trip. What it cannot follow exactly in
// typed form (a custom JSON encoding, an interface, a `string` tag, a
// value that encodes as null on one side only) it encodes and diffs as
// JSON, the way CreatePatch does. The generic diff stays its test oracle
// (TestTypedDiffIsTheGenericDiff, TestPatchIsTheGenericDiff).
func typedDiff(ops []jsonpatch.Operation, path string, b, a reflect.Value) ([]jsonpatch.Operation, error) {
	t := b.Type()
	if encodesItself(t) {
		return jsonDiff(ops, path, b, a)
	}
	switch t.Kind() {
	case reflect.Pointer:
		switch {
		case b.IsNil() && a.IsNil():
			return ops, nil
		case b.IsNil() || a.IsNil():
			return jsonDiff(ops, path, b, a)
		}
		return typedDiff(ops, path, b.Elem(), a.Elem())
	case reflect.Struct:
		return structDiff(ops, path, b, a)
	case reflect.Map:
		if t.Key().Kind() != reflect.String || b.IsNil() || a.IsNil() {
			return jsonDiff(ops, path, b, a)
		}
		return mapDiff(ops, path, b, a)
	case reflect.Slice:
		if b.IsNil() || a.IsNil() || t.Elem().Kind() == reflect.Uint8 {
			return jsonDiff(ops, path, b, a)
		}
		return sliceDiff(ops, path, b, a)
	case reflect.String:
		if b.String() != a.String() {
			ops = append(ops, jsonpatch.Operation{Operation: "replace", Path: path, Value: a.String()})
		}
		return ops, nil
	case reflect.Bool:
		if b.Bool() != a.Bool() {
			ops = append(ops, jsonpatch.Operation{Operation: "replace", Path: path, Value: a.Bool()})
		}
		return ops, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if b.Int() != a.Int() {
			ops = append(ops, jsonpatch.Operation{Operation: "replace", Path: path, Value: json.Number(strconv.FormatInt(a.Int(), 10))})
		}
		return ops, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if b.Uint() != a.Uint() {
			ops = append(ops, jsonpatch.Operation{Operation: "replace", Path: path, Value: json.Number(strconv.FormatUint(a.Uint(), 10))})
		}
		return ops, nil
	}
	return jsonDiff(ops, path, b, a)
}

// structDiff diffs two structs as JSON objects, field by field in the
// order of their JSON names.
func structDiff(ops []jsonpatch.Operation, path string, b, a reflect.Value) ([]jsonpatch.Operation, error) {
	fields, ok := jsonFieldsOf(b.Type())
	if !ok {
		return jsonDiff(ops, path, b, a)
	}
	var err error
	for i := range fields {
		f := &fields[i]
		bv, av := b.FieldByIndex(f.index), a.FieldByIndex(f.index)
		inB, inA := !f.omitEmpty || !isEmptyValue(bv), !f.omitEmpty || !isEmptyValue(av)
		p := path + "/" + f.key
		switch {
		case !inB && !inA:
		case !inB:
			if ops, err = addOp(ops, p, av); err != nil {
				return nil, err
			}
		case !inA:
			ops = append(ops, jsonpatch.Operation{Operation: "remove", Path: p})
		case f.scalar && bv.Equal(av), !f.scalar && reflect.DeepEqual(bv.Interface(), av.Interface()):
		default:
			if ops, err = typedDiff(ops, p, bv, av); err != nil {
				return nil, err
			}
		}
	}
	return ops, nil
}

// mapDiff diffs two non-nil maps with string keys, key by key in order.
func mapDiff(ops []jsonpatch.Operation, path string, b, a reflect.Value) ([]jsonpatch.Operation, error) {
	keys := make([]string, 0, max(b.Len(), a.Len()))
	for _, m := range []reflect.Value{b, a} {
		for it := m.MapRange(); it.Next(); {
			keys = append(keys, it.Key().String())
		}
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	kt := b.Type().Key()
	var err error
	for _, k := range keys {
		kv := reflect.ValueOf(k).Convert(kt)
		bv, av := b.MapIndex(kv), a.MapIndex(kv)
		p := path + "/" + pointerEscape.Replace(k)
		switch {
		case !bv.IsValid():
			if ops, err = addOp(ops, p, av); err != nil {
				return nil, err
			}
		case !av.IsValid():
			ops = append(ops, jsonpatch.Operation{Operation: "remove", Path: p})
		case reflect.DeepEqual(bv.Interface(), av.Interface()):
		default:
			if ops, err = typedDiff(ops, p, bv, av); err != nil {
				return nil, err
			}
		}
	}
	return ops, nil
}

// sliceDiff diffs two non-nil lists as CreatePatch does: removals from the
// end, then additions, then each element at the same index.
func sliceDiff(ops []jsonpatch.Operation, path string, b, a reflect.Value) ([]jsonpatch.Operation, error) {
	n := min(b.Len(), a.Len())
	for i := b.Len() - 1; i >= n; i-- {
		ops = append(ops, jsonpatch.Operation{Operation: "remove", Path: path + "/" + strconv.Itoa(i)})
	}
	var err error
	for i := n; i < a.Len(); i++ {
		if ops, err = addOp(ops, path+"/"+strconv.Itoa(i), a.Index(i)); err != nil {
			return nil, err
		}
	}
	for i := range n {
		if bv, av := b.Index(i), a.Index(i); !reflect.DeepEqual(bv.Interface(), av.Interface()) {
			if ops, err = typedDiff(ops, path+"/"+strconv.Itoa(i), bv, av); err != nil {
				return nil, err
			}
		}
	}
	return ops, nil
}

// addOp appends an add of v's JSON at path.
func addOp(ops []jsonpatch.Operation, path string, v reflect.Value) ([]jsonpatch.Operation, error) {
	val, err := valueOf(v)
	if err != nil {
		return nil, err
	}
	return append(ops, jsonpatch.Operation{Operation: "add", Path: path, Value: val}), nil
}

// valueOf is v's JSON as CreatePatch holds it (objects as map[string]any,
// lists as []any, numbers as json.Number), built from the typed value
// without encoding it: what jsonValueOf gives, for less. What has an
// encoding of its own, and floats, go through jsonValueOf.
func valueOf(v reflect.Value) (any, error) {
	t := v.Type()
	if encodesItself(t) {
		return jsonValueOf(v)
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil, nil
		}
		return valueOf(v.Elem())
	case reflect.Struct:
		fields, ok := jsonFieldsOf(t)
		if !ok {
			return jsonValueOf(v)
		}
		out := make(map[string]any, len(fields))
		for i := range fields {
			f := &fields[i]
			fv := v.FieldByIndex(f.index)
			if f.omitEmpty && isEmptyValue(fv) {
				continue
			}
			val, err := valueOf(fv)
			if err != nil {
				return nil, err
			}
			out[f.name] = val
		}
		return out, nil
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return jsonValueOf(v)
		}
		if v.IsNil() {
			return nil, nil
		}
		out := make(map[string]any, v.Len())
		for it := v.MapRange(); it.Next(); {
			val, err := valueOf(it.Value())
			if err != nil {
				return nil, err
			}
			out[it.Key().String()] = val
		}
		return out, nil
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return jsonValueOf(v)
		}
		if v.IsNil() {
			return nil, nil
		}
		out := make([]any, v.Len())
		for i := range out {
			val, err := valueOf(v.Index(i))
			if err != nil {
				return nil, err
			}
			out[i] = val
		}
		return out, nil
	case reflect.String:
		return v.String(), nil
	case reflect.Bool:
		return v.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return json.Number(strconv.FormatInt(v.Int(), 10)), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return json.Number(strconv.FormatUint(v.Uint(), 10)), nil
	}
	return jsonValueOf(v)
}

// jsonDiff is CreatePatch's diff of the encodings of b and a at path, its
// operations put in canonical order.
func jsonDiff(ops []jsonpatch.Operation, path string, b, a reflect.Value) ([]jsonpatch.Operation, error) {
	x, err := jsonOf(b)
	if err != nil {
		return nil, err
	}
	y, err := jsonOf(a)
	if err != nil {
		return nil, err
	}
	sub, err := jsonpatch.CreatePatch(x, y)
	if err != nil {
		return nil, fmt.Errorf("computing patch: %w", err)
	}
	if len(sub) == 0 {
		return ops, nil
	}
	var shape any
	if err := json.Unmarshal(x, &shape); err != nil {
		return nil, err
	}
	for _, op := range canonicalOrder(sub, shape) {
		op.Path = path + op.Path
		ops = append(ops, op)
	}
	return ops, nil
}

// jsonOf encodes v as encoding/json encodes it inside its parent: through
// its address when it has one, so methods on the pointer apply.
func jsonOf(v reflect.Value) ([]byte, error) {
	if v.CanAddr() {
		v = v.Addr()
	}
	return json.Marshal(v.Interface())
}

// jsonValueOf is v's JSON as CreatePatch holds it (numbers as json.Number).
func jsonValueOf(v reflect.Value) (any, error) {
	raw, err := jsonOf(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out any
	err = dec.Decode(&out)
	return out, err
}

var pointerEscape = strings.NewReplacer("~", "~0", "/", "~1")

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// selfEncoding caches encodesItself by type.
var selfEncoding sync.Map // reflect.Type -> bool

// encodesItself reports whether t (or *t) has its own JSON or text encoding.
func encodesItself(t reflect.Type) bool {
	if v, ok := selfEncoding.Load(t); ok {
		return v.(bool)
	}
	own := false
	for _, i := range []reflect.Type{marshalerType, textMarshalerType} {
		own = own || t.Implements(i) || (t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(i))
	}
	selfEncoding.Store(t, own)
	return own
}

// jsonField is one field of a struct as encoding/json encodes it.
type jsonField struct {
	key       string // escaped for a JSON pointer
	name      string // as in the JSON
	index     []int
	omitEmpty bool
	// scalar: a string, bool or number without an encoding of its own,
	// compared with ==.
	scalar bool
}

// jsonFields caches jsonFieldsOf by type.
var jsonFields sync.Map // reflect.Type -> []jsonField, or nil when not followed

// jsonFieldsOf are t's JSON fields in the order of their names, and false
// for a struct typedDiff does not follow field by field (one with an
// encoding of its own, an embedded pointer, a `string` or `omitzero` tag,
// or two fields of one name).
func jsonFieldsOf(t reflect.Type) ([]jsonField, bool) {
	if f, ok := jsonFields.Load(t); ok {
		fields, _ := f.([]jsonField)
		return fields, fields != nil
	}
	fields, ok := collectFields(t, nil)
	if ok {
		slices.SortFunc(fields, func(x, y jsonField) int { return strings.Compare(x.name, y.name) })
		for i := 1; i < len(fields); i++ {
			if fields[i].name == fields[i-1].name {
				ok = false
			}
		}
	}
	if !ok {
		fields = nil
	}
	jsonFields.Store(t, fields)
	return fields, ok
}

func collectFields(t reflect.Type, prefix []int) ([]jsonField, bool) {
	var out []jsonField
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		index := append(slices.Clone(prefix), i)
		if sf.Anonymous && name == "" {
			if sf.Type.Kind() != reflect.Struct || encodesItself(sf.Type) {
				return nil, false
			}
			inner, ok := collectFields(sf.Type, index)
			if !ok {
				return nil, false
			}
			out = append(out, inner...)
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		options := strings.Split(opts, ",")
		if slices.Contains(options, "string") || slices.Contains(options, "omitzero") {
			return nil, false
		}
		k := sf.Type.Kind()
		scalar := !encodesItself(sf.Type) && (k == reflect.String || k == reflect.Bool || (k >= reflect.Int && k <= reflect.Uint64))
		out = append(out, jsonField{key: pointerEscape.Replace(name), name: name, index: index,
			omitEmpty: slices.Contains(options, "omitempty"), scalar: scalar})
	}
	return out, true
}

// isEmptyValue is encoding/json's test for omitempty.
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}
