package sparkv1beta2

import (
	"bytes"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	json "sigs.k8s.io/json"
)

// Object is a SparkApplication as written, with its typed view. App may be
// changed; Marshal writes back the typed fields that changed and keeps
// every other field of the original, known to this mirror or not.
type Object struct {
	// App is the typed view.
	App SparkApplication
	// raw is the whole object as decoded (numbers kept as written).
	raw map[string]any
	// typed is App as decoded, as JSON values: what a field was before
	// composition, to tell what changed.
	typed map[string]any
}

// Decode decodes a SparkApplication from JSON. Unknown fields are kept;
// a field Strata reads with a value of the wrong type is an error naming
// the field.
func Decode(data []byte) (*Object, error) {
	return decode(data, func(field string) string { return field })
}

// decode is Decode, naming a field of a type error by name(field).
func decode(data []byte, name func(field string) string) (*Object, error) {
	o := &Object{}
	if err := decodeValues(data, &o.raw); err != nil {
		return nil, err
	}
	if o.raw == nil {
		return nil, fmt.Errorf("a SparkApplication must be a JSON object")
	}
	if err := json.UnmarshalCaseSensitivePreserveInts(data, &o.App); err != nil {
		return nil, describe(err, name)
	}
	var err error
	if o.typed, err = valuesOf(&o.App); err != nil {
		return nil, err
	}
	return o, nil
}

// DeepCopy copies o, the typed view and the original alike.
func (o *Object) DeepCopy() *Object {
	c := &Object{raw: deepCopyValue(o.raw).(map[string]any), typed: deepCopyValue(o.typed).(map[string]any)}
	// The typed view holds JSON types only, so it round-trips.
	data, err := stdjson.Marshal(&o.App)
	if err == nil {
		err = stdjson.Unmarshal(data, &c.App)
	}
	if err != nil {
		panic(fmt.Sprintf("copying a SparkApplication: %v", err))
	}
	return c
}

// Original is the object as it was decoded, as JSON.
func (o *Object) Original() ([]byte, error) { return stdjson.Marshal(o.raw) }

// Marshal is the object with the typed view's changes: each field of the
// typed view whose value differs from the decoded one replaces the
// original's (or removes it, when now unset); every other field is the
// original's.
func (o *Object) Marshal() ([]byte, error) {
	out, err := o.Values()
	if err != nil {
		return nil, err
	}
	return stdjson.Marshal(out)
}

// Values is what Marshal encodes, as JSON values.
func (o *Object) Values() (map[string]any, error) {
	now, err := valuesOf(&o.App)
	if err != nil {
		return nil, err
	}
	out := deepCopyValue(o.raw).(map[string]any)
	writeChanges(out, o.typed, now)
	return out, nil
}

// writeChanges writes into dst every leaf of now that differs from
// before, and removes what before had and now has not. Objects are
// walked; anything else (lists, strings, numbers) is a leaf.
func writeChanges(dst, before, now map[string]any) {
	for k, nv := range now {
		bv, had := before[k]
		nm, nIsObj := nv.(map[string]any)
		bm, bIsObj := bv.(map[string]any)
		dm, dIsObj := dst[k].(map[string]any)
		switch {
		case had && reflect.DeepEqual(bv, nv):
		case nIsObj && bIsObj && dIsObj:
			writeChanges(dm, bm, nm)
		case nIsObj && dIsObj && !had:
			writeChanges(dm, map[string]any{}, nm)
		default:
			dst[k] = deepCopyValue(nv)
		}
	}
	for k := range before {
		if _, still := now[k]; !still {
			delete(dst, k)
		}
	}
}

// valuesOf is v encoded and decoded as JSON values.
func valuesOf(v any) (map[string]any, error) {
	data, err := stdjson.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding a SparkApplication: %w", err)
	}
	var out map[string]any
	if err := decodeValues(data, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// decodeValues decodes JSON values, numbers as written (json.Number).
func decodeValues(data []byte, out *map[string]any) error {
	dec := stdjson.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("decoding a SparkApplication: %w", err)
	}
	return nil
}

func deepCopyValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = deepCopyValue(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = deepCopyValue(e)
		}
		return out
	}
	return v
}

// describe turns a type error into "field: expected T, got V", the field
// named by name.
func describe(err error, name func(field string) string) error {
	var te *stdjson.UnmarshalTypeError
	if errors.As(err, &te) {
		// The sections' shared fields are inlined from SparkPodSpec.
		return fmt.Errorf("%s: expected %s, got JSON %s", name(strings.ReplaceAll(te.Field, "SparkPodSpec.", "")), te.Type, te.Value)
	}
	return fmt.Errorf("decoding a SparkApplication: %w", err)
}

// FromApp is an Object of a typed application built in code, as if
// decoded.
func FromApp(app *SparkApplication) (*Object, error) {
	data, err := stdjson.Marshal(app)
	if err != nil {
		return nil, fmt.Errorf("encoding a SparkApplication: %w", err)
	}
	return Decode(data)
}
