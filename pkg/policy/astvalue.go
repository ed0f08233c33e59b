package policy

import (
	"encoding"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
)

// astConverter turns Go values into OPA values exactly as their JSON
// encoding would be turned (ast.InterfaceToValue of json.Unmarshal of
// json.Marshal), without the JSON: struct fields by their json tags
// (omitempty, omitzero, embedded structs inlined), maps, slices ([]byte as
// base64), pointers, and a type's own MarshalJSON or MarshalText where it
// has one (resource.Quantity, metav1.Time, intstr.IntOrString).
// ast.InterfaceToValue encodes and decodes every struct it meets; the
// policy input is mostly a pod, so building it this way is most of what
// judging a pod costs less. TestASTValueIsTheJSONValue and
// FuzzASTValueOfPod hold it to the JSON path. Safe for concurrent use; it
// remembers the fields of each struct type it has seen.
type astConverter struct {
	fields sync.Map // reflect.Type -> []jsonField
}

// jsonField is a struct field as encoding/json sees it.
type jsonField struct {
	index     []int
	name      string
	omitEmpty bool
	omitZero  bool
}

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
	zeroer        = reflect.TypeFor[interface{ IsZero() bool }]()
)

// valueOf converts x.
func (c *astConverter) valueOf(x any) (ast.Value, error) {
	return c.value(reflect.ValueOf(x))
}

func (c *astConverter) value(v reflect.Value) (ast.Value, error) {
	if !v.IsValid() {
		return ast.NullValue, nil
	}
	t := v.Type()
	if (t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface) || !v.IsNil() {
		if t.Implements(jsonMarshaler) {
			return marshaled(v.Interface().(json.Marshaler))
		}
		if v.CanAddr() && reflect.PointerTo(t).Implements(jsonMarshaler) {
			return marshaled(v.Addr().Interface().(json.Marshaler))
		}
		if t.Implements(textMarshaler) {
			return texted(v.Interface().(encoding.TextMarshaler))
		}
		if v.CanAddr() && reflect.PointerTo(t).Implements(textMarshaler) {
			return texted(v.Addr().Interface().(encoding.TextMarshaler))
		}
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return ast.NullValue, nil
		}
		return c.value(v.Elem())
	case reflect.Struct:
		return c.object(v)
	case reflect.Map:
		if v.IsNil() {
			return ast.NullValue, nil
		}
		kvs := make([][2]*ast.Term, 0, v.Len())
		it := v.MapRange()
		for it.Next() {
			k, err := mapKey(it.Key())
			if err != nil {
				return nil, err
			}
			e, err := c.value(it.Value())
			if err != nil {
				return nil, err
			}
			kvs = append(kvs, [2]*ast.Term{ast.StringTerm(k), ast.NewTerm(e)})
		}
		return ast.NewObject(kvs...), nil
	case reflect.Slice:
		if v.IsNil() {
			return ast.NullValue, nil
		}
		if t.Elem().Kind() == reflect.Uint8 && !reflect.PointerTo(t.Elem()).Implements(jsonMarshaler) {
			return ast.String(base64.StdEncoding.EncodeToString(v.Bytes())), nil
		}
		return c.array(v)
	case reflect.Array:
		return c.array(v)
	case reflect.String:
		return ast.String(v.String()), nil
	case reflect.Bool:
		return ast.Boolean(v.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return ast.Number(strconv.FormatInt(v.Int(), 10)), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return ast.Number(strconv.FormatUint(v.Uint(), 10)), nil
	case reflect.Float32, reflect.Float64:
		// As JSON does: encode, then decode as a float64.
		b, err := json.Marshal(v.Interface())
		if err != nil {
			return nil, err
		}
		f, err := strconv.ParseFloat(string(b), 64)
		if err != nil {
			return nil, err
		}
		return ast.InterfaceToValue(f)
	}
	return nil, fmt.Errorf("policy input: cannot encode a %s", t)
}

func (c *astConverter) array(v reflect.Value) (ast.Value, error) {
	terms := make([]*ast.Term, v.Len())
	for i := range terms {
		e, err := c.value(v.Index(i))
		if err != nil {
			return nil, err
		}
		terms[i] = ast.NewTerm(e)
	}
	return ast.NewArray(terms...), nil
}

func (c *astConverter) object(v reflect.Value) (ast.Value, error) {
	fields := c.fieldsOf(v.Type())
	kvs := make([][2]*ast.Term, 0, len(fields))
	for i := range fields {
		f := &fields[i]
		fv, ok := fieldByIndex(v, f.index)
		if !ok || (f.omitEmpty && isEmpty(fv)) || (f.omitZero && isZero(fv)) {
			continue
		}
		e, err := c.value(fv)
		if err != nil {
			return nil, err
		}
		kvs = append(kvs, [2]*ast.Term{ast.StringTerm(f.name), ast.NewTerm(e)})
	}
	return ast.NewObject(kvs...), nil
}

// fieldByIndex is v.FieldByIndex, false where an embedded pointer is nil
// (encoding/json leaves such fields out).
func fieldByIndex(v reflect.Value, index []int) (reflect.Value, bool) {
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

// fieldsOf lists t's fields as encoding/json encodes them: exported, by
// tag name, embedded structs without a name inlined (a shallower field
// wins a name, as encoding/json's dominance rule says).
func (c *astConverter) fieldsOf(t reflect.Type) []jsonField {
	if f, ok := c.fields.Load(t); ok {
		return f.([]jsonField)
	}
	var out []jsonField
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
			out = slicesDeleteName(out, name)
			out = append(out, jsonField{index: append(append([]int(nil), index...), i), name: name,
				omitEmpty: hasOption(opts, "omitempty"), omitZero: hasOption(opts, "omitzero")})
		}
	}
	walk(t, nil)
	c.fields.Store(t, out)
	return out
}

func slicesDeleteName(fields []jsonField, name string) []jsonField {
	out := fields[:0]
	for _, f := range fields {
		if f.name != name {
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

// isEmpty is encoding/json's omitempty test.
func isEmpty(v reflect.Value) bool {
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

// isZero is encoding/json's omitzero test: the type's IsZero, or the zero value.
func isZero(v reflect.Value) bool {
	if v.Type().Implements(zeroer) {
		if v.Kind() == reflect.Pointer && v.IsNil() {
			return true
		}
		return v.Interface().(interface{ IsZero() bool }).IsZero()
	}
	if v.CanAddr() && reflect.PointerTo(v.Type()).Implements(zeroer) {
		return v.Addr().Interface().(interface{ IsZero() bool }).IsZero()
	}
	return v.IsZero()
}

func mapKey(k reflect.Value) (string, error) {
	if k.Kind() == reflect.String {
		return k.String(), nil
	}
	if tm, ok := k.Interface().(encoding.TextMarshaler); ok {
		b, err := tm.MarshalText()
		return string(b), err
	}
	switch k.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(k.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(k.Uint(), 10), nil
	}
	return "", fmt.Errorf("policy input: cannot encode a map key of type %s", k.Type())
}

// marshaled is the value of what a type's MarshalJSON writes.
func marshaled(m json.Marshaler) (ast.Value, error) {
	b, err := m.MarshalJSON()
	if err != nil {
		return nil, err
	}
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		return nil, err
	}
	return ast.InterfaceToValue(x)
}

func texted(m encoding.TextMarshaler) (ast.Value, error) {
	b, err := m.MarshalText()
	if err != nil {
		return nil, err
	}
	return ast.String(string(b)), nil
}
