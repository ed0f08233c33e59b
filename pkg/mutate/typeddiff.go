package mutate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/strata-dev/strata/pkg/mutate/jsonform"
	"gomodules.xyz/jsonpatch/v2"
)

// differ collects the JSON Patch operations of one patch (typedDiff) and
// the JSON of the values they add, one after another in values: one
// buffer for a patch's values, not one grown for each.
type differ struct {
	ops    []jsonpatch.Operation
	values []byte
}

// A patch's first operation makes room for this many, and its first
// value for this many bytes: the example pods' patches are 18 to 24
// operations and 2.3 to 4.2 KiB, and grown from nothing they were a
// dozen allocations each. A pod composed again (an empty patch) makes
// room for nothing.
const (
	opsRoom    = 16
	valuesRoom = 2048
)

// op appends o.
func (d *differ) op(o jsonpatch.Operation) {
	if d.ops == nil {
		d.ops = make([]jsonpatch.Operation, 0, opsRoom)
	}
	d.ops = append(d.ops, o)
}

// valuesStart is where the next value starts in d.values.
func (d *differ) valuesStart() int {
	if d.values == nil {
		d.values = make([]byte, 0, valuesRoom)
	}
	return len(d.values)
}

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
func (d *differ) typedDiff(path string, b, a reflect.Value) error {
	t := b.Type()
	if jsonform.EncodesItself(b) {
		return d.jsonDiff(path, b, a)
	}
	switch t.Kind() {
	case reflect.Pointer:
		switch {
		case b.IsNil() && a.IsNil():
			return nil
		case b.IsNil() || a.IsNil():
			return d.jsonDiff(path, b, a)
		}
		return d.typedDiff(path, b.Elem(), a.Elem())
	case reflect.Struct:
		return d.structDiff(path, b, a)
	case reflect.Map:
		if t.Key().Kind() != reflect.String || b.IsNil() || a.IsNil() {
			return d.jsonDiff(path, b, a)
		}
		return d.mapDiff(path, b, a)
	case reflect.Slice:
		if b.IsNil() || a.IsNil() || t.Elem().Kind() == reflect.Uint8 {
			return d.jsonDiff(path, b, a)
		}
		return d.sliceDiff(path, b, a)
	case reflect.String:
		if b.String() != a.String() {
			d.replace(path, a.String())
		}
		return nil
	case reflect.Bool:
		if b.Bool() != a.Bool() {
			d.replace(path, a.Bool())
		}
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if b.Int() != a.Int() {
			d.replace(path, json.Number(strconv.FormatInt(a.Int(), 10)))
		}
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if b.Uint() != a.Uint() {
			d.replace(path, json.Number(strconv.FormatUint(a.Uint(), 10)))
		}
		return nil
	}
	return d.jsonDiff(path, b, a)
}

// structDiff diffs two structs as JSON objects, field by field in the
// order of their JSON names.
func (d *differ) structDiff(path string, b, a reflect.Value) error {
	fields, ok := diffFieldsOf(b.Type())
	if !ok {
		return d.jsonDiff(path, b, a)
	}
	for i := range fields {
		f := &fields[i]
		bv, av := b.FieldByIndex(f.Index), a.FieldByIndex(f.Index)
		inB, inA := !f.Omitted(bv), !f.Omitted(av)
		// The field's path is built only for a field that differs.
		switch {
		case !inB && !inA:
		case !inB:
			if err := d.add(path+"/"+f.key, av); err != nil {
				return err
			}
		case !inA:
			d.remove(path + "/" + f.key)
		case f.scalar && bv.Equal(av), !f.scalar && deepEqual(bv, av):
		default:
			if err := d.typedDiff(path+"/"+f.key, bv, av); err != nil {
				return err
			}
		}
	}
	return nil
}

// mapDiff diffs two non-nil maps with string keys, key by key in order.
func (d *differ) mapDiff(path string, b, a reflect.Value) error {
	if bm, ok := stringMap(b); ok {
		am, _ := stringMap(a)
		d.stringMapDiff(path, bm, am)
		return nil
	}
	keys := mapKeys(make([]string, 0, max(b.Len(), a.Len())), b)
	keys = mapKeys(keys, a)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	kt := b.Type().Key()
	for _, k := range keys {
		kv := reflect.ValueOf(k).Convert(kt)
		bv, av := b.MapIndex(kv), a.MapIndex(kv)
		switch {
		case !bv.IsValid():
			if err := d.add(keyPath(path, k), av); err != nil {
				return err
			}
		case !av.IsValid():
			d.remove(keyPath(path, k))
		case deepEqual(bv, av):
		default:
			if err := d.typedDiff(keyPath(path, k), bv, av); err != nil {
				return err
			}
		}
	}
	return nil
}

// stringMapDiff is mapDiff of two map[string]string (labels, annotations,
// node selectors: most of the maps a patch walks), without reflection.
func (d *differ) stringMapDiff(path string, b, a map[string]string) {
	keys := make([]string, 0, max(len(b), len(a)))
	for k := range b {
		keys = append(keys, k)
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		bv, inB := b[k]
		av, inA := a[k]
		switch {
		case !inB:
			d.addString(keyPath(path, k), av)
		case !inA:
			d.remove(keyPath(path, k))
		case bv != av:
			d.replace(keyPath(path, k), av)
		}
	}
}

// keyPath is the path of key k of the object at path: built only for a
// key whose value differs.
func keyPath(path, k string) string { return path + "/" + pointerEscape.Replace(k) }

// stringMap is the map[string]string v holds, and whether it holds one
// (not a map of a named type: that keeps the reflective path, which
// follows its encoding).
func stringMap(v reflect.Value) (map[string]string, bool) {
	if v.Type() != stringMapType || !v.CanInterface() {
		return nil, false
	}
	m, ok := v.Interface().(map[string]string)
	return m, ok
}

var stringMapType = reflect.TypeFor[map[string]string]()

// mapKeys appends the keys of m, a map with string keys, read through one
// settable key rather than a copy of each.
func mapKeys(keys []string, m reflect.Value) []string {
	k := reflect.New(m.Type().Key()).Elem()
	for it := m.MapRange(); it.Next(); {
		k.SetIterKey(it)
		keys = append(keys, k.String())
	}
	return keys
}

// sliceDiff diffs two non-nil lists as CreatePatch does: removals from the
// end, then additions, then each element at the same index.
func (d *differ) sliceDiff(path string, b, a reflect.Value) error {
	n := min(b.Len(), a.Len())
	for i := b.Len() - 1; i >= n; i-- {
		d.remove(path + "/" + strconv.Itoa(i))
	}
	for i := n; i < a.Len(); i++ {
		if err := d.add(path+"/"+strconv.Itoa(i), a.Index(i)); err != nil {
			return err
		}
	}
	for i := range n {
		if bv, av := b.Index(i), a.Index(i); !deepEqual(bv, av) {
			if err := d.typedDiff(path+"/"+strconv.Itoa(i), bv, av); err != nil {
				return err
			}
		}
	}
	return nil
}

// add appends an add of v's JSON at path, encoded (appendJSON) into
// d.values.
func (d *differ) add(path string, v reflect.Value) error {
	start := d.valuesStart()
	var err error
	if d.values, err = appendJSON(d.values, v); err != nil {
		return err
	}
	d.op(jsonpatch.Operation{Operation: "add", Path: path, Value: d.valueFrom(start)})
	return nil
}

// addString is add of a string, without reflection.
func (d *differ) addString(path, s string) {
	start := d.valuesStart()
	d.values = appendString(d.values, s)
	d.op(jsonpatch.Operation{Operation: "add", Path: path, Value: d.valueFrom(start)})
}

// valueFrom is the value appended to d.values since start. Its capacity
// ends where it does, so nothing appended to it can reach the next value;
// a later value that outgrows the buffer moves on to a new one, and the
// values already handed out stay where they are.
func (d *differ) valueFrom(start int) json.RawMessage {
	return json.RawMessage(d.values[start:len(d.values):len(d.values)])
}

// remove appends a removal of path.
func (d *differ) remove(path string) {
	d.op(jsonpatch.Operation{Operation: "remove", Path: path})
}

// replace appends a replacement of path by value.
func (d *differ) replace(path string, value any) {
	d.op(jsonpatch.Operation{Operation: "replace", Path: path, Value: value})
}

// valueOf is v's JSON as CreatePatch holds it (objects as map[string]any,
// lists as []any, numbers as json.Number), built from the typed value
// without encoding it: what jsonValueOf gives, for less. What has an
// encoding of its own, and floats, go through jsonValueOf.
func valueOf(v reflect.Value) (any, error) {
	t := v.Type()
	if jsonform.EncodesItself(v) {
		return jsonValueOf(v)
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil, nil
		}
		return valueOf(v.Elem())
	case reflect.Struct:
		fields, ok := diffFieldsOf(t)
		if !ok {
			return jsonValueOf(v)
		}
		out := make(map[string]any, len(fields))
		for i := range fields {
			f := &fields[i]
			fv := v.FieldByIndex(f.Index)
			if f.Omitted(fv) {
				continue
			}
			val, err := valueOf(fv)
			if err != nil {
				return nil, err
			}
			out[f.Name] = val
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
func (d *differ) jsonDiff(path string, b, a reflect.Value) error {
	x, err := jsonOf(b)
	if err != nil {
		return err
	}
	y, err := jsonOf(a)
	if err != nil {
		return err
	}
	sub, err := jsonpatch.CreatePatch(x, y)
	if err != nil {
		return fmt.Errorf("computing patch: %w", err)
	}
	if len(sub) == 0 {
		return nil
	}
	var shape any
	if err := json.Unmarshal(x, &shape); err != nil {
		return err
	}
	for _, op := range canonicalOrder(sub, shape) {
		op.Path = path + op.Path
		d.op(op)
	}
	return nil
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
	// A string without escapes (a quantity, a time) is its own text: most
	// values that encode themselves are, and a decoder costs a buffer.
	if n := len(raw); n >= 2 && raw[0] == '"' && raw[n-1] == '"' && bytes.IndexByte(raw[1:n-1], '\\') < 0 {
		return string(raw[1 : n-1]), nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out any
	err = dec.Decode(&out)
	return out, err
}

var pointerEscape = strings.NewReplacer("~", "~0", "/", "~1")

// diffField is a struct field as typedDiff walks it.
type diffField struct {
	jsonform.Field
	key string // Name escaped for a JSON pointer
	// scalar: a string, bool or integer without an encoding of its own,
	// compared with ==.
	scalar bool
}

// diffFields caches diffFieldsOf by type.
var diffFields sync.Map // reflect.Type -> []diffField, or nil when not followed

// diffFieldsOf are t's JSON fields in the order of their names (the
// patch's canonical order), and false for a struct typedDiff does not
// follow field by field: one with a `string` field, or an embedded
// pointer (whose nil hides fields).
func diffFieldsOf(t reflect.Type) ([]diffField, bool) {
	if f, ok := diffFields.Load(t); ok {
		fields, _ := f.([]diffField)
		return fields, fields != nil
	}
	var out []diffField
	follow := true
	for _, f := range jsonform.Fields(t) {
		if f.Quoted || (len(f.Index) > 1 && embedsPointer(t, f.Index)) {
			follow = false
			break
		}
		ft := t.FieldByIndex(f.Index).Type
		k := ft.Kind()
		scalar := jsonform.EncodingOf(ft) == jsonform.Structural &&
			(k == reflect.String || k == reflect.Bool || (k >= reflect.Int && k <= reflect.Uint64))
		out = append(out, diffField{Field: f, key: pointerEscape.Replace(f.Name), scalar: scalar})
	}
	slices.SortFunc(out, func(x, y diffField) int { return strings.Compare(x.Name, y.Name) })
	if !follow {
		out = nil
	}
	diffFields.Store(t, out)
	return out, follow
}

// embedsPointer reports whether the path to the field at index goes
// through an embedded pointer.
func embedsPointer(t reflect.Type, index []int) bool {
	for _, i := range index[:len(index)-1] {
		ft := t.Field(i).Type
		if ft.Kind() == reflect.Pointer {
			return true
		}
		t = ft
	}
	return false
}
