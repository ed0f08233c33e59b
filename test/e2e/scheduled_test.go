package e2e

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	composer "github.com/strata-dev/strata/cmd/composer/app"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// scheduledApp is a ScheduledSparkApplication named name whose runs are
// the example app of file.
func scheduledApp(t *testing.T, file, name string) *unstructured.Unstructured {
	t.Helper()
	app := exampleApp(t, file, name)
	s := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": sparkv1beta2.APIVersion,
		"kind":       sparkv1beta2.ScheduledKind,
		"metadata":   map[string]any{"name": name, "namespace": app.GetNamespace(), "labels": map[string]any{"team-schedule": "nightly"}},
		"spec":       map[string]any{"schedule": "@daily", "template": app.Object["spec"]},
	}}
	return s
}

// TestScheduledAppIsJudgedByItsRuns: a ScheduledSparkApplication whose
// every run would be refused is refused when it is written, the message
// naming the schedule; one whose runs fit is stored, can be suspended,
// and cannot be changed into one whose runs would not fit. A run, created
// as the operator creates it, is composed by the SparkApplication webhook
// like any application.
func TestScheduledAppIsJudgedByItsRuns(t *testing.T) {
	ctx := context.Background()
	big := scheduledApp(t, "etl-report.yaml", "e2e-nightly-big")
	if err := unstructured.SetNestedField(big.Object, int64(30), "spec", "template", "executor", "instances"); err != nil {
		t.Fatal(err)
	}
	err := cp.Client.Create(ctx, big)
	want := `quota: app "e2e-nightly-big-run" asks for up to 30 executors; group "core-data" allows at most 20 per app (NamespaceOverrides layer "ns-etl") (each run of ScheduledSparkApplication "e2e-nightly-big")`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("creating a schedule of 30 executors per run: %v, want a denial containing %q", err, want)
	}

	fits := scheduledApp(t, "etl-report.yaml", "e2e-nightly")
	warned, scheduleWarnings := clientWithWarnings(t)
	if err := warned.Create(ctx, fits); err != nil {
		t.Fatalf("creating a schedule whose runs fit: %v", err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), fits) })
	stored := &unstructured.Unstructured{}
	stored.SetGroupVersionKind(fits.GroupVersionKind())
	if err := cp.Client.Get(ctx, client.ObjectKeyFromObject(fits), stored); err != nil {
		t.Fatal(err)
	}
	// The schedule is stored as written: its runs are composed when the
	// operator creates them.
	if jsonOf(t, stored.Object["spec"]) != jsonOf(t, fits.Object["spec"]) {
		t.Error("the schedule was changed when stored")
	}
	suspended := stored.DeepCopy()
	_ = unstructured.SetNestedField(suspended.Object, true, "spec", "suspend")
	if err := cp.Client.Update(ctx, suspended); err != nil {
		t.Fatalf("suspending the schedule: %v", err)
	}
	grown := suspended.DeepCopy()
	_ = unstructured.SetNestedField(grown.Object, int64(30), "spec", "template", "executor", "instances")
	if err := cp.Client.Update(ctx, grown); err == nil || !strings.Contains(err.Error(), `asks for up to 30 executors`) {
		t.Fatalf("growing the schedule's runs to 30 executors: %v, want a denial", err)
	}
	// When it runs is judged too: prod-a has the operator start no
	// schedule's run sooner than a minute after the last.
	often := suspended.DeepCopy()
	_ = unstructured.SetNestedField(often.Object, "CRON_TZ=Europe/Berlin @every 10s", "spec", "schedule")
	const tooOften = `quota: ScheduledSparkApplication "e2e-nightly" starts a run as often as every 10s (schedule "CRON_TZ=Europe/Berlin @every 10s"); group "core-data" allows no less than 60s between submissions (ClusterOverrides layer "prod-a-overrides")`
	if err := cp.Client.Update(ctx, often); err == nil || !strings.Contains(err.Error(), tooOften) {
		t.Fatalf("running the schedule every 10s: %v, want a denial containing %q", err, tooOften)
	}
	hourly := suspended.DeepCopy()
	_ = unstructured.SetNestedField(hourly.Object, "@hourly", "spec", "schedule")
	if err := cp.Client.Update(ctx, hourly); err != nil {
		t.Fatalf("running the schedule hourly: %v", err)
	}

	// A run as the operator's scheduler creates it: named for its start,
	// labelled with the schedule's name and labels, the template as spec.
	run := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": sparkv1beta2.APIVersion,
		"kind":       sparkv1beta2.Kind,
		"metadata": map[string]any{"name": "e2e-nightly-1796169600", "namespace": fits.GetNamespace(),
			"labels": map[string]any{sparkv1beta2.ScheduledAppNameLabel: "e2e-nightly", "team-schedule": "nightly"}},
		"spec": fits.Object["spec"].(map[string]any)["template"],
	}}
	runWarned, runWarnings := clientWithWarnings(t)
	if err := runWarned.Create(ctx, run); err != nil {
		t.Fatalf("creating a run: %v", err)
	}
	// The schedule's creator was told what the operator is told of each
	// run, each field named in the schedule's template.
	const image = `driver: spec.template.image "docker.io/apache/spark:3.5.3" overridden by ClusterOverrides layer "prod-a-overrides" (each run of ScheduledSparkApplication "e2e-nightly")`
	if !slices.Contains(scheduleWarnings.all(), image) {
		t.Errorf("the schedule's warnings %q lack %q", scheduleWarnings.all(), image)
	}
	for _, w := range runWarnings.all() {
		if want := inTemplate(w) + ` (each run of ScheduledSparkApplication "e2e-nightly")`; !slices.Contains(scheduleWarnings.all(), want) {
			t.Errorf("the run is warned %q; its schedule's creator was not (warnings %q)", w, scheduleWarnings.all())
		}
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), run) })
	if err := cp.Client.Get(ctx, client.ObjectKeyFromObject(run), run); err != nil {
		t.Fatal(err)
	}
	labels, _, _ := unstructured.NestedStringMap(run.Object, "spec", "executor", "labels")
	if labels["team"] != "etl" {
		t.Errorf("the run's executor labels = %v, want the NamespaceOverrides team=etl", labels)
	}
}

// TestRunOfAScheduleWrittenBeforeTheLimit: a schedule written while its
// namespace let it run every ten seconds keeps its schedule when the limit
// tightens, but each run the operator then creates is refused, naming the
// schedule: the SparkApplication webhook reads the schedule of a run (the
// shipped RBAC lets it get ScheduledSparkApplications).
func TestRunOfAScheduleWrittenBeforeTheLimit(t *testing.T) {
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "sched-before"}}
	if err := cp.Client.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	loose := &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "e2e-sched-before"}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.NamespaceOverrides,
		Match: v1alpha1.Match{Namespaces: []string{ns.Name}}, Config: &v1alpha1.Config{Limits: &v1alpha1.Limits{MinSubmissionIntervalSeconds: new(int32(1))}}}}
	createLayer(t, loose, ns.Name)

	often := scheduledApp(t, "etl-report.yaml", "e2e-often")
	often.SetNamespace(ns.Name)
	// No layer allows IAM roles in this namespace.
	unstructured.RemoveNestedField(often.Object, "spec", "template", "driver", "annotations")
	_ = unstructured.SetNestedField(often.Object, "@every 10s", "spec", "schedule")
	if err := cp.Client.Create(ctx, often); err != nil {
		t.Fatalf("a schedule every ten seconds where the limit is a second: %v", err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), often) })
	run := func(name string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": sparkv1beta2.APIVersion,
			"kind":       sparkv1beta2.Kind,
			"metadata": map[string]any{"name": name, "namespace": ns.Name,
				"labels": map[string]any{sparkv1beta2.ScheduledAppNameLabel: often.GetName()}},
			"spec": often.Object["spec"].(map[string]any)["template"],
		}}
	}
	first := run("e2e-often-1796169600")
	if err := cp.Client.Create(ctx, first); err != nil {
		t.Fatalf("a run while the limit is a second: %v", err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), first) })

	// The namespace's own limit goes: prod-a's minute holds.
	if err := cp.Client.Delete(ctx, loose); err != nil {
		t.Fatal(err)
	}
	waitForLayerGone(t, loose, ns.Name)
	const want = `quota: ScheduledSparkApplication "e2e-often" starts a run as often as every 10s (schedule "@every 10s"); namespace "sched-before" allows no less than 60s between submissions (ClusterOverrides layer "prod-a-overrides")`
	if err := cp.Client.Create(ctx, run("e2e-often-1796169610")); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("a run after the limit tightened: %v, want a denial containing %q", err, want)
	}
	// The dry run against the cluster says the same.
	kubeconfig := kubeconfigFile(t)
	in, err := json.Marshal(run("e2e-often-1796169620").Object)
	if err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runComposer(t, in, "compose", "-f", "-", "--kubeconfig", kubeconfig, "--cluster", cluster.Name, "--pool", cluster.Pool,
		"--validate", "-o", "patch")
	if code != composer.ExitDenied || !strings.Contains(errOut, want) {
		t.Errorf("composer --validate of the run: exit %d, stderr:\n%s\nwant a denial containing %q", code, errOut, want)
	}
}

// inTemplate is a warning of a SparkApplication with the field it names
// (first, or after its role) where a ScheduledSparkApplication holds it.
func inTemplate(w string) string {
	if field, ok := strings.CutPrefix(w, "spec."); ok {
		return "spec.template." + field
	}
	return strings.Replace(w, ": spec.", ": spec.template.", 1)
}
