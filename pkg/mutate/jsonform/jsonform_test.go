package jsonform

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

type inner struct {
	A string `json:"a"`
	B string `json:"b,omitempty"`
}

type shadowing struct {
	inner
	B     int      `json:"b"` // shallower: wins the name
	C     *inner   `json:"c,omitzero"`
	D     int      `json:"d,string"`
	E     string   `json:"-"`
	F     bool     // no tag: the Go name
	g     string   //nolint:unused // unexported: never encoded
	Ptr   *inner   `json:",inline"`
	Items []string `json:"items,omitempty"`
}

// TestFieldsAreEncodingJSONs: the fields Fields lists, and which it omits,
// are what encoding/json writes, in its order.
func TestFieldsAreEncodingJSONs(t *testing.T) {
	var names []string
	for _, f := range Fields(reflect.TypeFor[shadowing]()) {
		names = append(names, f.Name)
	}
	want := []string{"a", "b", "c", "d", "F", "Ptr", "items"}
	if !slices.Equal(names, want) {
		t.Fatalf("fields %v, want %v", names, want)
	}
	for _, v := range []shadowing{{}, {inner: inner{A: "x", B: "y"}, B: 1, C: &inner{}, D: 2, F: true, Items: []string{"i"}}} {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		rv := reflect.ValueOf(v)
		for _, f := range Fields(rv.Type()) {
			fv, _ := FieldByIndex(rv, f.Index)
			if _, written := doc[f.Name]; written == f.Omitted(fv) {
				t.Errorf("%s in %s: written %v, Omitted says %v", f.Name, raw, written, f.Omitted(fv))
			}
		}
	}
}

// TestEncodingOf names the Kubernetes types that encode themselves and how.
func TestEncodingOf(t *testing.T) {
	for typ, want := range map[reflect.Type]Encoding{
		reflect.TypeFor[resource.Quantity]():  JSONValue,
		reflect.TypeFor[*resource.Quantity](): JSONValue,
		reflect.TypeFor[metav1.Time]():        JSONValue,
		reflect.TypeFor[intstr.IntOrString](): JSONValue,
		reflect.TypeFor[byPointer]():          JSONPointer,
		reflect.TypeFor[byText]():             TextValue,
		reflect.TypeFor[corev1.Container]():   Structural,
		reflect.TypeFor[string]():             Structural,
	} {
		if got := EncodingOf(typ); got != want {
			t.Errorf("%s: %d, want %d", typ, got, want)
		}
	}
	var f byPointer
	if EncodesItself(reflect.ValueOf(f)) || !EncodesItself(reflect.ValueOf(&f).Elem()) {
		t.Error("a pointer's MarshalJSON applies to an addressable value only")
	}
}

type byPointer struct{}

func (*byPointer) MarshalJSON() ([]byte, error) { return []byte(`"p"`), nil }

type byText struct{}

func (byText) MarshalText() ([]byte, error) { return []byte("t"), nil }

type zeroByValue struct{ n int }

func (z zeroByValue) IsZero() bool { return z.n == 7 }

type zeroByPointer struct{ n int }

func (z *zeroByPointer) IsZero() bool { return z.n == 7 }

// everyKind has an omitempty field of each kind encoding/json tests, and
// omitzero fields whose types say what zero is.
type everyKind struct {
	U   uint           `json:"u,omitempty"`
	U8  uint8          `json:"u8,omitempty"`
	Fl  float64        `json:"fl,omitempty"`
	F32 float32        `json:"f32,omitempty"`
	I   int16          `json:"i,omitempty"`
	B   bool           `json:"b,omitempty"`
	M   map[string]int `json:"m,omitempty"`
	A   [0]int         `json:"a,omitempty"`
	Any any            `json:"any,omitempty"`
	P   *int           `json:"p,omitempty"`
	Z   zeroByValue    `json:"z,omitzero"`
	ZP  zeroByPointer  `json:"zp,omitzero"`
	PZ  *zeroByValue   `json:"pz,omitzero"`
	PI  *inner         `json:"pi,omitzero"`
	S   inner          `json:"s,omitzero"`
}

// TestOmittedIsEncodingJSONs: for every kind, empty and not, zero by its
// type's IsZero and not, addressable and not, Omitted is what
// encoding/json does.
func TestOmittedIsEncodingJSONs(t *testing.T) {
	one := 1
	for _, v := range []everyKind{
		{},
		{Z: zeroByValue{7}, ZP: zeroByPointer{7}, PZ: &zeroByValue{7}},
		{U: 1, U8: 2, Fl: 0.5, F32: -1, I: -3, B: true, M: map[string]int{"k": 1}, Any: 0, P: &one,
			Z: zeroByValue{1}, ZP: zeroByPointer{1}, PZ: &zeroByValue{}, PI: &inner{}, S: inner{A: "a"}},
	} {
		raw, err := json.Marshal(&v) // addressable: the pointer's IsZero counts
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		rv := reflect.ValueOf(&v).Elem()
		for _, f := range Fields(rv.Type()) {
			fv, _ := FieldByIndex(rv, f.Index)
			if _, written := doc[f.Name]; written == f.Omitted(fv) {
				t.Errorf("%s in %s: written %v, Omitted says %v", f.Name, raw, written, f.Omitted(fv))
			}
		}
	}
}
