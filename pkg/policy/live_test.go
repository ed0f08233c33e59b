package policy

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func sparkExecutor(name, app string, cpu string, phase corev1.PodPhase) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "etl", Labels: map[string]string{"spark-role": "executor", "spark-app-selector": app}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse("1Gi")}}}}},
		Status: corev1.PodStatus{Phase: phase},
	}
}

func TestTracker(t *testing.T) {
	tr := NewTracker()
	tr.Upsert(sparkExecutor("a", "app1", "2", corev1.PodPending))
	tr.Upsert(sparkExecutor("b", "app1", "1", corev1.PodRunning))
	tr.Upsert(sparkExecutor("c", "app2", "500m", corev1.PodRunning))
	if u := tr.Usage("etl"); u.CPUMilli != 3500 || u.Pods != 3 || u.MemoryBytes != 3<<30 {
		t.Fatalf("usage %+v", u)
	}
	if n := tr.AppExecutors("etl", "app1"); n != 2 {
		t.Fatalf("app1 executors %d", n)
	}
	// The app's driver counts in its totals, not among its executors.
	driver := LivePodOf(sparkExecutor("app1-driver", "app1", "3", corev1.PodRunning))
	driver.Executor = false
	tr.Set(driver, true)
	if a := tr.App("etl", "app1"); a.Executors != 2 || a.Usage != (Usage{CPUMilli: 6000, MemoryBytes: 3 << 30, Pods: 3}) {
		t.Fatalf("app1 with its driver: %+v, want 2 executors and 6 CPU in 3 pods", a)
	}
	if a := tr.App("etl", ""); a != (AppUsage{}) {
		t.Fatalf("no app: %+v", a)
	}
	// The app's last executor gone, its driver still holds the app's
	// totals; executors that request nothing still count as executors.
	tr.Upsert(sparkExecutor("d", "app3", "1", corev1.PodRunning))
	driver3 := LivePodOf(sparkExecutor("app3-driver", "app3", "2", corev1.PodRunning))
	driver3.Executor = false
	tr.Set(driver3, true)
	tr.Delete("etl/d")
	if a := tr.App("etl", "app3"); a.Executors != 0 || a.Usage != (Usage{CPUMilli: 2000, MemoryBytes: 1 << 30, Pods: 1}) {
		t.Fatalf("app3 with only its driver left: %+v", a)
	}
	tr.Delete(driver3.Key)
	for _, name := range []string{"e", "f"} {
		p := sparkExecutor(name, "app4", "1", corev1.PodRunning)
		p.Spec.Containers[0].Resources.Requests = nil
		tr.Upsert(p)
	}
	tr.Delete("etl/e")
	if a := tr.App("etl", "app4"); a.Executors != 1 || a.Usage != (Usage{Pods: 1}) {
		t.Fatalf("app4, one of two executors that request nothing left: %+v", a)
	}
	tr.Delete("etl/f")
	tr.Delete(driver.Key)
	// An update replaces the pod's contribution; a finished pod holds nothing.
	tr.Upsert(sparkExecutor("a", "app1", "4", corev1.PodRunning))
	tr.Upsert(sparkExecutor("b", "app1", "1", corev1.PodSucceeded))
	if u := tr.Usage("etl"); u.CPUMilli != 4500 || u.Pods != 2 {
		t.Fatalf("usage after updates %+v", u)
	}
	if n := tr.AppExecutors("etl", "app1"); n != 1 {
		t.Fatalf("app1 executors after one finished: %d", n)
	}
	tr.Delete("etl/a")
	tr.Delete("etl/c")
	tr.Delete("etl/missing")
	if u := tr.Usage("etl"); u != (Usage{}) || tr.App("etl", "app1") != (AppUsage{}) || len(tr.apps) != 0 {
		t.Fatalf("after deletes: %+v %+v, %d apps held", u, tr.App("etl", "app1"), len(tr.apps))
	}
	if _, ok := tr.Get("etl/a"); ok {
		t.Fatal("deleted pod still there")
	}
}

// TestTrackerReplace: a list replaces everything the tracker held: totals,
// executors per application and the pods themselves, a pod listed twice
// counted once.
func TestTrackerReplace(t *testing.T) {
	tr := NewTracker()
	for _, p := range []*corev1.Pod{
		sparkExecutor("a", "app1", "1", corev1.PodRunning),
		sparkExecutor("b", "app1", "2", corev1.PodRunning),
		sparkExecutor("c", "app2", "4", corev1.PodRunning),
	} {
		tr.Upsert(p)
	}
	kept, added := LivePodOf(sparkExecutor("b", "app1", "2", corev1.PodRunning)), LivePodOf(sparkExecutor("d", "app2", "8", corev1.PodRunning))
	tr.Replace([]LivePod{kept, added, added})
	if got := tr.Usage("etl"); got.CPUMilli != 10000 || got.Pods != 2 {
		t.Errorf("usage %+v, want 10 CPU in 2 pods", got)
	}
	if a1, a2 := tr.App("etl", "app1"), tr.App("etl", "app2"); a1.Executors != 1 || a2.Executors != 1 || a1.Usage.CPUMilli != 2000 || a2.Usage.CPUMilli != 8000 {
		t.Errorf("app1 %+v app2 %+v, want an executor of 2 CPU and one of 8", a1, a2)
	}
	for key, want := range map[string]bool{"etl/a": false, "etl/b": true, "etl/c": false, "etl/d": true} {
		if _, ok := tr.Get(key); ok != want {
			t.Errorf("%s held: %v, want %v", key, ok, want)
		}
	}
	tr.Replace(nil)
	if got := tr.Usage("etl"); got != (Usage{}) || tr.AppExecutors("etl", "app2") != 0 {
		t.Errorf("after an empty list: usage %+v, app2 executors %d", got, tr.AppExecutors("etl", "app2"))
	}
}
