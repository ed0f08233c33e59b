package e2e

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BenchmarkCreateSparkPod creates the example driver through the API server,
// which calls the webhook over TLS: the latency a spark-submit sees.
func BenchmarkCreateSparkPod(b *testing.B) {
	ctx := context.Background()
	template := examplePod(b, "driver.yaml", "")
	template.GenerateName = "bench-driver-"
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
	spec := examplePod(b, "driver.yaml", "").Spec
	for b.Loop() {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{GenerateName: "bench-web-", Namespace: "etl"},
			Spec:       *spec.DeepCopy(),
		}
		if err := cp.Client.Create(ctx, pod); err != nil {
			b.Fatal(err)
		}
	}
}
