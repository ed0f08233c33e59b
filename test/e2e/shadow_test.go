package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	composer "github.com/strata-dev/strata/cmd/composer/app"
	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// TestShadowLayer creates a Shadow layer and an executor through the API
// server: the stored pod is exactly what it is without the layer, and
// the layer's report (status.shadow, printed by composer shadow-report)
// names every field it would have changed; the metric counts them.
func TestShadowLayer(t *testing.T) {
	ctx := context.Background()
	shadow := &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "e2e-shadow-logging"}, Spec: v1alpha1.LayerSpec{
		Tier: v1alpha1.ClusterOverrides, Mode: v1alpha1.ModeShadow, Match: v1alpha1.Match{Namespaces: []string{"etl"}, Roles: []v1alpha1.Role{v1alpha1.RoleExecutor}},
		Config: &v1alpha1.Config{
			Labels:   map[string]string{"logging": "v2"},
			Sidecars: []corev1.Container{{Name: "log-shipper-v2", Image: "mirror.prod-a.internal/dockerhub/fluent/fluent-bit:4.0.3"}},
			Env:      []corev1.EnvVar{{Name: "LOG_FORMAT", Value: "json"}},
		}}}
	// The same executor, created before the Shadow layer exists.
	before := examplePod(t, "executor.yaml", "shadow-before-exec-1")
	if err := cp.Client.Create(ctx, before); err != nil {
		t.Fatal(err)
	}
	createLayer(t, shadow, "etl")

	pod := examplePod(t, "executor.yaml", "shadow-exec-1")
	if err := cp.Client.Create(ctx, pod); err != nil {
		t.Fatal(err)
	}
	stored := &corev1.Pod{}
	if err := cp.Client.Get(ctx, client.ObjectKeyFromObject(pod), stored); err != nil {
		t.Fatal(err)
	}
	if _, ok := stored.Labels["logging"]; ok {
		t.Error("the Shadow layer's label is on the stored pod")
	}
	if c, _ := findContainer(stored, "log-shipper-v2"); c != nil {
		t.Error("the Shadow layer's sidecar is on the stored pod")
	}
	if err := cp.Client.Get(ctx, client.ObjectKeyFromObject(before), before); err != nil {
		t.Fatal(err)
	}
	if g, w := jsonOf(t, normalized(stored).Spec), jsonOf(t, normalized(before).Spec); g != w {
		t.Errorf("the pod differs from the same pod admitted before the Shadow layer existed:\n%s\n%s", g, w)
	}
	if g, w := jsonOf(t, stored.Labels), jsonOf(t, before.Labels); g != w {
		t.Errorf("labels differ from the same pod admitted before the Shadow layer existed:\n%s\n%s", g, w)
	}
	if g, w := jsonOf(t, stored.Annotations), jsonOf(t, before.Annotations); g != w {
		t.Errorf("annotations differ:\n%s\n%s", g, w)
	}

	// What it would have changed, as the webhook computes it.
	res, err := mutate.Compose(cp.Webhook.Store.Load().Snapshot, cluster, pod)
	if err != nil {
		t.Fatal(err)
	}
	changes, err := mutate.ShadowOf(cp.Webhook.Store.Load().Snapshot, cluster, pod, res)
	if err != nil || len(changes) < 3 {
		t.Fatalf("ShadowOf: %v %+v", err, changes)
	}
	if got := metricValue(t, "strata_shadow_changes_total", map[string]string{"layer": shadow.Name}); got < float64(len(changes)) {
		t.Errorf("strata_shadow_changes_total = %v, want at least %d", got, len(changes))
	}
	// The report, written into the layer's status and printed.
	if err := waitFor(10*time.Second, func() bool {
		var l v1alpha1.Layer
		return cp.Client.Get(ctx, client.ObjectKeyFromObject(shadow), &l) == nil && len(l.Status.Shadow) > 0
	}); err != nil {
		t.Fatalf("no shadow report in the layer's status: %v", err)
	}
	// Writing the report read the Layer without a second watch of Layers.
	layersWatchedOnce(t)
	kubeconfig := kubeconfigFile(t)
	code, out, errOut := runComposer(t, nil, "shadow-report", "--kubeconfig", kubeconfig)
	if code != composer.ExitOK {
		t.Fatalf("shadow-report: exit %d: %s", code, errOut)
	}
	for _, c := range changes {
		if !strings.Contains(out, c.Field) {
			t.Errorf("the report does not name %s:\n%s", c.Field, out)
		}
	}
	if !strings.Contains(out, "etl/shadow-exec-1") {
		t.Errorf("the report names no sample pod:\n%s", out)
	}
	raw, _ := json.Marshal(changes)
	t.Logf("would have changed: %s", raw)
}
