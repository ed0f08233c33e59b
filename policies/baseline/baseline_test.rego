package strata.baseline_test

import rego.v1

import data.strata.baseline

base := {
	"request": {"namespace": "etl"},
	"pod": {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "spark-kubernetes-driver", "image": "mirror.internal/apache/spark:3.5.3"}]}},
	"injected": {},
	"injectedVolumes": {},
}

checks(doc) := result if {
	result := {v.check | some v in baseline.violation} with input as doc
}

test_nothing_violated if {
	count(baseline.violation) == 0 with input as base
}

test_baseline_privileged_tenant_container if {
	doc := object.union(base, {"pod": {"spec": {"containers": [{"name": "spark-kubernetes-driver", "securityContext": {"privileged": true}}]}}})
	checks(doc) == {"privileged"}
}

test_baseline_skips_injected_containers if {
	doc := object.union(base, {
		"pod": {"spec": {"initContainers": [{"name": "node-agent", "securityContext": {"privileged": true, "capabilities": {"add": ["SYS_ADMIN"]}}}], "containers": [{"name": "spark"}]}},
		"injected": {"node-agent": true},
	})
	count(baseline.violation) == 0 with input as doc
}

test_baseline_pod_level if {
	doc := object.union(base, {"pod": {"spec": {
		"hostNetwork": true,
		"volumes": [{"name": "root", "hostPath": {"path": "/"}}],
		"securityContext": {"sysctls": [{"name": "kernel.msgmax", "value": "1"}, {"name": "net.ipv4.tcp_syncookies", "value": "1"}]},
		"containers": [{"name": "c", "ports": [{"containerPort": 80, "hostPort": 80}], "livenessProbe": {"httpGet": {"host": "10.0.0.1", "port": 80}}}],
	}}})
	checks(doc) == {"hostNamespaces", "hostPathVolumes", "sysctls", "hostPorts", "hostProbesAndHostLifecycle"}
}

test_baseline_skips_platform_host_path_volumes if {
	doc := object.union(base, {
		"pod": {"spec": {"volumes": [{"name": "node-logs", "hostPath": {"path": "/var/log"}}, {"name": "mine", "hostPath": {"path": "/"}}], "containers": [{"name": "c"}]}},
		"injectedVolumes": {"node-logs": true},
	})
	{v.message | some v in baseline.violation} == {"volume \"mine\" must not be a hostPath volume (Pod Security Standards baseline, hostPathVolumes)"} with input as doc
}

# Every check's message, word for word: denial messages are API.
test_every_message if {
	doc := object.union(base, {"pod": {
		"metadata": {"annotations": {"container.apparmor.security.beta.kubernetes.io/c": "unconfined"}},
		"spec": {
			"hostPID": true,
			"volumes": [{"name": "root", "hostPath": {"path": "/"}}],
			"securityContext": {
				"seccompProfile": {"type": "Unconfined"},
				"seLinuxOptions": {"type": "spc_t"},
				"sysctls": [{"name": "kernel.msgmax", "value": "1"}],
				"appArmorProfile": {"type": "Unconfined"},
				"windowsOptions": {"hostProcess": true},
			},
			"containers": [{
				"name": "c",
				"securityContext": {
					"privileged": true,
					"capabilities": {"add": ["SYS_ADMIN"]},
					"procMount": "Unmasked",
					"seccompProfile": {"type": "Unconfined"},
					"seLinuxOptions": {"user": "root"},
					"appArmorProfile": {"type": "Unconfined"},
					"windowsOptions": {"hostProcess": true},
				},
				"ports": [{"containerPort": 80, "hostPort": 8080}],
				"livenessProbe": {"httpGet": {"host": "10.0.0.1", "port": 80}},
				"lifecycle": {"preStop": {"tcpSocket": {"host": "10.0.0.2", "port": 80}}},
			}],
		},
	}})
	{v.message | some v in baseline.violation} == {
		"container \"c\" must not set securityContext.privileged=true (Pod Security Standards baseline, privileged)",
		"pod must not set hostPID=true (Pod Security Standards baseline, hostNamespaces)",
		"volume \"root\" must not be a hostPath volume (Pod Security Standards baseline, hostPathVolumes)",
		"container \"c\" must not use hostPort 8080 (Pod Security Standards baseline, hostPorts)",
		"container \"c\" must not add capability \"SYS_ADMIN\" (Pod Security Standards baseline, capabilities_baseline)",
		"container \"c\" must not set securityContext.procMount to \"Unmasked\" (Pod Security Standards baseline, procMount)",
		"pod must not set securityContext.seccompProfile.type to \"Unconfined\" (Pod Security Standards baseline, seccompProfile_baseline)",
		"container \"c\" must not set securityContext.seccompProfile.type to \"Unconfined\" (Pod Security Standards baseline, seccompProfile_baseline)",
		"pod must not set a custom SELinux type, user or role (Pod Security Standards baseline, seLinuxOptions)",
		"container \"c\" must not set a custom SELinux type, user or role (Pod Security Standards baseline, seLinuxOptions)",
		"pod must not set sysctl \"kernel.msgmax\" (Pod Security Standards baseline, sysctls)",
		"pod must not set appArmorProfile.type to \"Unconfined\" (Pod Security Standards baseline, appArmorProfile)",
		"container \"c\" must not set appArmorProfile.type to \"Unconfined\" (Pod Security Standards baseline, appArmorProfile)",
		"annotation \"container.apparmor.security.beta.kubernetes.io/c\" must not be \"unconfined\" (Pod Security Standards baseline, appArmorProfile)",
		"container \"c\" must not set a probe or lifecycle host (\"10.0.0.1\") (Pod Security Standards baseline, hostProbesAndHostLifecycle)",
		"container \"c\" must not set a probe or lifecycle host (\"10.0.0.2\") (Pod Security Standards baseline, hostProbesAndHostLifecycle)",
		"pod must not set securityContext.windowsOptions.hostProcess=true (Pod Security Standards baseline, windowsHostProcess)",
		"container \"c\" must not set securityContext.windowsOptions.hostProcess=true (Pod Security Standards baseline, windowsHostProcess)",
	} with input as doc
}

# A pod in a user namespace (hostUsers false) may set procMount (PSA baseline allows Unmasked
# there); a pod sharing the host's user namespace may not.
test_proc_mount_in_a_user_namespace if {
	unmasked := {"containers": [{"name": "c", "securityContext": {"procMount": "Unmasked"}}]}
	checks(object.union(base, {"pod": {"spec": unmasked}})) == {"procMount"}
	checks(object.union(base, {"pod": {"spec": object.union(unmasked, {"hostUsers": true})}})) == {"procMount"}
	count(baseline.violation) == 0 with input as object.union(base, {"pod": {"spec": object.union(unmasked, {"hostUsers": false})}})
}

# SELinux: a role, like a user, is refused; AppArmor annotations: only the runtime's default and
# a localhost profile, or none.
test_selinux_role_and_apparmor_annotations if {
	role := object.union(base, {"pod": {"spec": {"containers": [{"name": "c", "securityContext": {"seLinuxOptions": {"role": "sysadm_r"}}}]}}})
	checks(role) == {"seLinuxOptions"}
	every v in ["", "runtime/default", "localhost/spark"] {
		count(baseline.violation) == 0 with input as annotated(v)
	}
	every v in ["unconfined", "localhost", "runtime/defaults"] {
		checks(annotated(v)) == {"appArmorProfile"}
	}
}

annotated(v) := object.union(base, {"pod": {"metadata": {"annotations": {"container.apparmor.security.beta.kubernetes.io/c": v}}}})
