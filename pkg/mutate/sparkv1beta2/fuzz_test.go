package sparkv1beta2

import (
	"bytes"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/strata-dev/strata/pkg/overlay/quantity"
)

// FuzzDecode feeds arbitrary bytes to the decoder: an error or an object,
// never a panic; an object encodes, and encodes to what it decoded from
// (no field lost, known or not); AsDecoded is Decode of Marshal, before
// and after changes of the typed view.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"apiVersion":"sparkoperator.k8s.io/v1beta2","kind":"SparkApplication","metadata":{"name":"a"},"spec":{"driver":{"cores":1},"executor":{"instances":2,"unknown":{"x":[1,2.5e3]}}}}`))
	f.Add([]byte(`{"spec":{"driver":{"cores":"two"}}}`))
	f.Add([]byte(`{"spec":{"dynamicAllocation":{"enabled":true,"maxExecutors":2147483648}}}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"spec":{"sparkConfigMap":"s","hadoopConfigMap":7,"driver":{"configMaps":[{"name":"a.b","path":"/p","x":1}]},"executor":{"configMaps":{"name":"n"}}}}`))
	f.Add([]byte(`{"spec":{"driver":{"envSecretKeyRefs":{"A":{"name":"n","key":"k"}},"secrets":[{"name":"s","path":"/p","secretType":"Generic","x":1}],"serviceLabels":{"a":"b"}},"executor":{"envSecretKeyRefs":{"A":"n:k"}}}}`))
	f.Add([]byte(`{"spec":{"executor":{"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"spark-kubernetes-executor","resources":{"limits":{"cpu":"64"}}},{"name":"m","x":1}],"resources":{"requests":{"cpu":"96"}}}}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if unboundedApp(data) {
			return
		}
		obj, err := Decode(data)
		if err != nil {
			return
		}
		out, err := obj.Marshal()
		if err != nil {
			t.Fatalf("a decoded object does not encode: %v", err)
		}
		orig, err := obj.Original()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, orig) {
			t.Fatalf("an unchanged object encodes differently:\n%s\n%s", out, orig)
		}
		// Valid JSON by its grammar: a number is kept as written, one no
		// float64 holds (2E648) included, as the decoder read it.
		if !json.Valid(out) {
			t.Fatalf("encoded as invalid JSON:\n%s", out)
		}
		// AsDecoded is the round trip, unchanged and after changes.
		asDecodedIsTheRoundTrip(t, obj)
		for _, name := range slices.Sorted(maps.Keys(changes)) {
			changes[name](&obj.App)
		}
		asDecodedIsTheRoundTrip(t, obj)
	})
}

// unboundedApp reports whether data holds a quantity resource.Quantity
// would take minutes to decode: the webhook refuses such a review before
// it is decoded (quantity.CheckJSON), and Decode never sees it.
func unboundedApp(data []byte) bool {
	return quantity.MayHoldUnbounded(data) && quantity.CheckJSON(data, reflect.TypeFor[SparkApplication]()) != nil
}
