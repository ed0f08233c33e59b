package jsonform

import (
	"encoding"
	"encoding/json"
	"maps"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
)

// Field is a struct field as encoding/json sees it.
type Field struct {
	// Index is the field's index sequence (reflect.Value.FieldByIndex).
	Index []int
	// Name is its JSON name.
	Name string
	// OmitEmpty and OmitZero are its options; Quoted is the `string` one.
	OmitEmpty, OmitZero, Quoted bool
}

// Omitted reports whether encoding/json leaves out the field, whose value
// in the struct is v.
func (f *Field) Omitted(v reflect.Value) bool {
	return (f.OmitEmpty && IsEmpty(v)) || (f.OmitZero && IsZero(v))
}

// Encoding is how a type encodes itself, if it does.
type Encoding uint8

const (
	// Structural: by its kind (fields, elements, the value itself).
	Structural Encoding = iota
	// JSONValue: its MarshalJSON, on the value.
	JSONValue
	// JSONPointer: its pointer's MarshalJSON, used when the value is addressable.
	JSONPointer
	// TextValue: its MarshalText, on the value.
	TextValue
	// TextPointer: its pointer's MarshalText, used when the value is addressable.
	TextPointer
)

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
	zeroer        = reflect.TypeFor[interface{ IsZero() bool }]()

	fieldCache typeCache[[]Field]
	infoCache  typeCache[typeInfo]
)

// typeCache is what is known of each type met so far, learned once and
// copied on write: a process meets a few hundred types, all in its first
// requests, and after that every lookup is a read of a plain map. Every
// value of a pod is looked up, and sync.Map's reads were a twentieth of a
// mutation's CPU.
type typeCache[V any] struct {
	m  atomic.Pointer[map[reflect.Type]V]
	mu sync.Mutex
}

// get is what is known of t, learned by learn on first use.
func (c *typeCache[V]) get(t reflect.Type, learn func(reflect.Type) V) V {
	if m := c.m.Load(); m != nil {
		if v, ok := (*m)[t]; ok {
			return v
		}
	}
	v := learn(t)
	c.mu.Lock()
	defer c.mu.Unlock()
	next := map[reflect.Type]V{}
	if m := c.m.Load(); m != nil {
		next = maps.Clone(*m)
	}
	next[t] = v
	c.m.Store(&next)
	return v
}

// typeInfo is what jsonform knows of a type beyond its fields.
type typeInfo struct {
	encoding Encoding
	// zeroer: the type has an IsZero method; ptrZeroer: its pointer has.
	zeroer, ptrZeroer bool
}

// infoOf is what is known of t.
func infoOf(t reflect.Type) typeInfo { return infoCache.get(t, learnInfo) }

func learnInfo(t reflect.Type) typeInfo {
	info := typeInfo{zeroer: t.Implements(zeroer)}
	ptr := t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface
	info.ptrZeroer = ptr && reflect.PointerTo(t).Implements(zeroer)
	switch {
	case t.Implements(jsonMarshaler):
		info.encoding = JSONValue
	case ptr && reflect.PointerTo(t).Implements(jsonMarshaler):
		info.encoding = JSONPointer
	case t.Implements(textMarshaler):
		info.encoding = TextValue
	case ptr && reflect.PointerTo(t).Implements(textMarshaler):
		info.encoding = TextPointer
	}
	return info
}

// EncodingOf is how t encodes itself.
func EncodingOf(t reflect.Type) Encoding {
	return infoOf(t).encoding
}

// EncodesItself reports whether v, as it is (addressable or not), is
// encoded by a method of its own.
func EncodesItself(v reflect.Value) bool {
	switch EncodingOf(v.Type()) {
	case JSONValue, TextValue:
		return true
	case JSONPointer, TextPointer:
		return v.CanAddr()
	}
	return false
}

// Fields lists t's fields, a struct type's, as encoding/json encodes them:
// exported, by tag name, embedded structs without a name inlined (a
// shallower field wins a name, as encoding/json's dominance rule says), in
// the order encoding/json writes them.
func Fields(t reflect.Type) []Field { return fieldCache.get(t, learnFields) }

func learnFields(t reflect.Type) []Field {
	var out []Field
	depth := map[string]int{}
	var walk func(t reflect.Type, index []int)
	walk = func(t reflect.Type, index []int) {
		for i := range t.NumField() {
			sf := t.Field(i)
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			ft := sf.Type
			if sf.Anonymous && name == "" {
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					walk(ft, append(append([]int(nil), index...), i))
					continue
				}
			}
			if !sf.IsExported() {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			d := len(index)
			if prev, seen := depth[name]; seen && prev <= d {
				continue
			}
			depth[name] = d
			out = withoutName(out, name)
			out = append(out, Field{Index: append(append([]int(nil), index...), i), Name: name,
				OmitEmpty: hasOption(opts, "omitempty"), OmitZero: hasOption(opts, "omitzero"), Quoted: hasOption(opts, "string")})
		}
	}
	walk(t, nil)
	return out
}

func withoutName(fields []Field, name string) []Field {
	out := fields[:0]
	for _, f := range fields {
		if f.Name != name {
			out = append(out, f)
		}
	}
	return out
}

func hasOption(opts, want string) bool {
	for o := range strings.SplitSeq(opts, ",") {
		if o == want {
			return true
		}
	}
	return false
}

// FieldByIndex is v.FieldByIndex, false where an embedded pointer is nil
// (encoding/json leaves such fields out).
func FieldByIndex(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}

// IsEmpty is encoding/json's omitempty test.
func IsEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}

// IsZero is encoding/json's omitzero test: the type's IsZero, or the zero value.
func IsZero(v reflect.Value) bool {
	info := infoOf(v.Type())
	if info.zeroer {
		if v.Kind() == reflect.Pointer && v.IsNil() {
			return true
		}
		return v.Interface().(interface{ IsZero() bool }).IsZero()
	}
	if v.CanAddr() && info.ptrZeroer {
		return v.Addr().Interface().(interface{ IsZero() bool }).IsZero()
	}
	return v.IsZero()
}
