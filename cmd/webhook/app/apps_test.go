package app

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// newTestAppHandlers are the SparkApplication handlers over layers.
func newTestAppHandlers(t testing.TB, layers ...v1alpha1.Layer) (*AppMutator, *AppValidator) {
	t.Helper()
	v := newTestPodValidator(t, layers...)
	return &AppMutator{Store: v.Store, Cluster: v.Cluster, Metrics: v.Metrics},
		&AppValidator{Store: v.Store, Policies: v.Policies, Live: v.Live, Synced: v.Synced, Cluster: v.Cluster, Metrics: v.Metrics}
}

const testApp = `{"apiVersion":"sparkoperator.k8s.io/v1beta2","kind":"SparkApplication","metadata":{"name":"nightly","namespace":"etl"},
"spec":{"type":"Scala","image":"apache/spark:3.5.3","sparkConf":{"spark.executor.memory":"2g"},"driver":{"cores":1},"executor":{"instances":%d,"cores":1},"unknown":{"kept":true}}}`

func appRequest(op admissionv1.Operation, obj, old string) admission.Request {
	r := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{UID: "app", Operation: op, Namespace: "etl", Name: "nightly",
		Kind:     metav1.GroupVersionKind{Group: sparkv1beta2.Group, Version: sparkv1beta2.Version, Kind: sparkv1beta2.Kind},
		Resource: metav1.GroupVersionResource{Group: sparkv1beta2.Group, Version: sparkv1beta2.Version, Resource: sparkv1beta2.Resource},
		Object:   runtime.RawExtension{Raw: []byte(obj)}}}
	if old != "" {
		r.OldObject.Raw = []byte(old)
	}
	return r
}

func appJSON(executors int) string { return strings.Replace(testApp, "%d", itoa(executors), 1) }

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestAppHandlers(t *testing.T) {
	l := teamLayer()
	l.Spec.Config.Limits = &v1alpha1.Limits{MaxExecutorsPerApp: ptrInt32(10)}
	l.Spec.Config.SparkConf = map[string]string{"spark.executor.memory": "4g", "spark.eventLog.enabled": "true"}
	mutator, validator := newTestAppHandlers(t, l)
	ctx := context.Background()

	resp := mutator.Handle(ctx, appRequest(admissionv1.Create, appJSON(2), ""))
	if !resp.Allowed || len(opsOf(t, resp)) == 0 {
		t.Fatalf("allowed %v, patches %v: %v", resp.Allowed, opsOf(t, resp), resp.Result)
	}
	patch := resp.Patch
	for _, want := range []string{`"path":"/spec/executor/memory","value":"4g"`, `"path":"/spec/sparkConf/spark.eventLog.enabled"`} {
		if !strings.Contains(string(patch), want) {
			t.Errorf("patch lacks %s: %s", want, patch)
		}
	}
	if strings.Contains(string(patch), "unknown") {
		t.Errorf("the patch touches a field Strata does not know: %s", patch)
	}
	if got := resp.AuditAnnotations[auditLayersKey]; got != "ns-etl" {
		t.Errorf("audit annotations %v, want the layers applied", resp.AuditAnnotations)
	}
	elsewhere := teamLayer()
	elsewhere.Name, elsewhere.Spec.Match.Namespaces = "ns-web", []string{"web"}
	bare, _ := newTestAppHandlers(t, elsewhere)
	if resp := bare.Handle(ctx, appRequest(admissionv1.Create, appJSON(2), "")); !resp.Allowed || resp.AuditAnnotations != nil {
		t.Errorf("an app no layer matches: allowed %v (%v), audit annotations %v", resp.Allowed, resp.Result, resp.AuditAnnotations)
	}

	// An update of the metadata alone is not composed again: a Layer
	// changed since must not change a running app's spec.
	relabelled := strings.Replace(appJSON(2), `"name":"nightly"`, `"name":"nightly","labels":{"operator":"x"}`, 1)
	if resp := mutator.Handle(ctx, appRequest(admissionv1.Update, relabelled, appJSON(2))); !resp.Allowed || len(opsOf(t, resp)) != 0 {
		t.Errorf("a metadata update was composed: %v %v", opsOf(t, resp), resp.Result)
	}
	if resp := mutator.Handle(ctx, appRequest(admissionv1.Update, appJSON(3), appJSON(2))); len(opsOf(t, resp)) == 0 {
		t.Error("a spec update was not composed")
	}

	if resp := validator.Handle(ctx, appRequest(admissionv1.Create, appJSON(2), "")); !resp.Allowed {
		t.Errorf("an app that fits was refused: %v", resp.Result)
	}
	resp = validator.Handle(ctx, appRequest(admissionv1.Create, appJSON(11), ""))
	if resp.Allowed || !strings.Contains(resp.Result.Message, `quota: app "nightly" asks for up to 11 executors`) {
		t.Errorf("an app of 11 executors: allowed %v, %v", resp.Allowed, resp.Result)
	}
	// An update that leaves the spec alone (the operator's finalizer, a
	// label) is not judged again; one that grows the app is.
	if resp := validator.Handle(ctx, appRequest(admissionv1.Update, appJSON(11), appJSON(11))); !resp.Allowed {
		t.Errorf("an update that leaves the spec alone was judged: %v", resp.Result)
	}
	if resp := validator.Handle(ctx, appRequest(admissionv1.Update, appJSON(11), appJSON(2))); resp.Allowed {
		t.Error("an update to 11 executors was allowed")
	}
	// Layers served but no policies loaded, or the other way round: an
	// error, never an app let through unjudged.
	noPolicies, noLayers := *validator, *validator
	noPolicies.Policies, noLayers.Store = &PolicyStore{}, &Store{}
	for name, v := range map[string]*AppValidator{"no policies": &noPolicies, "no layers": &noLayers} {
		if resp := v.Handle(ctx, appRequest(admissionv1.Create, appJSON(2), "")); resp.Allowed || resp.Result.Code != http.StatusServiceUnavailable {
			t.Errorf("%s: allowed %v code %d", name, resp.Allowed, resp.Result.Code)
		}
	}
	// A mistyped field, which the API server checks against the CRD's
	// schema only after the mutating webhooks: refused as it would refuse
	// it, 422 Invalid naming the field, by both handlers; never a denial
	// that names no rule, nor the webhook's error.
	// So is a quantity resource.Quantity cannot read, named by its path.
	for i, tt := range []struct{ app, want string }{
		{`{"spec":{"driver":{"cores":"one"}}}`, "SparkApplication is invalid: spec.driver.cores: expected int32, got JSON string"},
		{`{"spec":{"volumes":[{"name":"a","emptyDir":{}},{"name":"b","emptyDir":{"sizeLimit":"1x"}}]}}`,
			`SparkApplication is invalid: spec.volumes[1].emptyDir.sizeLimit: "1x": not a quantity: a number with an optional suffix, such as 500m, 2, 1.5Gi or 4e3`},
	} {
		for name, handle := range map[string]func(context.Context, admission.Request) admission.Response{
			"sparkapplication": mutator.Handle, "sparkapplication-policy": validator.Handle} {
			resp = handle(ctx, appRequest(admissionv1.Create, tt.app, ""))
			if resp.Allowed || resp.Result.Code != http.StatusUnprocessableEntity || resp.Result.Reason != metav1.StatusReasonInvalid || resp.Result.Message != tt.want {
				t.Errorf("%s, %s: %v, want 422 Invalid %q", name, tt.app, resp.Result, tt.want)
			}
			if got := testutil.ToFloat64(mutator.Metrics.admissions.WithLabelValues(name, outcomeInvalid)); got != float64(i+1) {
				t.Errorf("%s: counted %v invalid, want %d", name, got, i+1)
			}
		}
	}
}

// TestSuspendingAnAppIsNeverRefused: an update that leaves an application
// suspended is neither composed nor judged, whatever its spec: suspending
// frees what it holds, and resuming is judged as a submission is. An app
// over its limit (admitted before the limit was lowered, say) can be
// suspended, and cannot be resumed.
func TestSuspendingAnAppIsNeverRefused(t *testing.T) {
	l := teamLayer()
	l.Spec.Config.Limits = &v1alpha1.Limits{MaxExecutorsPerApp: ptrInt32(10)}
	l.Spec.Config.SparkConf = map[string]string{"spark.eventLog.enabled": "true"}
	mutator, validator := newTestAppHandlers(t, l)
	ctx := context.Background()
	suspend := func(app string, on string) string {
		return strings.Replace(app, `"spec":{`, `"spec":{"suspend":`+on+`,`, 1)
	}
	over := appJSON(11)
	for name, tc := range map[string]struct {
		obj, old string
		want     bool
	}{
		"suspending an app over its limit":           {suspend(over, "true"), over, true},
		"growing a suspended app":                    {suspend(appJSON(50), "true"), suspend(over, "true"), true},
		"resuming an app over its limit":             {suspend(over, "false"), suspend(over, "true"), false},
		"resuming by dropping suspend":               {over, suspend(over, "true"), false},
		"a suspend that is not a boolean is refused": {suspend(over, `"true"`), over, false},
		"creating an app over its limit, suspended":  {suspend(over, "true"), "", false},
	} {
		op := admissionv1.Update
		if tc.old == "" {
			op = admissionv1.Create
		}
		if resp := validator.Handle(ctx, appRequest(op, tc.obj, tc.old)); resp.Allowed != tc.want {
			t.Errorf("%s: allowed %v, want %v: %v", name, resp.Allowed, tc.want, resp.Result)
		}
	}
	// Suspending is not composed (a Layer that cannot be served must not
	// keep an app running); resuming is.
	if resp := mutator.Handle(ctx, appRequest(admissionv1.Update, suspend(appJSON(2), "true"), appJSON(2))); !resp.Allowed || len(opsOf(t, resp)) != 0 {
		t.Errorf("suspending was composed: %v %v", opsOf(t, resp), resp.Result)
	}
	if resp := mutator.Handle(ctx, appRequest(admissionv1.Update, suspend(appJSON(2), "false"), suspend(appJSON(2), "true"))); len(opsOf(t, resp)) == 0 {
		t.Errorf("resuming was not composed: %v", resp.Result)
	}
}

func ptrInt32(n int32) *int32 { return &n }

func appReview(t testing.TB, op admissionv1.Operation, obj, old string) []byte {
	t.Helper()
	return reviewBytes(t, appRequest(op, obj, old))
}

// reviewBytes is r as the AdmissionReview the API server sends.
func reviewBytes(t testing.TB, r admission.Request) []byte {
	t.Helper()
	out, err := json.Marshal(admissionv1.AdmissionReview{TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"}, Request: &r.AdmissionRequest})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// FuzzAppReviews: both SparkApplication handlers, AdmissionReview bytes in,
// answer out.
func FuzzAppReviews(f *testing.F) {
	l := teamLayer()
	l.Spec.Config.Limits = &v1alpha1.Limits{MaxExecutorsPerApp: ptrInt32(10), MaxAppCPU: ptrQuantity("8")}
	mutator, validator := newTestAppHandlers(f, l)
	f.Add(appReview(f, admissionv1.Create, appJSON(2), ""))
	f.Add(appReview(f, admissionv1.Create, appJSON(2147483647), ""))
	f.Add(appReview(f, admissionv1.Update, appJSON(3), appJSON(2)))
	f.Add(appReview(f, admissionv1.Create, `{"spec":{"dynamicAllocation":{"enabled":true},"sparkConf":{"spark.executor.memory":"99999999999p"}}}`, ""))
	f.Add(appReview(f, admissionv1.Create, `{"spec":{"type":"Python","sparkConf":{"spark.dynamicAllocation.enabled":" TRUE","spark.unsafe.offHeap":"True","spark.memory.offHeap.size":"9223372036854775807","spark.executor.pyspark.memory":"8p","spark.yarn.executor.memoryOverhead":"1g","spark.executor.minMemoryOverhead":"2g"}}}`, ""))
	f.Add(appReview(f, admissionv1.Create, `{"spec":{"executor":{"template":{"spec":{"containers":[{"name":"spark-kubernetes-executor"},{"name":"m","image":"x","resources":{"requests":{"cpu":"20"}}}],"resources":{"requests":{"memory":"1e-999999999"}}}}}}}`, ""))
	f.Add(appReview(f, admissionv1.Create, `{"spec":{"mainApplicationFile":" s3a://b/../x","deps":{"jars":["s3a://b/a.jar,/x"],"repositories":["file:///r"]},"batchScheduler":"volcano","batchSchedulerOptions":{"queue":"q","priorityClassName":"p"},"proxyUser":"u","sparkConf":{"spark.kubernetes.executor.volumes.hostPath.h.mount.path":"/h","spark.kubernetes.executor.volumes.hostPath.h.options.path":"/","spark.kubernetes.executor.volumes.emptyDir.e.options.sizeLimit":"1e999999999","spark.kubernetes.executor.volumes.emptyDir.e.mount.path":"/e","spark.kubernetes.submission.waitAppCompletion":"true"}}}`, ""))
	f.Add(appReview(f, admissionv1.Create, `{"spec":{"driver":{"kubernetesMaster":"https://x","serviceLabels":{"a":"b"},"serviceAnnotations":{"":"c"},"envSecretKeyRefs":{"AWS_ROLE_ARN":{"name":"a:b","key":""},"":{"name":"n","key":"k"}},"secrets":[{"name":"s","path":"/a","secretType":"GCPServiceAccount"},{"name":"s","path":"","secretType":"HadoopDelegationToken"}]},"sparkConf":{"spark.kubernetes.driver.secretKeyRef.AWS_ROLE_ARN":"x:y:z","spark.kubernetes.executor.secrets.":"/p","spark.kubernetes.driver.service.label.a":"d"}}}`, ""))
	f.Add(appReview(f, admissionv1.Create, `{"spec":{"sparkConfigMap":"s","hadoopConfigMap":"","executor":{"configMaps":[{"name":"a.b","path":"/p"},{"name":"`+strings.Repeat("c", 300)+`","path":""}]},"sparkConf":{"spark.kubernetes.executor.secrets.s":"/s"}}}`, ""))
	f.Add(appReview(f, admissionv1.Create, `{"spec":{"sparkConf":{"spark.a=b":"c"},"driver":{"secrets":[{"name":"x=y","path":"/p"}]}}}`, ""))
	f.Add(appReview(f, admissionv1.Create, `{"spec":{"volumes":[{"name":"k","image":{"reference":"busybox:1"}}],"executor":{"volumeMounts":[{"name":"k","mountPath":"/k"}],"gpu":{"name":"nvidia.com/gpu","quantity":9223372036854775807}},"driver":{"gpu":{"name":"","quantity":-1}},"sparkConf":{"spark.executor.resource.gpu.amount":"-9223372036854775808","spark.executor.resource.gpu.vendor":"nvidia.com","spark.driver.resource..amount":"1","spark.driver.resource..vendor":"/"}}}`, ""))
	f.Add(appReview(f, admissionv1.Create, `{"spec":{"sparkUIOptions":{"serviceType":"LoadBalancer","serviceLabels":{"strata.dev/a":""},"ingressAnnotations":{"":"x"},"ingressTLS":[{"hosts":["","*"]}]},"driverIngressOptions":[{"servicePort":-1,"ingressURLFormat":"{{$appId}}//%zz"},{"ingressURLFormat":"http://[::1"},{"serviceType":"","ingressURLFormat":"{{ $appName }}.{{$appNamespace}}:99999"}]}}`, ""))
	f.Fuzz(func(t *testing.T, raw []byte) {
		// As the webhook serves them (manager.go): a quantity that would
		// run away is refused before the handlers decode the review.
		appType := reflect.TypeFor[sparkv1beta2.SparkApplication]()
		fuzzReview(t, objectReviewServer(appType, mutator), mutator.Metrics, "sparkapplication", raw)
		fuzzReview(t, objectReviewServer(appType, validator), validator.Metrics, "sparkapplication-policy", raw)
	})
}

// TestConfKeyHoldingEqualsIsRefused: an application with a sparkConf key
// that spark-submit would read as another key (mutate.CheckConfKeys) is
// refused by both webhooks, and a schedule whose runs hold one by its
// webhook; an application or schedule stored with one before can still
// have its metadata changed (the operator's finalizers) and be suspended.
func TestConfKeyHoldingEqualsIsRefused(t *testing.T) {
	l := teamLayer()
	l.Spec.Config.SparkConf = map[string]string{"spark.eventLog.dir": "s3a://platform/events"}
	mutator, validator := newTestAppHandlers(t, l)
	scheduled := newTestScheduledValidator(t, l)
	ctx := context.Background()
	hostile := strings.Replace(appJSON(2), `"sparkConf":{`, `"sparkConf":{"spark.eventLog.dir=s3a://tenant/x":"y",`, 1)
	const want = `spec.sparkConf["spark.eventLog.dir=s3a://tenant/x"]: must not hold "=": the Spark Operator passes it to spark-submit as --conf spark.eventLog.dir=s3a://tenant/x=<value>, which spark-submit reads as key "spark.eventLog.dir"`
	for name, h := range map[string]admission.Handler{"mutating": mutator, "validating": validator} {
		resp := h.Handle(ctx, appRequest(admissionv1.Create, hostile, ""))
		if resp.Allowed || resp.Result.Code != http.StatusForbidden || !strings.HasPrefix(resp.Result.Message, want) {
			t.Errorf("%s: allowed %v: %v; want a denial starting %s", name, resp.Allowed, resp.Result, want)
		}
		if resp := h.Handle(ctx, appRequest(admissionv1.Update, hostile, appJSON(2))); resp.Allowed {
			t.Errorf("%s: an update adding the key was allowed", name)
		}
		relabelled := strings.Replace(hostile, `"name":"nightly"`, `"name":"nightly","finalizers":["x"]`, 1)
		if resp := h.Handle(ctx, appRequest(admissionv1.Update, relabelled, hostile)); !resp.Allowed {
			t.Errorf("%s: a metadata update of a stored app was refused: %v", name, resp.Result)
		}
		suspended := strings.Replace(hostile, `"spec":{`, `"spec":{"suspend":true,`, 1)
		if resp := h.Handle(ctx, appRequest(admissionv1.Update, suspended, hostile)); !resp.Allowed {
			t.Errorf("%s: suspending a stored app was refused: %v", name, resp.Result)
		}
	}
	schedule := func(app string, suspend bool) string {
		spec := app[strings.Index(app, `"spec":`)+len(`"spec":`) : len(app)-1]
		return `{"apiVersion":"sparkoperator.k8s.io/v1beta2","kind":"ScheduledSparkApplication","metadata":{"name":"nightly","namespace":"etl"},"spec":{"schedule":"@daily","suspend":` +
			map[bool]string{true: "true", false: "false"}[suspend] + `,"template":` + spec + `}}`
	}
	// The field is the run's: the message says so, as the policies' do.
	if resp := scheduled.Handle(ctx, scheduledRequest(admissionv1.Create, schedule(hostile, false), "")); resp.Allowed || !strings.HasPrefix(resp.Result.Message, want) ||
		!strings.HasSuffix(resp.Result.Message, `(a key ends at its first "=") (each run of ScheduledSparkApplication "nightly")`) {
		t.Errorf("a schedule whose runs hold the key: allowed %v: %v", resp.Allowed, resp.Result)
	}
	if resp := scheduled.Handle(ctx, scheduledRequest(admissionv1.Update, schedule(hostile, true), schedule(hostile, false))); !resp.Allowed {
		t.Errorf("suspending a stored schedule was refused: %v", resp.Result)
	}
}

// TestAppInvalidCompositionIsFinal: an application the layers compose into
// one the operator could not launch (a volume the driver's and the
// executors' layers define apart) is refused 422 Invalid by the composing
// webhook, naming the volume; one whose launched pods the layers compose
// into pods the API server would refuse (a mount of a volume no one gives)
// by the judging webhook, naming the mount. Each is counted as invalid,
// not as the webhook's error.
func TestAppInvalidCompositionIsFinal(t *testing.T) {
	apart := teamLayer()
	apart.Spec.Config.Volumes = []corev1.Volume{{Name: "cfg", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
	apart.Spec.Executor = &v1alpha1.Config{Volumes: []corev1.Volume{{Name: "cfg", VolumeSource: corev1.VolumeSource{
		ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "a"}}}}}}
	mutator, _ := newTestAppHandlers(t, apart)
	mounting := teamLayer()
	mounting.Spec.Config.VolumeMounts = []corev1.VolumeMount{{Name: "nothere", MountPath: "/nothere"}}
	_, validator := newTestAppHandlers(t, mounting)
	for _, tc := range []struct {
		handler string
		handle  func(context.Context, admission.Request) admission.Response
		metrics *Metrics
		want    string
	}{
		{"sparkapplication", mutator.Handle, mutator.Metrics, "spec.volumes[cfg]: the driver's and the executors' layers define it differently"},
		{"sparkapplication-policy", validator.Handle, validator.Metrics, `volumeMounts[/nothere]: names volume "nothere", which the pod does not have (NamespaceOverrides layer "ns-etl")`},
	} {
		resp := tc.handle(context.Background(), appRequest(admissionv1.Create, appJSON(2), ""))
		if resp.Allowed || resp.Result.Code != http.StatusUnprocessableEntity || resp.Result.Reason != metav1.StatusReasonInvalid || !strings.Contains(resp.Result.Message, tc.want) {
			t.Errorf("%s: allowed %v, result %+v: want 422 Invalid saying %q", tc.handler, resp.Allowed, resp.Result, tc.want)
		}
		if invalid, errs := testutil.ToFloat64(tc.metrics.admissions.WithLabelValues(tc.handler, outcomeInvalid)),
			testutil.ToFloat64(tc.metrics.admissions.WithLabelValues(tc.handler, outcomeError)); invalid != 1 || errs != 0 {
			t.Errorf("%s: counted %v invalid and %v errors, want 1 and 0", tc.handler, invalid, errs)
		}
	}
}
