package sparkv1beta2

import (
	"bytes"
	"encoding/json"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// sample is an application with fields the mirror does not know, numbers
// as written and empty lists and maps the typed view cannot tell apart
// from none.
const sample = `{"apiVersion":"sparkoperator.k8s.io/v1beta2","kind":"SparkApplication",
"metadata":{"name":"a","namespace":"etl","labels":{"x":"1"}},
"spec":{"type":"Scala","image":"spark:3.5","sparkConf":{"spark.a":"1","spark.b":"2"},"hadoopConf":{},
"driver":{"cores":1,"memory":"2g","env":[],"labels":{"team":"a"},"unknown":{"n":1.50}},
"executor":{"instances":2,"cores":4,"annotations":{"k":"v"}},
"monitoring":{"exposeDriverMetrics":true,"prometheus":{"port":8090}}}}`

// changes are edits of the typed view, as composition makes them.
var changes = map[string]func(a *SparkApplication){
	"none":            func(*SparkApplication) {},
	"a scalar":        func(a *SparkApplication) { n := int32(3); a.Spec.Driver.Cores = &n },
	"a field removed": func(a *SparkApplication) { a.Spec.Executor.Instances = nil },
	"a key added": func(a *SparkApplication) {
		if a.Spec.SparkConf == nil {
			a.Spec.SparkConf = map[string]string{}
		}
		a.Spec.SparkConf["spark.c"] = "3"
	},
	"a key removed":      func(a *SparkApplication) { delete(a.Spec.SparkConf, "spark.a") },
	"a map emptied":      func(a *SparkApplication) { a.Spec.Driver.Labels = nil },
	"a map made":         func(a *SparkApplication) { a.Spec.Executor.Labels = map[string]string{"team": "b"} },
	"a list written":     func(a *SparkApplication) { a.Spec.Driver.Env = []corev1.EnvVar{{Name: "A", Value: "1"}} },
	"a section emptied":  func(a *SparkApplication) { a.Spec.Executor = ExecutorSpec{} },
	"a label of the app": func(a *SparkApplication) { a.Labels = map[string]string{"y": "2"} },
}

// TestAsDecodedIsTheRoundTrip: AsDecoded is Decode of Marshal, for an
// object as decoded and after each change of its typed view: the same
// original, the same encoding, the same typed view (as JSON: AsDecoded
// copies the view exactly, Decode keeps what JSON tells); and neither the
// object nor its copies change each other.
func TestAsDecodedIsTheRoundTrip(t *testing.T) {
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			o, err := Decode([]byte(sample))
			if err != nil {
				t.Fatal(err)
			}
			change(&o.App)
			asDecodedIsTheRoundTrip(t, o)
		})
	}
}

func asDecodedIsTheRoundTrip(t *testing.T, o *Object) {
	t.Helper()
	encoded, err := o.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	original, err := o.Original()
	if err != nil {
		t.Fatal(err)
	}
	want, err := Decode(encoded)
	if err != nil {
		t.Fatal(err)
	}
	got, err := o.AsDecoded()
	if err != nil {
		t.Fatal(err)
	}
	same := func(what string, g, w []byte, err1, err2 error) {
		t.Helper()
		if err1 != nil || err2 != nil || !bytes.Equal(g, w) {
			t.Fatalf("%s: %v %v\nAsDecoded %s\nround trip %s", what, err1, err2, g, w)
		}
	}
	g, err1 := got.Original()
	w, err2 := want.Original()
	same("original", g, w, err1, err2)
	g, err1 = got.Marshal()
	w, err2 = want.Marshal()
	same("encoding", g, w, err1, err2)
	g, err1 = json.Marshal(&got.App)
	w, err2 = json.Marshal(&want.App)
	same("typed view", g, w, err1, err2)
	// A change of the copy (and of a copy of it) leaves o as it was.
	copied := got.DeepCopy()
	for _, c := range []*Object{got, copied} {
		for _, change := range changes {
			change(&c.App)
		}
		if c.App.Spec.SparkConf == nil {
			c.App.Spec.SparkConf = map[string]string{}
		}
		c.App.Spec.SparkConf["spark.copy"] = "changed"
		if _, err := c.Marshal(); err != nil {
			t.Fatal(err)
		}
	}
	g, err1 = o.Marshal()
	same("the object after its copies changed", g, encoded, err1, nil)
	g, err1 = o.Original()
	same("the object's original after its copies changed", g, original, err1, nil)
}

// TestDecodeNamesTheField: a value of the wrong type is named by its
// path in the application, with the element of a list and the key of a
// map that held it (jsonfield), and a field of a section's shared
// SparkPodSpec as the section's own.
func TestDecodeNamesTheField(t *testing.T) {
	for in, want := range map[string]string{
		`{"spec":{"driver":{"cores":"1"}}}`:                                                  "spec.driver.cores: expected int32, got JSON string",
		`{"spec":{"executor":{"env":[{"name":"A","value":"1"},{"name":"B","value":true}]}}}`: "spec.executor.env[1].value: expected string, got JSON bool",
		`{"spec":{"sparkConf":{"spark.a":"1","spark.executor.cores":2}}}`:                    "spec.sparkConf[spark.executor.cores]: expected string, got JSON number",
		`{"spec":{"volumes":[{"name":"a"},{"name":"b"},{"name":3}]}}`:                        "spec.volumes[2].name: expected string, got JSON number",
		`{"spec":{"driver":{"labels":{"team":"a","tier":["x"]}}}}`:                           "spec.driver.labels.tier: expected string, got JSON array",
		// A quantity resource.Quantity cannot read is named too.
		`{"spec":{"volumes":[{"name":"a","emptyDir":{"sizeLimit":"1Gi"}},{"name":"b","emptyDir":{"sizeLimit":"1x"}}]}}`: `spec.volumes[1].emptyDir.sizeLimit: "1x": not a quantity: a number with an optional suffix, such as 500m, 2, 1.5Gi or 4e3`,
		`{"spec":{"executor":{"template":{"spec":{"containers":[{"resources":{"requests":{"cpu":"2KK"}}}]}}}}}`:         `spec.executor.template.spec.containers[0].resources.requests.cpu: "2KK": not a quantity's suffix: one of m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei, or a decimal exponent`,
	} {
		_, err := Decode([]byte(in))
		if err == nil || err.Error() != want {
			t.Errorf("%s: error %v, want %q", in, err, want)
		}
	}
}
