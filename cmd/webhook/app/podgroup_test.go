package app

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/pkg/policy/volcanov1beta1"
)

func newTestPodGroupValidator(t testing.TB, layers ...v1alpha1.Layer) *PodGroupValidator {
	t.Helper()
	pods := newTestPodValidator(t, layers...)
	return &PodGroupValidator{Store: pods.Store, Policies: pods.Policies, Cluster: pods.Cluster, Metrics: pods.Metrics}
}

func podGroupJSON(name, class string) []byte {
	return []byte(`{"apiVersion":"scheduling.volcano.sh/v1beta1","kind":"PodGroup","metadata":{"name":"` + name +
		`"},"spec":{"minMember":3,"queue":"default","priorityClassName":"` + class + `","minResources":{"cpu":"3"}}}`)
}

func podGroupRequest(op admissionv1.Operation, object, old []byte) admission.Request {
	return admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID: "1", Kind: metav1.GroupVersionKind{Group: "scheduling.volcano.sh", Version: "v1beta1", Kind: "PodGroup"}, Namespace: "etl",
		Resource:  metav1.GroupVersionResource{Group: "scheduling.volcano.sh", Version: "v1beta1", Resource: "podgroups"},
		Operation: op, Object: runtime.RawExtension{Raw: object}, OldObject: runtime.RawExtension{Raw: old},
	}}
}

// TestPodGroupValidator: a PodGroup's class, queue and minResources are
// judged on create and when an update changes them; what is not a v1beta1
// PodGroup is a bad request.
func TestPodGroupValidator(t *testing.T) {
	l := teamLayer()
	l.Spec.Config.Isolation = &v1alpha1.Isolation{AllowedPriorityClasses: []string{"spark-low"}, ReservedLabelPrefixes: []string{"scheduling.volcano.sh/"}}
	l.Spec.Config.Limits = &v1alpha1.Limits{MaxAppCPU: new(resource.MustParse("16"))}
	v := newTestPodGroupValidator(t, l)
	ctx := context.Background()
	otherQueue := []byte(strings.Replace(string(podGroupJSON("pg", "spark-low")), `"queue":"default"`, `"queue":"other-team"`, 1))
	holding := func(cpu string) []byte {
		return []byte(strings.Replace(string(podGroupJSON("pg", "spark-low")), `"minResources":{"cpu":"3"}`, `"minResources":{"cpu":"`+cpu+`"}`, 1))
	}
	checkAnswers(t, ctx, v, []answerCase{
		{"a reserved class", podGroupRequest(admissionv1.Create, podGroupJSON("pg", "system-cluster-critical"), nil), false, http.StatusForbidden,
			`isolation: PodGroup "pg": spec.priorityClassName "system-cluster-critical" is not allowed for tenants; allowed: spark-low (NamespaceOverrides layer "ns-etl")`},
		{"an allowed class", podGroupRequest(admissionv1.Create, podGroupJSON("pg", "spark-low"), nil), true, http.StatusOK, ""},
		{"an update to a reserved class", podGroupRequest(admissionv1.Update, podGroupJSON("pg", "system-cluster-critical"), podGroupJSON("pg", "spark-low")),
			false, http.StatusForbidden, `spec.priorityClassName "system-cluster-critical" is not allowed`},
		{"an update keeping the class", podGroupRequest(admissionv1.Update, podGroupJSON("pg", "system-cluster-critical"), podGroupJSON("pg", "system-cluster-critical")),
			true, http.StatusOK, ""},
		{"an update moving it to another queue", podGroupRequest(admissionv1.Update, otherQueue, podGroupJSON("pg", "spark-low")),
			false, http.StatusForbidden, `isolation: PodGroup "pg": spec.queue "other-team" is reserved for the platform`},
		{"holding more than an app may run", podGroupRequest(admissionv1.Create, holding("512"), nil), false, http.StatusForbidden,
			`quota: PodGroup "pg": spec.minResources has Volcano hold 512 CPU for the gang before it places any of its pods; namespace "etl" allows at most 16 per app (NamespaceOverrides layer "ns-etl")`},
		{"an update growing what it holds", podGroupRequest(admissionv1.Update, holding("16001m"), holding("16")), false, http.StatusForbidden,
			`spec.minResources has Volcano hold 16001m CPU`},
		{"an update keeping what it holds, as spelled otherwise", podGroupRequest(admissionv1.Update, holding("512000m"), holding("512")), true, http.StatusOK, ""},
		{"an update shrinking it into bounds", podGroupRequest(admissionv1.Update, holding("16"), holding("512")), true, http.StatusOK, ""},
		{"not a PodGroup", podGroupRequest(admissionv1.Create, []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}`), nil),
			false, http.StatusBadRequest, "want a scheduling.volcano.sh/v1beta1 PodGroup"},
		{"a stored object that is none", podGroupRequest(admissionv1.Update, podGroupJSON("pg", "spark-low"), []byte(`[]`)),
			false, http.StatusBadRequest, "the stored PodGroup"},
	})
	// Layers served but no policies loaded, or the other way round: an
	// error, never a PodGroup let through unjudged.
	noPolicies, noLayers := *v, *v
	noPolicies.Policies, noLayers.Store = &PolicyStore{}, &Store{}
	for name, v := range map[string]*PodGroupValidator{"no policies": &noPolicies, "no layers": &noLayers} {
		if resp := v.Handle(ctx, podGroupRequest(admissionv1.Create, podGroupJSON("pg", "spark-low"), nil)); resp.Allowed || resp.Result.Code != http.StatusServiceUnavailable {
			t.Errorf("%s: allowed %v code %d", name, resp.Allowed, resp.Result.Code)
		}
	}
}

// FuzzPodGroupReviews: the PodGroup handler, AdmissionReview bytes in,
// answer out.
func FuzzPodGroupReviews(f *testing.F) {
	l := teamLayer()
	l.Spec.Config.Isolation = &v1alpha1.Isolation{AllowedPriorityClasses: []string{"spark-low"}}
	l.Spec.Config.Limits = &v1alpha1.Limits{NamespaceCPU: new(resource.MustParse("100"))}
	v := newTestPodGroupValidator(f, l)
	// The namespace's gangs as the webhook reads them: one waiting, and
	// whatever this replica admitted.
	waiting := volcanov1beta1.PodGroup{Name: "waiting", Namespace: "etl", MinResources: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50")}}
	v.PodGroups = func(context.Context, string) ([]volcanov1beta1.PodGroup, error) {
		return []volcanov1beta1.PodGroup{waiting}, nil
	}
	v.Admitted = newAdmittedGangs(time.Minute)
	for _, r := range []admission.Request{
		podGroupRequest(admissionv1.Create, podGroupJSON("pg", "system-cluster-critical"), nil),
		podGroupRequest(admissionv1.Update, podGroupJSON("pg", "a"), podGroupJSON("pg", "b")),
	} {
		f.Add(reviewOfRequest(f, r))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		fuzzReview(t, objectReviewServer(reflect.TypeFor[volcanov1beta1.Object](), v), v.Metrics, "podgroup-policy", raw)
	})
}
