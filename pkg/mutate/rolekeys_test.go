package mutate

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/fixtures"
)

// TestOtherRoleKeyWarningsHold holds overlay.OtherRoleKeyWarnings to what
// composition does: a Spark or Hadoop key it warns of in a role's block
// changes nothing Strata composes (the application, the pods it launches,
// the example pods, a spark-submit job's configuration), and every key it
// does not warn of changes something.
func TestOtherRoleKeyWarningsHold(t *testing.T) {
	keys := map[string]string{
		"spark.executor.memory":             "3g",
		"spark.executor.cores":              "3",
		"spark.dynamicAllocation.enabled":   "true",
		"spark.executorEnv.PROBE":           "v1",
		"spark.kubernetes.executor.label.p": "v1",
		"spark.driver.memory":               "3g",
		"spark.sql.shuffle.partitions":      "7",
		"spark.eventLog.enabled":            "true",
		"spark.kubernetes.driver.label.p":   "v1",
		"spark.kubernetes.driverEnv.PROBE":  "v1",
		"spark.kubernetes.node.selector.p":  "v1",
		"spark.kubernetes.container.image":  "registry.internal/spark:9",
		"spark.hadoop.fs.s3a.endpoint":      "https://s3.internal",
	}
	const base = `{tier: ClusterOverrides, config: {annotations: {probe: "1"}}, %s: {%s}}`
	composed := func(spec string) string {
		snap := fixtures.SnapshotOf(t, map[string]string{"probe": spec})
		app, err := ComposeApp(snap, prodA, fixtures.App(t, "etl-report.yaml"))
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		out := []any{app.App.App, app.SubmitConf()}
		for _, role := range Roles() {
			_, launched := composeLaunched(t, snap, prodA, app, role)
			out = append(out, launched.Pod)
		}
		for _, file := range []string{"driver.yaml", "executor.yaml"} {
			res, err := Compose(snap, prodA, fixtures.Pod(t, file))
			if err != nil {
				t.Fatalf("%s: %s: %v", spec, file, err)
			}
			out = append(out, res.Pod)
		}
		job, err := ComposeSubmitJob(snap, prodA, "etl", nil)
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		out = append(out, job.SubmitConf())
		data, _ := json.Marshal(out) // composed objects encode
		return string(data)
	}
	for _, role := range Roles() {
		without := composed(fmt.Sprintf(base, role, ""))
		check := func(what, body string, l *v1alpha1.Layer) {
			warned := len(overlay.OtherRoleKeyWarnings(l)) > 0
			if changed := composed(fmt.Sprintf(base, role, body)) != without; changed == warned {
				t.Errorf("%s block, %s: warned %v, but it changes what is composed: %v", role, what, warned, changed)
			}
		}
		for key, value := range keys {
			block := &v1alpha1.Config{SparkConf: map[string]string{key: value}}
			l := &v1alpha1.Layer{Spec: v1alpha1.LayerSpec{Driver: block}}
			if role == v1alpha1.RoleExecutor {
				l.Spec = v1alpha1.LayerSpec{Executor: block}
			}
			check(key, fmt.Sprintf("sparkConf: {%q: %q}", key, value), l)
		}
		block := &v1alpha1.Config{HadoopConf: map[string]string{"fs.s3a.path.style.access": "true"}}
		l := &v1alpha1.Layer{Spec: v1alpha1.LayerSpec{Driver: block}}
		if role == v1alpha1.RoleExecutor {
			l.Spec = v1alpha1.LayerSpec{Executor: block}
		}
		check("hadoopConf", `hadoopConf: {fs.s3a.path.style.access: "true"}`, l)
	}
}
