package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestLargePodsAtOnceAreShedAndRetried: pods of about 1.2 MiB created at
// once are more than the webhook's --max-bytes-in-flight lets it serve
// together (8 MiB, requests over 512 KiB at most half of it: three such
// pods); those past it are answered 429, and the API server's webhook
// client calls again after Retry-After, so every pod is admitted and
// composed, none refused. Any four of the eight in flight at once are
// past the limit, so the test does not depend on nearly all of them
// arriving together; each stays under etcd's 1.5 MiB a value.
//
// Not under the race detector: it makes composing such a pod several times
// slower, past the pod webhooks' 5 s timeout.
func TestLargePodsAtOnceAreShedAndRetried(t *testing.T) {
	const largeEnvVars = 9000 // of about 140 bytes each
	if raceEnabled {
		t.Skip("the race detector makes composing pods of 1.2 MiB slower than the pod webhooks' timeout")
	}
	ctx := context.Background()
	const pods = 8
	shedBefore := metricValue(t, "strata_admissions_shed_total", nil)
	created := make([]*corev1.Pod, pods)
	for i := range created {
		pod := examplePod(t, "executor.yaml", fmt.Sprintf("large-exec-%d", i))
		pod.Labels["spark-app-selector"] = fmt.Sprintf("spark-large-%d", i)
		c := &pod.Spec.Containers[0]
		for j := range largeEnvVars {
			c.Env = append(c.Env, corev1.EnvVar{Name: fmt.Sprintf("E2E_LARGE_%05d", j), Value: strings.Repeat("v", 100)})
		}
		created[i] = pod
		t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), pod) })
	}
	var wg sync.WaitGroup
	errs := make([]error, pods)
	for i, pod := range created {
		wg.Go(func() { errs[i] = cp.Client.Create(ctx, pod) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("pod %d: %v", i, err)
		}
	}
	if t.Failed() {
		return
	}
	for _, pod := range created {
		got := &corev1.Pod{}
		if err := cp.Client.Get(ctx, client.ObjectKeyFromObject(pod), got); err != nil {
			t.Fatal(err)
		}
		if got.Labels["platform.strata.dev/cluster"] != "prod-a" || len(got.Spec.Containers[0].Env) < largeEnvVars {
			t.Errorf("%s not composed whole: labels %v, %d env vars", pod.Name, got.Labels, len(got.Spec.Containers[0].Env))
		}
	}
	if shed := metricValue(t, "strata_admissions_shed_total", nil) - shedBefore; shed < 1 {
		t.Errorf("%d pods of about 1.2 MiB at once: none shed; the byte limit did not apply", pods)
	}
}
