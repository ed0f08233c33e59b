package overlay

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ContainerErrors are the errors the API server's validation of every pod
// finds in c, the container at p (a sidecar or regular container, or an
// init container that runs to completion): what containerSpec checks of a
// layer's containers, for a container of a composed pod.
func ContainerErrors(p *field.Path, c *corev1.Container, sidecar bool) field.ErrorList {
	var v validator
	v.containerSpec(p, c, sidecar)
	return v.errs
}

// containerSpec checks what of a layer's sidecar or init container the
// API server's validation of every pod refuses (k8s.io/kubernetes's
// ValidateContainers, whose rules on these fields this follows; the module
// is not a library this build can import): a container it refuses is in
// every pod the layer matches, so each would be refused, in words that
// name no layer. Where its environment variables take their values from
// (envSource). Its resources: no quantity below zero, no request above
// its limit, and a resource that cannot be overcommitted (an extended
// resource, hugepages) requested only with its limit, at that limit (the
// API server gives a request its limit where only the limit is set). Its
// ports: a number in range, a valid and unique name, a known protocol. An
// init container that is not a sidecar runs to completion before the
// others: no probes, no lifecycle hooks; a sidecar's are well formed
// (sidecarProbes).
func (v *validator) containerSpec(p *field.Path, c *corev1.Container, sidecar bool) {
	v.containerResources(p.Child("resources"), &c.Resources)
	v.envSources(p.Child("env"), c.Env)
	v.envFrom(p.Child("envFrom"), c.EnvFrom)
	names, hostPorts := map[string]int{}, map[string]bool{}
	for i := range c.Ports {
		pp := p.Child("ports").Index(i)
		port := &c.Ports[i]
		if port.Name != "" {
			v.addAll(pp.Child("name"), port.Name, validation.IsValidPortName(port.Name))
			v.duplicate(names, pp.Child("name"), port.Name, i, "port name")
		}
		if port.ContainerPort == 0 {
			v.required(pp.Child("containerPort"), "")
		} else {
			v.invalidPort(pp.Child("containerPort"), port.ContainerPort)
		}
		if port.HostPort != 0 {
			v.invalidPort(pp.Child("hostPort"), port.HostPort)
			v.duplicateHostPort(hostPorts, pp.Child("hostPort"), port)
		}
		if pr := port.Protocol; pr != "" && !slices.Contains(containerProtocols, pr) {
			v.errs = append(v.errs, field.NotSupported(pp.Child("protocol"), pr, containerProtocols))
		}
	}
	if sidecar {
		v.sidecarProbes(p, c)
		return
	}
	for _, f := range []struct {
		name string
		set  bool
	}{{"lifecycle", c.Lifecycle != nil}, {"livenessProbe", c.LivenessProbe != nil}, {"readinessProbe", c.ReadinessProbe != nil}, {"startupProbe", c.StartupProbe != nil}} {
		if f.set {
			v.forbidden(p.Child(f.name), "may not be set for init containers without restartPolicy=Always (a sidecar: use sidecars)")
		}
	}
}

// duplicateHostPort records a host port the container already takes, of
// the same protocol (TCP where unset) and host IP, as the API server keys
// them (k8s.io/kubernetes's AccumulateUniqueHostPorts).
func (v *validator) duplicateHostPort(taken map[string]bool, p *field.Path, port *corev1.ContainerPort) {
	protocol := port.Protocol
	if protocol == "" {
		protocol = corev1.ProtocolTCP
	}
	key := fmt.Sprintf("%s/%s/%d", protocol, port.HostIP, port.HostPort)
	if taken[key] {
		v.errs = append(v.errs, field.Duplicate(p, key))
	}
	taken[key] = true
}

// containerProtocols are the protocols a container's port may name.
var containerProtocols = []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}

func (v *validator) invalidPort(p *field.Path, port int32) {
	for _, msg := range validation.IsValidPortNum(int(port)) {
		v.invalid(p, port, "%s", msg)
	}
}

// containerResources checks a container's requests against its limits
// (k8s.io/kubernetes's ValidateContainerResourceRequirements).
func (v *validator) containerResources(p *field.Path, r *corev1.ResourceRequirements) {
	for _, name := range slices.Sorted(maps.Keys(r.Limits)) {
		if q := r.Limits[name]; q.Sign() < 0 {
			v.invalid(p.Child("limits").Key(string(name)), q.String(), "must be greater than or equal to 0")
		}
	}
	for _, name := range slices.Sorted(maps.Keys(r.Requests)) {
		rp := p.Child("requests").Key(string(name))
		q := r.Requests[name]
		if q.Sign() < 0 {
			v.invalid(rp, q.String(), "must be greater than or equal to 0")
		}
		limit, limited := r.Limits[name]
		switch {
		case !overcommitAllowed(name) && !limited:
			v.forbidden(rp, "Limit must be set for non overcommitable resources")
		case !overcommitAllowed(name) && q.Cmp(limit) != 0:
			v.invalid(rp, q.String(), "must be equal to %s limit of %s", name, limit.String())
		case limited && q.Cmp(limit) > 0:
			v.invalid(rp, q.String(), "must be less than or equal to %s limit of %s", name, limit.String())
		}
	}
}

// overcommitAllowed reports whether a container may request less of name
// than it limits: a resource of Kubernetes' own (no domain, or
// kubernetes.io's) that is not hugepages.
func overcommitAllowed(name corev1.ResourceName) bool {
	s := string(name)
	native := !strings.Contains(s, "/") || strings.Contains(s, corev1.ResourceDefaultNamespacePrefix)
	return native && !strings.HasPrefix(s, corev1.ResourceHugePagesPrefix)
}
