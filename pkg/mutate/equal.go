package mutate

import (
	"bytes"
	"maps"
	"reflect"
)

// deepEqual reports whether b and a, two values of one type, are deeply
// equal as reflect.DeepEqual has them (TestDeepEqualIsReflects holds it
// to that), for acyclic values: what a decoded or composed pod is, as
// JSON has no cycles. The typed patch asks it before diffing each field,
// list element and map value that may differ.
//
// reflect.DeepEqual records each list, map and pointer it compares in a
// map of visited pairs, to end on cycles; that record was most of what it
// cost the patch, and deepEqual keeps none. It reads unexported fields
// (a resource.Quantity's) as DeepEqual does.
func deepEqual(b, a reflect.Value) bool {
	switch b.Kind() {
	case reflect.Struct:
		for i := range b.NumField() {
			if !deepEqual(b.Field(i), a.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Pointer:
		if b.UnsafePointer() == a.UnsafePointer() {
			return true
		}
		if b.IsNil() || a.IsNil() {
			return false
		}
		return deepEqual(b.Elem(), a.Elem())
	case reflect.Interface:
		if b.IsNil() || a.IsNil() {
			return b.IsNil() == a.IsNil()
		}
		if b.Elem().Type() != a.Elem().Type() {
			return false
		}
		return deepEqual(b.Elem(), a.Elem())
	case reflect.Slice:
		if b.IsNil() != a.IsNil() || b.Len() != a.Len() {
			return false
		}
		if b.UnsafePointer() == a.UnsafePointer() {
			return true
		}
		if b.Type().Elem().Kind() == reflect.Uint8 { // raw JSON, managedFields: as DeepEqual, at once
			return bytes.Equal(b.Bytes(), a.Bytes())
		}
		return elementsEqual(b, a)
	case reflect.Array:
		return elementsEqual(b, a)
	case reflect.Map:
		if b.IsNil() != a.IsNil() || b.Len() != a.Len() {
			return false
		}
		if b.UnsafePointer() == a.UnsafePointer() {
			return true
		}
		if bm, ok := stringMap(b); ok {
			am, _ := stringMap(a)
			return maps.Equal(bm, am)
		}
		for it := b.MapRange(); it.Next(); {
			av := a.MapIndex(it.Key())
			if !av.IsValid() || !deepEqual(it.Value(), av) {
				return false
			}
		}
		return true
	case reflect.Func:
		return b.IsNil() && a.IsNil()
	case reflect.String:
		return b.String() == a.String()
	case reflect.Bool:
		return b.Bool() == a.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return b.Int() == a.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return b.Uint() == a.Uint()
	case reflect.Float32, reflect.Float64:
		return b.Float() == a.Float()
	case reflect.Complex64, reflect.Complex128:
		return b.Complex() == a.Complex()
	case reflect.Chan, reflect.UnsafePointer:
		return b.Pointer() == a.Pointer()
	}
	return !b.IsValid() && !a.IsValid()
}

// elementsEqual compares two lists of one length element by element.
func elementsEqual(b, a reflect.Value) bool {
	for i := range b.Len() {
		if !deepEqual(b.Index(i), a.Index(i)) {
			return false
		}
	}
	return true
}
