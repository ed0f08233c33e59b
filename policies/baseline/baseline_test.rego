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
