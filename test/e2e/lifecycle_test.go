package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// TestBadLayerIsNotAnOutage gets a Layer that does not compile past
// validation (the validating webhook is removed for the moment): it is
// reported (metric, Event on the Layer), the pods it would match (etl's)
// are refused with a message naming it, every other pod is served, also
// by a webhook started while the bad Layer is there, and fixing it through
// the Layer webhook recovers.
func TestBadLayerIsNotAnOutage(t *testing.T) {
	ctx := context.Background()
	var vwc admissionregistrationv1.ValidatingWebhookConfiguration
	if err := cp.Client.Get(ctx, client.ObjectKey{Name: "strata-validating"}, &vwc); err != nil {
		t.Fatal(err)
	}
	if err := cp.Client.Delete(ctx, &vwc); err != nil {
		t.Fatal(err)
	}
	restored := false
	restore := func() {
		if restored {
			return
		}
		restored = true
		again := vwc.DeepCopy()
		again.ResourceVersion, again.UID = "", ""
		if err := cp.Client.Create(ctx, again); err != nil {
			t.Errorf("restoring the validating webhook: %v", err)
		}
	}
	t.Cleanup(restore)

	served := cp.Webhook.Store.Load()
	errorsBefore := metricValue(t, "strata_snapshot_compile_errors_total", nil)
	bad := &v1alpha1.Layer{
		ObjectMeta: metav1.ObjectMeta{Name: "broken"},
		Spec: v1alpha1.LayerSpec{Tier: v1alpha1.NamespaceOverrides, Match: v1alpha1.Match{Namespaces: []string{"etl"}},
			Config: &v1alpha1.Config{
				Labels:      map[string]string{"team": "hijacked"},
				Tolerations: []corev1.Toleration{{Key: "gpu", Operator: "Sometimes"}},
			}},
	}
	// The API server takes a moment to stop calling the removed webhook.
	if err := waitFor(30*time.Second, func() bool { return cp.Client.Create(ctx, bad.DeepCopy()) == nil }); err != nil {
		t.Fatalf("creating the bad layer with validation off: %v", err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(ctx, &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "broken"}}) })
	if err := waitFor(30*time.Second, func() bool { return metricValue(t, "strata_snapshot_compile_errors_total", nil) > errorsBefore }); err != nil {
		t.Fatalf("compile error not counted: %v", err)
	}
	waitForGeneration(t, served.Generation)
	if got := metricValue(t, "strata_layers_invalid", nil); got != 1 {
		t.Errorf("strata_layers_invalid = %v, want 1", got)
	}
	checkServing := func(when string) {
		t.Helper()
		err := cp.Client.Create(ctx, examplePod(t, "driver.yaml", "bad-layer-driver-"+when))
		if err == nil || !strings.Contains(err.Error(), `invalid Layer "broken" applies to this pod`) ||
			!strings.Contains(err.Error(), `spec.config.tolerations[0].operator: Unsupported value: "Sometimes": supported values: "Equal", "Exists"`) {
			t.Errorf("%s: etl driver: error %v, want a refusal naming the bad Layer and its problem", when, err)
		}
		geo := examplePod(t, "geo-executor.yaml", "bad-layer-geo-exec-"+when)
		if err := cp.Client.Create(ctx, geo); err != nil {
			t.Errorf("%s: a pod the bad Layer does not match was refused: %v", when, err)
		} else if geo.Annotations[v1alpha1.LayersAnnotation] == "" {
			t.Errorf("%s: geo executor not composed", when)
		}
	}
	checkServing("live")
	if err := waitFor(30*time.Second, func() bool { return eventFor(t, "broken") != nil }); err != nil {
		t.Fatalf("no Event on the bad Layer: %v", err)
	}
	ev := eventFor(t, "broken")
	if ev.Type != corev1.EventTypeWarning || ev.Reason != "CompileFailed" ||
		!strings.Contains(ev.Note, `spec.config.tolerations[0].operator: Unsupported value: "Sometimes": supported values: "Equal", "Exists"`) {
		t.Errorf("event = %s %s %q", ev.Type, ev.Reason, ev.Note)
	}

	// A webhook that starts while the bad Layer is there serves too.
	if err := cp.StopWebhook(); err != nil {
		t.Fatal(err)
	}
	if err := cp.StartWebhook(ctx); err != nil {
		t.Fatalf("starting the webhook with an invalid Layer in the cluster: %v", err)
	}
	checkServing("restarted")

	// The fix goes in through the Layer webhook, which works as ever.
	restore()
	var current v1alpha1.Layer
	if err := cp.Client.Get(ctx, client.ObjectKey{Name: "broken"}, &current); err != nil {
		t.Fatal(err)
	}
	gen := cp.Webhook.Store.Load().Generation
	current.Spec.Config.Tolerations[0].Operator = corev1.TolerationOpExists
	if err := waitFor(30*time.Second, func() bool {
		return cp.Client.Update(ctx, current.DeepCopy()) == nil
	}); err != nil {
		t.Fatalf("fixing the Layer: %v", err)
	}
	waitForGeneration(t, gen)
	if err := cp.Client.Delete(ctx, &current); err != nil {
		t.Fatal(err)
	}
	waitForGeneration(t, gen+1)
	if err := cp.Client.Create(ctx, examplePod(t, "driver.yaml", "bad-layer-driver-fixed")); err != nil {
		t.Errorf("etl driver after the fix: %v", err)
	}
}

func eventFor(t *testing.T, layer string) *eventsv1.Event {
	t.Helper()
	var events eventsv1.EventList
	if err := cp.Client.List(context.Background(), &events); err != nil {
		t.Fatal(err)
	}
	for i := range events.Items {
		if e := &events.Items[i]; e.Regarding.Kind == v1alpha1.LayerKind && e.Regarding.Name == layer {
			return e
		}
	}
	return nil
}

// TestWebhookDown stops the webhook and shows what failurePolicy: Fail
// does: every pod of a tenant namespace is refused (nothing gets past the
// policies unjudged), while pods of exempt and system namespaces are
// created as usual. The webhook is started again afterwards.
func TestWebhookDown(t *testing.T) {
	ctx := context.Background()
	if err := cp.StopWebhook(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cp.StartWebhook(ctx); err != nil {
			t.Fatalf("restarting the webhook: %v", err)
		}
	})
	err := cp.Client.Create(ctx, examplePod(t, "driver.yaml", "webhook-down-driver"))
	if err == nil || !strings.Contains(err.Error(), `failed calling webhook "pods.strata.dev"`) {
		t.Fatalf("Spark pod with the webhook down: error %v, want a webhook call failure", err)
	}
	plain := func(namespace string) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "webhook-down-web", Namespace: namespace},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27"}}},
		}
	}
	err = cp.Client.Create(ctx, plain("etl"))
	if err == nil || !strings.Contains(err.Error(), `failed calling webhook "pod-policies.strata.dev"`) {
		t.Fatalf("tenant's non-Spark pod with the webhook down: error %v, want a webhook call failure", err)
	}
	for _, ns := range []string{exemptNamespace(t), "kube-system"} {
		if err := cp.Client.Create(ctx, plain(ns)); err != nil {
			t.Fatalf("pod in %s with the webhook down: %v", ns, err)
		}
	}
}
