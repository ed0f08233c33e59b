package sparkv1beta2

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/strata-dev/strata/pkg/overlay/quantity"
)

func TestRunOf(t *testing.T) {
	const head = `"apiVersion":"sparkoperator.k8s.io/v1beta2","kind":"ScheduledSparkApplication"`
	tests := []struct {
		name string
		in   string
		// want is the run's metadata and spec, as JSON values.
		wantMeta map[string]any
		wantSpec map[string]any
		wantErr  string
	}{{
		name: "a run is the template, labelled",
		in: `{` + head + `,"metadata":{"name":"nightly","namespace":"etl","labels":{"team":"geo"},"annotations":{"a":"b"}},
			"spec":{"schedule":"@daily","template":{"type":"Scala","driver":{"cores":1},"executor":{"instances":3,"future":{"x":[1,2.5e3]}}}}}`,
		wantMeta: map[string]any{"name": "nightly-run", "namespace": "etl",
			"labels": map[string]any{"team": "geo", ScheduledAppNameLabel: "nightly"}},
		wantSpec: map[string]any{"type": "Scala", "driver": map[string]any{"cores": json.Number("1")},
			"executor": map[string]any{"instances": json.Number("3"), "future": map[string]any{"x": []any{json.Number("1"), json.Number("2.5e3")}}}},
	}, {
		name: "the scheduled application's labels win over the operator's, as the operator copies them",
		in:   `{` + head + `,"metadata":{"name":"n","labels":{"sparkoperator.k8s.io/scheduled-app-name":"other"}},"spec":{"template":{}}}`,
		wantMeta: map[string]any{"name": "n-run",
			"labels": map[string]any{ScheduledAppNameLabel: "other"}},
		wantSpec: map[string]any{},
	}, {
		name:    "no template",
		in:      `{` + head + `,"metadata":{"name":"n"},"spec":{"schedule":"@daily"}}`,
		wantErr: "spec.template: required",
	}, {
		name:    "a null template",
		in:      `{` + head + `,"metadata":{"name":"n"},"spec":{"template":null}}`,
		wantErr: "spec.template: required",
	}, {
		name:    "a field of the template is named under spec.template",
		in:      `{` + head + `,"metadata":{"name":"n"},"spec":{"template":{"driver":{"cores":"two"}}}}`,
		wantErr: "spec.template.driver.cores: expected int32, got JSON string",
	}, {
		name:    "a template that is not an object",
		in:      `{` + head + `,"metadata":{"name":"n"},"spec":{"template":7}}`,
		wantErr: "spec.template: expected",
	}, {
		name:    "a label that is not a string",
		in:      `{` + head + `,"metadata":{"name":"n","labels":{"a":1}},"spec":{"template":{}}}`,
		wantErr: "metadata.labels.a: expected string",
	}, {
		name:    "a label whose key is not a plain name is named in brackets",
		in:      `{` + head + `,"metadata":{"name":"n","labels":{"a":"x","example.com/b":true}},"spec":{"template":{}}}`,
		wantErr: "metadata.labels[example.com/b]: expected string, got JSON bool",
	}, {
		name:    "a quantity of the template is named under spec.template",
		in:      `{` + head + `,"metadata":{"name":"n"},"spec":{"template":{"volumes":[{"name":"a","emptyDir":{"sizeLimit":"lots"}}]}}}`,
		wantErr: `spec.template.volumes[0].emptyDir.sizeLimit: "lots": not a quantity`,
	}, {
		name:    "an element of a list of the template is named by its index under spec.template",
		in:      `{` + head + `,"metadata":{"name":"n"},"spec":{"template":{"executor":{"env":[{"name":"A"},{"name":"B","value":false}]}}}}`,
		wantErr: "spec.template.executor.env[1].value: expected string, got JSON bool",
	}, {
		name:    "a SparkApplication is not scheduled",
		in:      `{"apiVersion":"sparkoperator.k8s.io/v1beta2","kind":"SparkApplication","metadata":{"name":"n"},"spec":{}}`,
		wantErr: `kind "SparkApplication"`,
	}, {
		name:    "not JSON",
		in:      `{`,
		wantErr: "decoding a ScheduledSparkApplication",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run, schedule, err := RunOf([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("RunOf: got error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := tt.wantMeta["name"].(string); schedule.Name+"-run" != want {
				t.Errorf("schedule %q, want the run %q named after it", schedule.Name, want)
			}
			if written := strings.Contains(tt.in, `"schedule":"@daily"`); written != (schedule.Cron == "@daily") {
				t.Errorf("schedule %q, written: %v", schedule.Cron, written)
			}
			if run.App.Kind != Kind || run.App.APIVersion != APIVersion {
				t.Errorf("run is a %s %s, want %s %s", run.App.APIVersion, run.App.Kind, APIVersion, Kind)
			}
			out, err := run.Values()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(out["metadata"], tt.wantMeta) {
				t.Errorf("metadata: got %v, want %v", out["metadata"], tt.wantMeta)
			}
			if !reflect.DeepEqual(out["spec"], tt.wantSpec) {
				t.Errorf("spec: got %v, want %v", out["spec"], tt.wantSpec)
			}
		})
	}
}

// FuzzRunOf feeds arbitrary bytes to RunOf: an error or a run, never a
// panic; a run is a SparkApplication labelled with its schedule's name.
func FuzzRunOf(f *testing.F) {
	f.Add([]byte(`{"apiVersion":"sparkoperator.k8s.io/v1beta2","kind":"ScheduledSparkApplication","metadata":{"name":"a","labels":{"x":"y"}},"spec":{"template":{"driver":{"cores":1}}}}`))
	f.Add([]byte(`{"apiVersion":"sparkoperator.k8s.io/v1beta2","kind":"ScheduledSparkApplication","spec":{"template":[]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if quantity.MayHoldUnbounded(data) && quantity.CheckJSON(data, reflect.TypeFor[ScheduledSparkApplication]()) != nil {
			return
		}
		run, _, err := RunOf(data)
		if err != nil {
			return
		}
		if run.App.Kind != Kind {
			t.Fatalf("a run of kind %q", run.App.Kind)
		}
		if _, ok := run.App.Labels[ScheduledAppNameLabel]; !ok {
			t.Fatalf("a run without %s: %v", ScheduledAppNameLabel, run.App.Labels)
		}
		if _, err := run.Marshal(); err != nil {
			t.Fatalf("a run does not encode: %v", err)
		}
	})
}
