package sparkv1beta2

import (
	stdjson "encoding/json"
	"fmt"
	"maps"
	"reflect"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	json "sigs.k8s.io/json"

	"github.com/strata-dev/strata/pkg/overlay/jsonfield"
)

// The identity of ScheduledSparkApplication, the operator's application
// run on a schedule.
const (
	ScheduledKind     = "ScheduledSparkApplication"
	ScheduledResource = "scheduledsparkapplications"
	// ScheduledAppNameLabel is the label the operator puts on each run's
	// SparkApplication: the ScheduledSparkApplication's name.
	ScheduledAppNameLabel = Group + "/scheduled-app-name"
	// runSuffix stands for the start time the operator names each run by.
	runSuffix = "-run"
)

// ScheduledSparkApplication is the typed view of a ScheduledSparkApplication
// Strata reads: its metadata and the application each run is made of.
// (What it decodes with is scheduled, which keeps the template as written;
// this type tells where the template's quantities are, for
// quantity.CheckJSON.)
type ScheduledSparkApplication struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              ScheduledSpec `json:"spec"`
}

// ScheduledSpec is the part of ScheduledSparkApplicationSpec Strata reads.
type ScheduledSpec struct {
	Template Spec `json:"template"`
}

// scheduled is the part of a ScheduledSparkApplication a run is made of.
type scheduled struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string            `json:"name"`
		Namespace string            `json:"namespace,omitempty"`
		Labels    map[string]string `json:"labels,omitempty"`
	} `json:"metadata"`
	Spec struct {
		Schedule string             `json:"schedule"`
		Template stdjson.RawMessage `json:"template"`
	} `json:"spec"`
}

// Schedule is which ScheduledSparkApplication a run is of, and when the
// operator starts one.
type Schedule struct {
	// Name is the ScheduledSparkApplication's name.
	Name string
	// Cron is its spec.schedule as written: a cron expression or
	// descriptor (robfig/cron's), maybe led by a time zone (CRON_TZ=).
	Cron string
}

// EachRun is how a message about the run of s ends, so that a field it
// names (spec.executor...) reads as the run's, which the schedule's
// spec.template makes: ` (each run of ScheduledSparkApplication "name")`.
func (s Schedule) EachRun() string {
	return fmt.Sprintf(" (each run of ScheduledSparkApplication %q)", s.Name)
}

// RunOf decodes a ScheduledSparkApplication and returns the
// SparkApplication each of its runs is, as the operator's scheduler
// creates it (its createSparkApplication): spec.template as the spec, in
// the same namespace, labelled with ScheduledAppNameLabel and the
// scheduled application's labels over it. The operator names a run after
// its start time; the run returned is named <name>-run. RunOf also
// returns the scheduled application's name and schedule. A field of the template with
// a value of the wrong type is an error naming it under spec.template.
func RunOf(data []byte) (run *Object, schedule Schedule, err error) {
	var s scheduled
	if err := json.UnmarshalCaseSensitivePreserveInts(data, &s); err != nil {
		return nil, Schedule{}, describeScheduled(data, err)
	}
	if s.APIVersion != APIVersion || s.Kind != ScheduledKind {
		return nil, Schedule{}, fmt.Errorf("got apiVersion %q kind %q, want apiVersion %s kind %s", s.APIVersion, s.Kind, APIVersion, ScheduledKind)
	}
	if t := strings.TrimSpace(string(s.Spec.Template)); t == "" || t == "null" {
		return nil, Schedule{}, fmt.Errorf("spec.template: required: the SparkApplication spec each run is made of")
	}
	// The operator's label first, the scheduled application's over it.
	labels := map[string]string{ScheduledAppNameLabel: s.Metadata.Name}
	maps.Copy(labels, s.Metadata.Labels)
	values := map[string]any{
		"apiVersion": APIVersion,
		"kind":       Kind,
		"metadata":   map[string]any{"name": RunName(s.Metadata.Name), "namespace": s.Metadata.Namespace, "labels": labels},
		"spec":       s.Spec.Template,
	}
	if s.Metadata.Namespace == "" {
		delete(values["metadata"].(map[string]any), "namespace")
	}
	raw, err := stdjson.Marshal(values)
	if err != nil {
		return nil, Schedule{}, fmt.Errorf("building the run of a ScheduledSparkApplication: %w", err)
	}
	run, err = decode(raw, underTemplate)
	return run, Schedule{Name: s.Metadata.Name, Cron: s.Spec.Schedule}, err
}

// RunName is the name RunOf gives the runs of the ScheduledSparkApplication
// name.
func RunName(name string) string { return name + runSuffix }

// describeScheduled is describe for the ScheduledSparkApplication itself.
func describeScheduled(data []byte, err error) error {
	if field, why, ok := jsonfield.Refused(data, reflect.TypeFor[scheduled](), err); ok {
		return fmt.Errorf("%s: %s", field, why)
	}
	return fmt.Errorf("decoding a ScheduledSparkApplication: %w", err)
}

// underTemplate names a field of the run as the ScheduledSparkApplication
// holds it: spec.driver.cores is spec.template.driver.cores.
func underTemplate(field string) string {
	if field == "spec" {
		return "spec.template"
	}
	if rest, ok := strings.CutPrefix(field, "spec."); ok {
		return "spec.template." + rest
	}
	return field
}
