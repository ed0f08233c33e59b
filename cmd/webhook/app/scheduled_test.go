package app

import (
	"context"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psaapi "k8s.io/pod-security-admission/api"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// newTestScheduledValidator is the ScheduledSparkApplication handler over layers.
func newTestScheduledValidator(t testing.TB, layers ...v1alpha1.Layer) *ScheduledAppValidator {
	t.Helper()
	v := newTestPodValidator(t, layers...)
	return &ScheduledAppValidator{Store: v.Store, Policies: v.Policies, Cluster: v.Cluster, Metrics: v.Metrics}
}

// scheduledJSON is a schedule of testApp's spec with executors per run,
// suspended or not, labelled with labels (a JSON object).
func scheduledJSON(executors int, suspend bool, labels string) string {
	spec := appJSON(executors)
	spec = spec[strings.Index(spec, `"spec":`)+len(`"spec":`) : len(spec)-1]
	return `{"apiVersion":"sparkoperator.k8s.io/v1beta2","kind":"ScheduledSparkApplication","metadata":{"name":"nightly","namespace":"etl","labels":` +
		labels + `},"spec":{"schedule":"@daily","suspend":` + map[bool]string{true: "true", false: "false"}[suspend] + `,"template":` + spec + `}}`
}

func scheduledRequest(op admissionv1.Operation, obj, old string) admission.Request {
	r := appRequest(op, obj, old)
	r.Kind.Kind = sparkv1beta2.ScheduledKind
	r.Resource.Resource = sparkv1beta2.ScheduledResource
	return r
}

func TestScheduledAppValidator(t *testing.T) {
	l := teamLayer()
	l.Spec.Config.Limits = &v1alpha1.Limits{MaxExecutorsPerApp: ptrInt32(10), MinSubmissionIntervalSeconds: ptrInt32(300)}
	v := newTestScheduledValidator(t, l)
	ctx := context.Background()
	handle := func(op admissionv1.Operation, obj, old string) admission.Response {
		return v.Handle(ctx, scheduledRequest(op, obj, old))
	}

	if resp := handle(admissionv1.Create, scheduledJSON(2, false, "{}"), ""); !resp.Allowed {
		t.Errorf("a schedule whose runs fit was refused: %v", resp.Result)
	}
	const want = `quota: app "nightly-run" asks for up to 11 executors; namespace "etl" allows at most 10 per app (NamespaceOverrides layer "ns-etl") (each run of ScheduledSparkApplication "nightly")`
	if resp := handle(admissionv1.Create, scheduledJSON(11, false, "{}"), ""); resp.Allowed || !strings.Contains(resp.Result.Message, want) {
		t.Errorf("a schedule of 11 executors per run: allowed %v, %v; want a denial containing %q", resp.Allowed, resp.Result, want)
	}
	// An update is judged when what a run is made of changes: its
	// template, or the labels every run carries.
	if resp := handle(admissionv1.Update, scheduledJSON(11, false, "{}"), scheduledJSON(2, false, "{}")); resp.Allowed {
		t.Error("an update to 11 executors per run was allowed")
	}
	if resp := handle(admissionv1.Update, scheduledJSON(11, false, `{"team":"x"}`), scheduledJSON(11, false, "{}")); resp.Allowed {
		t.Error("relabelling a schedule whose runs are refused was allowed")
	}
	// Suspending a schedule, or relabelling it to the same labels, is
	// never refused, whatever its runs would meet today.
	if resp := handle(admissionv1.Update, scheduledJSON(11, true, "{}"), scheduledJSON(11, false, "{}")); !resp.Allowed {
		t.Errorf("suspending a schedule was refused: %v", resp.Result)
	}
	// When it runs is judged, on a create or an update of the schedule
	// alone: more often than every 300s is refused.
	often := strings.Replace(scheduledJSON(2, false, "{}"), `"schedule":"@daily"`, `"schedule":"*/2 * * * *"`, 1)
	const tooOften = `quota: ScheduledSparkApplication "nightly" starts a run as often as every 120s (schedule "*/2 * * * *"); namespace "etl" allows no less than 300s between submissions (NamespaceOverrides layer "ns-etl")`
	for _, resp := range []admission.Response{handle(admissionv1.Create, often, ""), handle(admissionv1.Update, often, scheduledJSON(2, false, "{}"))} {
		if resp.Allowed || !strings.Contains(resp.Result.Message, tooOften) {
			t.Errorf("a schedule every 2 minutes: allowed %v, %v; want a denial containing %q", resp.Allowed, resp.Result, tooOften)
		}
	}
	// Each run is judged as the operator's defaulting webhook will write
	// it: retried with no interval, it is retried every 5 seconds.
	retried := strings.Replace(scheduledJSON(2, false, "{}"), `"template":{`, `"template":{"restartPolicy":{"type":"OnFailure","onFailureRetries":2},`, 1)
	const retriedOften = `quota: app "nightly-run": restartPolicy.onFailureRetryInterval is 5s, so the operator may submit it again that soon; namespace "etl" allows no less than 300s between submissions (NamespaceOverrides layer "ns-etl") (each run of ScheduledSparkApplication "nightly")`
	if resp := handle(admissionv1.Create, retried, ""); resp.Allowed || !strings.Contains(resp.Result.Message, retriedOften) {
		t.Errorf("a schedule whose runs are retried with no interval: allowed %v, %v; want a denial containing %q", resp.Allowed, resp.Result, retriedOften)
	}
	// Not of its kind's schema: invalid (422) naming the field, never a
	// denial naming no rule, nor the webhook's error.
	resp := handle(admissionv1.Create, `{"apiVersion":"sparkoperator.k8s.io/v1beta2","kind":"ScheduledSparkApplication","metadata":{"name":"n"},"spec":{"template":{"driver":{"cores":"one"}}}}`, "")
	if resp.Allowed || resp.Result.Code != http.StatusUnprocessableEntity || !strings.Contains(resp.Result.Message, "spec.template.driver.cores") {
		t.Errorf("a mistyped field: %v", resp.Result)
	}
	resp = handle(admissionv1.Create, `{"apiVersion":"sparkoperator.k8s.io/v1beta2","kind":"ScheduledSparkApplication","metadata":{"name":"n"},"spec":{"schedule":"@daily"}}`, "")
	if resp.Allowed || resp.Result.Code != http.StatusUnprocessableEntity || !strings.Contains(resp.Result.Message, "spec.template: required") {
		t.Errorf("no template: %v", resp.Result)
	}
	// A delete is not judged.
	if resp := handle(admissionv1.Delete, "", scheduledJSON(11, false, "{}")); !resp.Allowed {
		t.Errorf("a delete was judged: %v", resp.Result)
	}
}

// FuzzScheduledAppReviews: the ScheduledSparkApplication handler,
// AdmissionReview bytes in, answer out.
func FuzzScheduledAppReviews(f *testing.F) {
	l := teamLayer()
	l.Spec.Config.Limits = &v1alpha1.Limits{MaxExecutorsPerApp: ptrInt32(10), MaxAppCPU: ptrQuantity("8")}
	v := newTestScheduledValidator(f, l)
	review := func(op admissionv1.Operation, obj, old string) []byte {
		return appReview(f, op, obj, old)
	}
	f.Add(review(admissionv1.Create, scheduledJSON(2, false, "{}"), ""))
	f.Add(review(admissionv1.Create, scheduledJSON(2147483647, false, `{"a":"b"}`), ""))
	f.Add(review(admissionv1.Update, scheduledJSON(3, true, "{}"), scheduledJSON(2, false, "{}")))
	f.Add(review(admissionv1.Create, strings.Replace(scheduledJSON(2, false, "{}"), `"@daily"`, `"CRON_TZ=UTC"`, 1), ""))
	f.Add(review(admissionv1.Create, `{"apiVersion":"sparkoperator.k8s.io/v1beta2","kind":"ScheduledSparkApplication","spec":{"template":{"executor":{"template":{"spec":{"resources":{"requests":{"memory":"1e-999999999"}}}}}}}}`, ""))
	f.Fuzz(func(t *testing.T, raw []byte) {
		// As the webhook serves it (manager.go).
		fuzzReview(t, objectReviewServer(reflect.TypeFor[sparkv1beta2.ScheduledSparkApplication](), v), v.Metrics, "scheduledsparkapplication-policy", raw)
	})
}

// TestScheduledRunsPodSecurityWarning: a schedule in a namespace that
// enforces a Pod Security level its runs' pods break by what a layer adds
// is admitted (the runs are SparkApplications, the plugin judges pods),
// and its creator is warned, for each role, naming the layer and the
// schedule; where nothing is enforced, nothing is warned.
func TestScheduledRunsPodSecurityWarning(t *testing.T) {
	shipper := teamLayer()
	shipper.Spec.Config.Sidecars = []corev1.Container{{Name: "shipper", Image: "shipper:1", SecurityContext: &corev1.SecurityContext{Privileged: new(true)}}}
	for level, want := range map[string]bool{"baseline": true, "privileged": false, "unlabelled": false} {
		v := newTestScheduledValidator(t)
		labels := map[string]string{psaapi.EnforceLevelLabel: level}
		if level == "unlabelled" {
			labels = nil
		}
		in := overlay.Inputs{Layers: []overlay.LayerSource{{Layer: shipper}},
			Namespaces: []corev1.Namespace{{ObjectMeta: metav1.ObjectMeta{Name: "etl", Labels: labels}}}}
		snap, err := overlay.Compile(in)
		if err != nil {
			t.Fatal(err)
		}
		v.Store.swap(snap)
		resp := v.Handle(context.Background(), scheduledRequest(admissionv1.Create, scheduledJSON(2, false, "{}"), ""))
		if !resp.Allowed {
			t.Fatalf("level %q: refused: %v", level, resp.Result)
		}
		var got []string
		for _, w := range resp.Warnings {
			if strings.Contains(w, "Pod Security") {
				got = append(got, w)
			}
		}
		if !want {
			if len(got) > 0 {
				t.Errorf("level %s: warnings %q", level, got)
			}
			continue
		}
		if len(got) != 2 {
			t.Fatalf("warnings %q, want one per role", resp.Warnings)
		}
		for i, role := range []string{"driver", "executor"} {
			if !strings.HasPrefix(got[i], role+`: the pod it launches: Pod Security "baseline:latest" (enforced on namespace "etl")`) ||
				!strings.Contains(got[i], `sidecar "shipper" (NamespaceOverrides layer "ns-etl")`) ||
				!strings.HasSuffix(got[i], `(each run of ScheduledSparkApplication "nightly")`) {
				t.Errorf("warning %q", got[i])
			}
		}
	}
}

// TestScheduledRunsOverrideWarning: the creator of a schedule is told
// what the creator of its run as a SparkApplication is told, of each of
// its own values a layer overrides, the field named in the schedule's
// template, for each run.
func TestScheduledRunsOverrideWarning(t *testing.T) {
	l := teamLayer()
	l.Spec.Config.SparkConf = map[string]string{"spark.executor.memory": "4g"}
	mutator, _ := newTestAppHandlers(t, l)
	v := newTestScheduledValidator(t, l)
	ctx := context.Background()
	app := mutator.Handle(ctx, appRequest(admissionv1.Create, appJSON(2), ""))
	if len(app.Warnings) == 0 {
		t.Fatal("the application is warned of nothing: the layer overrides none of its values")
	}
	var want []string
	for _, w := range app.Warnings {
		want = append(want, inTemplate(w)+` (each run of ScheduledSparkApplication "nightly")`)
	}
	const override = `executor: spec.template.executor.memory "2g" overridden by NamespaceOverrides layer "ns-etl" (each run of ScheduledSparkApplication "nightly")`
	if !slices.Contains(want, override) {
		t.Errorf("the application's warnings %q do not say the layer overrides its executors' memory", app.Warnings)
	}
	resp := v.Handle(ctx, scheduledRequest(admissionv1.Create, scheduledJSON(2, false, "{}"), ""))
	if !resp.Allowed {
		t.Fatalf("refused: %v", resp.Result)
	}
	if !reflect.DeepEqual(resp.Warnings, want) {
		t.Errorf("the schedule's warnings\n%q\nwant the application's, named in the template\n%q", resp.Warnings, want)
	}
	// An update that changes nothing of the runs is not judged, nor warned.
	same := v.Handle(ctx, scheduledRequest(admissionv1.Update, scheduledJSON(2, true, "{}"), scheduledJSON(2, false, "{}")))
	if !same.Allowed || len(same.Warnings) != 0 {
		t.Errorf("suspending the schedule: allowed %v, warnings %q", same.Allowed, same.Warnings)
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
