package app

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	resourcequotaapi "k8s.io/apiserver/pkg/admission/plugin/resourcequota/apis/resourcequota"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// newTestLimitRangeWarner serves a layer that gives every Spark pod a
// sidecar requesting 50m of CPU.
func newTestLimitRangeWarner(t testing.TB) *LimitRangeWarner {
	t.Helper()
	mutator, _, store := newTestHandlers(t, shipperLayer())
	return &LimitRangeWarner{Store: store, Metrics: mutator.Metrics, Cluster: mutator.Cluster}
}

// shipperLayer gives every Spark pod a sidecar "shipper" requesting 50m
// of CPU, and nothing else.
func shipperLayer() v1alpha1.Layer {
	l := v1alpha1.Layer{Spec: v1alpha1.LayerSpec{Tier: v1alpha1.ClusterDefaults, Config: &v1alpha1.Config{Sidecars: []corev1.Container{{Name: "shipper", Image: "fluent/fluent-bit:3.1.9",
		Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m")}}}}}}}
	l.Name = "shipper"
	return l
}

// newTestResourceQuotaWarner serves shipperLayer.
func newTestResourceQuotaWarner(t testing.TB) *ResourceQuotaWarner {
	t.Helper()
	mutator, _, store := newTestHandlers(t, shipperLayer())
	return &ResourceQuotaWarner{Store: store, Metrics: mutator.Metrics, Cluster: mutator.Cluster}
}

// resourceQuotaRequest is a review of a ResourceQuota "bounds" of
// namespace ns whose hard limits are 100 of name.
func resourceQuotaRequest(t testing.TB, op admissionv1.Operation, ns string, name corev1.ResourceName) admission.Request {
	t.Helper()
	raw, err := json.Marshal(corev1.ResourceQuota{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ResourceQuota"}, ObjectMeta: metav1.ObjectMeta{Name: "bounds"},
		Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{name: resource.MustParse("100")}}})
	if err != nil {
		t.Fatal(err)
	}
	return admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID: "1", Kind: metav1.GroupVersionKind{Version: "v1", Kind: "ResourceQuota"}, Namespace: ns,
		Resource:  metav1.GroupVersionResource{Version: "v1", Resource: "resourcequotas"},
		Operation: op, Object: runtime.RawExtension{Raw: raw}, UserInfo: userInfo("alice"),
	}}
}

// TestResourceQuotaWarner: a ResourceQuota bounding what the served
// layer's sidecar leaves unsaid (a cpu limit, memory requests) is allowed
// with a warning naming the sidecar only, not the Spark container, which
// is the pod's own; one bounding what it says, or a delete, without; a
// ResourceQuota is never refused, nor one unread warned of.
func TestResourceQuotaWarner(t *testing.T) {
	h := newTestResourceQuotaWarner(t)
	const want = `the API server will refuse the Spark driver and executor pods the layers compose in namespace "etl": failed quota: bounds: must specify limits.cpu for: shipper`
	for _, tc := range []struct {
		name string
		req  admission.Request
		want string
	}{
		{"a quota of cpu limits", resourceQuotaRequest(t, admissionv1.Create, "etl", corev1.ResourceLimitsCPU), want},
		{"an update", resourceQuotaRequest(t, admissionv1.Update, "etl", corev1.ResourceLimitsCPU), want},
		{"a quota of cpu requests", resourceQuotaRequest(t, admissionv1.Create, "etl", corev1.ResourceRequestsCPU), ""},
		{"a quota of memory requests", resourceQuotaRequest(t, admissionv1.Create, "etl", corev1.ResourceRequestsMemory),
			`the API server will refuse the Spark driver and executor pods the layers compose in namespace "etl": failed quota: bounds: must specify requests.memory for: shipper`},
		{"a delete", resourceQuotaRequest(t, admissionv1.Delete, "etl", corev1.ResourceLimitsCPU), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := h.Handle(context.Background(), tc.req)
			if !resp.Allowed {
				t.Fatalf("refused: %v", resp.Result)
			}
			if got := strings.Join(resp.Warnings, "\n"); got != tc.want {
				t.Errorf("warnings %q, want %q", got, tc.want)
			}
		})
	}
	bad := resourceQuotaRequest(t, admissionv1.Create, "etl", corev1.ResourceLimitsCPU)
	bad.Object.Raw = []byte(`{"spec":{"hard":"no"}}`)
	if resp := h.Handle(context.Background(), bad); !resp.Allowed || len(resp.Warnings) > 0 {
		t.Errorf("an unreadable ResourceQuota: %+v", resp)
	}
}

func limitRangeRequest(t testing.TB, op admissionv1.Operation, ns string, min string) admission.Request {
	t.Helper()
	raw, err := json.Marshal(corev1.LimitRange{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "LimitRange"}, ObjectMeta: metav1.ObjectMeta{Name: "bounds"},
		Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{Type: corev1.LimitTypeContainer, Min: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(min)}}}}})
	if err != nil {
		t.Fatal(err)
	}
	return admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID: "1", Kind: metav1.GroupVersionKind{Version: "v1", Kind: "LimitRange"}, Namespace: ns,
		Resource:  metav1.GroupVersionResource{Version: "v1", Resource: "limitranges"},
		Operation: op, Object: runtime.RawExtension{Raw: raw}, UserInfo: userInfo("alice"),
	}}
}

// TestLimitRangeWarner: a LimitRange whose minimum the served layer's
// sidecar does not request is allowed with a warning naming it, in the
// request's namespace; one it meets, or a delete, without; and a
// LimitRange is never refused.
func TestLimitRangeWarner(t *testing.T) {
	h := newTestLimitRangeWarner(t)
	const want = `the API server will refuse the Spark driver and executor pods the layers compose in namespace "etl": LimitRange "bounds": container "shipper": minimum cpu usage per Container is 100m, but request is 50m`
	for _, tc := range []struct {
		name string
		req  admission.Request
		want string
	}{
		{"a minimum above the sidecar's request", limitRangeRequest(t, admissionv1.Create, "etl", "100m"), want},
		{"an update", limitRangeRequest(t, admissionv1.Update, "etl", "100m"), want},
		{"a minimum the sidecar meets", limitRangeRequest(t, admissionv1.Create, "etl", "10m"), ""},
		{"a delete", limitRangeRequest(t, admissionv1.Delete, "etl", "100m"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := h.Handle(context.Background(), tc.req)
			if !resp.Allowed {
				t.Fatalf("refused: %v", resp.Result)
			}
			got := strings.Join(resp.Warnings, "\n")
			if got != tc.want {
				t.Errorf("warnings %q, want %q", got, tc.want)
			}
		})
	}
	// What cannot be read is not warned of, and allowed.
	bad := limitRangeRequest(t, admissionv1.Create, "etl", "100m")
	bad.Object.Raw = []byte(`{"spec":{"limits":"no"}}`)
	if resp := h.Handle(context.Background(), bad); !resp.Allowed || len(resp.Warnings) > 0 {
		t.Errorf("an unreadable LimitRange: %+v", resp)
	}
}

// FuzzLimitRangeReviews: the LimitRange warner, AdmissionReview bytes in,
// answer out.
func FuzzLimitRangeReviews(f *testing.F) {
	h := newTestLimitRangeWarner(f)
	f.Add(reviewOfRequest(f, limitRangeRequest(f, admissionv1.Create, "etl", "100m")))
	f.Fuzz(func(t *testing.T, raw []byte) {
		fuzzReview(t, objectReviewServer(reflect.TypeFor[corev1.LimitRange](), h), h.Metrics, "limitrange", raw)
	})
}

// FuzzResourceQuotaReviews: the ResourceQuota warner, AdmissionReview
// bytes in, answer out.
func FuzzResourceQuotaReviews(f *testing.F) {
	h := newTestResourceQuotaWarner(f)
	f.Add(reviewOfRequest(f, resourceQuotaRequest(f, admissionv1.Create, "etl", corev1.ResourceLimitsCPU)))
	f.Fuzz(func(t *testing.T, raw []byte) {
		fuzzReview(t, objectReviewServer(reflect.TypeFor[corev1.ResourceQuota](), h), h.Metrics, "resourcequota", raw)
	})
}

// TestQuotaBoundsChanged: a ResourceQuota's usage, which changes with
// every pod created in its namespace, rebuilds no snapshot; a change of
// what it bounds, its creation and its deletion do.
func TestQuotaBoundsChanged(t *testing.T) {
	was := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "compute", Namespace: "etl"},
		Spec:   corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{corev1.ResourceLimitsCPU: resource.MustParse("100")}},
		Status: corev1.ResourceQuotaStatus{Hard: corev1.ResourceList{corev1.ResourceLimitsCPU: resource.MustParse("100")}}}
	used := was.DeepCopy()
	used.Status.Used = corev1.ResourceList{corev1.ResourceLimitsCPU: resource.MustParse("3")}
	respecified := was.DeepCopy()
	respecified.Spec.Hard[corev1.ResourceLimitsMemory] = resource.MustParse("1Ti")
	recorded := was.DeepCopy()
	recorded.Status.Hard = corev1.ResourceList{corev1.ResourceRequestsCPU: resource.MustParse("100")}
	for _, tc := range []struct {
		name string
		now  *corev1.ResourceQuota
		want bool
	}{{"its usage", used, false}, {"its spec", respecified, true}, {"its status's hard limits", recorded, true}} {
		if got := quotaBoundsChanged.Update(event.UpdateEvent{ObjectOld: was, ObjectNew: tc.now}); got != tc.want {
			t.Errorf("an update of %s: rebuilds %v, want %v", tc.name, got, tc.want)
		}
	}
	if !quotaBoundsChanged.Create(event.CreateEvent{Object: was}) || !quotaBoundsChanged.Delete(event.DeleteEvent{Object: was}) {
		t.Error("a quota's creation or deletion rebuilds no snapshot")
	}
}

// TestBoundDeletionWarnings: deleting a LimitRange whose default limits
// reach the served layer's sidecar, in a namespace whose quota requires
// cpu limits, warns that the pods will then be refused; so does deleting
// the quota that covers the priority class a layer gives, which the
// ResourceQuota admission's limitedResources keep to namespaces with one;
// deleting one nothing depends on warns of nothing.
func TestBoundDeletionWarnings(t *testing.T) {
	mutator, _, store := newTestHandlers(t)
	defaults := corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Name: "defaults", Namespace: "etl"}, Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{
		{Type: corev1.LimitTypeContainer, Default: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}}}}}
	hard := func(name corev1.ResourceName) corev1.ResourceList {
		return corev1.ResourceList{name: resource.MustParse("100")}
	}
	critical := corev1.ScopedResourceSelectorRequirement{ScopeName: corev1.ResourceQuotaScopePriorityClass, Operator: corev1.ScopeSelectorOpIn, Values: []string{"spark-critical"}}
	class := "spark-critical"
	classLayer := v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "critical"}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.ClusterDefaults,
		Config: &v1alpha1.Config{PriorityClassName: &class}}}
	in := overlay.Inputs{Layers: []overlay.LayerSource{{Layer: shipperLayer()}, {Layer: classLayer}}, LimitRanges: []corev1.LimitRange{defaults},
		ResourceQuotas: []corev1.ResourceQuota{
			{ObjectMeta: metav1.ObjectMeta{Name: "compute", Namespace: "etl"}, Spec: corev1.ResourceQuotaSpec{Hard: hard(corev1.ResourceLimitsCPU)}},
			{ObjectMeta: metav1.ObjectMeta{Name: "critical", Namespace: "etl"}, Spec: corev1.ResourceQuotaSpec{Hard: hard(corev1.ResourcePods),
				ScopeSelector: &corev1.ScopeSelector{MatchExpressions: []corev1.ScopedResourceSelectorRequirement{critical}}}},
			{ObjectMeta: metav1.ObjectMeta{Name: "pods", Namespace: "etl"}, Spec: corev1.ResourceQuotaSpec{Hard: hard(corev1.ResourcePods)}}},
		Admission:              overlay.Admission{LimitedResources: []resourcequotaapi.LimitedResource{{Resource: "pods", MatchScopes: []corev1.ScopedResourceSelectorRequirement{critical}}}},
		PriorityClassesPartial: true}
	snap, err := overlay.Compile(in)
	if err != nil {
		t.Fatal(err)
	}
	store.swap(snap)
	ranges := &LimitRangeWarner{Store: store, Metrics: mutator.Metrics, Cluster: mutator.Cluster}
	quotas := &ResourceQuotaWarner{Store: store, Metrics: mutator.Metrics, Cluster: mutator.Cluster}
	deletion := func(resource, name string) admission.Request {
		return admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{UID: "1", Namespace: "etl", Name: name,
			Resource: metav1.GroupVersionResource{Version: "v1", Resource: resource}, Operation: admissionv1.Delete, UserInfo: userInfo("alice")}}
	}
	const lead = `once it is deleted, the API server will refuse the Spark driver and executor pods the layers compose in namespace "etl": `
	for _, tc := range []struct {
		name    string
		handler admission.Handler
		req     admission.Request
		want    string
	}{
		{"the LimitRange of default limits", ranges, deletion("limitranges", "defaults"), lead + "failed quota: compute: must specify limits.cpu for: shipper"},
		{"the quota covering the class", quotas, deletion("resourcequotas", "critical"), lead + "insufficient quota to match these scopes: [{PriorityClass In [spark-critical]}]"},
		{"a quota of pods", quotas, deletion("resourcequotas", "pods"), ""},
		{"a LimitRange of none", ranges, deletion("limitranges", "other"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := tc.handler.Handle(context.Background(), tc.req)
			if !resp.Allowed {
				t.Fatalf("refused: %v", resp.Result)
			}
			if got := strings.Join(resp.Warnings, "\n"); got != tc.want {
				t.Errorf("warnings %q\nwant %q", got, tc.want)
			}
		})
	}
	if got := snap.ResourceQuotas("etl"); len(got) != 3 || len(snap.LimitRanges("etl")) != 1 {
		t.Errorf("the served snapshot changed: quotas %d, ranges %d", len(got), len(snap.LimitRanges("etl")))
	}
}
