package sparkv1beta2

import (
	"bytes"
	stdjson "encoding/json"
	"fmt"
	"maps"
	"reflect"
	"strings"

	json "sigs.k8s.io/json"

	"github.com/strata-dev/strata/pkg/overlay/jsonfield"
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
	// raw and typed are never changed once made: copies of the object
	// share them, and a change is written into new maps along its path
	// only (withChanges), so the work is the change's, not the object's.
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
		return nil, describe(data, err, name)
	}
	var err error
	if o.typed, err = valuesOf(&o.App); err != nil {
		return nil, err
	}
	return o, nil
}

// DeepCopy copies o, the typed view and the original alike.
func (o *Object) DeepCopy() *Object {
	c := &Object{raw: o.raw, typed: o.typed} // never changed: shared
	o.App.DeepCopyInto(&c.App)
	return c
}

// AsDecoded is o as Decode would give what Marshal writes: an Object
// whose original is o as it is now, with a copy of o's typed view as its
// own. It encodes and decodes the typed view once, not the whole object
// twice, and copies the typed view exactly (Decode would lose what JSON
// does not tell apart, an empty list written in code from none at all);
// TestAsDecodedIsTheRoundTrip holds the two to each other.
func (o *Object) AsDecoded() (*Object, error) {
	now, err := valuesOf(&o.App)
	if err != nil {
		return nil, err
	}
	c := &Object{typed: now}
	c.raw, _ = withChanges(o.raw, o.typed, now)
	o.App.DeepCopyInto(&c.App)
	return c, nil
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

// Values is what Marshal encodes, as JSON values. It shares what did not
// change with o: read it, never change it.
func (o *Object) Values() (map[string]any, error) {
	now, err := valuesOf(&o.App)
	if err != nil {
		return nil, err
	}
	out, _ := withChanges(o.raw, o.typed, now)
	return out, nil
}

// OriginalValues is the object as it was decoded, as JSON values (what
// Original encodes). It is o's own: read it, never change it.
func (o *Object) OriginalValues() map[string]any { return o.raw }

// withChanges is dst with every leaf of now that differs from before
// written in, and what before had and now has not removed. Objects are
// walked; anything else (lists, strings, numbers) is a leaf. dst is not
// changed: the objects on the way to a change are copied, the rest
// shared, and changed reports whether anything was.
func withChanges(dst, before, now map[string]any) (out map[string]any, changed bool) {
	out = dst
	write := func() {
		if !changed {
			out, changed = maps.Clone(dst), true
			if out == nil {
				out = map[string]any{}
			}
		}
	}
	for k, nv := range now {
		bv, had := before[k]
		nm, nIsObj := nv.(map[string]any)
		bm, bIsObj := bv.(map[string]any)
		dm, dIsObj := dst[k].(map[string]any)
		switch {
		case nIsObj && dIsObj && (bIsObj || !had):
			// Walked, not compared first: comparing a large object
			// (sparkConf) at each level would read it once per level.
			if c, ok := withChanges(dm, bm, nm); ok {
				write()
				out[k] = c
			}
		case had && reflect.DeepEqual(bv, nv):
		default:
			write()
			out[k] = nv // now is never changed either: shared
		}
	}
	for k := range before {
		if _, still := now[k]; !still {
			if _, in := dst[k]; in {
				write()
				delete(out, k)
			}
		}
	}
	return out, changed
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

// describe turns an error decoding data into "field: what is wrong", the
// field, with its list indices and map keys (jsonfield.Refused), named by
// name.
func describe(data []byte, err error, name func(field string) string) error {
	field, why, ok := jsonfield.Refused(data, reflect.TypeFor[SparkApplication](), err)
	if !ok {
		return fmt.Errorf("decoding a SparkApplication: %w", err)
	}
	if !strings.Contains(field, "[") {
		// Where the field could not be placed in data, encoding/json
		// names it: the sections' shared fields inlined from
		// SparkPodSpec. A path placed in data has JSON's keys only.
		field = strings.ReplaceAll(field, "SparkPodSpec.", "")
	}
	return fmt.Errorf("%s: %s", name(field), why)
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
