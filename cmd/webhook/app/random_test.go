package app

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	jsonpatchv5 "github.com/evanphx/json-patch/v5"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/pkg/policy"
	"github.com/strata-dev/strata/test/fixtures"
)

// TestRandomPodsThroughTheWebhook: the webhooks, served as the API server
// calls them (the review decoded in one pass, the patch encoded into the
// answer), answer random pods under random Layers (isolation rules among
// them) as the dry run does: the mutating webhook's patch, applied to the
// pod the API server sent, is the composer's pod, and it warns of what the
// composer does; the validating webhook judges the stored pod as
// composer --validate does.
func TestRandomPodsThroughTheWebhook(t *testing.T) {
	rng := rand.New(rand.NewPCG(fixtures.RandomSeed(51), 52))
	v := newTestPodValidator(t)
	h := &PodMutator{Store: v.Store, Cluster: v.Cluster, Metrics: v.Metrics}
	store := v.Store
	server, validator := podReviewServer(h), podReviewServer(v)
	iso := v1alpha1.Layer{Spec: v1alpha1.LayerSpec{Tier: v1alpha1.ClusterOverrides, Config: &v1alpha1.Config{Isolation: &v1alpha1.Isolation{
		ReservedLabelPrefixes: []string{"team", "example.com/"}, ReservedNodeSelectors: []string{"pool"},
		AllowedTolerations: []v1alpha1.TolerationPattern{{Key: "tier"}}, AllowedRegistries: []string{"mirror.internal/", "docker.io/apache"},
		AllowedPriorityClasses: []string{"spark-driver"}}}}}
	iso.Name = "isolation"
	var denied int
	var patched int
	for i := range fixtures.RandomCases(150) {
		in := fixtures.RandomInputs(fixtures.RandomLayers(t, rng, 1+rng.IntN(5)))
		if rng.IntN(2) == 0 {
			in.Layers = append(in.Layers, overlay.LayerSource{Layer: iso})
		}
		snap, err := overlay.Compile(in)
		if err != nil {
			t.Fatal(err)
		}
		store.swap(snap)
		pod := fixtures.RandomPod(t, rng)
		raw, err := json.Marshal(pod)
		if err != nil {
			t.Fatal(err)
		}
		want, err := mutate.Compose(snap, h.Cluster, pod)
		if err != nil {
			t.Fatal(err)
		}
		answer := send(t, server, pod.Namespace, raw)
		if !answer.Response.Allowed {
			t.Fatalf("case %d: the mutating webhook refused: %+v", i, answer.Response.Result)
		}
		got := raw
		if len(answer.Response.Patch) > 0 {
			patched++
			p, err := jsonpatchv5.DecodePatch(answer.Response.Patch)
			if err != nil {
				t.Fatal(err)
			}
			if got, err = p.Apply(raw); err != nil {
				t.Fatalf("case %d: the webhook's patch does not apply: %v\n%s", i, err, answer.Response.Patch)
			}
		}
		composed, _ := json.Marshal(want.Pod)
		var x, y any
		_ = json.Unmarshal(got, &x)
		_ = json.Unmarshal(composed, &y)
		if !reflect.DeepEqual(x, y) {
			t.Fatalf("case %d: the webhook's pod is not the dry run's\nwebhook %s\ndry run %s", i, got, composed)
		}
		for _, w := range want.Warnings {
			if !slices.Contains(answer.Response.Warnings, w) {
				t.Fatalf("case %d: the dry run warns %q, the webhook %q", i, w, answer.Response.Warnings)
			}
		}
		// The stored pod, judged by the validating webhook and by the dry run.
		judged := send(t, validator, pod.Namespace, got)
		var stored corev1.Pod
		if err := json.Unmarshal(got, &stored); err != nil {
			t.Fatal(err)
		}
		check := &policy.Check{Engine: v.Policies.Load(), Snapshot: snap, Cluster: v.Cluster}
		_, d, err := check.Pod(context.Background(), policy.ServerDefaults(&stored), policy.Request{Operation: "CREATE"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var messages []string
		for _, x := range d.With(v1alpha1.EnforcementDeny) {
			messages = append(messages, x.Message)
		}
		if judged.Response.Allowed != d.Allowed() || (!d.Allowed() && judged.Response.Result.Message != strings.Join(messages, "\n")) {
			t.Fatalf("case %d: the validating webhook answers %v %+v, the dry run %v %q\npod %s", i, judged.Response.Allowed, judged.Response.Result, d.Allowed(), messages, got)
		}
		if !d.Allowed() {
			denied++
		}
		v.Ledger = policy.NewLedger(time.Minute) // each pod judged alone, as the dry run judges it
	}
	if patched == 0 || denied == 0 {
		t.Fatalf("%d pods patched, %d denied: the cases check too little", patched, denied)
	}
}

// send posts a CREATE review of a pod, raw, in namespace to a pod
// webhook, as the API server does, and returns its answer.
func send(t *testing.T, server http.Handler, namespace string, raw []byte) admissionv1.AdmissionReview {
	t.Helper()
	review, _ := json.Marshal(admissionv1.AdmissionReview{TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{UID: "u", Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
			Resource: metav1.GroupVersionResource{Version: "v1", Resource: "pods"}, Namespace: namespace,
			Operation: admissionv1.Create, Object: runtime.RawExtension{Raw: raw}}})
	rec := httptest.NewRecorder()
	req := httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/?timeout=10s", bytes.NewReader(review))
	req.Header.Set("Content-Type", "application/json")
	server.ServeHTTP(rec, req)
	var answer admissionv1.AdmissionReview
	if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil || answer.Response == nil {
		t.Fatalf("not an AdmissionReview answer (%v): %s", err, rec.Body.Bytes())
	}
	return answer
}

// TestRandomAppsThroughTheWebhook: the SparkApplication webhooks answer
// random applications under random Layers as the dry run does: the
// mutating webhook's patch, applied to the application sent, is the
// composer's, and the validating webhook judges the composed application
// as composer --validate does.
func TestRandomAppsThroughTheWebhook(t *testing.T) {
	rng := rand.New(rand.NewPCG(fixtures.RandomSeed(53), 54))
	mutator, validator := newTestAppHandlers(t)
	ctx := context.Background()
	var patched, denied int
	for i := range fixtures.RandomCases(100) {
		snap, err := overlay.Compile(fixtures.RandomInputs(fixtures.RandomLayers(t, rng, 1+rng.IntN(5))))
		if err != nil {
			t.Fatal(err)
		}
		mutator.Store.swap(snap)
		app := fixtures.RandomApp(t, rng)
		raw, err := app.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		want, wantErr := mutate.ComposeApp(snap, mutator.Cluster, app)
		req := appRequest(admissionv1.Create, string(raw), "")
		req.Namespace, req.Name = app.App.Namespace, app.App.Name
		resp := mutator.Handle(ctx, req)
		if wantErr != nil {
			if resp.Allowed {
				t.Fatalf("case %d: the dry run refuses (%v), the webhook admits", i, wantErr)
			}
			continue
		}
		if !resp.Allowed {
			t.Fatalf("case %d: the webhook refuses: %+v", i, resp.Result)
		}
		got := raw
		if ops := opsOf(t, resp); len(ops) > 0 {
			patched++
			p, err := jsonpatchv5.DecodePatch(resp.Patch)
			if err != nil {
				t.Fatal(err)
			}
			if got, err = p.Apply(raw); err != nil {
				t.Fatalf("case %d: the webhook's patch does not apply: %v", i, err)
			}
		}
		composed, err := want.App.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		var x, y any
		_ = json.Unmarshal(got, &x)
		_ = json.Unmarshal(composed, &y)
		if !reflect.DeepEqual(x, y) {
			t.Fatalf("case %d: the webhook's app is not the dry run's\nwebhook %s\ndry run %s", i, got, composed)
		}
		req = appRequest(admissionv1.Create, string(got), "")
		req.Namespace, req.Name = app.App.Namespace, app.App.Name
		judged := validator.Handle(ctx, req)
		check := &policy.Check{Engine: validator.Policies.Load(), Snapshot: snap, Cluster: validator.Cluster}
		_, d, err := check.App(ctx, &want.App.App, policy.Request{Operation: "CREATE", Namespace: app.App.Namespace}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if judged.Allowed != d.Allowed() {
			t.Fatalf("case %d: the validating webhook answers %v %+v, the dry run %+v", i, judged.Allowed, judged.Result, d.Violations)
		}
		if !d.Allowed() {
			denied++
		}
	}
	if patched == 0 {
		t.Fatal("no app was patched: the cases check nothing")
	}
	t.Logf("%d patched, %d denied", patched, denied)
}
