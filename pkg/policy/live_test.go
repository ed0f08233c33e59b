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
	if u := tr.Usage("etl"); u != (Usage{}) || tr.AppExecutors("etl", "app1") != 0 {
		t.Fatalf("after deletes: %+v %d", u, tr.AppExecutors("etl", "app1"))
	}
	if _, ok := tr.Get("etl/a"); ok {
		t.Fatal("deleted pod still there")
	}
}
