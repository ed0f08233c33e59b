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

// TestBadLayerKeepsLastGoodSnapshot gets a Layer that does not compile past
// validation (the validating webhook is removed for the moment) and checks
// it is reported — metric, Event on the Layer — while the previous good
// snapshot keeps serving, and that removing it recovers.
func TestBadLayerKeepsLastGoodSnapshot(t *testing.T) {
	ctx := context.Background()
	var vwc admissionregistrationv1.ValidatingWebhookConfiguration
	if err := cp.Client.Get(ctx, client.ObjectKey{Name: "strata-validating"}, &vwc); err != nil {
		t.Fatal(err)
	}
	if err := cp.Client.Delete(ctx, &vwc); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		restored := vwc.DeepCopy()
		restored.ResourceVersion, restored.UID = "", ""
		if err := cp.Client.Create(ctx, restored); err != nil {
			t.Errorf("restoring the validating webhook: %v", err)
		}
	})

	served := cp.Webhook.Store.Load()
	errorsBefore := metricValue(t, "strata_snapshot_compile_errors_total", nil)
	bad := &v1alpha1.Layer{
		ObjectMeta: metav1.ObjectMeta{Name: "broken"},
		Spec: v1alpha1.LayerSpec{Tier: v1alpha1.NamespaceOverrides, Config: &v1alpha1.Config{
			Labels:      map[string]string{"team": "hijacked"},
			Tolerations: []corev1.Toleration{{Key: "gpu", Operator: "Sometimes"}},
		}},
	}
	if err := cp.Client.Create(ctx, bad); err != nil {
		t.Fatalf("creating the bad layer with validation off: %v", err)
	}
	if err := waitFor(30*time.Second, func() bool { return metricValue(t, "strata_snapshot_compile_errors_total", nil) > errorsBefore }); err != nil {
		t.Fatalf("compile error not counted: %v", err)
	}
	if now := cp.Webhook.Store.Load(); now != served {
		t.Fatalf("snapshot replaced (generation %d -> %d) by a configuration that does not compile", served.Generation, now.Generation)
	}
	if got := metricValue(t, "strata_snapshot_generation", nil); got != float64(served.Generation) {
		t.Errorf("strata_snapshot_generation = %v, want %d", got, served.Generation)
	}
	pod := examplePod(t, "driver.yaml", "during-bad-layer-driver")
	if err := cp.Client.Create(ctx, pod); err != nil {
		t.Fatal(err)
	}
	if pod.Labels["team"] != "etl" || strings.Contains(pod.Annotations[v1alpha1.LayersAnnotation], "broken") {
		t.Errorf("pod composed from the bad configuration: team %q layers %q", pod.Labels["team"], pod.Annotations[v1alpha1.LayersAnnotation])
	}
	if err := waitFor(30*time.Second, func() bool { return eventFor(t, "broken") != nil }); err != nil {
		t.Fatalf("no Event on the bad Layer: %v", err)
	}
	ev := eventFor(t, "broken")
	if ev.Type != corev1.EventTypeWarning || ev.Reason != "CompileFailed" ||
		!strings.Contains(ev.Note, `spec.config.tolerations[0].operator: unknown operator "Sometimes"`) {
		t.Errorf("event = %s %s %q", ev.Type, ev.Reason, ev.Note)
	}

	if err := cp.Client.Delete(ctx, bad); err != nil {
		t.Fatal(err)
	}
	waitForGeneration(t, served.Generation)
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
// does: Spark pods are refused, every other pod is created as usual (the
// objectSelector keeps them away from the webhook). The webhook is started
// again afterwards.
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
	plain := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "webhook-down-web", Namespace: "etl"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27"}}},
	}
	if err := cp.Client.Create(ctx, plain); err != nil {
		t.Fatalf("non-Spark pod with the webhook down: %v", err)
	}
}
