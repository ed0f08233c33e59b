package mutate

import (
	"encoding/json"
	"math"
	oldrand "math/rand"
	"math/rand/v2"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/randfill"
)

// TestDeepEqualIsReflects holds deepEqual to reflect.DeepEqual: random
// pods against themselves, against copies decoded from their JSON (equal,
// sharing nothing; quantities with their text cached or not), against
// copies with random fields changed, and against shallow copies (sharing
// lists and maps), compared whole and at every field, list element and
// map value the two have in common.
func TestDeepEqualIsReflects(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	fill := randfill.New().NilChance(0.3).NumElements(0, 3).MaxDepth(6).RandSource(oldrand.NewSource(13)).Funcs(
		func(q *resource.Quantity, c randfill.Continue) {
			*q = *resource.NewQuantity(c.Int63n(1<<40), resource.BinarySI)
		},
		func(f *metav1.FieldsV1, c randfill.Continue) { f.SetRawString(`{"f:metadata":{}}`) })
	var compared, unequal int
	for range 300 {
		var pod corev1.Pod
		fill.Fill(&pod)
		raw, err := json.Marshal(&pod)
		if err != nil {
			t.Fatal(err)
		}
		var decoded, changed corev1.Pod
		if err := json.Unmarshal(raw, &decoded); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &changed); err != nil {
			t.Fatal(err)
		}
		for range 1 + rng.IntN(3) {
			changeSomething(rng, fill, reflect.ValueOf(&changed).Elem())
		}
		shallow := pod
		shallow.Spec.Containers = append([]corev1.Container(nil), pod.Spec.Containers...)
		if len(shallow.Spec.Containers) > 0 {
			shallow.Spec.Containers[0].Name += "-changed"
		}
		for _, other := range []*corev1.Pod{&pod, &decoded, &changed, &shallow} {
			compareEverywhere(t, reflect.ValueOf(&pod).Elem(), reflect.ValueOf(other).Elem(), &compared, &unequal)
		}
	}
	if unequal < 10000 || compared-unequal < 10000 {
		t.Fatalf("%d of %d comparisons were unequal: the test checks too little", unequal, compared)
	}
}

// compareEverywhere compares b and a with deepEqual and reflect.DeepEqual,
// then each of their fields, list elements and map values they share.
func compareEverywhere(t *testing.T, b, a reflect.Value, compared, unequal *int) {
	t.Helper()
	want := reflect.DeepEqual(interfaceOf(b), interfaceOf(a))
	if got := deepEqual(b, a); got != want {
		t.Fatalf("deepEqual is %v, reflect.DeepEqual %v, for the %s\n%#v\n%#v", got, want, b.Type(), interfaceOf(b), interfaceOf(a))
	}
	*compared++
	if !want {
		*unequal++
	}
	switch b.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !b.IsNil() && !a.IsNil() && b.Elem().Type() == a.Elem().Type() {
			compareEverywhere(t, b.Elem(), a.Elem(), compared, unequal)
		}
	case reflect.Struct:
		for i := range b.NumField() {
			if b.Type().Field(i).IsExported() {
				compareEverywhere(t, b.Field(i), a.Field(i), compared, unequal)
			}
		}
	case reflect.Slice:
		for i := range min(b.Len(), a.Len()) {
			compareEverywhere(t, b.Index(i), a.Index(i), compared, unequal)
		}
	case reflect.Map:
		for it := b.MapRange(); it.Next(); {
			if av := a.MapIndex(it.Key()); av.IsValid() {
				compareEverywhere(t, it.Value(), av, compared, unequal)
			}
		}
	}
}

// interfaceOf is what v holds, for reflect.DeepEqual.
func interfaceOf(v reflect.Value) any {
	if v.CanAddr() {
		return v.Addr().Interface()
	}
	return v.Interface()
}

// TestDeepEqualCases: the cases random pods rarely make.
func TestDeepEqualCases(t *testing.T) {
	type inner struct{ F float64 }
	type value struct {
		List  []string
		Map   map[string]int
		Any   any
		Ptr   *inner
		Func  func()
		Inner inner
		Array [2]string
		Bytes []byte
	}
	list := []string{"a", "b"}
	nan := math.NaN()
	cases := []struct {
		name string
		b, a value
	}{
		{"zero", value{}, value{}},
		{"nil and empty list", value{List: nil}, value{List: []string{}}},
		{"nil and empty map", value{Map: nil}, value{Map: map[string]int{}}},
		{"one list", value{List: list}, value{List: list}},
		{"a list's prefix", value{List: list[:1]}, value{List: list}},
		{"equal lists", value{List: []string{"a"}}, value{List: []string{"a"}}},
		{"a map's missing key", value{Map: map[string]int{"a": 0}}, value{Map: map[string]int{"b": 0}}},
		{"a map's value", value{Map: map[string]int{"a": 1}}, value{Map: map[string]int{"a": 2}}},
		{"nil and a value", value{Any: nil}, value{Any: 0}},
		{"two types", value{Any: int32(1)}, value{Any: int64(1)}},
		{"equal values", value{Any: []int{1}}, value{Any: []int{1}}},
		{"nil and a pointer", value{}, value{Ptr: &inner{}}},
		{"equal pointers", value{Ptr: &inner{F: 1}}, value{Ptr: &inner{F: 1}}},
		{"NaN", value{Inner: inner{F: nan}}, value{Inner: inner{F: nan}}},
		{"a function", value{Func: func() {}}, value{Func: func() {}}},
		{"arrays", value{Array: [2]string{"a"}}, value{Array: [2]string{"a", "b"}}},
		{"bytes", value{Bytes: []byte("{}")}, value{Bytes: []byte("{ }")}},
		{"equal bytes", value{Bytes: []byte("{}")}, value{Bytes: []byte("{}")}},
		{"nil and empty bytes", value{Bytes: nil}, value{Bytes: []byte{}}},
	}
	for _, c := range cases {
		ptr := &inner{F: nan}
		for _, pair := range [][2]value{{c.b, c.a}, {c.a, c.b}, {c.b, c.b}, {{Ptr: ptr}, {Ptr: ptr}}} {
			want := reflect.DeepEqual(pair[0], pair[1])
			if got := deepEqual(reflect.ValueOf(pair[0]), reflect.ValueOf(pair[1])); got != want {
				t.Errorf("%s: deepEqual is %v, reflect.DeepEqual %v", c.name, got, want)
			}
		}
	}
}
