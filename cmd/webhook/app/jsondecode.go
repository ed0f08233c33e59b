package app

import (
	jsonv2 "github.com/go-json-experiment/json"
)

// decodeJSON decodes raw, one JSON value from the API server (a review, a
// pod, a binding, a watched Layer), into v: encoding/json/v2's Unmarshal.
//
// Why encoding/json/v2 and not sigs.k8s.io/json, which apimachinery and
// controller-runtime read with: it decodes a Spark pod, and the review
// that carries it, in half the CPU and a third of the allocations (the
// example executor's review 42 → 21 µs, BenchmarkDecodeReview), paid for
// every pod the cluster creates, twice; a watched Layer's event 55 → 41 µs
// (BenchmarkDecodeLayerEvent). It is the standard library's
// encoding/json/v2, stable from Go 1.27; github.com/go-json-experiment/json
// is its mirror for Go 1.26, kept by the same authors, and becomes an
// alias of the standard library's with Go 1.27.
//
// It reads field names case-sensitively, as sigs.k8s.io/json's
// UnmarshalCaseSensitivePreserveInts does, and gives the same value on
// every document the API server sends (TestDecodePodJSONIsTheDecoder,
// FuzzDecodePodJSON, FuzzPodReviews hold it to the decoders it replaces).
// It is stricter on two things the API server never sends, both of which
// JSON parsers disagree on and so could smuggle a value past one reader to
// another: an object with a name twice, and strings that are not UTF-8.
// Those are errors here, where encoding/json keeps the last name and
// replaces the bytes.
func decodeJSON(raw []byte, v any) error {
	return jsonv2.Unmarshal(raw, v)
}
