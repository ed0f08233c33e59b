package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// TestReservationOfARefusedPodEnds: the ResourceQuota admission runs after
// the webhook. A pod the webhook admits, and reserves against the
// namespace's one pod, which a spent ResourceQuota then refuses, holds the
// webhook's limit only until the webhook finds the API server holds no
// such pod (seconds), not for --reservation-ttl (30 s): once the
// ResourceQuota allows a pod, a pod is admitted within 15 s.
func TestReservationOfARefusedPodEnds(t *testing.T) {
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "reservations"}}
	if err := cp.Client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), ns) })
	one := int32(1)
	createLayer(t, &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "e2e-reservations"}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.NamespaceOverrides,
		Match: v1alpha1.Match{Namespaces: []string{ns.Name}}, Config: &v1alpha1.Config{Limits: &v1alpha1.Limits{NamespacePods: &one}}}}, ns.Name)
	quota := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "spent", Namespace: ns.Name},
		Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("0")}}}
	if err := cp.Client.Create(ctx, quota); err != nil {
		t.Fatal(err)
	}
	recordQuotaStatus(t, quota, nil)
	// The API server's quota admission reads quotas from its own cache,
	// which sees the quota a moment later: a dry run, which the webhook
	// reserves nothing for, finds when.
	var dry error
	if err := waitFor(10*time.Second, func() bool {
		dry = cp.Client.Create(ctx, smallPod(ns.Name, "dry"), client.DryRunAll)
		return dry != nil && strings.Contains(dry.Error(), "exceeded quota")
	}); err != nil {
		t.Fatalf("the ResourceQuota never refused a pod: %v", dry)
	}

	releasedBefore := metricValue(t, "strata_reservations_released_total", nil)
	err := cp.Client.Create(ctx, smallPod(ns.Name, "refused"))
	if err == nil || !strings.Contains(err.Error(), "exceeded quota") {
		t.Fatalf("a pod past the spent ResourceQuota: %v, want the ResourceQuota admission's refusal", err)
	}
	if err := cp.Client.Get(ctx, client.ObjectKeyFromObject(quota), quota); err != nil {
		t.Fatal(err)
	}
	quota.Spec.Hard[corev1.ResourcePods] = resource.MustParse("1")
	if err := cp.Client.Update(ctx, quota); err != nil {
		t.Fatal(err)
	}
	recordQuotaStatus(t, quota, nil)
	admitted := smallPod(ns.Name, "admitted")
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), admitted) })
	var last error
	if err := waitFor(15*time.Second, func() bool {
		last = cp.Client.Create(ctx, admitted.DeepCopy())
		return last == nil
	}); err != nil {
		t.Fatalf("a pod the ResourceQuota allows, refused for 15 s: %v (the last refusal: %v)", err, last)
	}
	// Other tests' pods, refused after the webhook admitted them, may be
	// released meanwhile too.
	if got := metricValue(t, "strata_reservations_released_total", nil); got < releasedBefore+1 {
		t.Errorf("strata_reservations_released_total = %v, want at least %v", got, releasedBefore+1)
	}
}
