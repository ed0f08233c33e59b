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
// ports: a number in range, a valid and unique name, a known protocol. Its
// envFrom (envFrom), pull and termination message policies, security
// context (containerSecurityContext) and mounts (mountRules). An init
// container that is not a sidecar runs to completion before the others:
// no probes, no lifecycle hooks; a sidecar's are well formed
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
	if pp := c.ImagePullPolicy; pp != "" && !slices.Contains(pullPolicies, pp) {
		v.errs = append(v.errs, field.NotSupported(p.Child("imagePullPolicy"), pp, pullPolicies))
	}
	if tp := c.TerminationMessagePolicy; tp != "" && !slices.Contains(terminationMessagePolicies, tp) {
		v.errs = append(v.errs, field.NotSupported(p.Child("terminationMessagePolicy"), tp, terminationMessagePolicies))
	}
	v.containerSecurityContext(p.Child("securityContext"), c.SecurityContext)
	v.mountRules(p.Child("volumeMounts"), c.VolumeMounts, c)
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

var (
	pullPolicies               = []corev1.PullPolicy{corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever}
	terminationMessagePolicies = []corev1.TerminationMessagePolicy{corev1.TerminationMessageReadFile, corev1.TerminationMessageFallbackToLogsOnError}
	mountPropagations          = []corev1.MountPropagationMode{corev1.MountPropagationBidirectional, corev1.MountPropagationHostToContainer, corev1.MountPropagationNone}
	recursiveReadOnlies        = []corev1.RecursiveReadOnlyMode{corev1.RecursiveReadOnlyDisabled, corev1.RecursiveReadOnlyIfPossible, corev1.RecursiveReadOnlyEnabled}
)

// containerSecurityContext checks a container's security context
// (k8s.io/kubernetes's ValidateSecurityContext): its user and group IDs,
// its seccomp profile, and privileged without privilege escalation.
// procMount is left to the API server (Unmasked depends on the pod's
// hostUsers).
func (v *validator) containerSecurityContext(p *field.Path, sc *corev1.SecurityContext) {
	if sc == nil {
		return
	}
	if sc.RunAsUser != nil {
		for _, msg := range validation.IsValidUserID(*sc.RunAsUser) {
			v.invalid(p.Child("runAsUser"), *sc.RunAsUser, "%s", msg)
		}
	}
	if sc.RunAsGroup != nil {
		for _, msg := range validation.IsValidGroupID(*sc.RunAsGroup) {
			v.invalid(p.Child("runAsGroup"), *sc.RunAsGroup, "%s", msg)
		}
	}
	v.seccompProfile(p.Child("seccompProfile"), sc.SeccompProfile)
	if e := sc.AllowPrivilegeEscalation; e != nil && !*e && sc.Privileged != nil && *sc.Privileged {
		v.invalid(p, field.OmitValueType{}, "cannot set `allowPrivilegeEscalation` to false and `privileged` to true")
	}
}

// mountRules checks what of a container's volume mounts the API server
// judges besides the volume they name (k8s.io/kubernetes's
// ValidateVolumeMounts): a mount path, a sub-path below the volume and
// not with a sub-path expression, a mount propagation it knows
// (Bidirectional only for a privileged container, c, when known) and a
// recursive read-only mount only read-only, without propagation. The API
// server names a sub-path's errors at the list, not the mount.
func (v *validator) mountRules(p *field.Path, mounts []corev1.VolumeMount, c *corev1.Container) {
	for i := range mounts {
		m := &mounts[i]
		mp := p.Index(i)
		if m.MountPath == "" {
			v.required(mp.Child("mountPath"), "")
		}
		if m.SubPath != "" {
			v.localDescendingPath(p.Child("subPath"), m.SubPath)
		}
		if m.SubPathExpr != "" {
			if m.SubPath != "" {
				v.invalid(mp.Child("subPathExpr"), m.SubPathExpr, "subPathExpr and subPath are mutually exclusive")
			}
			v.localDescendingPath(p.Child("subPathExpr"), m.SubPathExpr)
		}
		if mpr := m.MountPropagation; mpr != nil {
			if !slices.Contains(mountPropagations, *mpr) {
				v.errs = append(v.errs, field.NotSupported(p.Child("mountPropagation"), *mpr, mountPropagations))
			}
			privileged := c != nil && c.SecurityContext != nil && c.SecurityContext.Privileged != nil && *c.SecurityContext.Privileged
			if *mpr == corev1.MountPropagationBidirectional && c != nil && !privileged {
				v.forbidden(p.Child("mountPropagation"), "Bidirectional mount propagation is available only to privileged containers")
			}
		}
		if r := m.RecursiveReadOnly; r != nil {
			switch {
			case !slices.Contains(recursiveReadOnlies, *r):
				v.errs = append(v.errs, field.NotSupported(p.Child("recursiveReadOnly"), *r, recursiveReadOnlies))
			case *r == corev1.RecursiveReadOnlyDisabled:
			case !m.ReadOnly:
				v.forbidden(p.Child("recursiveReadOnly"), "may only be specified when readOnly is true")
			case m.MountPropagation != nil && *m.MountPropagation != corev1.MountPropagationNone:
				v.forbidden(p.Child("recursiveReadOnly"), "may only be specified when mountPropagation is None or not specified")
			}
		}
	}
}
