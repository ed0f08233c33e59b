package mutate

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	psaapi "k8s.io/pod-security-admission/api"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/test/fixtures"
)

// TestScheduleWarnings: the run of a ScheduledSparkApplication warns its
// creator of every field of the application's spec by where the schedule
// holds it, under spec.template: an override of a typed field and of a
// sparkConf key, a key spark-submit ignores; a warning naming no field
// (Pod Security of a launched pod) is as the run gives it. Each ends
// naming the schedule.
func TestScheduleWarnings(t *testing.T) {
	const layer = `{tier: ClusterOverrides, config: {sparkConf: {spark.executor.memory: 4g, spark.sql.shuffle.partitions: "200"},
		sidecars: [{name: shipper, image: shipper:1, securityContext: {privileged: true}}]}}`
	snap := layerInLabelledEtl(t, layer, map[string]string{psaapi.EnforceLevelLabel: "baseline"})
	app := fixtures.App(t, "etl-report.yaml").App.DeepCopy()
	app.Spec.SparkConf["shuffle.partitions"] = "10"
	spec, err := json.Marshal(app.Spec)
	if err != nil {
		t.Fatal(err)
	}
	run, schedule, err := sparkv1beta2.RunOf([]byte(`{"apiVersion":"sparkoperator.k8s.io/v1beta2","kind":"ScheduledSparkApplication",` +
		`"metadata":{"name":"nightly","namespace":"etl"},"spec":{"schedule":"@daily","template":` + string(spec) + `}}`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := ComposeApp(snap, cluster, run)
	if err != nil {
		t.Fatal(err)
	}
	got := res.ScheduleWarnings(schedule)
	if len(got) != len(res.Warnings) {
		t.Fatalf("%d warnings of the template, %d of the run: %q", len(got), len(res.Warnings), got)
	}
	for _, want := range []string{
		`executor: spec.template.executor.memory "8g" overridden by ClusterOverrides layer "l"`,
		`driver: spec.template.sparkConf["spark.sql.shuffle.partitions"] "400" overridden by ClusterOverrides layer "l"`,
		`spec.template.sparkConf["shuffle.partitions"]: `,
		`driver: the pod it launches: Pod Security "baseline:latest"`,
		`executor: the pod it launches: Pod Security "baseline:latest"`,
	} {
		if !slices.ContainsFunc(got, func(w string) bool { return strings.HasPrefix(w, want) }) {
			t.Errorf("no warning starts %q: %q", want, got)
		}
	}
	for i, w := range got {
		if !strings.HasSuffix(w, ` (each run of ScheduledSparkApplication "nightly")`) {
			t.Errorf("warning %q does not name the schedule", w)
		}
		_, field, _ := strings.Cut(w, ": ")
		if strings.HasPrefix(w, "spec.") && !strings.HasPrefix(w, "spec.template.") ||
			strings.HasPrefix(field, "spec.") && !strings.HasPrefix(field, "spec.template.") {
			t.Errorf("warning %q names a field of the run, not of the schedule (the run's: %q)", w, res.Warnings[i])
		}
	}
}
