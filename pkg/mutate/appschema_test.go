package mutate

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"testing"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"sigs.k8s.io/yaml"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/test/fixtures"
)

// TestComposedAppsFitTheOperatorsSchema: of random layers and
// SparkApplications, each composed application keeps to the schema of the
// Spark Operator's own CRD (v2.5.2, as its Helm chart installs it) as
// much as the application as written does: the API server prunes no field
// the composition wrote (which would drop a layer's setting without a
// word) and its validation finds no error the written application does
// not have (which would refuse it naming no layer). The end-to-end
// suite's CRD keeps every field, so only this test reads the real schema.
func TestComposedAppsFitTheOperatorsSchema(t *testing.T) {
	schema := operatorSchema(t)
	// The schema is read as the API server reads it: a field it does not
	// declare is pruned, a value it does not allow is refused.
	pruned, invalid := schema.judge(t, []byte(`{"apiVersion":"sparkoperator.k8s.io/v1beta2","kind":"SparkApplication","metadata":{"name":"a"},
		"spec":{"type":"Kotlin","mode":"cluster","sparkVersion":"3.5.3","mainApplicationFile":"local:///a.jar","driver":{"undeclared":1},"executor":{}}}`))
	if !pruned["spec.driver.undeclared"] || !invalid[`spec.type: Unsupported value: "Kotlin": supported values: "Java", "Python", "Scala", "R"`] || len(invalid) != 1 {
		t.Fatalf("the operator's schema: pruned %v, invalid %v", pruned, invalid)
	}
	rng := rand.New(rand.NewPCG(fixtures.RandomSeed(71), 72))
	var composed, changed int
	for i := range fixtures.RandomCases(300) {
		layers := fixtures.RandomLayers(t, rng, 1+rng.IntN(5))
		snap, err := overlay.Compile(fixtures.RandomInputs(layers))
		if err != nil {
			t.Fatalf("case %d: layers that validate do not compile: %v", i, err)
		}
		app := fixtures.RandomApp(t, rng)
		written, err := app.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		res, err := ComposeApp(snap, prodA, app)
		if err != nil {
			continue
		}
		composed++
		if len(res.Patch) > 0 {
			changed++
		}
		out, err := res.App.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		wantPruned, wantInvalid := schema.judge(t, written)
		pruned, invalid := schema.judge(t, out)
		for p := range pruned {
			if !wantPruned[p] {
				l, _ := json.Marshal(layers)
				t.Errorf("case %d: the API server would prune %s of the composed application, which the written one does not have\nlayers %s\napp %s\ncomposed %s", i, p, l, written, out)
			}
		}
		for e := range invalid {
			if !wantInvalid[e] {
				l, _ := json.Marshal(layers)
				t.Errorf("case %d: the API server would refuse the composed application: %s\nlayers %s\napp %s\ncomposed %s", i, e, l, written, out)
			}
		}
	}
	if composed < fixtures.RandomCases(300)/2 || changed < composed/2 {
		t.Fatalf("%d applications composed, %d of them changed: the cases check too little", composed, changed)
	}
}

// appSchema is a CRD's schema as the API server prunes and validates
// custom resources with it.
type appSchema struct {
	structural *structuralschema.Structural
	validator  validation.SchemaValidator
}

// operatorSchema reads the Spark Operator's SparkApplication CRD.
func operatorSchema(t *testing.T) appSchema {
	t.Helper()
	f, err := os.ReadFile("testdata/sparkapplications-crd-v2.5.2.yaml.gz")
	if err != nil {
		t.Fatal(err)
	}
	r, err := gzip.NewReader(bytes.NewReader(f))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(b, &crd); err != nil {
		t.Fatal(err)
	}
	var props apiextensions.JSONSchemaProps
	if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(crd.Spec.Versions[0].Schema.OpenAPIV3Schema, &props, nil); err != nil {
		t.Fatal(err)
	}
	structural, err := structuralschema.NewStructural(&props)
	if err != nil {
		t.Fatal(err)
	}
	validator, _, err := validation.NewSchemaValidator(&props)
	if err != nil {
		t.Fatal(err)
	}
	return appSchema{structural: structural, validator: validator}
}

// judge is what the API server would prune of the application raw, and
// the errors of its validation after pruning.
func (s appSchema) judge(t *testing.T, raw []byte) (pruned, invalid map[string]bool) {
	t.Helper()
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		t.Fatal(err)
	}
	pruned, invalid = map[string]bool{}, map[string]bool{}
	for _, p := range pruning.PruneWithOptions(obj, s.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true}) {
		pruned[p] = true
	}
	for _, e := range validation.ValidateCustomResource(nil, obj, s.validator) {
		invalid[e.Error()] = true
	}
	return pruned, invalid
}
