package app

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// Every metric of Metrics is registered, so none is kept and never
// exported, and README names each: a metric added to the struct and
// forgotten in NewMetrics' registration, or in the documentation, fails
// here.
func TestEveryMetricIsRegisteredAndDocumented(t *testing.T) {
	rec := &recordingRegisterer{Registerer: prometheus.NewRegistry()}
	m, err := NewMetrics(rec)
	if err != nil {
		t.Fatal(err)
	}
	registered := map[uintptr]bool{}
	for _, c := range rec.collectors {
		registered[reflect.ValueOf(c).Pointer()] = true
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	v := reflect.ValueOf(m).Elem()
	for i := range v.NumField() {
		field := v.Type().Field(i)
		if !field.Type.Implements(reflect.TypeFor[prometheus.Collector]()) {
			t.Errorf("Metrics.%s is a %s, not a metric", field.Name, field.Type)
			continue
		}
		metric := v.Field(i)
		if metric.Kind() == reflect.Interface {
			metric = metric.Elem()
		}
		if !metric.IsValid() || !registered[metric.Pointer()] {
			t.Errorf("Metrics.%s is not registered", field.Name)
		}
	}
	descs := make(chan *prometheus.Desc, len(rec.collectors))
	for _, c := range rec.collectors {
		c.Describe(descs)
	}
	close(descs)
	for d := range descs {
		match := descPattern.FindStringSubmatch(d.String())
		if match == nil {
			t.Fatalf("cannot read %s", d)
		}
		if name := "`" + match[1]; !strings.Contains(string(readme), name+"`") && !strings.Contains(string(readme), name+"{") {
			t.Errorf("README.md does not name the metric %s", match[1])
		}
	}
}
