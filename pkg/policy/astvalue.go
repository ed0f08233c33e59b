package policy

import (
	"encoding"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/strata-dev/strata/pkg/mutate/jsonform"
)

// astConverter turns Go values into OPA values exactly as their JSON
// encoding would be turned (ast.InterfaceToValue of json.Unmarshal of
// json.Marshal), without the JSON: struct fields by their json tags
// (omitempty, omitzero, embedded structs inlined), maps, slices ([]byte as
// base64), pointers, and a type's own MarshalJSON or MarshalText where it
// has one (resource.Quantity, metav1.Time, intstr.IntOrString).
// ast.InterfaceToValue encodes and decodes every struct it meets; the
// policy input is mostly a pod, so building it this way is most of what
// judging a pod costs less. Types are read through jsonform, as the typed
// pod patch reads them. TestASTValueIsTheJSONValue and FuzzASTValueOfPod
// hold it to the JSON path. Safe for concurrent use.
type astConverter struct{}

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
		switch jsonform.EncodingOf(t) {
		case jsonform.JSONValue:
			return marshaled(v.Interface().(json.Marshaler))
		case jsonform.JSONPointer:
			if v.CanAddr() {
				return marshaled(v.Addr().Interface().(json.Marshaler))
			}
		case jsonform.TextValue:
			return texted(v.Interface().(encoding.TextMarshaler))
		case jsonform.TextPointer:
			if v.CanAddr() {
				return texted(v.Addr().Interface().(encoding.TextMarshaler))
			}
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
		if t.Elem().Kind() == reflect.Uint8 && jsonform.EncodingOf(t.Elem()) != jsonform.JSONPointer && jsonform.EncodingOf(t.Elem()) != jsonform.JSONValue {
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
	fields := jsonform.Fields(v.Type())
	kvs := make([][2]*ast.Term, 0, len(fields))
	for i := range fields {
		f := &fields[i]
		fv, ok := jsonform.FieldByIndex(v, f.Index)
		if !ok || f.Omitted(fv) {
			continue
		}
		e, err := c.value(fv)
		if err != nil {
			return nil, err
		}
		kvs = append(kvs, [2]*ast.Term{ast.StringTerm(f.Name), ast.NewTerm(e)})
	}
	return ast.NewObject(kvs...), nil
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
