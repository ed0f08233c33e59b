package jsonfield

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/strata-dev/strata/pkg/overlay/quantity"
)

// OfTypeError is the path in data of the value te refused, te being what
// decoding data returned: object keys joined as quantity.JoinKey joins
// them (by dots, a key that is not a plain name in brackets), and list
// elements by index ("spec.sparkConf[spark.executor.cores]",
// "spec.volumes[2].name"). Where te cannot be placed in data (its offset
// is outside data, or the value there is not of the kind te names, as
// when a type's own UnmarshalJSON decoded a document of its own), it is
// te.Field as te names it. Linear in data, read once.
func OfTypeError(data []byte, te *json.UnmarshalTypeError) string {
	if te == nil {
		return ""
	}
	if te.Offset <= 0 || te.Offset > int64(len(data)) {
		return te.Field
	}
	dec := jsontext.NewDecoder(bytes.NewReader(data),
		jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	var kind jsontext.Kind
	for dec.InputOffset() < te.Offset {
		tok, err := dec.ReadToken()
		if err != nil {
			return te.Field
		}
		kind = tok.Kind()
	}
	if !sameKind(kind, te.Value) {
		return te.Field
	}
	path := ""
	level := 0
	for tok := range dec.StackPointer().Tokens() {
		level++
		if k, _ := dec.StackIndex(level); k == '[' {
			path += "[" + tok + "]"
			continue
		}
		path = quantity.JoinKey(path, tok)
	}
	if path == "" {
		return te.Field
	}
	return path
}

// sameKind reports whether a JSON value of kind is what te.Value, the
// JSON type encoding/json names ("bool", "string", "number 300",
// "object", "array"), describes.
func sameKind(kind jsontext.Kind, value string) bool {
	switch kind {
	case 't', 'f':
		return value == "bool"
	case '"':
		return value == "string"
	case '0':
		return value == "number" || strings.HasPrefix(value, "number ")
	case '{':
		return value == "object"
	case '[':
		return value == "array"
	case 'n':
		return value == "null"
	}
	return false
}
