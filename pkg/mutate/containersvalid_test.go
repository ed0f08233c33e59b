package mutate

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// TestPodPatchesLeaveContainersValid: a layer's podPatch that makes a
// container of the composed pod one the API server refuses (a limit below
// the pod's request, a second probe handler) is an error naming the layer,
// from Compose (the dry run) and Admit (the webhook) alike. A patch that
// leaves the containers valid composes, and so does a pod whose own
// container is invalid as written: that is left to the API server.
func TestPodPatchesLeaveContainersValid(t *testing.T) {
	requests := func(cpu string) func(*corev1.Pod) {
		return func(p *corev1.Pod) {
			p.Spec.Containers[1].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)}
		}
	}
	const capCPU = `{tier: ClusterOverrides, executor: {podPatch: {spec: {containers: [{name: spark-kubernetes-executor, resources: {limits: {cpu: 500m}}}]}}}}`
	for _, tc := range []struct {
		name  string
		layer string
		pod   func(*corev1.Pod)
		want  string // "" for composed
	}{
		{"a limit below the pod's request", capCPU, requests("1"),
			`spec.containers[spark-kubernetes-executor].resources.requests[cpu]: Invalid value: "1": must be less than or equal to cpu limit of 500m: the API server would refuse the pod as invalid (the podPatch of ClusterOverrides layer "l")`},
		{"a limit above the pod's request", capCPU, requests("250m"), ""},
		{"a second handler of the user's probe", `{tier: ClusterOverrides, executor: {podPatch: {spec: {containers: [{name: spark-kubernetes-executor,
			livenessProbe: {exec: {command: ["true"]}}}]}}}}`, func(p *corev1.Pod) {
			p.Spec.Containers[1].LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(7079)}}}
		}, `spec.containers[spark-kubernetes-executor].livenessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type`},
		{"a pod invalid as written", `{tier: ClusterOverrides, executor: {podPatch: {metadata: {labels: {patched: "yes"}}}}}`, func(p *corev1.Pod) {
			p.Spec.Containers[1].Resources = corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")},
				Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}}
		}, ""},
	} {
		composesOrFails(t, tc.name, tc.layer, tc.pod, tc.want)
	}
}
