package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	composer "github.com/strata-dev/strata/cmd/composer/app"
	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/fixtures"
)

// decodedApp is app (as the API server returned it) decoded.
func decodedApp(t *testing.T, app *unstructured.Unstructured) *sparkv1beta2.Object {
	t.Helper()
	data, err := app.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	obj, err := sparkv1beta2.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

// exampleApp is examples/apps/FILE under another name, as an object the
// API server takes.
func exampleApp(t testing.TB, file, name string) *unstructured.Unstructured {
	t.Helper()
	obj := fixtures.App(t, file)
	obj.App.Name = name
	data, err := obj.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(data); err != nil {
		t.Fatal(err)
	}
	return u
}

// composeAppWithCLI runs `composer compose -o json` on app, in-process.
func composeAppWithCLI(t *testing.T, app *unstructured.Unstructured) map[string]any {
	t.Helper()
	in, err := app.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runComposer(t, in, "compose", "-f", "-", "--layers", exampleLayers,
		"--cluster", cluster.Name, "--pool", cluster.Pool, "-o", "json")
	if code != composer.ExitOK {
		t.Fatalf("composer exited %d: %s", code, errOut)
	}
	var composed map[string]any
	if err := json.Unmarshal([]byte(out), &composed); err != nil {
		t.Fatal(err)
	}
	return composed
}

// TestAppComposedThroughTheAPIServer creates the example SparkApplication
// through the API server and reads back what the webhook stored: exactly
// what the composer prints for it, the layers' settings in the sections,
// Spark keys and typed fields stated once, and every field Strata does not
// know as it was written.
func TestAppComposedThroughTheAPIServer(t *testing.T) {
	ctx := context.Background()
	c, warnings := clientWithWarnings(t)
	app := exampleApp(t, "etl-report.yaml", "e2e-etl-report")
	want := composeAppWithCLI(t, app)
	if err := c.Create(ctx, app); err != nil {
		t.Fatalf("creating the SparkApplication: %v", err)
	}
	stored := &unstructured.Unstructured{}
	stored.SetGroupVersionKind(sparkv1beta2.GroupVersionKind)
	if err := c.Get(ctx, client.ObjectKeyFromObject(app), stored); err != nil {
		t.Fatal(err)
	}
	if got, exp := jsonOf(t, stored.Object["spec"]), jsonOf(t, want["spec"]); got != exp {
		t.Errorf("stored spec differs from the composer's:\n--- stored\n%s\n--- composer\n%s", got, exp)
	}
	spec := stored.Object["spec"].(map[string]any)
	exec := spec["executor"].(map[string]any)
	if l := exec["labels"].(map[string]any); l["team"] != "etl" {
		t.Errorf("executor labels = %v, want the NamespaceOverrides team=etl", l)
	}
	if _, still := spec["sparkConf"].(map[string]any)["spark.kubernetes.executor.label.team"]; still {
		t.Error("the overridden label is still in sparkConf: the winner must be stated once")
	}
	if exec["deleteOnTermination"] != false || spec["monitoring"] == nil {
		t.Errorf("fields Strata does not know were lost: %v", spec)
	}
	if !strings.HasPrefix(spec["image"].(string), "mirror.prod-a.internal/dockerhub/") {
		t.Errorf("spec.image = %v, want the prod-a mirror", spec["image"])
	}
	if !containsLine(warnings.all(), `executor: spec.sparkConf["spark.kubernetes.executor.label.team"] "reporting" overridden by NamespaceOverrides layer "ns-etl"`) {
		t.Errorf("warnings = %q", warnings.all())
	}

	// The operator writes status through the subresource, which no
	// webhook of Strata's sees; the spec stays as composed.
	status := stored.DeepCopy()
	_ = unstructured.SetNestedField(status.Object, "SUBMITTED", "status", "applicationState", "state")
	if err := c.Status().Update(ctx, status); err != nil {
		t.Fatalf("updating the status: %v", err)
	}
	// An update of the spec is composed again, and changes nothing more.
	again := stored.DeepCopy()
	if err := c.Get(ctx, client.ObjectKeyFromObject(app), again); err != nil {
		t.Fatal(err)
	}
	again.SetLabels(map[string]string{"app.kubernetes.io/part-of": "nightly-reports", "rerun": "1"})
	if err := c.Update(ctx, again); err != nil {
		t.Fatalf("updating the SparkApplication: %v", err)
	}
	if jsonOf(t, again.Object["spec"]) != jsonOf(t, want["spec"]) {
		t.Error("updating a composed SparkApplication changed its spec")
	}
}

// jsonOf is v as JSON, keys sorted: two decodings of one document
// compare equal whatever their number types.
func jsonOf(t *testing.T, v any) string {
	t.Helper()
	data, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func containsLine(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}

// TestAppThatCannotFitIsRefused: an application whose executors exceed
// what its namespace allows per app is refused at submission, with the
// limit, its value and the layer that set it; one that fits is admitted.
func TestAppThatCannotFitIsRefused(t *testing.T) {
	ctx := context.Background()
	app := exampleApp(t, "etl-report.yaml", "e2e-too-big")
	if err := unstructured.SetNestedField(app.Object, int64(30), "spec", "executor", "instances"); err != nil {
		t.Fatal(err)
	}
	err := cp.Client.Create(ctx, app)
	want := `quota: app "e2e-too-big" asks for up to 30 executors; group "core-data" allows at most 20 per app (NamespaceOverrides layer "ns-etl")`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("creating an app of 30 executors: %v, want a denial containing %q", err, want)
	}
	// Dynamic allocation with no maximum could grow past any limit.
	unbounded := exampleApp(t, "etl-report.yaml", "e2e-unbounded")
	if err := unstructured.SetNestedField(unbounded.Object, map[string]any{"enabled": true}, "spec", "dynamicAllocation"); err != nil {
		t.Fatal(err)
	}
	if err := cp.Client.Create(ctx, unbounded); err == nil || !strings.Contains(err.Error(), "without spark.dynamicAllocation.maxExecutors") {
		t.Fatalf("creating an app with unbounded dynamic allocation: %v", err)
	}
	fits := exampleApp(t, "etl-report.yaml", "e2e-fits")
	if err := unstructured.SetNestedField(fits.Object, map[string]any{"enabled": true, "maxExecutors": int64(20)}, "spec", "dynamicAllocation"); err != nil {
		t.Fatal(err)
	}
	if err := cp.Client.Create(ctx, fits); err != nil {
		t.Fatalf("creating an app that fits: %v", err)
	}
}

// TestMistypedAppIsInvalid: the API server checks a custom object against
// its CRD's schema only after the mutating webhooks, so the webhook is
// sent a tenant's mistyped field: it refuses the application as the API
// server refuses an invalid object, 422 Invalid naming the field (with
// the list element that holds it, and a quantity that is none as well as
// a value of the wrong type), and counts it as invalid, not as its own
// error.
func TestMistypedAppIsInvalid(t *testing.T) {
	r := replicaServingAll(t, "", false)
	errorsBefore := metricOf(t, r, "strata_admissions_total", "outcome", "error")
	for _, tc := range []struct {
		value any
		path  []string
		want  string
	}{
		{"one", []string{"spec", "driver", "cores"}, "SparkApplication is invalid: spec.driver.cores: expected int32, got JSON string"},
		{[]any{map[string]any{"name": "a", "value": "x"}, map[string]any{"name": "b", "value": true}}, []string{"spec", "executor", "env"},
			"SparkApplication is invalid: spec.executor.env[1].value: expected string, got JSON bool"},
		{[]any{map[string]any{"name": "scratch", "emptyDir": map[string]any{"sizeLimit": "1x"}}}, []string{"spec", "volumes"},
			`SparkApplication is invalid: spec.volumes[0].emptyDir.sizeLimit: "1x": not a quantity`},
	} {
		app := exampleApp(t, "etl-report.yaml", "e2e-mistyped")
		if err := unstructured.SetNestedField(app.Object, tc.value, tc.path...); err != nil {
			t.Fatal(err)
		}
		err := cp.Client.Create(context.Background(), app)
		if err == nil || !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("creating an app of %v %v: %v, want 422 Invalid containing %q", tc.path, tc.value, err, tc.want)
		}
	}
	if got := metricOf(t, r, "strata_admissions_total", "outcome", "invalid"); got < 3 {
		t.Errorf("the mistyped apps were not counted as invalid: %v", got)
	}
	if got := metricOf(t, r, "strata_admissions_total", "outcome", "error"); got != errorsBefore {
		t.Errorf("the mistyped apps were counted as errors: %v, before %v", got, errorsBefore)
	}
}

// TestAppOfHugeExponentIsRefused: a CPU count whose exponent would take
// resource.Quantity minutes to parse ("1e-999999999") or compare
// ("1.5e999999999") is refused, as not the whole number of cores Spark
// reads or not a CPU quantity; the webhook answers (a hung webhook would
// leave the API server to report the call timing out instead).
func TestAppOfHugeExponentIsRefused(t *testing.T) {
	ctx := context.Background()
	for key, tc := range map[string]struct{ value, want string }{
		"spark.executor.cores":                  {"1e-999999999", "a whole number"},
		"spark.kubernetes.driver.request.cores": {"1.5e999999999", "a CPU quantity"},
	} {
		value := tc.value
		app := exampleApp(t, "etl-report.yaml", "e2e-huge-exponent")
		if err := unstructured.SetNestedField(app.Object, map[string]any{key: value}, "spec", "sparkConf"); err != nil {
			t.Fatal(err)
		}
		err := cp.Client.Create(ctx, app)
		want := fmt.Sprintf("%s: %q is not %s", key, value, tc.want)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("creating an app with %s=%s: %v, want a denial containing %q", key, value, err, want)
		}
	}
	// In a field the application types as a quantity, the webhook refuses
	// the review before it decodes it, and answers with the request's uid:
	// the API server reports the refusal, naming the quantity, not a
	// webhook that answered another request.
	app := exampleApp(t, "etl-report.yaml", "e2e-huge-exponent")
	if err := unstructured.SetNestedField(app.Object, []any{map[string]any{"name": "scratch", "emptyDir": map[string]any{"sizeLimit": "1e-999999999"}}}, "spec", "volumes"); err != nil {
		t.Fatal(err)
	}
	err := cp.Client.Create(ctx, app)
	const want = `request.object.spec.volumes[0].emptyDir.sizeLimit: "1e-999999999": a quantity of more than 64 characters or of an exponent beyond ±99`
	if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "invalid webhook response") {
		t.Errorf("creating an app with a volume's sizeLimit of 1e-999999999: %v, want a refusal containing %q", err, want)
	}
}

// TestAppMemoryIsCountedInWholeMiB: Spark requests an executor's memory
// in whole MiB, its overhead truncated (0.1 of 59,491 MiB is 5,949.1, so
// 5,949), so an executor of 59491m requests 65440Mi and, with the 96Mi
// of the sidecar the layers inject, its pod exactly etl's 64Gi per pod:
// admitted; one MiB more is refused.
func TestAppMemoryIsCountedInWholeMiB(t *testing.T) {
	ctx := context.Background()
	for name, tc := range map[string]struct {
		memory string
		admit  bool
	}{
		"e2e-mib-fits": {"59491m", true},
		"e2e-mib-over": {"59492m", false},
	} {
		app := exampleApp(t, "etl-report.yaml", name)
		if err := unstructured.SetNestedField(app.Object, tc.memory, "spec", "executor", "memory"); err != nil {
			t.Fatal(err)
		}
		err := cp.Client.Create(ctx, app)
		if err == nil {
			t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), app) })
		}
		const want = `memory; group "core-data" allows at most 64Gi per pod`
		if tc.admit && err != nil {
			t.Errorf("creating %s with executors of %s: %v, want it admitted", name, tc.memory, err)
		}
		if !tc.admit && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("creating %s with executors of %s: %v, want a denial containing %q", name, tc.memory, err, want)
		}
	}
}

// TestAppOverAPodsBoundsIsRefused: an application whose pods the pod
// webhook would refuse for their size (the volumes its Spark
// configuration adds, the containers of its pod template) is refused at
// submission, with the pod's bound.
func TestAppOverAPodsBoundsIsRefused(t *testing.T) {
	ctx := context.Background()
	volumes := exampleApp(t, "etl-report.yaml", "e2e-conf-volumes")
	conf, _, _ := unstructured.NestedStringMap(volumes.Object, "spec", "sparkConf")
	for i := range 1100 {
		conf[fmt.Sprintf("spark.kubernetes.executor.volumes.emptyDir.v%d.mount.path", i)] = fmt.Sprintf("/v/%d", i)
	}
	if err := unstructured.SetNestedStringMap(volumes.Object, conf, "spec", "sparkConf"); err != nil {
		t.Fatal(err)
	}
	template := exampleApp(t, "etl-report.yaml", "e2e-template-containers")
	var containers []any
	for i := range 257 {
		containers = append(containers, map[string]any{"name": fmt.Sprintf("c%d", i), "image": "mirror.prod-a.internal/busybox"})
	}
	if err := unstructured.SetNestedSlice(template.Object, containers, "spec", "driver", "template", "spec", "containers"); err != nil {
		t.Fatal(err)
	}
	for app, want := range map[*unstructured.Unstructured]string{
		volumes:  "spec.executor: pod has 1100 volumes; Strata admits at most 1024",
		template: "spec.driver: pod has 257 containers; Strata admits at most 256",
	} {
		if err := cp.Client.Create(ctx, app); err == nil || !strings.Contains(err.Error(), want) {
			if err == nil {
				_ = cp.Client.Delete(ctx, app)
			}
			t.Errorf("creating %s: %v, want a denial containing %q", app.GetName(), err, want)
		}
	}
}

// TestAppIsSizedAsSparkSizesIt: an application is judged by what Spark
// would run, whatever spelling of a setting it uses. Dynamic allocation
// switched on in capitals, with no maximum, is unbounded; off-heap memory
// enabled by the YARN-era key, or an overhead given by the executors'
// YARN-era key, counts in the executor's memory.
func TestAppIsSizedAsSparkSizesIt(t *testing.T) {
	ctx := context.Background()
	for name, tc := range map[string]struct {
		conf map[string]any
		want string
	}{
		"e2e-capital-dynamic": {map[string]any{"spark.dynamicAllocation.enabled": "TRUE"}, "without spark.dynamicAllocation.maxExecutors"},
		"e2e-off-heap": {map[string]any{"spark.unsafe.offHeap": " true", "spark.memory.offHeap.size": "60g"},
			"memory; group \"core-data\" allows at most 64Gi per pod"},
		"e2e-yarn-overhead": {map[string]any{"spark.yarn.executor.memoryOverhead": "60g"},
			"memory; group \"core-data\" allows at most 64Gi per pod"},
		"e2e-refused-switch": {map[string]any{"spark.memory.offHeap.enabled": "1"}, `spark.memory.offHeap.enabled: "1" is not true or false`},
	} {
		app := exampleApp(t, "etl-report.yaml", name)
		if err := unstructured.SetNestedField(app.Object, tc.conf, "spec", "sparkConf"); err != nil {
			t.Fatal(err)
		}
		if err := cp.Client.Create(ctx, app); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("creating %s with %v: %v, want a denial containing %q", name, tc.conf, err, tc.want)
		}
	}
}

// TestAppTemplateIsJudged: the executors' pod template (spec.executor.template)
// is the pod Spark starts every executor from, so its containers count: a
// template container of 20 CPU makes each executor larger than etl's 16 CPU
// per pod, and the app is refused at submission, naming the executors.
func TestAppTemplateIsJudged(t *testing.T) {
	ctx := context.Background()
	app := exampleApp(t, "etl-report.yaml", "e2e-template")
	template := map[string]any{"spec": map[string]any{"containers": []any{
		map[string]any{"name": "spark-kubernetes-executor"},
		map[string]any{"name": "miner", "image": "mirror.prod-a.internal/miner:1", "resources": map[string]any{"requests": map[string]any{"cpu": "20"}}},
	}}}
	if err := unstructured.SetNestedField(app.Object, template, "spec", "executor", "template"); err != nil {
		t.Fatal(err)
	}
	err := cp.Client.Create(ctx, app)
	// Tagged with the pod: the driver fits.
	want := `group "core-data" allows at most 16 per pod (NamespaceOverrides layer "ns-etl") [executor pods]`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("creating an app whose executor template adds 20 CPU: %v, want a denial containing %q", err, want)
	}
}

// TestAppEnvVarsAreJudged: the deprecated spec.driver.envVars, which the
// operator passes as spark.kubernetes.driverEnv.*, set the driver's
// variables: an IAM role asked for there that etl may not take refuses
// the app at submission, as its driver would be refused.
func TestAppEnvVarsAreJudged(t *testing.T) {
	ctx := context.Background()
	app := exampleApp(t, "etl-report.yaml", "e2e-envvars")
	if err := unstructured.SetNestedField(app.Object, map[string]any{"AWS_ROLE_ARN": "arn:aws:iam::999999999999:role/admin"},
		"spec", "driver", "envVars"); err != nil {
		t.Fatal(err)
	}
	err := cp.Client.Create(ctx, app)
	want := `IAM role "arn:aws:iam::999999999999:role/admin" (from user (env AWS_ROLE_ARN of container "spark-kubernetes-driver")) is not allowed in namespace "etl"`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("creating an app whose driver envVars ask for another role: %v, want a denial containing %q", err, want)
	}
}

// TestAppsPodsPassUnchanged creates the pods the operator launches from a
// composed application through the API server: the pod webhook finds them
// composed and stores them as they were sent, without a warning.
func TestAppsPodsPassUnchanged(t *testing.T) {
	ctx := context.Background()
	app := exampleApp(t, "etl-report.yaml", "e2e-launch")
	if err := cp.Client.Create(ctx, app); err != nil {
		t.Fatal(err)
	}
	composed := decodedApp(t, app)
	c, warnings := clientWithWarnings(t)
	for _, role := range mutate.Roles() {
		pod, err := mutate.LaunchedPod(&composed.App, role)
		if err != nil {
			t.Fatal(err)
		}
		// The pod webhook's answer to the pod as the operator sends it.
		if resp := admit(t, pod); len(resp.Patch) != 0 || len(resp.Warnings) != 0 {
			t.Errorf("%s pod of the composed app: patch %v, warnings %q; want none", role, string(resp.Patch), resp.Warnings)
		}
		// And the API server stores it, through every webhook.
		if err := c.Create(ctx, pod); err != nil {
			t.Fatalf("creating the %s pod: %v", role, err)
		}
	}
	for _, w := range warnings.all() {
		if strings.Contains(w, "overridden by") {
			t.Errorf("a pod launched from a composed app warned: %s", w)
		}
	}
}

// TestSuspendingAnAppIsNeverRefused: suspending an application (the
// operator then deletes its pods) is never refused, even with a spec that
// would not be admitted; resuming it is judged as a submission is.
func TestSuspendingAnAppIsNeverRefused(t *testing.T) {
	ctx := context.Background()
	app := exampleApp(t, "etl-report.yaml", "e2e-suspend")
	if err := cp.Client.Create(ctx, app); err != nil {
		t.Fatalf("creating an app that fits: %v", err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), app) })
	stored := app.DeepCopy()
	if err := cp.Client.Get(ctx, client.ObjectKeyFromObject(app), stored); err != nil {
		t.Fatal(err)
	}
	suspended := stored.DeepCopy()
	_ = unstructured.SetNestedField(suspended.Object, true, "spec", "suspend")
	_ = unstructured.SetNestedField(suspended.Object, int64(30), "spec", "executor", "instances")
	if err := cp.Client.Update(ctx, suspended); err != nil {
		t.Fatalf("suspending the app, with 30 executors: %v", err)
	}
	resumed := suspended.DeepCopy()
	_ = unstructured.SetNestedField(resumed.Object, false, "spec", "suspend")
	err := cp.Client.Update(ctx, resumed)
	if want := `quota: app "e2e-suspend" asks for up to 30 executors`; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("resuming the app with 30 executors: %v, want a denial containing %q", err, want)
	}
}

// TestAppMayNotTurnTheOperatorAgainstOthers: the operator's spark-submit
// runs in the operator's pod, with its credentials; an app that would run
// its driver there, create its pods in another namespace, hand the
// operator's token to its driver (as a setting or as a file to upload),
// or hold one of the operator's workers until it ends is refused, naming
// the field.
func TestAppMayNotTurnTheOperatorAgainstOthers(t *testing.T) {
	ctx := context.Background()
	for name, tc := range map[string]struct {
		path  []string
		value any
		want  string
	}{
		"client mode": {[]string{"spec", "mode"}, "client",
			`isolation: SparkApplication "e2e-deputy": spec.mode "client" would run the application's driver inside the Spark Operator`},
		"another namespace": {[]string{"spec", "sparkConf"}, map[string]any{"spark.kubernetes.namespace": "geo"},
			`isolation: SparkApplication "e2e-deputy": spec.sparkConf["spark.kubernetes.namespace"] "geo": the operator would create the application's pods in namespace "geo", not "etl"`},
		"the operator's token": {[]string{"spec", "sparkConf"}, map[string]any{"spark.kubernetes.authenticate.driver.oauthTokenFile": "/var/run/secrets/kubernetes.io/serviceaccount/token"},
			`isolation: SparkApplication "e2e-deputy": spec.sparkConf["spark.kubernetes.authenticate.driver.oauthTokenFile"]`},
		"the operator's files, uploaded for the driver": {[]string{"spec", "deps"}, map[string]any{"files": []any{"s3a://b/ok.csv,/var/run/secrets/kubernetes.io/serviceaccount/token"}},
			`isolation: SparkApplication "e2e-deputy": spec.deps.files[0] "/var/run/secrets/kubernetes.io/serviceaccount/token": a file where the operator submits`},
		"a key spark-submit reads as another": {[]string{"spec", "sparkConf"}, map[string]any{"spark.kubernetes.file.upload.path=s3a://tenant/up": "x"},
			`spec.sparkConf["spark.kubernetes.file.upload.path=s3a://tenant/up"]: must not hold "=": the Spark Operator passes it to spark-submit as --conf spark.kubernetes.file.upload.path=s3a://tenant/up=<value>, which spark-submit reads as key "spark.kubernetes.file.upload.path"`},
		"a Hadoop key read as another": {[]string{"spec", "hadoopConf"}, map[string]any{"fs.s3a.endpoint=http://tenant.example/?": "x"},
			`spec.hadoopConf["fs.s3a.endpoint=http://tenant.example/?"]: must not hold "="`},
		"spark-submit waiting in the operator": {[]string{"spec", "sparkConf"}, map[string]any{"spark.kubernetes.submission.waitAppCompletion": "true"},
			`isolation: SparkApplication "e2e-deputy": spec.sparkConf["spark.kubernetes.submission.waitAppCompletion"] "true": spark-submit would wait in the operator`},
		"submitting again at once": {[]string{"spec", "restartPolicy"}, map[string]any{"type": "Always"},
			`quota: app "e2e-deputy": restartPolicy.type Always: the operator submits an application that succeeded again at once; group "core-data" allows no less than 60s between submissions (ClusterOverrides layer "prod-a-overrides")`},
		"retrying every second": {[]string{"spec", "restartPolicy"}, map[string]any{"type": "OnFailure", "onSubmissionFailureRetries": int64(100), "onSubmissionFailureRetryInterval": int64(1)},
			`quota: app "e2e-deputy": restartPolicy.onSubmissionFailureRetryInterval is 1s, so the operator may submit it again that soon`},
	} {
		app := exampleApp(t, "etl-report.yaml", "e2e-deputy")
		if err := unstructured.SetNestedField(app.Object, tc.value, tc.path...); err != nil {
			t.Fatal(err)
		}
		if err := cp.Client.Create(ctx, app); err == nil || !strings.Contains(err.Error(), tc.want) {
			if err == nil {
				_ = cp.Client.Delete(ctx, app)
			}
			t.Errorf("%s: %v, want a denial containing %q", name, err, tc.want)
		}
	}
}

// TestAppMayNotExposeThroughTheOperator: the Services and Ingresses the
// Spark Operator creates with its own credentials to expose a driver are
// held to prod-a's allowedServiceTypes, allowedIngressHosts and
// reservedLabelPrefixes through the API server; an Ingress on a host of
// the application's own namespace is admitted. So is a SparkConnect's
// server Service, created by the operator as written.
func TestAppMayNotExposeThroughTheOperator(t *testing.T) {
	ctx := context.Background()
	for name, tc := range map[string]struct {
		path  []string
		value any
		want  string
	}{
		"an Ingress on the namespace's host": {[]string{"spec", "driverIngressOptions"},
			[]any{map[string]any{"servicePort": int64(4041), "ingressURLFormat": "{{$appName}}.{{$appNamespace}}.spark.prod-a.internal"}}, ""},
		"a load balancer for the UI": {[]string{"spec", "sparkUIOptions"}, map[string]any{"serviceType": "LoadBalancer"},
			`isolation: spec.sparkUIOptions.serviceType "LoadBalancer": the Spark Operator would create a Service of that type for the application; allowed for tenants: ClusterIP (ClusterOverrides layer "prod-a-overrides")`},
		"another's host": {[]string{"spec", "driverIngressOptions"},
			[]any{map[string]any{"servicePort": int64(4041), "ingressURLFormat": "login.bank.example.com/"}},
			`isolation: spec.driverIngressOptions[0].ingressURLFormat: host "login.bank.example.com", not a host tenants' Ingresses may serve; allowed: *.{{$appNamespace}}.spark.prod-a.internal (ClusterOverrides layer "prod-a-overrides")`},
		"the ingress controller's configuration": {[]string{"spec", "sparkUIOptions"},
			map[string]any{"ingressAnnotations": map[string]any{"nginx.ingress.kubernetes.io/server-snippet": "location / {}"}},
			`isolation: spec.sparkUIOptions.ingressAnnotations["nginx.ingress.kubernetes.io/server-snippet"]: annotation "nginx.ingress.kubernetes.io/server-snippet" is reserved for the platform`},
	} {
		app := exampleApp(t, "etl-report.yaml", "e2e-exposed")
		if err := unstructured.SetNestedField(app.Object, tc.value, tc.path...); err != nil {
			t.Fatal(err)
		}
		createAppWanting(ctx, t, name, app, tc.want)
	}
}

// createAppWanting creates app through the API server and deletes it
// again, wanting it admitted (want "") or refused with a message holding
// want.
func createAppWanting(ctx context.Context, t *testing.T, name string, app *unstructured.Unstructured, want string) {
	t.Helper()
	err := cp.Client.Create(ctx, app)
	if err == nil {
		_ = cp.Client.Delete(ctx, app)
	}
	if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
		t.Errorf("%s: %v, want a denial containing %q", name, err, want)
	}
}

// TestOperatorMayNotTakeOverObjects: a Service the platform keeps in a
// tenant's namespace, of a name the Spark Operator gives an application's
// UI Service or a SparkConnect's server Service, is not handed to the
// operator to take over: the application is refused through the API
// server, naming the Service, read with the webhook's own RBAC.
func TestOperatorMayNotTakeOverObjects(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"e2e-taken-ui-svc", "platform-metrics"} {
		svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "etl"},
			Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 9090}}}}
		if err := cp.Client.Create(ctx, svc); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), svc) })
	}
	app := exampleApp(t, "etl-report.yaml", "e2e-taken")
	err := cp.Client.Create(ctx, app)
	if err == nil {
		_ = cp.Client.Delete(ctx, app)
	}
	const taken = `isolation: SparkApplication "e2e-taken": Service "e2e-taken-ui-svc" (the UI's) exists in namespace "etl" and is not the SparkApplication's: the Spark Operator would take it over with its own credentials and delete it with the SparkApplication`
	wantDenied(t, "an app whose UI Service's name is taken", err, taken)
	// The dry run with the cluster says the same.
	in, err := app.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runComposer(t, in, "compose", "-f", "-", "--kubeconfig", kubeconfigFile(t), "--cluster", cluster.Name, "--pool", cluster.Pool, "--validate", "-o", "yaml")
	if code != composer.ExitDenied || !strings.Contains(errOut, taken) {
		t.Errorf("the dry run of the app, with the cluster: exit %d, %s", code, errOut)
	}

	conn := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(`apiVersion: sparkoperator.k8s.io/v1alpha1
kind: SparkConnect
metadata: {name: e2e-taking, namespace: etl}
spec:
  sparkVersion: 4.0.0
  image: mirror.prod-a.internal/apache/spark:4.0.0
  server:
    service:
      metadata: {name: platform-metrics}
  executor: {instances: 1}
`), &conn.Object); err != nil {
		t.Fatal(err)
	}
	err = cp.Client.Create(ctx, conn)
	if err == nil {
		_ = cp.Client.Delete(ctx, conn)
	}
	wantDenied(t, "a SparkConnect naming the platform's Service as its server's", err,
		`isolation: SparkConnect "e2e-taking": Service "platform-metrics" (spec.server.service.metadata.name) exists in namespace "etl" and is not the SparkConnect's`)
}

// TestAppBatchSchedulerIsJudged: the operator hands an app's batch
// scheduler the queue, the PodGroup's priority class and what Volcano
// holds for it (its minResources) with its own credentials, so a tenant's
// choice of the first two is refused at submission where the platform
// reserves it, as on a pod, and of the last past the app's limits; an app
// without them is admitted.
func TestAppBatchSchedulerIsJudged(t *testing.T) {
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "batch-sched"}}
	if err := cp.Client.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	layer := &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "e2e-batch-sched"}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.NamespaceOverrides,
		Match: v1alpha1.Match{Namespaces: []string{ns.Name}}, Config: &v1alpha1.Config{Isolation: &v1alpha1.Isolation{
			AllowedPriorityClasses: []string{"spark-low"}, ReservedLabelPrefixes: []string{"scheduling.volcano.sh/"}},
			Limits: &v1alpha1.Limits{MaxAppCPU: new(resource.MustParse("64"))}}}}
	createLayer(t, layer, ns.Name)
	for name, tc := range map[string]struct {
		options map[string]any
		want    string
	}{
		"what Volcano holds, within the app's": {map[string]any{"resources": map[string]any{"cpu": "64"}}, ""},
		"what Volcano holds, past the app's": {map[string]any{"resources": map[string]any{"cpu": "65", "memory": "1Gi"}},
			`quota: app "e2e-batch": spec.batchSchedulerOptions.resources has Volcano hold 65 CPU for its PodGroup before it places any of its pods; namespace "batch-sched" allows at most 64 per app (NamespaceOverrides layer "e2e-batch-sched")`},
		"none":              {nil, ""},
		"an allowed class":  {map[string]any{"priorityClassName": "spark-low"}, ""},
		"the cluster's top": {map[string]any{"priorityClassName": "system-cluster-critical"}, `isolation: spec.batchSchedulerOptions.priorityClassName "system-cluster-critical" (the app's PodGroup) is not allowed for tenants`},
		"another's queue":   {map[string]any{"queue": "other-team"}, `isolation: annotation "scheduling.volcano.sh/queue-name" is reserved for the platform`},
	} {
		app := exampleApp(t, "etl-report.yaml", "e2e-batch")
		app.SetNamespace(ns.Name)
		// No layer allows IAM roles in this namespace.
		unstructured.RemoveNestedField(app.Object, "spec", "driver", "annotations")
		if err := unstructured.SetNestedField(app.Object, "volcano", "spec", "batchScheduler"); err != nil {
			t.Fatal(err)
		}
		if tc.options != nil {
			if err := unstructured.SetNestedField(app.Object, tc.options, "spec", "batchSchedulerOptions"); err != nil {
				t.Fatal(err)
			}
		}
		createAppWanting(ctx, t, name, app, tc.want)
	}
}

// TestPodGroupsAreJudged: a Volcano PodGroup a tenant writes itself (as
// spark-submit does) ranks its whole gang by its class, which is held to
// allowedPriorityClasses like a pod's, except the classes the layers give
// the pods, and queues it where its queue says, which is held to the
// layers' where pods may not choose theirs; what it has Volcano hold for
// the gang is held to what one application may request, and with the
// namespace's other gangs waiting to run to what the namespace may;
// changing the class or what it holds later is judged, Volcano's status
// writes are not.
func TestPodGroupsAreJudged(t *testing.T) {
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "volcano-gangs"}}
	if err := cp.Client.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	layer := &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "e2e-podgroups"}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.NamespaceOverrides,
		Match: v1alpha1.Match{Namespaces: []string{ns.Name}}, Config: &v1alpha1.Config{
			Annotations: map[string]string{"scheduling.volcano.sh/queue-name": "gangs"},
			Isolation:   &v1alpha1.Isolation{AllowedPriorityClasses: []string{"spark-low"}, ReservedLabelPrefixes: []string{"scheduling.volcano.sh/"}},
			Limits:      &v1alpha1.Limits{MaxAppCPU: new(resource.MustParse("16")), NamespaceCPU: new(resource.MustParse("40"))}}}}
	createLayer(t, layer, ns.Name)
	podGroup := func(name, class string) *unstructured.Unstructured {
		pg := &unstructured.Unstructured{}
		pg.SetAPIVersion("scheduling.volcano.sh/v1beta1")
		pg.SetKind("PodGroup")
		pg.SetName(name)
		pg.SetNamespace(ns.Name)
		spec := map[string]any{"minMember": int64(1), "queue": "gangs"}
		if class != "" {
			spec["priorityClassName"] = class
		}
		pg.Object["spec"] = spec
		return pg
	}
	const want = `isolation: PodGroup "gang-top": spec.priorityClassName "system-cluster-critical" is not allowed for tenants; allowed: spark-low (NamespaceOverrides layer "e2e-podgroups")`
	wantDenied(t, "a tenant's PodGroup of the cluster's top class", cp.Client.Create(ctx, podGroup("gang-top", "system-cluster-critical")), want)
	for name, class := range map[string]string{"gang-low": "spark-low", "gang-driver": "spark-driver", "gang-none": ""} {
		if err := cp.Client.Create(ctx, podGroup(name, class)); err != nil {
			t.Errorf("a PodGroup of class %q (allowed, the layers' drivers', none): %v", class, err)
		}
	}
	var low unstructured.Unstructured
	low.SetGroupVersionKind(podGroup("", "").GroupVersionKind())
	if err := cp.Client.Get(ctx, client.ObjectKey{Namespace: ns.Name, Name: "gang-low"}, &low); err != nil {
		t.Fatal(err)
	}
	low.Object["status"] = map[string]any{"phase": "Running", "running": int64(3)}
	if err := cp.Client.Status().Update(ctx, &low); err != nil {
		t.Errorf("Volcano's status write: %v", err)
	}
	if err := cp.Client.Get(ctx, client.ObjectKey{Namespace: ns.Name, Name: "gang-low"}, &low); err != nil {
		t.Fatal(err)
	}
	if err := unstructured.SetNestedField(low.Object, "system-cluster-critical", "spec", "priorityClassName"); err != nil {
		t.Fatal(err)
	}
	wantDenied(t, "a PodGroup raised to the cluster's top class", cp.Client.Update(ctx, &low),
		`isolation: PodGroup "gang-low": spec.priorityClassName "system-cluster-critical" is not allowed for tenants`)

	// Its queue: where pods may not choose theirs, the layers' or Volcano's
	// default only.
	other := podGroup("gang-elsewhere", "")
	other.Object["spec"].(map[string]any)["queue"] = "other-team"
	wantDenied(t, "a PodGroup in another team's queue", cp.Client.Create(ctx, other),
		`isolation: PodGroup "gang-elsewhere": spec.queue "other-team" is reserved for the platform`)
	volcanos := podGroup("gang-default", "")
	volcanos.Object["spec"].(map[string]any)["queue"] = "default"
	if err := cp.Client.Create(ctx, volcanos); err != nil {
		t.Errorf("a PodGroup in Volcano's default queue: %v", err)
	}

	// What it has Volcano hold for the gang before placing any pod: no
	// more than one application of the namespace may request, on create
	// and on every update that changes it.
	holding := func(name string, held map[string]any) *unstructured.Unstructured {
		pg := podGroup(name, "")
		pg.Object["spec"].(map[string]any)["minResources"] = held
		return pg
	}
	wantDenied(t, "a PodGroup holding more than an app may run", cp.Client.Create(ctx, holding("gang-hoard", map[string]any{"cpu": "1000", "memory": "1Gi"})),
		`quota: PodGroup "gang-hoard": spec.minResources has Volcano hold 1k CPU for the gang before it places any of its pods; namespace "volcano-gangs" allows at most 16 per app (NamespaceOverrides layer "e2e-podgroups")`)
	fits := holding("gang-fits", map[string]any{"cpu": int64(16), "memory": "64Gi"})
	if err := cp.Client.Create(ctx, fits); err != nil {
		t.Fatalf("a PodGroup holding what an app may run: %v", err)
	}
	fits.SetLabels(map[string]string{"team": "gangs"})
	if err := cp.Client.Update(ctx, fits); err != nil {
		t.Errorf("a PodGroup's labels changed: %v", err)
	}
	fits.Object["spec"].(map[string]any)["minResources"] = map[string]any{"cpu": "16001m", "memory": "64Gi"}
	wantDenied(t, "a PodGroup grown past what an app may run", cp.Client.Update(ctx, fits),
		`quota: PodGroup "gang-fits": spec.minResources has Volcano hold 16001m CPU`)
	unstructured.RemoveNestedField(fits.Object, "spec", "minResources")
	if err := cp.Client.Update(ctx, fits); err != nil {
		t.Errorf("a PodGroup that holds nothing any more: %v", err)
	}

	// Nor many gangs, each within bounds, more together than the namespace
	// may run, while they wait; a gang that runs counts by its pods.
	for _, name := range []string{"gang-w1", "gang-w2"} {
		if err := cp.Client.Create(ctx, holding(name, map[string]any{"cpu": "16"})); err != nil {
			t.Fatalf("%s, 32 of 40 CPU held: %v", name, err)
		}
	}
	wantDenied(t, "a third gang past the namespace's total", cp.Client.Create(ctx, holding("gang-w3", map[string]any{"cpu": "16"})),
		`quota: PodGroup "gang-w3": spec.minResources has Volcano hold 16 CPU for the gang, 48 with the namespace's other gangs waiting to run; namespace "volcano-gangs" allows at most 40 for the whole namespace (NamespaceOverrides layer "e2e-podgroups")`)
	var w1 unstructured.Unstructured
	w1.SetGroupVersionKind(podGroup("", "").GroupVersionKind())
	if err := cp.Client.Get(ctx, client.ObjectKey{Namespace: ns.Name, Name: "gang-w1"}, &w1); err != nil {
		t.Fatal(err)
	}
	w1.Object["status"] = map[string]any{"phase": "Running", "running": int64(2)}
	if err := cp.Client.Status().Update(ctx, &w1); err != nil {
		t.Fatalf("Volcano's status write: %v", err)
	}
	if err := cp.Client.Create(ctx, holding("gang-w3", map[string]any{"cpu": "16"})); err != nil {
		t.Errorf("a third gang once the first runs: %v", err)
	}
}

// TestAppSpellingCannotEscapeAnOverride: a layer's override of a Spark key
// governs the typed field the operator passes after sparkConf for the same
// setting, through the API server: a tenant's spec.deps.repositories,
// javaOptions, hadoopConf, executor env, the driver's variable from a
// Secret and the mount path of a Secret take the layer's values, stated
// once.
func TestAppSpellingCannotEscapeAnOverride(t *testing.T) {
	ctx := context.Background()
	layer := &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "e2e-job-overrides"}, Spec: v1alpha1.LayerSpec{
		Tier: v1alpha1.NamespaceOverrides, Match: v1alpha1.Match{Namespaces: []string{"etl"}},
		Config: &v1alpha1.Config{SparkConf: map[string]string{
			"spark.jars.repositories":                          "https://nexus.internal/maven",
			"spark.executor.extraJavaOptions":                  "-Dplatform.agent=on",
			"spark.hadoop.fs.s3a.endpoint":                     "s3.internal",
			"spark.executorEnv.STRATA_MODE":                    "platform",
			"spark.kubernetes.driver.secretKeyRef.DB_PASSWORD": "platform-db:password",
			"spark.kubernetes.executor.secrets.platform-certs": "/etc/platform-certs",
		}}}}
	createLayer(t, layer, "etl")

	app := exampleApp(t, "etl-report.yaml", "e2e-spellings")
	for _, f := range []struct {
		value any
		path  []string
	}{
		{[]any{"https://repo.example.com/maven"}, []string{"spec", "deps", "repositories"}},
		{"-Dmine=1", []string{"spec", "executor", "javaOptions"}},
		{"s3.example.com", []string{"spec", "hadoopConf", "fs.s3a.endpoint"}},
		{[]any{map[string]any{"name": "STRATA_MODE", "value": "mine"}}, []string{"spec", "executor", "env"}},
		{map[string]any{"DB_PASSWORD": map[string]any{"name": "mine", "key": "pw"}}, []string{"spec", "driver", "envSecretKeyRefs"}},
		{[]any{map[string]any{"name": "platform-certs", "path": "/tmp/elsewhere", "secretType": "Generic"}}, []string{"spec", "executor", "secrets"}},
	} {
		if err := unstructured.SetNestedField(app.Object, f.value, f.path...); err != nil {
			t.Fatal(err)
		}
	}
	if err := cp.Client.Create(ctx, app); err != nil {
		t.Fatalf("creating the SparkApplication: %v", err)
	}
	stored := &unstructured.Unstructured{}
	stored.SetGroupVersionKind(sparkv1beta2.GroupVersionKind)
	if err := cp.Client.Get(ctx, client.ObjectKeyFromObject(app), stored); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(ctx, stored) })
	for _, f := range []struct {
		want any
		path []string
	}{
		{[]any{"https://nexus.internal/maven"}, []string{"spec", "deps", "repositories"}},
		{"-Dplatform.agent=on", []string{"spec", "executor", "javaOptions"}},
		{"s3.internal", []string{"spec", "hadoopConf", "fs.s3a.endpoint"}},
		{[]any{map[string]any{"name": "platform-certs", "path": "/etc/platform-certs", "secretType": "Generic"}}, []string{"spec", "executor", "secrets"}},
	} {
		got, _, _ := unstructured.NestedFieldNoCopy(stored.Object, f.path...)
		if fmt.Sprint(got) != fmt.Sprint(f.want) {
			t.Errorf("%s = %v, want the override's %v", strings.Join(f.path, "."), got, f.want)
		}
	}
	// The driver's variable from a Secret is its environment's: written
	// there, whole, with the layer's Secret.
	if refs, found, _ := unstructured.NestedMap(stored.Object, "spec", "driver", "envSecretKeyRefs"); found {
		t.Errorf("spec.driver.envSecretKeyRefs = %v, want the variable in spec.driver.env only", refs)
	}
	denv, _, _ := unstructured.NestedSlice(stored.Object, "spec", "driver", "env")
	if n := slices.IndexFunc(denv, func(e any) bool { return e.(map[string]any)["name"] == "DB_PASSWORD" }); n < 0 ||
		fmt.Sprint(denv[n].(map[string]any)["valueFrom"]) != fmt.Sprint(map[string]any{"secretKeyRef": map[string]any{"name": "platform-db", "key": "password"}}) {
		t.Errorf("spec.driver.env = %v, want DB_PASSWORD from the layer's Secret", denv)
	}
	env, _, _ := unstructured.NestedSlice(stored.Object, "spec", "executor", "env")
	if n := slices.IndexFunc(env, func(e any) bool { return e.(map[string]any)["name"] == "STRATA_MODE" }); n < 0 ||
		env[n].(map[string]any)["value"] != "platform" || slices.ContainsFunc(env[n+1:], func(e any) bool { return e.(map[string]any)["name"] == "STRATA_MODE" }) {
		t.Errorf("spec.executor.env = %v, want STRATA_MODE the override's, once", env)
	}
	conf, _, _ := unstructured.NestedStringMap(stored.Object, "spec", "sparkConf")
	for _, k := range []string{"spark.jars.repositories", "spark.executor.extraJavaOptions", "spark.hadoop.fs.s3a.endpoint", "spark.executorEnv.STRATA_MODE",
		"spark.kubernetes.driver.secretKeyRef.DB_PASSWORD", "spark.kubernetes.executor.secrets.platform-certs"} {
		if _, ok := conf[k]; ok {
			t.Errorf("sparkConf still holds %s: the winner must be stated once", k)
		}
	}
}

// TestAppsPodsInAPinnedNamespace: in a namespace pinned by its
// node-selector annotation to node.strata.dev/pool=core, an application
// is composed with that pin as given, as a pod is: the example pool-batch
// layer's default pool is not written into it, and the pods the operator
// launches from it are admitted by the API server's PodNodeSelector,
// which would refuse them had the application been given pool=batch.
func TestAppsPodsInAPinnedNamespace(t *testing.T) {
	ctx := context.Background()
	ns := pinnedToCore(t, "e2e-pinned-app")
	c, warnings := clientWithWarnings(t)
	app := exampleApp(t, "etl-report.yaml", "e2e-pinned-app")
	app.SetNamespace(ns.Name)
	// The IAM role is etl's alone.
	unstructured.RemoveNestedField(app.Object, "spec", "driver", "annotations", "strata.dev/iam-role")
	if err := c.Create(ctx, app); err != nil {
		t.Fatalf("creating the SparkApplication: %v", err)
	}
	composed := decodedApp(t, app)
	s := &composed.App.Spec
	for where, sel := range map[string]map[string]string{"spec": s.NodeSelector, "driver": s.Driver.NodeSelector, "executor": s.Executor.NodeSelector} {
		if v, ok := sel["node.strata.dev/pool"]; ok {
			t.Errorf("%s.nodeSelector holds node.strata.dev/pool=%s: want the namespace's pin left to PodNodeSelector", where, v)
		}
	}
	for _, role := range mutate.Roles() {
		pod, err := mutate.LaunchedPod(&composed.App, role)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Create(ctx, pod); err != nil {
			t.Errorf("creating the %s pod the operator launches: %v", role, err)
			continue
		}
		t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), pod) })
	}
	for _, w := range warnings.all() {
		if strings.Contains(w, "will refuse the pod") {
			t.Errorf("warned: %s", w)
		}
	}
}
