package mutate

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestLayerMountsResolve: a composition that would give a container a
// mount of a volume the pod does not have, which the API server refuses
// as invalid, is an error naming the mount, the volume and the layer,
// from Compose (the dry run) and Admit (the webhook) alike. A layer may
// mount a volume it gives, or one Spark gives the pod; the user's own
// mount of a volume the pod lacks is left to the API server, and one whose
// volume a podPatch took away is the podPatch's.
func TestLayerMountsResolve(t *testing.T) {
	for _, tc := range []struct {
		name  string
		layer string
		pod   func(*corev1.Pod)
		want  string // "" for composed
	}{
		{"the Spark container's mount of no volume", `{tier: ClusterDefaults, config: {volumeMounts: [{name: nothere, mountPath: /x}]}}`, nil,
			`spec.containers[spark-kubernetes-executor].volumeMounts[/x]: names volume "nothere", which the pod does not have (ClusterDefaults layer "l"): the API server would refuse the pod as invalid`},
		{"a sidecar's mount of no volume", `{tier: ClusterDefaults, config: {sidecars: [{name: shipper, image: "fluent/fluent-bit:3.1", volumeMounts: [{name: logs, mountPath: /logs}]}]}}`, nil,
			`spec.initContainers[shipper].volumeMounts[/logs]: names volume "logs", which the pod does not have (ClusterDefaults layer "l")`},
		{"an init container's mount of no volume", `{tier: ClusterDefaults, config: {initContainers: [{name: fetch, image: "busybox:1.36", volumeMounts: [{name: jars, mountPath: /jars}]}]}}`, nil,
			`spec.initContainers[fetch].volumeMounts[/jars]: names volume "jars", which the pod does not have (ClusterDefaults layer "l")`},
		{"a mount of the layer's own volume", `{tier: ClusterDefaults, config: {volumes: [{name: logs, emptyDir: {}}],
			volumeMounts: [{name: logs, mountPath: /logs}], sidecars: [{name: shipper, image: "fluent/fluent-bit:3.1", volumeMounts: [{name: logs, mountPath: /logs}]}]}}`, nil, ""},
		{"a mount of the pod's own volume", `{tier: ClusterDefaults, config: {volumeMounts: [{name: local, mountPath: /var/data/more}]}}`, nil, ""},
		{"the user's own mount of no volume", `{tier: ClusterDefaults, config: {labels: {team: etl}}}`, func(p *corev1.Pod) {
			p.Spec.Containers[1].VolumeMounts = append(p.Spec.Containers[1].VolumeMounts, corev1.VolumeMount{Name: "gone", MountPath: "/gone"})
		}, ""},
		{"the user's own volume taken away by a podPatch that keeps Spark's", `{tier: ClusterOverrides, executor: {podPatch: {spec: {volumes: [{$patch: replace}, {name: spark-local-dir-1, emptyDir: {}}]}}}}`, nil,
			`spec.containers[spark-kubernetes-executor].volumeMounts[/var/data]: names volume "local", which the pod does not have (the podPatch of ClusterOverrides layer "l"): the API server would refuse the pod as invalid`},
	} {
		composesOrFails(t, tc.name, tc.layer, tc.pod, tc.want)
	}
}

// composesOrFails composes the example executor, edited by edit (when not
// nil), with layer (a spec), by Compose and Admit alike: an error
// containing want, an InvalidCompositionError (the webhook's 422), or none
// for "".
func composesOrFails(t *testing.T, name, layer string, edit func(*corev1.Pod), want string) {
	t.Helper()
	snap := snapshotOf(t, map[string]string{"l": layer})
	pod := executorPod()
	if edit != nil {
		edit(pod)
	}
	for by, compose := range map[string]func() (*Result, error){
		"Compose": func() (*Result, error) { return Compose(snap, cluster, pod) },
		"Admit":   func() (*Result, error) { return Admit(snap, cluster, pod) },
	} {
		_, err := compose()
		switch {
		case want == "" && err != nil:
			t.Errorf("%s, %s: %v", name, by, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s, %s: %v, want an error containing %s", name, by, err, want)
		case want != "" && !IsInvalidComposition(err):
			t.Errorf("%s, %s: %v is not an InvalidCompositionError", name, by, err)
		}
	}
}
