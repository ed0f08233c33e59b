package policy

import (
	"encoding"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"sync"

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
//
// The terms of a struct's field names are made once per type, and true,
// false, null and small integers are OPA's interned terms: most of a pod's
// terms are its field names, and a term made once is a term the collector
// never sees again. Sharing terms is safe: evaluation never changes a term
// of the input, and OPA shares its interned terms the same way.
type astConverter struct {
	keys sync.Map // reflect.Type -> []*ast.Term, one per jsonform.Fields
}

// valueOf converts x.
func (c *astConverter) valueOf(x any) (ast.Value, error) {
	t, err := c.termOf(reflect.ValueOf(x))
	if err != nil {
		return nil, err
	}
	return t.Value, nil
}

// termOf converts v.
func (c *astConverter) termOf(v reflect.Value) (*ast.Term, error) {
	conv := conversion{astConverter: c}
	return conv.term(v)
}

// conversion is one conversion's state. Allocation is most of what a
// conversion costs, so it hands out terms from chunks of its own rather
// than one at a time, and builds each object's pairs on one stack
// (ast.NewObject copies them).
type conversion struct {
	*astConverter
	terms []ast.Term
	pairs [][2]*ast.Term
}

// termChunk is how many terms a conversion allocates at once: a pod's
// input is a few hundred.
const termChunk = 64

// newTerm is a term of v.
func (c *conversion) newTerm(v ast.Value) *ast.Term {
	if len(c.terms) == cap(c.terms) {
		c.terms = make([]ast.Term, 0, termChunk)
	}
	c.terms = append(c.terms, ast.Term{Value: v})
	return &c.terms[len(c.terms)-1]
}

// fieldKeys are the terms of fields' names, fields being t's.
func (c *astConverter) fieldKeys(t reflect.Type, fields []jsonform.Field) []*ast.Term {
	if keys, ok := c.keys.Load(t); ok {
		return keys.([]*ast.Term)
	}
	keys := make([]*ast.Term, len(fields))
	for i := range fields {
		keys[i] = ast.StringTerm(fields[i].Name)
	}
	c.keys.Store(t, keys)
	return keys
}

func (c *conversion) term(v reflect.Value) (*ast.Term, error) {
	if !v.IsValid() {
		return ast.InternedNullTerm, nil
	}
	t := v.Type()
	if (t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface) || !v.IsNil() {
		switch jsonform.EncodingOf(t) {
		case jsonform.JSONValue:
			return termOf(marshaled(v.Interface().(json.Marshaler)))
		case jsonform.JSONPointer:
			if v.CanAddr() {
				return termOf(marshaled(v.Addr().Interface().(json.Marshaler)))
			}
		case jsonform.TextValue:
			return termOf(texted(v.Interface().(encoding.TextMarshaler)))
		case jsonform.TextPointer:
			if v.CanAddr() {
				return termOf(texted(v.Addr().Interface().(encoding.TextMarshaler)))
			}
		}
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return ast.InternedNullTerm, nil
		}
		return c.term(v.Elem())
	case reflect.Struct:
		return c.object(v)
	case reflect.Map:
		if v.IsNil() {
			return ast.InternedNullTerm, nil
		}
		base := len(c.pairs)
		it := v.MapRange()
		for it.Next() {
			k, err := mapKey(it.Key())
			if err != nil {
				return nil, err
			}
			e, err := c.term(it.Value())
			if err != nil {
				return nil, err
			}
			c.pairs = append(c.pairs, [2]*ast.Term{c.newTerm(ast.String(k)), e})
		}
		return c.objectOf(base), nil
	case reflect.Slice:
		if v.IsNil() {
			return ast.InternedNullTerm, nil
		}
		if t.Elem().Kind() == reflect.Uint8 && jsonform.EncodingOf(t.Elem()) != jsonform.JSONPointer && jsonform.EncodingOf(t.Elem()) != jsonform.JSONValue {
			return c.newTerm(ast.String(base64.StdEncoding.EncodeToString(v.Bytes()))), nil
		}
		return c.array(v)
	case reflect.Array:
		return c.array(v)
	case reflect.String:
		return c.newTerm(ast.String(v.String())), nil
	case reflect.Bool:
		return ast.InternedTerm(v.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if i := v.Int(); i >= math.MinInt && i <= math.MaxInt {
			return ast.InternedTerm(int(i)), nil
		}
		return ast.NumberTerm(json.Number(strconv.FormatInt(v.Int(), 10))), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if u := v.Uint(); u <= math.MaxInt {
			return ast.InternedTerm(int(u)), nil
		}
		return ast.NumberTerm(json.Number(strconv.FormatUint(v.Uint(), 10))), nil
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
		return termOf(ast.InterfaceToValue(f))
	}
	return nil, fmt.Errorf("policy input: cannot encode a %s", t)
}

func (c *conversion) array(v reflect.Value) (*ast.Term, error) {
	terms := make([]*ast.Term, v.Len())
	for i := range terms {
		e, err := c.term(v.Index(i))
		if err != nil {
			return nil, err
		}
		terms[i] = e
	}
	return c.newTerm(ast.NewArray(terms...)), nil
}

func (c *conversion) object(v reflect.Value) (*ast.Term, error) {
	fields := jsonform.Fields(v.Type())
	keys := c.fieldKeys(v.Type(), fields)
	base := len(c.pairs)
	for i := range fields {
		f := &fields[i]
		fv, ok := jsonform.FieldByIndex(v, f.Index)
		if !ok || f.Omitted(fv) {
			continue
		}
		e, err := c.term(fv)
		if err != nil {
			return nil, err
		}
		c.pairs = append(c.pairs, [2]*ast.Term{keys[i], e})
	}
	return c.objectOf(base), nil
}

// objectOf is the object of the pairs on the stack from base, which it
// pops.
func (c *conversion) objectOf(base int) *ast.Term {
	obj := ast.NewObject(c.pairs[base:]...)
	clear(c.pairs[base:])
	c.pairs = c.pairs[:base]
	return c.newTerm(obj)
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

// termOf is the term of a value made by f.
func termOf(v ast.Value, err error) (*ast.Term, error) {
	if err != nil {
		return nil, err
	}
	return ast.NewTerm(v), nil
}

func texted(m encoding.TextMarshaler) (ast.Value, error) {
	b, err := m.MarshalText()
	if err != nil {
		return nil, err
	}
	return ast.String(string(b)), nil
}
