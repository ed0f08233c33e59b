package mutate

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/fixtures"
)

// TestMirrorEphemeral: an ephemeral container added to a Spark pod gets
// its image from the layers' mirrors; one already there, one already
// mirrored and a pod that is not Spark's are left as they are.
func TestMirrorEphemeral(t *testing.T) {
	snap := fixtures.SnapshotOf(t, map[string]string{
		"mirrors": `{tier: ClusterOverrides, config: {imageMirrors: [{from: docker.io, to: mirror.internal/dockerhub}]}}`,
	})
	c := Cluster{Name: "c", Pool: "p"}
	debug := func(name, image string) corev1.EphemeralContainer {
		return corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: name, Image: image}}
	}
	old := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "e", Namespace: "etl", Labels: map[string]string{v1alpha1.RoleLabel: "executor"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "spark-kubernetes-executor", Image: "mirror.internal/dockerhub/apache/spark:3.5.3"}},
			EphemeralContainers: []corev1.EphemeralContainer{debug("before", "busybox:1.36")}}}
	pod := old.DeepCopy()
	pod.Spec.EphemeralContainers = append(pod.Spec.EphemeralContainers, debug("debugger", "busybox:1.36"), debug("mirrored", "mirror.internal/dockerhub/library/busybox:1.36"),
		debug("elsewhere", "quay.io/tools/debug:1"))

	ops := MirrorEphemeral(snap, c, pod, old)
	if len(ops) != 1 || ops[0].Operation != "replace" || ops[0].Path != "/spec/ephemeralContainers/1/image" ||
		ops[0].Value != "mirror.internal/dockerhub/library/busybox:1.36" {
		t.Fatalf("ops %+v, want the debugger's image mirrored, no other", ops)
	}
	// Applied, nothing is left to mirror: the same review again gives no patch.
	pod.Spec.EphemeralContainers[1].Image = ops[0].Value.(string)
	if again := MirrorEphemeral(snap, c, pod, old); len(again) != 0 {
		t.Errorf("mirrored twice: %+v", again)
	}
	plain := pod.DeepCopy()
	plain.Labels = nil
	plain.Spec.EphemeralContainers[1].Image = "busybox:1.36"
	if ops := MirrorEphemeral(snap, c, plain, old); len(ops) != 0 {
		t.Errorf("a pod that is not Spark's: %+v", ops)
	}
}
