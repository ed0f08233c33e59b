package mutate

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/strata-dev/strata/pkg/overlay"
)

// TestChangedOnPod: what a provenance key names, read on the pod before
// and after a change, as the explanation of a MutatingAdmissionPolicy's
// values reads it.
func TestChangedOnPod(t *testing.T) {
	before := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"team": "a", "spark-role": "executor"}},
		Spec: corev1.PodSpec{PriorityClassName: "low", Containers: []corev1.Container{{Name: "spark-kubernetes-executor", Image: "spark:4"}}}}
	after := before.DeepCopy()
	after.Labels["team"], after.Labels["stamped"] = "b", "yes"
	after.Spec.PriorityClassName = "high"
	after.Spec.InitContainers = []corev1.Container{{Name: "proxy", Image: "proxy:1"}}
	for _, tc := range []struct {
		name string
		key  overlay.Key
		want bool
	}{
		{"a label changed", overlay.MapKey(overlay.PathLabels, "team"), true},
		{"a label added", overlay.MapKey(overlay.PathLabels, "stamped"), true},
		{"a label kept", overlay.MapKey(overlay.PathLabels, "spark-role"), false},
		{"a label on neither", overlay.MapKey(overlay.PathLabels, "absent"), false},
		{"a scalar changed", overlay.FieldKey(overlay.PathPriorityClassName), true},
		{"a scalar kept", overlay.FieldKey(overlay.PathSchedulerName), false},
		{"an init container added", overlay.ElementKey(overlay.PathInitContainers, "proxy"), true},
		{"a part of a field", overlay.MapKey(overlay.PathLabels, "team").WithSub("x"), false},
		{"the Spark job's own", overlay.MapKey(overlay.PathSparkConf, "spark.a"), false},
	} {
		if got := ChangedOnPod(tc.key, before, after); got != tc.want {
			t.Errorf("%s (%v): %v, want %v", tc.name, tc.key, got, tc.want)
		}
	}
}
