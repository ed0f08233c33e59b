package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/strata-dev/strata/pkg/overlay/jsonfield"
)

// Document is one object of a manifest file.
type Document struct {
	// File is where the object was read from.
	File string
	// Index is the object's position in the file, from 0 (items of a List
	// count one by one).
	Index int
	// APIVersion, Kind and Name identify the object.
	APIVersion, Kind, Name string
	// Raw is the object as JSON.
	Raw json.RawMessage
}

// Subject names the object in messages: Kind "name", or Kind #index when it
// has no name.
func (d *Document) Subject() string {
	if d.Name != "" {
		return fmt.Sprintf("%s %q", d.Kind, d.Name)
	}
	kind := d.Kind
	if kind == "" {
		kind = "object"
	}
	return fmt.Sprintf("%s #%d", kind, d.Index+1)
}

type header struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name         string `json:"name"`
		GenerateName string `json:"generateName"`
	} `json:"metadata"`
	Items []json.RawMessage `json:"items"`
}

// maxManifestBytes bounds what one manifest file may hold, so a stray huge
// file is an error rather than an out-of-memory.
const maxManifestBytes = 64 << 20

// DecodeDocuments splits data, one YAML or JSON document or several (multi-
// document YAML, concatenated JSON, or a List), into objects. Empty documents
// are skipped.
func DecodeDocuments(file string, data []byte) ([]Document, error) {
	if len(data) > maxManifestBytes {
		return nil, fmt.Errorf("%s: file is %d bytes; at most %d are read", file, len(data), maxManifestBytes)
	}
	if err := checkDuplicateKeys(file, data); err != nil {
		return nil, err
	}
	var docs []Document
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for n := 0; ; n++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				return docs, nil
			}
			return nil, fmt.Errorf("%s: document %d: not valid YAML or JSON: %w", file, n+1, err)
		}
		trimmed := bytes.TrimSpace(raw)
		if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
			continue
		}
		var h header
		if err := json.Unmarshal(trimmed, &h); err != nil {
			return nil, fmt.Errorf("%s: document %d: expected a Kubernetes object (a mapping with apiVersion and kind): %w", file, n+1, err)
		}
		if h.Kind == "List" || strings.HasSuffix(h.Kind, "List") && h.Items != nil {
			for _, item := range h.Items {
				var ih header
				if err := json.Unmarshal(item, &ih); err != nil {
					return nil, fmt.Errorf("%s: document %d: item %d: expected a Kubernetes object: %w", file, n+1, len(docs)+1, err)
				}
				docs = append(docs, newDocument(file, len(docs), &ih, item))
			}
			continue
		}
		docs = append(docs, newDocument(file, len(docs), &h, trimmed))
	}
}

func newDocument(file string, index int, h *header, raw json.RawMessage) Document {
	name := h.Metadata.Name
	if name == "" {
		name = h.Metadata.GenerateName
	}
	return Document{File: file, Index: index, APIVersion: h.APIVersion, Kind: h.Kind, Name: name, Raw: raw}
}

// DecodeStrict decodes d into obj, as the objects of a repository are
// decoded: an unknown or duplicate field, a value of the wrong type or a
// quantity that is none is an error naming the file, the object and the
// field's path.
func (d *Document) DecodeStrict(obj any) error { return decodeStrict(d, obj) }

// decodeStrict decodes d into obj, failing on unknown or duplicate fields
// and on values of the wrong type. The messages name the field's path.
func decodeStrict(d *Document, obj any) error {
	return decodeJSONStrict(d.filePrefix()+d.Subject(), d.Raw, obj)
}

// decodeJSONStrict decodes data, JSON, into obj as decodeStrict does, its
// messages led by at.
func decodeJSONStrict(at string, data []byte, obj any) error {
	strictErrs, err := sigsjson.UnmarshalStrict(data, obj, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
	if err != nil {
		return fmt.Errorf("%s: %s", at, describeJSONError(data, reflect.TypeOf(obj), err))
	}
	if len(strictErrs) > 0 {
		msgs := make([]string, len(strictErrs))
		for i, e := range strictErrs {
			msgs[i] = e.Error()
		}
		return fmt.Errorf("%s: %s", at, strings.Join(msgs, "; "))
	}
	return nil
}

// decodeYAMLStrict decodes data, YAML or JSON, into obj as decodeStrict
// does (a key written twice is an error too), its messages led by at.
func decodeYAMLStrict(at string, data []byte, obj any) error {
	raw, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return fmt.Errorf("%s: %w", at, err)
	}
	return decodeJSONStrict(at, raw, obj)
}

// yamlBooleanHint ends the message of a boolean where a string belongs.
const yamlBooleanHint = " (in YAML, quote a string that reads as a boolean: an unquoted true, false, yes, no, on, off, y or n is one)"

// filePrefix is "file: ", or nothing for an object from the cluster.
func (d *Document) filePrefix() string {
	if d.File == "" {
		return ""
	}
	return d.File + ": "
}

// describeJSONError turns an error decoding data into a value of type t
// into "field: what is wrong", the field named with its list indices and
// map keys (jsonfield.Refused). A boolean where a string belongs is most
// often YAML's doing, and the message says so: YAML 1.1, which kubectl
// reads as Strata does, makes an unquoted yes, no, on, off, y or n a
// boolean.
func describeJSONError(data []byte, t reflect.Type, err error) string {
	field, why, ok := jsonfield.Refused(data, t, err)
	if !ok {
		return err.Error()
	}
	msg := field + ": " + why
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Value == "bool" && te.Type != nil && te.Type.Kind() == reflect.String {
		msg += yamlBooleanHint
	}
	return msg
}
