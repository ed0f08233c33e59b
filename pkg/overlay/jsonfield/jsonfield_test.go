package jsonfield

import (
	stdjson "encoding/json"
	"errors"
	"reflect"
	"testing"

	sigsjson "sigs.k8s.io/json"
)

// doc is a document type with what the decoders' paths go through: a
// struct, a list of structs, maps of scalars and of lists, and an
// embedded struct whose fields are inlined.
type doc struct {
	Spec struct {
		Inlined
		Conf map[string]string `json:"conf"`
		Env  []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"env"`
		Groups map[string][]struct {
			Size int32 `json:"size"`
		} `json:"groups"`
		List  []string   `json:"list"`
		Grid  [][]int    `json:"grid"`
		Inner *struct{}  `json:"inner"`
		Own   ownDecoder `json:"own"`
	} `json:"spec"`
}

// Inlined is embedded in doc's spec.
type Inlined struct {
	Cores int32 `json:"cores"`
}

// ownDecoder decodes a document of its own, so its type errors' offsets
// are into that document, not the one being decoded.
type ownDecoder struct{ N int }

func (o *ownDecoder) UnmarshalJSON(b []byte) error {
	var s struct {
		N int `json:"n"`
	}
	if err := stdjson.Unmarshal([]byte(`{"n":"x"}`), &s); err != nil {
		return err
	}
	o.N = s.N
	return nil
}

func TestOfTypeError(t *testing.T) {
	for in, want := range map[string]string{
		`{"spec":{"env":[{"name":"a","value":"x"},{"name":"b","value":true}]}}`:            "spec.env[1].value",
		`{"spec":{"env":[{"name":"a","value":"x"},{"name":"b","value":null}, 3]}}`:         "spec.env[2]",
		`{"spec":{"conf":{"a.b":"x","spark.executor.cores":2}}}`:                           "spec.conf[spark.executor.cores]",
		`{"spec":{"conf":{"plain":false}}}`:                                                "spec.conf.plain",
		`{"spec":{"conf":{"":1}}}`:                                                         "spec.conf[]",
		`{"spec":{"groups":{"k.1":[{"size":1},{"size":"s"}]}}}`:                            "spec.groups[k.1][1].size",
		`{"spec":{"groups":{"a":[{"size":1}], "b":[{"size":1},{"size":1},{"size":1.5}]}}}`: "spec.groups.b[2].size",
		`{"spec":{"groups":{"a":[{"size":99999999999}]}}}`:                                 "spec.groups.a[0].size",
		`{"spec":{"cores":"2"}}`:                                                           "spec.cores",
		`{"spec":{"list":{"a":1}}}`:                                                        "spec.list",
		`{"spec":{"list":["a",["b"]]}}`:                                                    "spec.list[1]",
		`{"spec":{"grid":[[1],[2,{"x":1}]]}}`:                                              "spec.grid[1][1]",
		`{"spec":{"inner":[]}}`:                                                            "spec.inner",
		`{"spec":[]}`:                                                                      "spec",
		` { "spec" : { "env" : [ { "name" : "a" } , { "value" : 1 } ] } } `:                "spec.env[1].value",
		`{"spec":{"conf":{"a/b~c":1}}}`:                                                    "spec.conf[a/b~c]",
		`{"spec":{"conf":{"k":"v","k":1}}}`:                                                "spec.conf.k",
		// A type error in a document a type's UnmarshalJSON decoded
		// itself cannot be placed: it is named as encoding/json names it.
		`{"spec":{"own":{"n":1}}}`: "spec.own.n",
	} {
		for name, decode := range map[string]func([]byte, any) error{
			"encoding/json": stdjson.Unmarshal,
			"sigs.k8s.io/json": func(b []byte, v any) error {
				_, err := sigsjson.UnmarshalStrict(b, v)
				return err
			},
		} {
			var d doc
			var te *stdjson.UnmarshalTypeError
			if err := decode([]byte(in), &d); !errors.As(err, &te) {
				t.Errorf("%s: %s: got %v, want a type error", name, in, err)
				continue
			}
			if got := OfTypeError([]byte(in), te); got != want {
				t.Errorf("%s: %s: got %q, want %q (encoding/json's field %q)", name, in, got, want, te.Field)
			}
		}
	}
}

// TestOfTypeErrorElsewhere: an error that does not fall in data is named
// as encoding/json names it.
func TestOfTypeErrorElsewhere(t *testing.T) {
	data := []byte(`{"spec":{"cores":"2"}}`)
	for _, te := range []*stdjson.UnmarshalTypeError{
		{Field: "spec.cores", Value: "string", Offset: 0},
		{Field: "spec.cores", Value: "string", Offset: int64(len(data)) + 1},
		{Field: "spec.cores", Value: "number", Offset: 20}, // a string there
		{Field: "spec.cores", Value: "string", Offset: 1},  // the document's '{'
	} {
		if got := OfTypeError(data, te); got != te.Field {
			t.Errorf("%+v: got %q, want %q", te, got, te.Field)
		}
	}
	if got := OfTypeError([]byte(`{"a":`), &stdjson.UnmarshalTypeError{Field: "a", Value: "string", Offset: 5}); got != "a" {
		t.Errorf("truncated document: got %q, want %q", got, "a")
	}
	if got := OfTypeError(data, nil); got != "" {
		t.Errorf("no error: got %q", got)
	}
}

// FuzzOfTypeError: on any document and any offset, OfTypeError names a
// field without panicking; on a type error decoding the document, it
// names one wherever encoding/json names one (the document's root has no
// name).
func FuzzOfTypeError(f *testing.F) {
	f.Add([]byte(`{"spec":{"env":[{"name":"a","value":"x"},{"name":"b","value":true}]}}`), int64(3))
	f.Add([]byte(`{"spec":{"groups":{"k.1":[{"size":1},{"size":"s"}]}}}`), int64(40))
	f.Add([]byte(`{"spec":{"conf":{"a\u002fb":1}}}`), int64(0))
	f.Add([]byte(`[1,2,`), int64(4))
	f.Add([]byte(`0`), int64(-1))
	f.Fuzz(func(t *testing.T, data []byte, offset int64) {
		_ = OfTypeError(data, &stdjson.UnmarshalTypeError{Field: "f", Value: "number", Offset: offset})
		var d doc
		var te *stdjson.UnmarshalTypeError
		err := stdjson.Unmarshal(data, &d)
		if !errors.As(err, &te) {
			return
		}
		got := OfTypeError(data, te)
		if got == "" && te.Field != "" {
			t.Fatalf("%s: no field named for %q", data, te.Field)
		}
		if field, why, ok := Refused(data, reflect.TypeFor[doc](), err); !ok || field != got || why == "" {
			t.Fatalf("%s: Refused gave %q %q %v, want %q", data, field, why, ok, got)
		}
	})
}
