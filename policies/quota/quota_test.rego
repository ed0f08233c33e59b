package strata.quota_test

import rego.v1

import data.strata.quota

base := {
	"request": {"namespace": "etl", "operation": "CREATE"},
	"role": "executor",
	"app": "spark-1",
	"group": "core-data",
	"resources": {"cpuMilli": 4000, "memoryBytes": 8589934592, "pods": 1},
	"inventory": {"namespace": {"cpuMilli": 0, "memoryBytes": 0, "pods": 0}, "appExecutors": 0},
	"config": {"limits": {}},
}

src := "NamespaceOverrides layer \"ns-etl\""

with_limits(limits) := object.union(base, {"config": {"limits": limits}})

test_no_limits_no_violation if {
	count(quota.violation) == 0 with input as base
}

test_pod_cpu_over_limit if {
	doc := object.union(with_limits({"maxPodCPU": {"value": "16", "number": 16000, "source": src}}), {"resources": {"cpuMilli": 64000, "memoryBytes": 1, "pods": 1}})
	quota.violation == {{"check": "maxPodCPU", "message": "pod requests 64 CPU; group \"core-data\" allows at most 16 per pod (NamespaceOverrides layer \"ns-etl\")"}} with input as doc
}

test_pod_cpu_at_limit_allowed if {
	doc := with_limits({"maxPodCPU": {"value": "4", "number": 4000, "source": src}})
	count(quota.violation) == 0 with input as doc
}

test_millicores_and_memory_units if {
	quota.cpu(1500) == "1500m"
	quota.cpu(2000) == "2"
	quota.memory(8589934592) == "8Gi"
	quota.memory(1572864) == "1536Ki"
	quota.memory(3145728) == "3Mi"
	quota.memory(1000) == "1000"
}

test_pod_memory_over_limit if {
	doc := with_limits({"maxPodMemory": {"value": "4Gi", "number": 4294967296, "source": src}})
	quota.violation == {{"check": "maxPodMemory", "message": "pod requests 8Gi memory; group \"core-data\" allows at most 4Gi per pod (NamespaceOverrides layer \"ns-etl\")"}} with input as doc
}

test_executors_per_app if {
	doc := object.union(with_limits({"maxExecutorsPerApp": {"value": 20, "number": 20, "source": src}}), {"inventory": {"appExecutors": 20}})
	quota.violation == {{"check": "maxExecutorsPerApp", "message": "app \"spark-1\" would have 21 executors; group \"core-data\" allows at most 20 per app (NamespaceOverrides layer \"ns-etl\")"}} with input as doc
}

test_twentieth_executor_allowed if {
	doc := object.union(with_limits({"maxExecutorsPerApp": {"value": 20, "number": 20, "source": src}}), {"inventory": {"appExecutors": 19}})
	count(quota.violation) == 0 with input as doc
}

test_drivers_do_not_count_as_executors if {
	doc := object.union(with_limits({"maxExecutorsPerApp": {"value": 0, "number": 0, "source": src}}), {"role": "driver"})
	count(quota.violation) == 0 with input as doc
}

test_namespace_totals if {
	doc := object.union(
		with_limits({
			"namespaceCPU": {"value": "10", "number": 10000, "source": src},
			"namespaceMemory": {"value": "16Gi", "number": 17179869184, "source": src},
			"namespacePods": {"value": 3, "number": 3, "source": src},
		}),
		{"inventory": {"namespace": {"cpuMilli": 7000, "memoryBytes": 8589934592, "pods": 3}}},
	)
	msgs := {v.message | some v in quota.violation} with input as doc
	msgs == {
		"namespace \"etl\" would request 11 CPU in total; group \"core-data\" allows at most 10 (NamespaceOverrides layer \"ns-etl\")",
		"namespace \"etl\" would have 4 pods; group \"core-data\" allows at most 3 (NamespaceOverrides layer \"ns-etl\")",
	}
}

test_namespace_subject_without_group if {
	doc := object.union(with_limits({"maxPodCPU": {"value": "1", "number": 1000, "source": src}}), {"group": ""})
	some v in quota.violation with input as doc
	contains(v.message, "namespace \"etl\" allows at most 1 per pod")
}

test_executor_without_app_denied_when_per_app_limit if {
	doc := object.union(with_limits({"maxExecutorsPerApp": {"value": 20, "number": 20, "source": src}}), {"app": ""})
	quota.violation == {{"check": "maxExecutorsPerApp", "message": "executor has no spark-app-selector label; group \"core-data\" allows at most 20 executors per app (NamespaceOverrides layer \"ns-etl\"), so every executor must name its app"}} with input as doc
	count(quota.violation) == 0 with input as object.union(base, {"app": ""})
	count(quota.violation) == 0 with input as object.union(with_limits({"maxExecutorsPerApp": {"value": 20, "number": 20, "source": src}}), {"app": "", "role": "driver"})
}
