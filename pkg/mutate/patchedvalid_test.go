package mutate

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// TestPodPatchesLeavePodsValid: a layer's podPatch that makes the
// composed pod one the API server refuses, in a container (a limit below
// the pod's request, a second probe handler) or in the pod's own fields
// (a host network under the user's host port, the user's dnsPolicy None
// left without its dnsConfig), is an error naming the layer, from Compose
// (the dry run) and Admit (the webhook) alike. A patch that leaves the pod
// valid composes, and so does a pod invalid as written: that is left to
// the API server.
func TestPodPatchesLeavePodsValid(t *testing.T) {
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
		{"a host network under the user's host port", `{tier: ClusterOverrides, executor: {podPatch: {spec: {hostNetwork: true}}}}`, func(p *corev1.Pod) {
			p.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 80, HostPort: 8080}}
		}, `spec.containers[0].ports[0].hostPort: Invalid value: 8080: must match ` + "`containerPort`" + ` when ` + "`hostNetwork`" + ` is true: the API server would refuse the pod as invalid (the podPatch of ClusterOverrides layer "l")`},
		{"a host network over ports of no host port", `{tier: ClusterOverrides, executor: {podPatch: {spec: {hostNetwork: true}}}}`, func(p *corev1.Pod) {
			p.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 80}}
		}, ""},
		{"the user's dnsConfig taken from dnsPolicy None", `{tier: ClusterOverrides, executor: {podPatch: {spec: {dnsConfig: null}}}}`, func(p *corev1.Pod) {
			p.Spec.DNSPolicy, p.Spec.DNSConfig = corev1.DNSNone, &corev1.PodDNSConfig{Nameservers: []string{"10.0.0.10"}}
		}, "spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None"},
		{"a pod's own field invalid as written", `{tier: ClusterOverrides, executor: {podPatch: {metadata: {labels: {patched: "yes"}}}}}`, func(p *corev1.Pod) {
			p.Spec.DNSPolicy = corev1.DNSNone
		}, ""},
	} {
		composesOrFails(t, tc.name, tc.layer, tc.pod, tc.want)
	}
}
