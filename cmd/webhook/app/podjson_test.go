package app

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/strata-dev/strata/test/fixtures"
)

// podJSONCases are the documents both decoders are held to: the example
// pods as JSON, and what a review's object may hold that is not one.
func podJSONCases(tb testing.TB) [][]byte {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(fixtures.Examples(), "pods", "*.yaml"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no example pods (%v)", err)
	}
	var out [][]byte
	for _, f := range files {
		raw, err := json.Marshal(fixtures.Pod(tb, filepath.Base(f)))
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, raw)
	}
	for _, s := range []string{
		``, `null`, `{}`, `[]`, `"pod"`, `1`, `true`, `{`, `{} {}`, `{"a":1} x`,
		`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}`,
		`{"kind":"Pod"}`, `{"apiVersion":"v1"}`, `{"metadata":{"name":"p","labels":{"a":"b"}}}`,
		`{"apiVersion":"v1","kind":"Service"}`, `{"kind":"Service"}`, `{"apiVersion":"apps/v1","kind":"Deployment"}`,
		`{"apiVersion":"v2","kind":"Pod"}`, `{"apiVersion":"policy/v1","kind":"Pod"}`, `{"apiVersion":"","kind":""}`,
		`{"apiVersion":1,"kind":"Pod"}`, `{"spec":{"containers":"x"}}`, `{"spec":{"containers":[{"name":1}]}}`,
		`{"metadata":{"name":"p","name":"q"}}`, `{"kind":"Pod","kind":"Service"}`, `{"kind":"Service","kind":"Pod"}`,
		`{"spec":{"Containers":[{"name":"c"}]}}`, `{"spec":{"containers":[{"name":"c","resources":{"requests":{"cpu":"1e3"}}}]}}`,
		`{"spec":{"containers":[{"name":"c","resources":{"requests":{"cpu":"x"}}}]}}`,
		`{"metadata":{"creationTimestamp":"yesterday"}}`, `{"spec":{"activeDeadlineSeconds":1.5}}`,
		` {"kind":"Pod"} `, "\ufeff{}", `{"kind":"Pod\u0000"}`, `{"\u006bind":"Service"}`,
		// Numbers, nulls and escapes, where JSON decoders are known to differ.
		`{"spec":{"activeDeadlineSeconds":1e2}}`, `{"spec":{"activeDeadlineSeconds":1.0}}`, `{"spec":{"activeDeadlineSeconds":-0}}`,
		`{"spec":{"priority":2147483648}}`, `{"spec":{"priority":-2147483649}}`, `{"metadata":{"generation":9223372036854775808}}`,
		`{"spec":{"containers":[null]}}`, `{"spec":null}`, `{"metadata":{"labels":null}}`, `{"metadata":{"labels":{"a":null}}}`,
		`{"metadata":{"creationTimestamp":null}}`, `{"spec":{"overhead":{"cpu":1}}}`, `{"spec":{"overhead":{"cpu":null}}}`,
		`{"spec":{"containers":[{"name":"c","ports":[{"containerPort":"80"}]}]}}`, `{"spec":{"hostNetwork":"true"}}`,
		`{"spec":{"containers":[{"name":"c","livenessProbe":{"httpGet":{"port":"http"}}}]}}`,
		`{"spec":{"containers":[{"name":"c","livenessProbe":{"httpGet":{"port":8080}}}]}}`,
		`{"metadata":{"name":"\ud800"}}`, `{"metadata":{"name":"\ud83d\ude00"}}`, "{\"metadata\":{\"name\":\"\xff\"}}",
		`{"metadata":{"name":"a\/b\u00e9"}}`, `{"spec":{"Hostnetwork":true}}`, `{"spec":{"hostNetwork":true,"HostNetwork":false}}`,
		`{"metadata":{"ownerReferences":[{"controller":null}]}}`, `{"spec":{"securityContext":{"sysctls":[{"name":"a","value":1}]}}}`,
	} {
		out = append(out, []byte(s))
	}
	return out
}

// TestDecodePodJSONIsTheDecoder holds decodePodJSON to admission.Decoder,
// what it replaces: on every case both fail, or both give the same pod.
// The example pods are also decoded to what they are.
func TestDecodePodJSONIsTheDecoder(t *testing.T) {
	oracle := podDecoder(t)
	for _, raw := range podJSONCases(t) {
		samePodDecode(t, oracle, raw)
	}
	for _, name := range []string{"driver.yaml", "executor.yaml"} {
		want := fixtures.Pod(t, name)
		raw, err := json.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		got := &corev1.Pod{}
		if err := decodePodJSON(raw, got); err != nil || !equality.Semantic.DeepEqual(got, want) {
			t.Errorf("%s: decoded %v, error %v", name, got, err)
		}
	}
	// What parsers disagree on is refused, not read one way or the other.
	for _, raw := range []string{`{"metadata":{"name":"p","name":"q"}}`, `{"spec":{"priorityClassName":"a","priorityClassName":"system-node-critical"}}`,
		"{\"metadata\":{\"name\":\"\xff\"}}", `{"metadata":{"name":"\ud800"}}`} {
		if err := decodePodJSON([]byte(raw), &corev1.Pod{}); err == nil {
			t.Errorf("%s: decoded", raw)
		}
	}
}

// FuzzDecodePodJSON: on any bytes, decodePodJSON neither panics nor
// differs from admission.Decoder (samePodDecode) where the document names
// its apiVersion and kind with their own spelling. A key that is "kind" or "apiVersion" in other letter cases
// (encoding/json, which the decoder reads them with, takes it for the
// field; the pod's own decoding, in both, does not) is the one place they
// may differ: decodePodJSON reads them as the pod does.
func FuzzDecodePodJSON(f *testing.F) {
	for _, raw := range podJSONCases(f) {
		f.Add(raw)
	}
	oracle := podDecoder(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		if typeKeysFolded(raw) {
			_ = decodePodJSON(raw, &corev1.Pod{}) // it must not panic
			return
		}
		samePodDecode(t, oracle, raw)
	})
}

// samePodDecode fails t unless decodePodJSON and the decoder agree on raw:
// both fail, or both give the same pod. Bytes that are not JSON, which no
// review holds, decodePodJSON refuses (the decoder may read them as YAML),
// and JSON with a name twice in an object or a string that is not UTF-8
// too, which the decoder reads (decodeJSON).
func samePodDecode(t *testing.T, oracle admission.Decoder, raw []byte) {
	t.Helper()
	want, got := &corev1.Pod{}, &corev1.Pod{}
	gotErr := decodePodJSON(raw, got)
	if !json.Valid(raw) {
		if gotErr == nil {
			t.Fatalf("decoded bytes that are not JSON: %q", raw)
		}
		return
	}
	wantErr := oracle.DecodeRaw(runtime.RawExtension{Raw: raw}, want)
	switch {
	case gotErr != nil && wantErr == nil && !jsontext.Value(raw).IsValid():
		// A name twice in an object, or a string that is not UTF-8:
		// refused here (decodeJSON), read by the decoder.
	case (wantErr == nil) != (gotErr == nil):
		t.Fatalf("%q: the decoder says %v, decodePodJSON %v", raw, wantErr, gotErr)
	case gotErr == nil && !equality.Semantic.DeepEqual(got, want):
		t.Fatalf("%q: the decoder gives %+v, decodePodJSON %+v", raw, want, got)
	}
}

// typeKeysFolded reports whether the object raw holds has a key that
// folds to "kind" or "apiVersion" without being spelled so.
func typeKeysFolded(raw []byte) bool {
	var top map[string]json.RawMessage
	if json.Unmarshal(raw, &top) != nil {
		return false
	}
	for k := range top {
		for _, name := range []string{"kind", "apiVersion"} {
			if k != name && strings.EqualFold(k, name) {
				return true
			}
		}
	}
	return false
}

func podDecoder(tb testing.TB) admission.Decoder {
	tb.Helper()
	scheme, err := NewScheme()
	if err != nil {
		tb.Fatal(err)
	}
	return admission.NewDecoder(scheme)
}
