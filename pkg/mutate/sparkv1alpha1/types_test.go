package sparkv1alpha1

import (
	"strings"
	"testing"
)

// TestDecode: a SparkConnect is read with its field names as the API
// server reads them (case-sensitive), every field kept in the values; a
// field of the wrong type is named; what is not an object is refused.
func TestDecode(t *testing.T) {
	raw, c, err := Decode([]byte(`{"metadata":{"name":"n","namespace":"ns"},"spec":{"Executor":{"cores":4},"executor":{"cores":2,"future":1},"sparkConf":{"a":"b"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Metadata.Name != "n" || c.Metadata.Namespace != "ns" || c.Spec.Executor.Cores == nil || *c.Spec.Executor.Cores != 2 || c.Spec.SparkConf["a"] != "b" {
		t.Errorf("typed view %+v", c)
	}
	spec := raw["spec"].(map[string]any)
	if spec["Executor"] == nil || spec["executor"].(map[string]any)["future"] == nil {
		t.Errorf("values %v lost a field", raw)
	}
	// A key written twice is its last value, in the values and the view.
	if raw, c, err := Decode([]byte(`{"spec":{"server":{"cores":2}},"spec":{"image":"x"}}`)); err != nil || c.Spec.Server.Cores != nil ||
		c.Spec.Image == nil || raw["spec"].(map[string]any)["server"] != nil {
		t.Errorf("a key written twice: view %+v, values %v (%v)", c, raw, err)
	}
	for in, want := range map[string]string{
		`{"spec":{"server":{"cores":"2"}}}`: `SparkConnect spec.server.cores: expected int32, got JSON string`,
		`{"spec":{"sparkConf":{"a":1}}}`:    `SparkConnect spec.sparkConf.a: expected string, got JSON number`,
		// The key and the element are named (jsonfield).
		`{"spec":{"sparkConf":{"spark.a":"x","spark.b":1}}}`:                                                    `SparkConnect spec.sparkConf[spark.b]: expected string, got JSON number`,
		`{"spec":{"executor":{"template":{"spec":{"containers":[{"resources":{"limits":{"memory":"1x"}}}]}}}}}`: `SparkConnect spec.executor.template.spec.containers[0].resources.limits.memory: "1x": not a quantity`,
		`{"spec":{"server":{"template":{"spec":{"containers":[{"name":"a"},{"name":"b","image":2}]}}}}}`:        `SparkConnect spec.server.template.spec.containers[1].image: expected string, got JSON number`,
		`null`:                                  `a SparkConnect must be a JSON object`,
		`[1]`:                                   `decoding a SparkConnect`,
		`{"spec":{"executor":{"memory":true}}}`: `SparkConnect spec.executor.memory: expected string, got JSON bool`,
	} {
		if _, _, err := Decode([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", in, err, want)
		}
	}
}
