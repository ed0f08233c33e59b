package e2e

import (
	"context"
	"runtime"
	"testing"

	"github.com/strata-dev/strata/test/controlplane"
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

// BenchmarkCreatePlainPod is the same create for a pod without a Spark role:
// the mutating webhook never sees it (objectSelector), the policy webhook
// judges it. The baseline the composition adds to.
func BenchmarkCreatePlainPod(b *testing.B) {
	ctx := context.Background()
	benchNamespace(b)
	spec := plainSpec(b)
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

// BenchmarkCreateConcurrently creates Spark drivers and plain pods eight at
// a time through the API server, as a burst of executors arrives, and
// reports pods/s: the Spark pod's rate against the plain pod's is what the
// composition costs a cluster's create throughput. The in-process webhook
// collects garbage as its Deployment sets it (controlplane.UseWebhookGC);
// so does the client, for both kinds of pod alike.
func BenchmarkCreateConcurrently(b *testing.B) {
	restore, err := controlplane.UseWebhookGC()
	if err != nil {
		b.Fatal(err)
	}
	defer restore()
	benchNamespace(b)
	spark := examplePod(b, "driver.yaml", "")
	spark.GenerateName, spark.Namespace = "bench-par-driver-", "bench"
	plain := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{GenerateName: "bench-par-web-", Namespace: "bench"},
		Spec: *plainSpec(b)}
	for _, c := range []struct {
		name     string
		template *corev1.Pod
	}{{"spark", spark}, {"plain", plain}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetParallelism(max(1, 8/runtime.GOMAXPROCS(0)))
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := cp.Client.Create(context.Background(), c.template.DeepCopy()); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pods/s")
		})
	}
}

// plainSpec is the example driver's spec with its image from the cluster's
// mirror, the one registry the example's isolation allows a pod the
// mutating webhook does not reach.
func plainSpec(b *testing.B) *corev1.PodSpec {
	b.Helper()
	spec := examplePod(b, "driver.yaml", "").Spec.DeepCopy()
	for i := range spec.Containers {
		spec.Containers[i].Image = "mirror.prod-a.internal/apache/spark:3.5.3"
	}
	return spec
}

func benchNamespace(b *testing.B) {
	b.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "bench"}}
	if err := cp.Client.Create(context.Background(), ns); err != nil && !apierrors.IsAlreadyExists(err) {
		b.Fatal(err)
	}
}
