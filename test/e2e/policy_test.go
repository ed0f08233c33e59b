package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/pkg/policy"
)

// TestOversizedPodDenied creates the example pod that asks for 64 CPU in
// etl (16 per pod at most) and gets the policy's message back.
func TestOversizedPodDenied(t *testing.T) {
	pod := examplePod(t, "oversized-driver.yaml", "oversized-driver")
	err := cp.Client.Create(context.Background(), pod)
	want := `quota: pod requests 64050m CPU; group "core-data" allows at most 16 per pod (NamespaceOverrides layer "ns-etl")`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error = %v, want it to contain %q", err, want)
	}
	if !strings.Contains(err.Error(), `admission webhook "pod-policies.strata.dev" denied the request`) {
		t.Errorf("not denied by the policy webhook: %v", err)
	}
}

// TestConcurrentExecutorsRespectTheLimit creates 50 executors of one app at
// once against maxExecutorsPerApp 20: exactly 20 are admitted.
func TestConcurrentExecutorsRespectTheLimit(t *testing.T) {
	ctx := context.Background()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		admitted int
		denied   []string
	)
	for i := range 50 {
		pod := examplePod(t, "executor.yaml", fmt.Sprintf("burst-exec-%d", i))
		pod.Labels["spark-app-selector"] = "spark-burst-0000000000000000000000000000"
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := cp.Client.Create(ctx, pod)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				admitted++
			} else {
				denied = append(denied, err.Error())
			}
		}()
	}
	wg.Wait()
	if admitted != 20 {
		t.Fatalf("admitted %d executors, want exactly 20; first denial: %v", admitted, first(denied))
	}
	for _, d := range denied {
		if !strings.Contains(d, `quota: app "spark-burst-0000000000000000000000000000" would have 21 executors; group "core-data" allows at most 20 per app`) {
			t.Fatalf("unexpected denial: %s", d)
		}
	}
}

// TestLiveStateFollowsThePods: what the webhook counts of an application
// follows the pods the API server holds, through its watch of pods: twenty
// executors created are counted (the twenty-first is denied), with what
// they request as stored (the namespace's totals grow by exactly that),
// and once they are deleted they are forgotten, so the application's next
// twenty are admitted at once, long before their reservations (30 s) would
// have run out.
func TestLiveStateFollowsThePods(t *testing.T) {
	ctx := context.Background()
	live, ok := cp.Webhook.PodPolicy.Live.(*policy.Tracker)
	if !ok {
		t.Fatalf("the webhook's live state is a %T", cp.Webhook.PodPolicy.Live)
	}
	const app = "spark-live-00000000000000000000000000000"
	executors := func(round int) []*corev1.Pod {
		var out []*corev1.Pod
		for i := range 20 {
			pod := examplePod(t, "executor.yaml", fmt.Sprintf("live-%d-exec-%d", round, i))
			pod.Labels["spark-app-selector"] = app
			out = append(out, pod)
		}
		return out
	}
	counted := func(want int64) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for live.AppExecutors("etl", app) != want {
			if time.Now().After(deadline) {
				t.Fatalf("the webhook counts %d executors of the application, want %d", live.AppExecutors("etl", app), want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// What the API server holds of the namespace, once the webhook's
	// watch has caught up with it: an earlier test's pods may still be on
	// their way.
	settled := func() policy.Usage {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			var pods corev1.PodList
			if err := cp.Client.List(ctx, &pods, client.InNamespace("etl")); err != nil {
				t.Fatal(err)
			}
			var held policy.Usage
			for i := range pods.Items {
				if p := &pods.Items[i]; policy.HoldsResources(p) {
					r := policy.PodRequests(p)
					held.CPUMilli, held.MemoryBytes, held.Pods = held.CPUMilli+r.CPUMilli, held.MemoryBytes+r.MemoryBytes, held.Pods+1
				}
			}
			if got := live.Usage("etl"); got == held {
				return got
			} else if time.Now().After(deadline) {
				t.Fatalf("the webhook counts %+v of the namespace's pods, the API server holds %+v", got, held)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	for round := range 2 {
		before := settled()
		want := before
		pods := executors(round)
		for _, pod := range pods {
			if err := cp.Client.Create(ctx, pod); err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			t.Cleanup(func() { _ = cp.Client.Delete(ctx, pod) })
			stored := policy.PodRequests(pod) // the pod as the API server stored it
			want.CPUMilli, want.MemoryBytes, want.Pods = want.CPUMilli+stored.CPUMilli, want.MemoryBytes+stored.MemoryBytes, want.Pods+1
		}
		counted(20)
		if got := live.Usage("etl"); got != want || want.CPUMilli == before.CPUMilli || want.MemoryBytes == before.MemoryBytes {
			t.Fatalf("round %d: the namespace's pods request %+v, want %+v (%+v before the executors)", round, got, want, before)
		}
		extra := examplePod(t, "executor.yaml", fmt.Sprintf("live-%d-exec-20", round))
		extra.Labels["spark-app-selector"] = app
		if err := cp.Client.Create(ctx, extra); err == nil || !strings.Contains(err.Error(), "would have 21 executors") {
			t.Fatalf("round %d: a twenty-first executor: %v, want it denied", round, err)
		}
		for _, pod := range pods {
			if err := cp.Client.Delete(ctx, pod); err != nil {
				t.Fatal(err)
			}
		}
		counted(0)
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// TestWarnPolicyWarns: geo's quota is enforced as warn, so an over-size geo
// pod is created, with the violation as a warning.
func TestWarnPolicyWarns(t *testing.T) {
	c, warnings := clientWithWarnings(t)
	pod := examplePod(t, "geo-executor.yaml", "geo-big-exec-1")
	pod.Spec.Containers[0].Resources.Requests["cpu"] = resource.MustParse("12")
	if err := c.Create(context.Background(), pod); err != nil {
		t.Fatalf("a warn violation denied the pod: %v", err)
	}
	want := `quota: pod requests 12070m CPU; group "geo" allows at most 8 per pod (NamespaceOverrides layer "ns-geo")`
	found := false
	for _, w := range warnings.all() {
		found = found || w == want
	}
	if !found {
		t.Fatalf("warnings %q, want %q", warnings.all(), want)
	}
	if got := metricValue(t, "strata_policy_violations_total", map[string]string{"policy": "quota", "enforcement": "warn"}); got < 1 {
		t.Errorf("warn violation not counted: %v", got)
	}
}

// TestOtherTenantsIAMRoleDenied: an etl job asking for geo's role is denied.
func TestOtherTenantsIAMRoleDenied(t *testing.T) {
	ctx := context.Background()
	pod := examplePod(t, "driver.yaml", "steal-role-driver")
	pod.Annotations = map[string]string{"strata.dev/iam-role": "arn:aws:iam::444455556666:role/spark-geo"}
	err := cp.Client.Create(ctx, pod)
	want := `isolation: IAM role "arn:aws:iam::444455556666:role/spark-geo" (from user (annotation strata.dev/iam-role)) is not allowed in namespace "etl"; allowed: arn:aws:iam::111122223333:role/spark-etl* (NamespaceOverrides layer "ns-etl")`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error = %v, want it to contain %q", err, want)
	}
	// One of etl's own roles is fine.
	own := examplePod(t, "driver.yaml", "own-role-driver")
	own.Annotations = map[string]string{"strata.dev/iam-role": "arn:aws:iam::111122223333:role/spark-etl-nightly"}
	if err := cp.Client.Create(ctx, own); err != nil {
		t.Fatalf("etl asking for its own role: %v", err)
	}
	if own.Annotations["iam.amazonaws.com/role"] != "arn:aws:iam::111122223333:role/spark-etl-nightly" {
		t.Errorf("requested role not applied: %v", own.Annotations)
	}
	// Setting the KIAM annotation directly is reserved to layers.
	direct := examplePod(t, "executor.yaml", "direct-kiam-exec-1")
	direct.Annotations = map[string]string{"iam.amazonaws.com/role": "arn:aws:iam::444455556666:role/spark-geo"}
	// The etl default role replaces it, so it is overridden rather than denied.
	if err := cp.Client.Create(ctx, direct); err != nil {
		t.Fatalf("direct KIAM annotation: %v", err)
	}
	if direct.Annotations["iam.amazonaws.com/role"] != "arn:aws:iam::111122223333:role/spark-etl" {
		t.Errorf("direct KIAM annotation kept: %v", direct.Annotations)
	}
}

// TestAppTotalsFollowTheLivePods: an application's whole-app limits hold
// for its pods however they were launched (here created directly, as
// spark-submit without the operator does): a driver and two executors of
// about 1 CPU each fit maxAppCPU 3.5 with its live pods, a third executor
// does not, and another application of the namespace still fits.
func TestAppTotalsFollowTheLivePods(t *testing.T) {
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "app-totals"}}
	if err := cp.Client.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	maxCPU := resource.MustParse("3500m")
	layer := &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "e2e-app-totals"}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.NamespaceOverrides,
		Match: v1alpha1.Match{Namespaces: []string{ns.Name}}, Config: &v1alpha1.Config{Limits: &v1alpha1.Limits{MaxAppCPU: &maxCPU}}}}
	createLayer(t, layer, ns.Name)
	pod := func(name, app, role string) *corev1.Pod {
		p := examplePod(t, "executor.yaml", name)
		p.Namespace = ns.Name
		p.OwnerReferences = nil
		p.Labels["spark-app-selector"] = app
		p.Labels["spark-role"] = role
		return p
	}
	const app, other = "spark-totals-0000000000000000000000000000", "spark-other-00000000000000000000000000000"
	for _, p := range []*corev1.Pod{pod("totals-driver", app, "driver"), pod("totals-exec-1", app, "executor"), pod("totals-exec-2", app, "executor"),
		pod("other-exec-1", other, "executor")} {
		if err := cp.Client.Create(ctx, p); err != nil {
			t.Fatalf("creating %s: %v", p.Name, err)
		}
		t.Cleanup(func() { _ = cp.Client.Delete(ctx, p) })
	}
	err := cp.Client.Create(ctx, pod("totals-exec-3", app, "executor"))
	want := `quota: app "` + app + `" would request`
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), `CPU with its live pods; namespace "app-totals" allows at most 3500m per app (NamespaceOverrides layer "e2e-app-totals")`) {
		t.Fatalf("a third executor: %v, want a denial containing %q", err, want)
	}
}
