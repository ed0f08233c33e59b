package policy

import (
	"reflect"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// platformParts returns the containers and volumes of pod that are the
// platform's: a matching layer defines one of that name, and the pod's
// copy is the layer's on every field the baseline checks read (security
// context, host ports, probe and lifecycle hosts; a volume's hostPath).
// The pod has been through mutation, so provenance alone cannot tell a
// layer's sidecar from a tenant's container of the same name; comparing
// the checked fields can, and a tenant who copies a layer's sidecar
// exactly gets nothing the platform did not already grant.
func platformParts(snap *overlay.Snapshot, cluster mutate.Cluster, pod *corev1.Pod, role v1alpha1.Role) (containers, volumes map[string]bool) {
	containers, volumes = map[string]bool{}, map[string]bool{}
	layerContainers := map[string][]corev1.Container{}
	layerVolumes := map[string][]corev1.Volume{}
	t := overlay.Target{Cluster: cluster.Name, Pool: cluster.Pool, Namespace: pod.Namespace, Role: role}
	for _, l := range snap.Match(t) {
		for _, c := range []*v1alpha1.Config{l.Spec.Config, roleBlock(&l.Spec, role)} {
			if c == nil {
				continue
			}
			for _, list := range [][]corev1.Container{c.Sidecars, c.InitContainers} {
				for _, ctr := range list {
					layerContainers[ctr.Name] = append(layerContainers[ctr.Name], ctr)
				}
			}
			for _, v := range c.Volumes {
				layerVolumes[v.Name] = append(layerVolumes[v.Name], v)
			}
		}
	}
	for _, list := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for i := range list {
			for _, lc := range layerContainers[list[i].Name] {
				if reflect.DeepEqual(checkedFields(&list[i]), checkedFields(&lc)) {
					containers[list[i].Name] = true
				}
			}
		}
	}
	for _, v := range pod.Spec.Volumes {
		for _, lv := range layerVolumes[v.Name] {
			if reflect.DeepEqual(v.HostPath, lv.HostPath) {
				volumes[v.Name] = true
			}
		}
	}
	return containers, volumes
}

func roleBlock(spec *v1alpha1.LayerSpec, role v1alpha1.Role) *v1alpha1.Config {
	if role == v1alpha1.RoleDriver {
		return spec.Driver
	}
	return spec.Executor
}

type checked struct {
	SecurityContext *corev1.SecurityContext
	HostPorts       []int32
	Hosts           []string
}

// checkedFields projects a container onto what the baseline checks read.
func checkedFields(c *corev1.Container) checked {
	out := checked{SecurityContext: c.SecurityContext}
	for _, p := range c.Ports {
		if p.HostPort != 0 {
			out.HostPorts = append(out.HostPorts, p.HostPort)
		}
	}
	for _, pr := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
		if pr != nil {
			out.Hosts = append(out.Hosts, hosts(pr.HTTPGet, pr.TCPSocket)...)
		}
	}
	if c.Lifecycle != nil {
		for _, h := range []*corev1.LifecycleHandler{c.Lifecycle.PostStart, c.Lifecycle.PreStop} {
			if h != nil {
				out.Hosts = append(out.Hosts, hosts(h.HTTPGet, h.TCPSocket)...)
			}
		}
	}
	return out
}

func hosts(h *corev1.HTTPGetAction, t *corev1.TCPSocketAction) []string {
	var out []string
	if h != nil && h.Host != "" {
		out = append(out, h.Host)
	}
	if t != nil && t.Host != "" {
		out = append(out, t.Host)
	}
	return out
}
