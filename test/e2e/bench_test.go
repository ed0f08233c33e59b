package e2e

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BenchmarkCreateSparkPod creates the example driver through the API server,
// which calls the webhook over TLS: the latency a spark-submit sees.
//
// The pods go to their own namespace, which no tenant layer matches, so the
// quota of the example tenants never fills up however long it runs.
func BenchmarkCreateSparkPod(b *testing.B) {
	ctx := context.Background()
	benchNamespace(b)
	template := examplePod(b, "driver.yaml", "")
	template.GenerateName, template.Namespace = "bench-driver-", "bench"
	for b.Loop() {
		pod := template.DeepCopy()
		if err := cp.Client.Create(ctx, pod); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreatePlainPod is the same create for a pod the webhook never
// sees: the baseline the webhook adds to.
func BenchmarkCreatePlainPod(b *testing.B) {
	ctx := context.Background()
	benchNamespace(b)
	spec := examplePod(b, "driver.yaml", "").Spec
	for b.Loop() {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{GenerateName: "bench-web-", Namespace: "bench"},
			Spec:       *spec.DeepCopy(),
		}
		if err := cp.Client.Create(ctx, pod); err != nil {
			b.Fatal(err)
		}
	}
}

func benchNamespace(b *testing.B) {
	b.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "bench"}}
	if err := cp.Client.Create(context.Background(), ns); err != nil && !apierrors.IsAlreadyExists(err) {
		b.Fatal(err)
	}
}
