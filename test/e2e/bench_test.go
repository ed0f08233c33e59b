package e2e

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/strata-dev/strata/test/controlplane"
	"github.com/strata-dev/strata/test/median"
	"github.com/strata-dev/strata/test/proc"
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

// BenchmarkCreateSparkApplication creates the example SparkApplication in
// etl through the API server, which calls both of its webhooks over TLS:
// composing it, and judging it with the pods it will launch and the
// Services and Ingresses the operator would name after it (read from the
// API server). The latency a tenant's submission sees.
func BenchmarkCreateSparkApplication(b *testing.B) {
	ctx := context.Background()
	template := exampleApp(b, "etl-report.yaml", "")
	template.SetGenerateName("bench-app-")
	for b.Loop() {
		app := template.DeepCopy()
		if err := cp.Client.Create(ctx, app); err != nil {
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
// a time through the API server, as a burst of executors arrives: the
// Spark pod's rate against the plain pod's is what the composition costs a
// cluster's create throughput. Each iteration is a round of 100 Spark pods
// then 100 plain pods, so both kinds meet the same etcd and the same
// machine; it reports the median rate of each kind and the median of the
// rounds' ratios. The in-process webhook collects garbage as its
// Deployment sets it (controlplane.UseWebhookGC); so does the client, for
// both kinds alike.
//
// It also splits each kind's CPU by process, per pod created (medians of
// the rounds): the API server's, etcd's, and this process's, which serves
// the webhook and runs the client. On a machine whose CPUs the three share,
// the rates follow the sum, and the split says whose work a ratio is.
func BenchmarkCreateConcurrently(b *testing.B) {
	restore, err := controlplane.UseWebhookGC()
	if err != nil {
		b.Fatal(err)
	}
	defer restore()
	benchNamespace(b)
	procs := controlPlaneProcesses(b)
	spark := examplePod(b, "driver.yaml", "")
	spark.GenerateName, spark.Namespace = "bench-par-driver-", "bench"
	plain := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{GenerateName: "bench-par-web-", Namespace: "bench"},
		Spec: *plainSpec(b)}
	const perRound, concurrency = 100, 8
	var sparkRates, plainRates, ratios []float64
	var sparkCPU, plainCPU [len(processNames)][]float64
	for b.Loop() {
		s, sCPU := createRate(b, spark, perRound, concurrency, procs)
		p, pCPU := createRate(b, plain, perRound, concurrency, procs)
		sparkRates, plainRates, ratios = append(sparkRates, s), append(plainRates, p), append(ratios, s/p)
		for i := range processNames {
			sparkCPU[i], plainCPU[i] = append(sparkCPU[i], sCPU[i]), append(plainCPU[i], pCPU[i])
		}
	}
	b.ReportMetric(median.Of(sparkRates), "spark-pods/s")
	b.ReportMetric(median.Of(plainRates), "plain-pods/s")
	b.ReportMetric(median.Of(ratios), "spark/plain")
	for i, name := range processNames {
		b.ReportMetric(median.Of(sparkCPU[i]), name+"-ms/spark-pod")
		b.ReportMetric(median.Of(plainCPU[i]), name+"-ms/plain-pod")
	}
}

// processNames name the processes a create's CPU is split by, in the order
// controlPlaneProcesses gives their ids: the API server, etcd, and this
// test process (the webhook and the client).
var processNames = [...]string{"apiserver", "etcd", "webhook+client"}

// controlPlaneProcesses are the ids of the processes of processNames.
func controlPlaneProcesses(b *testing.B) [len(processNames)]int {
	b.Helper()
	apiserver, err := proc.Child(os.Getpid(), "kube-apiserver")
	if err != nil {
		b.Fatal(err)
	}
	etcd, err := proc.Child(os.Getpid(), "etcd")
	if err != nil {
		b.Fatal(err)
	}
	return [...]int{apiserver, etcd, os.Getpid()}
}

// createRate creates n copies of template, concurrency at a time, and
// returns the pods created per second and the CPU milliseconds each of
// procs spent per pod meanwhile.
func createRate(b *testing.B, template *corev1.Pod, n, concurrency int, procs [len(processNames)]int) (float64, [len(processNames)]float64) {
	b.Helper()
	work := make(chan struct{}, n)
	for range n {
		work <- struct{}{}
	}
	close(work)
	errs := make(chan error, concurrency)
	before := cpuOf(b, procs)
	start := time.Now()
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for range work {
				if err := cp.Client.Create(context.Background(), template.DeepCopy()); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	after := cpuOf(b, procs)
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	var perPod [len(processNames)]float64
	for i := range procs {
		perPod[i] = float64(after[i]-before[i]) / float64(time.Millisecond) / float64(n)
	}
	return float64(n) / elapsed.Seconds(), perPod
}

// cpuOf is the CPU time so far of each of procs.
func cpuOf(b *testing.B, procs [len(processNames)]int) [len(processNames)]time.Duration {
	b.Helper()
	var out [len(processNames)]time.Duration
	for i, pid := range procs {
		s, err := proc.Read(pid)
		if err != nil {
			b.Fatalf("%s: %v", processNames[i], err)
		}
		out[i] = s.CPU
	}
	return out
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
