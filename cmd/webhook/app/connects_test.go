package app

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1alpha1"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

const testConnect = `{"apiVersion":"sparkoperator.k8s.io/v1alpha1","kind":"SparkConnect","metadata":{"name":"notebooks","namespace":"etl"},
"spec":{"sparkVersion":"4.0.1","image":"apache/spark:4.0.1","sparkConf":{SPARKCONF},"server":{"cores":1},"executor":{"instances":2,"memory":"2g"},"unknown":{"kept":true}}}`

func connectJSON(sparkConf string) string {
	return strings.Replace(testConnect, "{SPARKCONF}", sparkConf, 1)
}

func connectRequest(op admissionv1.Operation, obj, old string) admission.Request {
	r := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{UID: "connect", Operation: op, Namespace: "etl", Name: "notebooks",
		Kind:     metav1.GroupVersionKind{Group: "sparkoperator.k8s.io", Version: "v1alpha1", Kind: "SparkConnect"},
		Resource: metav1.GroupVersionResource{Group: "sparkoperator.k8s.io", Version: "v1alpha1", Resource: "sparkconnects"},
		Object:   runtime.RawExtension{Raw: []byte(obj)}}}
	if old != "" {
		r.OldObject.Raw = []byte(old)
	}
	return r
}

func newTestConnectMutator(t testing.TB) *ConnectMutator {
	t.Helper()
	l := teamLayer()
	l.Spec.Config.SparkConf = map[string]string{"spark.executor.memory": "4g", "spark.eventLog.enabled": "true"}
	v := newTestPodValidator(t, l)
	return &ConnectMutator{Store: v.Store, Cluster: v.Cluster, Metrics: v.Metrics}
}

// TestConnectHandler: a SparkConnect's Spark configuration is composed on
// CREATE (an override in the typed field the tenant set, a new key in
// sparkConf, nothing else touched) and on an UPDATE of the spec; an UPDATE
// of the metadata alone is left as it is; a key the operator would pass
// as another is refused, naming it, and so is one over the byte bound.
func TestConnectHandler(t *testing.T) {
	h := newTestConnectMutator(t)
	ctx := context.Background()
	resp := h.Handle(ctx, connectRequest(admissionv1.Create, connectJSON(`{"spark.sql.shuffle.partitions":"8"}`), ""))
	if !resp.Allowed {
		t.Fatalf("refused: %v", resp.Result)
	}
	patch := string(resp.Patch)
	for _, want := range []string{`"path":"/spec/executor/memory","value":"4g"`, `"path":"/spec/sparkConf/spark.eventLog.enabled","value":"true"`} {
		if !strings.Contains(patch, want) {
			t.Errorf("patch lacks %s: %s", want, patch)
		}
	}
	if strings.Contains(patch, "unknown") || strings.Contains(patch, "shuffle") {
		t.Errorf("the patch touches what it must not: %s", patch)
	}
	if want := []string{`executor: spec.executor.memory "2g" overridden by NamespaceOverrides layer "ns-etl"`}; !reflect.DeepEqual(resp.Warnings, want) {
		t.Errorf("warnings %q, want %q", resp.Warnings, want)
	}
	if got := resp.AuditAnnotations[auditLayersKey]; got != "ns-etl" {
		t.Errorf("audit annotations %v, want the layers applied", resp.AuditAnnotations)
	}

	hostile := connectJSON(`{"spark.eventLog.enabled=false":"x"}`)
	resp = h.Handle(ctx, connectRequest(admissionv1.Create, hostile, ""))
	if resp.Allowed || resp.Result.Code != http.StatusForbidden ||
		!strings.Contains(resp.Result.Message, `spec.sparkConf["spark.eventLog.enabled=false"]: must not hold "="`) {
		t.Errorf("a sparkConf key holding =: allowed %v, %v", resp.Allowed, resp.Result)
	}
	hadoop := strings.Replace(connectJSON(`{}`), `"server"`, `"hadoopConf":{"fs.s3a.endpoint=x":"y"},"server"`, 1)
	if resp := h.Handle(ctx, connectRequest(admissionv1.Create, hadoop, "")); resp.Allowed ||
		!strings.Contains(resp.Result.Message, `spec.hadoopConf["fs.s3a.endpoint=x"]: must not hold "="`) {
		t.Errorf("a hadoopConf key holding =: allowed %v, %v", resp.Allowed, resp.Result)
	}
	// Its metadata can still change (the operator's finalizers).
	relabelled := strings.Replace(hostile, `"namespace":"etl"}`, `"namespace":"etl","labels":{"a":"b"}}`, 1)
	if resp := h.Handle(ctx, connectRequest(admissionv1.Update, relabelled, hostile)); !resp.Allowed || len(resp.Patch) != 0 {
		t.Errorf("a metadata update: allowed %v, patch %s (%v)", resp.Allowed, resp.Patch, resp.Result)
	}
	// A changed spec is composed again.
	changed := connectJSON(`{"spark.sql.shuffle.partitions":"16"}`)
	if resp := h.Handle(ctx, connectRequest(admissionv1.Update, changed, connectJSON(`{"spark.sql.shuffle.partitions":"8"}`))); !resp.Allowed ||
		!strings.Contains(string(resp.Patch), `"/spec/executor/memory"`) {
		t.Errorf("a spec update: allowed %v, patch %s (%v)", resp.Allowed, resp.Patch, resp.Result)
	}
	huge := connectJSON(`{"spark.a":"` + strings.Repeat("x", mutate.MaxPodBytes) + `"}`)
	if resp := h.Handle(ctx, connectRequest(admissionv1.Create, huge, "")); resp.Allowed ||
		!strings.Contains(resp.Result.Message, "SparkConnect is ") || !strings.Contains(resp.Result.Message, "Strata admits at most") {
		t.Errorf("a SparkConnect over the byte bound: allowed %v, %v", resp.Allowed, resp.Result)
	}
	if resp := h.Handle(ctx, connectRequest(admissionv1.Create, `{"spec":{"server":{"cores":"one"}}}`, "")); resp.Allowed ||
		resp.Result.Code != http.StatusUnprocessableEntity || !strings.Contains(resp.Result.Message, "spec.server.cores") {
		t.Errorf("a typed field of the wrong type: allowed %v, %v", resp.Allowed, resp.Result)
	}
	if resp := (&ConnectMutator{Store: &Store{}, Metrics: h.Metrics}).Handle(ctx, connectRequest(admissionv1.Create, changed, "")); resp.Allowed ||
		resp.Result.Code != http.StatusServiceUnavailable {
		t.Errorf("no snapshot yet: allowed %v, %v", resp.Allowed, resp.Result)
	}
}

func connectReview(t testing.TB, op admissionv1.Operation, obj, old string) []byte {
	t.Helper()
	return reviewBytes(t, connectRequest(op, obj, old))
}

// FuzzConnectReviews: both SparkConnect handlers, AdmissionReview bytes
// in, answer out.
func FuzzConnectReviews(f *testing.F) {
	h := newTestConnectMutator(f)
	f.Add(connectReview(f, admissionv1.Create, connectJSON(`{"spark.a":"b"}`), ""))
	f.Add(connectReview(f, admissionv1.Update, connectJSON(`{"spark.a":"c"}`), connectJSON(`{"spark.a":"b"}`)))
	f.Add(connectReview(f, admissionv1.Create, `{"spec":{"dynamicAllocation":{"enabled":true,"maxExecutors":2147483647},"hadoopConf":{"a=b":"c"}}}`, ""))
	f.Add(connectReview(f, admissionv1.Create, `{"spec":{"server":{"service":{"metadata":{"labels":{"strata.dev/x":"y"}},"spec":{"type":"NodePort","externalIPs":["10.0.0.1",""]}}}}}`, ""))
	v := newTestPodValidator(f, teamLayer())
	validator := &ConnectValidator{Store: h.Store, Policies: v.Policies, Live: v.Live, Synced: v.Synced, Cluster: h.Cluster, Metrics: h.Metrics}
	f.Fuzz(func(t *testing.T, raw []byte) {
		fuzzReview(t, objectReviewServer(reflect.TypeFor[sparkv1alpha1.SparkConnect](), h), h.Metrics, "sparkconnect", raw)
		fuzzReview(t, objectReviewServer(reflect.TypeFor[sparkv1alpha1.SparkConnect](), validator), h.Metrics, "sparkconnect-policy", raw)
	})
}

// TestConnectValidator: a SparkConnect is judged as the application its
// server runs: one that fits is allowed, one of more executors than an app
// may run is refused naming the limit, an update of the metadata alone is
// not judged again, and a key the operator would pass as another is
// refused here too.
func TestConnectValidator(t *testing.T) {
	l := teamLayer()
	l.Spec.Config.Limits = &v1alpha1.Limits{MaxExecutorsPerApp: ptrInt32(10)}
	v := newTestPodValidator(t, l)
	h := &ConnectValidator{Store: v.Store, Policies: v.Policies, Live: v.Live, Synced: v.Synced, Cluster: v.Cluster, Metrics: v.Metrics}
	ctx := context.Background()
	if resp := h.Handle(ctx, connectRequest(admissionv1.Create, connectJSON(`{}`), "")); !resp.Allowed {
		t.Fatalf("a SparkConnect of 2 executors: %v", resp.Result)
	}
	wide := strings.Replace(connectJSON(`{}`), `"instances":2`, `"instances":11`, 1)
	resp := h.Handle(ctx, connectRequest(admissionv1.Create, wide, ""))
	if resp.Allowed || !strings.Contains(resp.Result.Message, `quota: app "notebooks" asks for up to 11 executors`) {
		t.Errorf("11 executors where 10 are allowed: allowed %v, %v", resp.Allowed, resp.Result)
	}
	relabelled := strings.Replace(wide, `"namespace":"etl"}`, `"namespace":"etl","labels":{"a":"b"}}`, 1)
	if resp := h.Handle(ctx, connectRequest(admissionv1.Update, relabelled, wide)); !resp.Allowed {
		t.Errorf("a metadata update: %v", resp.Result)
	}
	if resp := h.Handle(ctx, connectRequest(admissionv1.Create, connectJSON(`{"a=b":"c"}`), "")); resp.Allowed ||
		!strings.Contains(resp.Result.Message, `must not hold "="`) {
		t.Errorf("a key holding =: allowed %v, %v", resp.Allowed, resp.Result)
	}
}
