# The Pod Security Standards baseline, check for check as
# k8s.io/pod-security-admission defines it (latest version), over the fields
# a tenant writes: containers a layer injected (input.injected) are the
# platform's and are not checked. Check IDs are PSA's own; a Go test holds
# these verdicts to PSA's over a generated corpus. Likewise a hostPath volume
# a layer defines (input.injectedVolumes) is the platform's. A policy of its
# own, so a platform can roll it out with enforcement {baseline: dryrun}
# while tenant isolation stays deny.

# METADATA
# custom:
#   # What of each container this policy never reads: left out of input.pod (see README).
#   unread_container_fields: [args, command, env, envFrom, resources, volumeMounts, workingDir]
package strata.baseline

import rego.v1

# Fields are read by reference (c.securityContext.privileged), not with
# object.get and a default or a helper function: a reference to what the pod
# leaves out is undefined, which ends that rule's branch as the default
# would, and evaluating it costs a fraction of a call.
#
# Each rule reads the input itself (input.pod.spec, not a rule such as
# spec := input.pod.spec) and walks the three container lists itself, with
# what ends a branch first: its check, then whether a layer injected the
# container. A rule referring to another rule looks that rule up on every
# evaluation, and most rules end at their first check: evaluating the
# policy over the example executor costs under three quarters of what it did
# through spec, pod_sc and a set of the tenant's containers (BENCHMARKS.md).

baseline(check, detail) := {"check": check, "message": sprintf("%s (Pod Security Standards baseline, %s)", [detail, check])}

violation contains baseline("privileged", sprintf("container %q must not set securityContext.privileged=true", [c.name])) if {
	some list in ["initContainers", "containers", "ephemeralContainers"]
	some c in input.pod.spec[list]
	c.securityContext.privileged == true
	not input.injected[c.name]
}

violation contains baseline("hostNamespaces", sprintf("pod must not set %s=true", [f])) if {
	some f in ["hostNetwork", "hostPID", "hostIPC"]
	input.pod.spec[f] == true
}

violation contains baseline("hostPathVolumes", sprintf("volume %q must not be a hostPath volume", [v.name])) if {
	some v in input.pod.spec.volumes
	v.hostPath
	not input.injectedVolumes[v.name]
}

violation contains baseline("hostPorts", sprintf("container %q must not use hostPort %d", [c.name, p.hostPort])) if {
	some list in ["initContainers", "containers", "ephemeralContainers"]
	some c in input.pod.spec[list]
	some p in c.ports
	p.hostPort != 0
	not input.injected[c.name]
}

allowed_capabilities := {
	"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
	"NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}

violation contains baseline("capabilities_baseline", sprintf("container %q must not add capability %q", [c.name, cap])) if {
	some list in ["initContainers", "containers", "ephemeralContainers"]
	some c in input.pod.spec[list]
	some cap in c.securityContext.capabilities.add
	not cap in allowed_capabilities
	not input.injected[c.name]
}

violation contains baseline("procMount", sprintf("container %q must not set securityContext.procMount to %q", [c.name, c.securityContext.procMount])) if {
	some list in ["initContainers", "containers", "ephemeralContainers"]
	some c in input.pod.spec[list]
	c.securityContext.procMount != "Default"
	not user_namespace_pod
	not input.injected[c.name]
}

user_namespace_pod if input.pod.spec.hostUsers == false

valid_seccomp := {"Localhost", "RuntimeDefault"}

violation contains baseline("seccompProfile_baseline", sprintf("pod must not set securityContext.seccompProfile.type to %q", [t])) if {
	t := input.pod.spec.securityContext.seccompProfile.type
	not t in valid_seccomp
}

violation contains baseline("seccompProfile_baseline", sprintf("container %q must not set securityContext.seccompProfile.type to %q", [c.name, t])) if {
	some list in ["initContainers", "containers", "ephemeralContainers"]
	some c in input.pod.spec[list]
	t := c.securityContext.seccompProfile.type
	not t in valid_seccomp
	not input.injected[c.name]
}

selinux_types := {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}

bad_selinux(opts) if not object.get(opts, "type", "") in selinux_types

bad_selinux(opts) if object.get(opts, "user", "") != ""

bad_selinux(opts) if object.get(opts, "role", "") != ""

violation contains baseline("seLinuxOptions", "pod must not set a custom SELinux type, user or role") if {
	bad_selinux(input.pod.spec.securityContext.seLinuxOptions)
}

violation contains baseline("seLinuxOptions", sprintf("container %q must not set a custom SELinux type, user or role", [c.name])) if {
	some list in ["initContainers", "containers", "ephemeralContainers"]
	some c in input.pod.spec[list]
	bad_selinux(c.securityContext.seLinuxOptions)
	not input.injected[c.name]
}

safe_sysctls := {
	"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
	"net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.ip_local_reserved_ports",
	"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
	"net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
	"net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat",
}

violation contains baseline("sysctls", sprintf("pod must not set sysctl %q", [s.name])) if {
	some s in input.pod.spec.securityContext.sysctls
	not s.name in safe_sysctls
}

valid_apparmor := {"RuntimeDefault", "Localhost"}

violation contains baseline("appArmorProfile", sprintf("pod must not set appArmorProfile.type to %q", [t])) if {
	t := input.pod.spec.securityContext.appArmorProfile.type
	not t in valid_apparmor
}

violation contains baseline("appArmorProfile", sprintf("container %q must not set appArmorProfile.type to %q", [c.name, t])) if {
	some list in ["initContainers", "containers", "ephemeralContainers"]
	some c in input.pod.spec[list]
	t := c.securityContext.appArmorProfile.type
	not t in valid_apparmor
	not input.injected[c.name]
}

violation contains baseline("appArmorProfile", sprintf("annotation %q must not be %q", [k, v])) if {
	some k, v in input.pod.metadata.annotations
	startswith(k, "container.apparmor.security.beta.kubernetes.io/")
	not apparmor_annotation_allowed(v)
}

apparmor_annotation_allowed(v) if v == ""

apparmor_annotation_allowed(v) if v == "runtime/default"

apparmor_annotation_allowed(v) if startswith(v, "localhost/")

# A probe's or a lifecycle hook's host, read where it is: a reference to
# what a container leaves out is undefined, which ends that branch alone.
violation contains host_handler(c, host) if {
	some list in ["initContainers", "containers", "ephemeralContainers"]
	some c in input.pod.spec[list]
	some probe in ["livenessProbe", "readinessProbe", "startupProbe"]
	handler := c[probe]
	some kind in ["httpGet", "tcpSocket"]
	host := handler[kind].host
	host != ""
	not input.injected[c.name]
}

violation contains host_handler(c, host) if {
	some list in ["initContainers", "containers", "ephemeralContainers"]
	some c in input.pod.spec[list]
	some hook in ["postStart", "preStop"]
	handler := c.lifecycle[hook]
	some kind in ["httpGet", "tcpSocket"]
	host := handler[kind].host
	host != ""
	not input.injected[c.name]
}

host_handler(c, host) := baseline("hostProbesAndHostLifecycle", sprintf("container %q must not set a probe or lifecycle host (%q)", [c.name, host]))

violation contains baseline("windowsHostProcess", "pod must not set securityContext.windowsOptions.hostProcess=true") if {
	input.pod.spec.securityContext.windowsOptions.hostProcess == true
}

violation contains baseline("windowsHostProcess", sprintf("container %q must not set securityContext.windowsOptions.hostProcess=true", [c.name])) if {
	some list in ["initContainers", "containers", "ephemeralContainers"]
	some c in input.pod.spec[list]
	c.securityContext.windowsOptions.hostProcess == true
	not input.injected[c.name]
}
