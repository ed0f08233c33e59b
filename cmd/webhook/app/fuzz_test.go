package app

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psaapi "k8s.io/pod-security-admission/api"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// ruleMessage is how every denial starts: the policy that decided
// (quota:, isolation:, a site's own), the bound an object exceeds, or the
// field of an application spark-submit would misread.
var ruleMessage = regexp.MustCompile(`^([a-z][a-z0-9_]*: |(spec\.[a-z]+: )?(pod|SparkApplication|ScheduledSparkApplication|SparkConnect|spec\.[a-z]+\.secrets) (is|has) (at least )?[0-9]+ .*Strata admits at most|spec\..*: must not hold "=": )`)

// fuzzReview sends raw as the body of an AdmissionReview POST through
// server, a handler as the webhook serves it (reviewServer, or
// podReviewServer for a pod's), under the deadline, and checks the invariants every answer keeps: a well-formed
// review, no panic, within the call's deadline, and a denial that names a
// rule.
func fuzzReview(t *testing.T, server http.Handler, m *Metrics, handler string, raw []byte) {
	srv := withDeadline(server)
	rec := httptest.NewRecorder()
	req := httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/?timeout=5s", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	srv.ServeHTTP(rec, req)
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Fatalf("answered after %s, past the call's 5s deadline", elapsed)
	}
	if got := testutil.ToFloat64(m.panics.WithLabelValues(handler)); got != 0 {
		t.Fatalf("the handler panicked on %q", raw)
	}
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(rec.Body.Bytes(), &review); err != nil || review.Response == nil {
		t.Fatalf("not an AdmissionReview answer (%v): %s", err, rec.Body.String())
	}
	resp := review.Response
	if resp.Allowed || resp.Result == nil || resp.Result.Code != http.StatusForbidden {
		return // allowed, or an error the API server's failurePolicy handles
	}
	for _, line := range strings.Split(resp.Result.Message, "\n") {
		if !ruleMessage.MatchString(line) {
			t.Fatalf("a denial that names no rule: %q", line)
		}
	}
}

// reviewOf is an admission.k8s.io/v1 AdmissionReview of pod (none when
// nil) and old, as the API server sends it.
func reviewOf(t testing.TB, op admissionv1.Operation, sub string, pod, old *corev1.Pod) []byte {
	t.Helper()
	r := &admissionv1.AdmissionRequest{UID: "fuzz", Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
		Resource: metav1.GroupVersionResource{Version: "v1", Resource: "pods"}, SubResource: sub,
		Namespace: "etl", Operation: op}
	if pod != nil { // a DELETE carries none
		raw, err := json.Marshal(pod)
		if err != nil {
			t.Fatal(err)
		}
		r.Object.Raw = raw
	}
	if old != nil {
		r.OldObject.Raw, _ = json.Marshal(old)
	}
	out, err := json.Marshal(admissionv1.AdmissionReview{TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"}, Request: r})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func fuzzSeeds(f *testing.F) {
	driver := pod(map[string]string{v1alpha1.RoleLabel: "driver", "spark-app-selector": "a"})
	exec := pod(map[string]string{v1alpha1.RoleLabel: "executor"})
	exec.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: *ptrQuantity("9223372036854776")}
	privileged := pod(map[string]string{"app": "web"})
	privileged.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: new(bool)}
	*privileged.Spec.Containers[0].SecurityContext.Privileged = true
	privileged.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "d", Image: "x"}}}
	f.Add(reviewOf(f, admissionv1.Create, "", driver, nil))
	f.Add(reviewOf(f, admissionv1.Create, "", exec, nil))
	f.Add(reviewOf(f, admissionv1.Update, "ephemeralcontainers", privileged, driver))
	f.Add(reviewOf(f, admissionv1.Update, "", driver, exec))
	ended := driver.DeepCopy()
	ended.Status.Phase = corev1.PodSucceeded
	f.Add(reviewOf(f, admissionv1.Update, "status", ended, driver))
	server := pod(map[string]string{v1alpha1.RoleLabel: v1alpha1.ConnectServerRoleValue})
	f.Add(reviewOf(f, admissionv1.Create, "", server, nil))
	f.Add(reviewOf(f, admissionv1.Update, "", server, driver))
	// Pod affinity reaching other namespaces, on a reserved key, with keys
	// the API server merges; a role taken from a Secret.
	beside := pod(map[string]string{v1alpha1.RoleLabel: "executor", "spark-app-selector": "a"})
	term := corev1.PodAffinityTerm{TopologyKey: "pool", Namespaces: []string{"geo"}, NamespaceSelector: &metav1.LabelSelector{
		MatchExpressions: []metav1.LabelSelectorRequirement{{Key: corev1.LabelMetadataName, Operator: metav1.LabelSelectorOpIn, Values: []string{"etl"}}}},
		LabelSelector: &metav1.LabelSelector{}, MatchLabelKeys: []string{"spark-app-selector"}}
	beside.Spec.Affinity = &corev1.Affinity{PodAffinity: &corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{term}},
		PodAntiAffinity: &corev1.PodAntiAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{Weight: 1, PodAffinityTerm: term}}}}
	beside.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "AWS_ROLE_ARN", ValueFrom: &corev1.EnvVarSource{
		SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "aws"}, Key: "role"}}}}
	f.Add(reviewOf(f, admissionv1.Create, "", beside, nil))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","operation":"CREATE","object":{"metadata":{"labels":{"spark-role":"executor"}},"spec":{"tolerations":[{"key":"a"},{"key":"a"}]}}}}`))
	// Image volumes, pulled as images are: through the mirror, by the
	// registries allowed.
	f.Add([]byte(`{"request":{"uid":"u","operation":"CREATE","object":{"metadata":{"labels":{"spark-role":"executor"}},"spec":{"volumes":[{"name":"k","image":{"reference":"busybox:1"}},{"name":"e","image":{"reference":""}},{"name":"k","image":{}}],"containers":[{"name":"c","volumeMounts":[{"name":"k","mountPath":"/k"}]}]}}}}`))
	f.Add([]byte(`{"request":{"uid":"u","operation":"UPDATE","object":{},"oldObject":[]}}`))
}

// FuzzMutateReview: the pod mutating handler, AdmissionReview bytes in,
// answer out.
func FuzzMutateReview(f *testing.F) {
	l := teamLayer()
	l.Spec.Config.Isolation = &v1alpha1.Isolation{AllowedIAMRoles: []string{"arn:aws:iam::111111111111:role/*"}}
	// A sidecar and a volume the Pod Security level etl enforces forbids:
	// every composed pod is judged by its checks, and warned of.
	l.Spec.Config.Sidecars = []corev1.Container{{Name: "shipper", Image: "shipper:1", SecurityContext: &corev1.SecurityContext{Privileged: new(true)}}}
	l.Spec.Config.Volumes = []corev1.Volume{{Name: "node-logs", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/log"}}}}
	h, _, store := newTestHandlers(f, l)
	snap, err := overlay.Compile(overlay.Inputs{Layers: []overlay.LayerSource{{Layer: l}},
		Namespaces: []corev1.Namespace{{ObjectMeta: metav1.ObjectMeta{Name: "etl", Labels: map[string]string{psaapi.EnforceLevelLabel: "restricted"}}}}})
	if err != nil {
		f.Fatal(err)
	}
	store.swap(snap)
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte) { fuzzReview(t, podReviewServer(h), h.Metrics, "pod", raw) })
}

// FuzzValidateReview: the pod policy handler, AdmissionReview bytes in,
// answer out.
func FuzzValidateReview(f *testing.F) {
	l := teamLayer()
	l.Spec.Config.Limits = &v1alpha1.Limits{MaxPodCPU: ptrQuantity("2"), MaxExecutorsPerApp: new(int32)}
	l.Spec.Config.Isolation = &v1alpha1.Isolation{AllowedRegistries: []string{"mirror.internal"}, ReservedNodeSelectors: []string{"pool"},
		AllowedIAMRoles: []string{"arn:aws:iam::111111111111:role/*"}, PodAffinity: &v1alpha1.PodAffinityRule{AllowedNamespaces: []string{"shared"}}}
	v := newTestPodValidator(f, l)
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte) { fuzzReview(t, podReviewServer(v), v.Metrics, "pod-policy", raw) })
}
