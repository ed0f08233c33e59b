package strata.quota_test

import rego.v1

import data.strata.quota

base := {
	"request": {"namespace": "etl", "operation": "CREATE"},
	"role": "executor",
	"app": "spark-1",
	"group": "core-data",
	"resources": {"cpuMilli": 4000, "memoryBytes": 8589934592, "pods": 1},
	"inventory": {"namespace": {"cpuMilli": 0, "memoryBytes": 0, "pods": 0}, "appExecutors": 0, "app": {"cpuMilli": 0, "memoryBytes": 0, "pods": 0}},
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

# A pod that requests none of a limited resource would count for none of it.
test_no_request_under_a_limit if {
	limits := {
		"maxPodCPU": {"value": "16", "number": 16000, "source": src},
		"maxAppMemory": {"value": "64Gi", "number": 68719476736, "source": src},
		"maxPodMemory": {"value": "32Gi", "number": 34359738368, "source": src},
	}
	doc := object.union(with_limits(limits), {"resources": {"cpuMilli": 0, "memoryBytes": 0, "pods": 1}})
	quota.violation == {
		{"check": "maxPodCPU", "message": "pod requests no CPU, so no limit counts what it uses; group \"core-data\" limits maxPodCPU to 16 (NamespaceOverrides layer \"ns-etl\"), so every pod must request CPU"},
		{"check": "maxAppMemory", "message": "pod requests no memory, so no limit counts what it uses; group \"core-data\" limits maxAppMemory to 64Gi (NamespaceOverrides layer \"ns-etl\"), so every pod must request memory"},
	} with input as doc
}

test_no_request_names_the_namespace_limit_first if {
	limits := {
		"namespaceCPU": {"value": "200", "number": 200000, "source": src},
		"maxAppCPU": {"value": "20", "number": 20000, "source": src},
		"maxPodCPU": {"value": "16", "number": 16000, "source": src},
	}
	doc := object.union(with_limits(limits), {"resources": {"cpuMilli": 0, "memoryBytes": 1, "pods": 1}})
	{v.check | some v in quota.violation} == {"namespaceCPU"} with input as doc
}

test_no_request_without_a_limit_on_it_allowed if {
	cpu_limited := object.union(with_limits({"namespaceCPU": {"value": "200", "number": 200000, "source": src}}), {"resources": {"cpuMilli": 1, "memoryBytes": 0, "pods": 1}})
	count(quota.violation) == 0 with input as cpu_limited
	unlimited := object.union(base, {"resources": {"cpuMilli": 0, "memoryBytes": 0, "pods": 1}})
	count(quota.violation) == 0 with input as unlimited
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

test_namespace_memory_total if {
	doc := object.union(
		with_limits({"namespaceMemory": {"value": "16Gi", "number": 17179869184, "source": src}}),
		{"inventory": {"namespace": {"cpuMilli": 0, "memoryBytes": 8589934593, "pods": 0}}},
	)
	quota.violation == {{"check": "namespaceMemory", "message": "namespace \"etl\" would request 17179869185 memory in total; group \"core-data\" allows at most 16Gi (NamespaceOverrides layer \"ns-etl\")"}} with input as doc
}

# Exactly at each namespace total is allowed: a limit is the most the namespace may hold.
test_namespace_totals_at_limit_allowed if {
	doc := object.union(
		with_limits({
			"namespaceCPU": {"value": "11", "number": 11000, "source": src},
			"namespaceMemory": {"value": "16Gi", "number": 17179869184, "source": src},
			"namespacePods": {"value": 4, "number": 4, "source": src},
		}),
		{"inventory": {"namespace": {"cpuMilli": 7000, "memoryBytes": 8589934592, "pods": 3}}},
	)
	count(quota.violation) == 0 with input as doc
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

# A SparkApplication at submission: 1 driver (1 CPU, 2Gi) and 10 executors (2 CPU, 4Gi each).
app_doc := {
	"name": "nightly",
	"driver": {"cpuMilli": 1000, "memoryBytes": 2147483648, "pods": 1},
	"executor": {"cpuMilli": 2000, "memoryBytes": 4294967296, "pods": 1},
	"executors": 10,
	"dynamicAllocation": false,
	"bounded": true,
	"total": {"cpuMilli": 21000, "memoryBytes": 45097156608, "pods": 11},
}

with_app(limits) := object.union(with_limits(limits), {"application": app_doc})

test_app_cpu_over_limit if {
	doc := with_app({"maxAppCPU": {"value": "20", "number": 20000, "source": src}})
	quota.violation == {{"check": "maxAppCPU", "message": "app \"nightly\" requests 21 CPU with all 10 executors; group \"core-data\" allows at most 20 per app (NamespaceOverrides layer \"ns-etl\")"}} with input as doc
}

test_app_that_fits_allowed if {
	doc := with_app({
		"maxAppCPU": {"value": "21", "number": 21000, "source": src},
		"maxAppMemory": {"value": "42Gi", "number": 45097156608, "source": src},
		"maxExecutorsPerApp": {"value": 10, "number": 10, "source": src},
		"namespacePods": {"value": 11, "number": 11, "source": src},
	})
	count(quota.violation) == 0 with input as doc
}

test_app_memory_and_executors_over_limit if {
	doc := with_app({
		"maxAppMemory": {"value": "40Gi", "number": 42949672960, "source": src},
		"maxExecutorsPerApp": {"value": 8, "number": 8, "source": src},
	})
	{v.check | some v in quota.violation} == {"maxAppMemory", "maxExecutorsPerApp"} with input as doc
}

# The namespace's live pods plus the whole application, not one pod.
test_app_namespace_totals_count_every_executor if {
	doc := object.union(with_app({"namespaceCPU": {"value": "30", "number": 30000, "source": src}}), {"inventory": {"namespace": {"cpuMilli": 10000, "memoryBytes": 0, "pods": 3}, "appExecutors": 0}})
	quota.violation == {{"check": "namespaceCPU", "message": "app \"nightly\" would bring namespace \"etl\" to 31 CPU with all its executors; group \"core-data\" allows at most 30 (NamespaceOverrides layer \"ns-etl\")"}} with input as doc
}

test_app_namespace_memory_and_pods_count_every_executor if {
	doc := object.union(
		with_app({
			"namespaceMemory": {"value": "42Gi", "number": 45097156608, "source": src},
			"namespacePods": {"value": 13, "number": 13, "source": src},
		}),
		{"inventory": {"namespace": {"cpuMilli": 0, "memoryBytes": 1073741824, "pods": 3}, "appExecutors": 0}},
	)
	{v.message | some v in quota.violation} == {
		"app \"nightly\" would bring namespace \"etl\" to 43Gi memory with all its executors; group \"core-data\" allows at most 42Gi (NamespaceOverrides layer \"ns-etl\")",
		"app \"nightly\" would bring namespace \"etl\" to 14 pods with all its executors; group \"core-data\" allows at most 13 (NamespaceOverrides layer \"ns-etl\")",
	} with input as doc
}

test_app_namespace_totals_at_limit_allowed if {
	doc := object.union(
		with_app({
			"namespaceCPU": {"value": "31", "number": 31000, "source": src},
			"namespaceMemory": {"value": "42Gi", "number": 45097156608, "source": src},
			"namespacePods": {"value": 14, "number": 14, "source": src},
		}),
		{"inventory": {"namespace": {"cpuMilli": 10000, "memoryBytes": 0, "pods": 3}, "appExecutors": 0}},
	)
	count(quota.violation) == 0 with input as doc
}

test_app_unbounded_dynamic_allocation_refused if {
	unbounded := object.union(app_doc, {"executors": -1, "dynamicAllocation": true, "bounded": false})
	doc := object.union(with_limits({"maxExecutorsPerApp": {"value": 50, "number": 50, "source": src}}), {"application": unbounded})
	{v.check | some v in quota.violation} == {"maxExecutorsPerApp"} with input as doc
}

test_app_cpu_with_its_live_pods if {
	doc := object.union(with_limits({"maxAppCPU": {"value": "20", "number": 20000, "source": src}}), {"inventory": {"app": {"cpuMilli": 17000, "memoryBytes": 0, "pods": 4}}})
	quota.violation == {{"check": "maxAppCPU", "message": "app \"spark-1\" would request 21 CPU with its live pods; group \"core-data\" allows at most 20 per app (NamespaceOverrides layer \"ns-etl\")"}} with input as doc
}

test_app_cpu_at_limit_allowed if {
	doc := object.union(with_limits({"maxAppCPU": {"value": "20", "number": 20000, "source": src}}), {"inventory": {"app": {"cpuMilli": 16000, "memoryBytes": 0, "pods": 4}}})
	count(quota.violation) == 0 with input as doc
}

test_app_memory_with_its_live_pods_driver_too if {
	doc := object.union(with_limits({"maxAppMemory": {"value": "10Gi", "number": 10737418240, "source": src}}), {"role": "driver", "inventory": {"app": {"cpuMilli": 0, "memoryBytes": 4294967296, "pods": 1}}})
	quota.violation == {{"check": "maxAppMemory", "message": "app \"spark-1\" would request 12Gi memory with its live pods; group \"core-data\" allows at most 10Gi per app (NamespaceOverrides layer \"ns-etl\")"}} with input as doc
}

test_executor_without_app_under_app_totals if {
	doc := object.union(with_limits({"maxAppCPU": {"value": "20", "number": 20000, "source": src}}), {"app": ""})
	quota.violation == {{"check": "maxAppCPU", "message": "executor has no spark-app-selector label; group \"core-data\" limits maxAppCPU to 20 per app (NamespaceOverrides layer \"ns-etl\"), so every executor must name its app"}} with input as doc
}

test_driver_without_app_is_not_an_app if {
	doc := object.union(with_limits({"maxAppCPU": {"value": "20", "number": 20000, "source": src}}), {"app": "", "role": "driver"})
	count(quota.violation) == 0 with input as doc
}

test_app_totals_at_submission_are_the_application_s if {
	doc := object.union(with_app({"maxAppCPU": {"value": "100", "number": 100000, "source": src}}), {"inventory": {"app": {"cpuMilli": 99000, "memoryBytes": 0, "pods": 1}}})
	count(quota.violation) == 0 with input as doc
}

# How often the operator submits an application on its own.
interval_limit := {"minSubmissionIntervalSeconds": {"value": 60, "number": 60, "source": src}}

with_restart(policy) := object.union(with_app(interval_limit), {"application": {"restartPolicy": policy}})

interval_messages(doc) := messages if {
	messages := {v.message | some v in quota.violation; v.check == "minSubmissionIntervalSeconds"} with input as doc
}

test_restart_always_refused_under_the_limit if {
	interval_messages(with_restart({"type": "Always", "onFailureRetryInterval": 300, "onSubmissionFailureRetryInterval": 300})) == {"app \"nightly\": restartPolicy.type Always: the operator submits an application that succeeded again at once; group \"core-data\" allows no less than 60s between submissions (NamespaceOverrides layer \"ns-etl\"): use OnFailure"}
	count(quota.violation) == 0 with input as object.union(base, {"application": object.union(app_doc, {"restartPolicy": {"type": "Always"}})})
}

test_retry_intervals_under_the_limit_refused if {
	doc := with_restart({"type": "OnFailure", "onFailureRetries": 3, "onFailureRetryInterval": 10, "onSubmissionFailureRetries": 5, "onSubmissionFailureRetryInterval": 0})
	interval_messages(doc) == {
		"app \"nightly\": restartPolicy.onFailureRetryInterval is 10s, so the operator may submit it again that soon; group \"core-data\" allows no less than 60s between submissions (NamespaceOverrides layer \"ns-etl\")",
		"app \"nightly\": restartPolicy.onSubmissionFailureRetryInterval is 0s, so the operator may submit it again that soon; group \"core-data\" allows no less than 60s between submissions (NamespaceOverrides layer \"ns-etl\")",
	}
}

# An interval the operator never waits (no retries left, or Never) is no submission; nor is a retry
# without an interval (the operator does not retry then); an interval at the limit is allowed.
test_retry_intervals_the_operator_never_uses_allowed if {
	count(interval_messages(with_restart({"type": "OnFailure", "onFailureRetries": 0, "onFailureRetryInterval": 1, "onSubmissionFailureRetryInterval": 1}))) == 0
	count(interval_messages(with_restart({"type": "Never", "onFailureRetries": 3, "onFailureRetryInterval": 1}))) == 0
	count(interval_messages(with_restart({"type": "OnFailure", "onFailureRetries": 3, "onSubmissionFailureRetries": 3}))) == 0
	count(interval_messages(with_restart({"type": "OnFailure", "onFailureRetries": 3, "onFailureRetryInterval": 60}))) == 0
	count(interval_messages(with_restart({"type": "always", "onFailureRetryInterval": 1}))) == 0
}

test_schedule_under_the_limit_refused if {
	doc := object.union(with_app(interval_limit), {"application": {"schedule": {"name": "nightly", "cron": "@every 10s", "leastIntervalSeconds": 10}}})
	interval_messages(doc) == {"ScheduledSparkApplication \"nightly\" starts a run as often as every 10s (schedule \"@every 10s\"); group \"core-data\" allows no less than 60s between submissions (NamespaceOverrides layer \"ns-etl\")"}
	at_limit := object.union(with_app(interval_limit), {"application": {"schedule": {"name": "nightly", "cron": "* * * * *", "leastIntervalSeconds": 60}}})
	count(quota.violation) == 0 with input as at_limit
	never_runs := object.union(with_app(interval_limit), {"application": {"schedule": {"name": "nightly", "cron": "TZ=UTC"}}})
	count(quota.violation) == 0 with input as never_runs
}

# What Volcano holds for a gang before placing its pods: a PodGroup's minResources, or the
# application's batchSchedulerOptions.resources the operator writes there, held to one
# application's and the namespace's limits.
held_limits := {
	"maxAppCPU": {"value": "20", "number": 20000, "source": src},
	"maxAppMemory": {"value": "40Gi", "number": 42949672960, "source": src},
	"namespaceCPU": {"value": "100", "number": 100000, "source": src},
	"namespaceMemory": {"value": "200Gi", "number": 214748364800, "source": src},
}

pod_group(held) := object.union(with_limits(held_limits), {"podGroup": {"name": "pg", "minResources": held}})

test_podgroup_that_holds_more_than_an_app if {
	quota.podgroup_violation == {
		{"check": "maxAppCPU", "message": "PodGroup \"pg\": spec.minResources has Volcano hold 20001m CPU for the gang before it places any of its pods; group \"core-data\" allows at most 20 per app (NamespaceOverrides layer \"ns-etl\")"},
		{"check": "maxAppMemory", "message": "PodGroup \"pg\": spec.minResources has Volcano hold 41Gi memory for the gang before it places any of its pods; group \"core-data\" allows at most 40Gi per app (NamespaceOverrides layer \"ns-etl\")"},
	} with input as pod_group({"cpuMilli": 20001, "memoryBytes": 44023414784, "cpu": "20001m", "memory": "41Gi"})
}

test_podgroup_that_holds_more_than_its_namespace if {
	quota.podgroup_violation == {
		{"check": "maxAppCPU", "message": "PodGroup \"pg\": spec.minResources has Volcano hold 1M CPU for the gang before it places any of its pods; group \"core-data\" allows at most 20 per app (NamespaceOverrides layer \"ns-etl\")"},
		{"check": "namespaceCPU", "message": "PodGroup \"pg\": spec.minResources has Volcano hold 1M CPU for the gang before it places any of its pods; group \"core-data\" allows at most 100 for the whole namespace (NamespaceOverrides layer \"ns-etl\")"},
	} with input as pod_group({"cpuMilli": 1000000000, "memoryBytes": 0, "cpu": "1M", "memory": "0"})
}

test_podgroup_at_the_limits_allowed if {
	count(quota.podgroup_violation) == 0 with input as pod_group({"cpuMilli": 20000, "memoryBytes": 42949672960})
	count(quota.podgroup_violation) == 0 with input as object.union(base, {"podGroup": {"name": "pg", "minResources": {"cpuMilli": 1000000000, "memoryBytes": 0, "cpu": "1M", "memory": "0"}}})
	count(quota.podgroup_violation) == 0 with input as object.union(with_limits(held_limits), {"podGroup": {"name": "pg"}})
}

test_app_that_has_volcano_hold_more_than_it_may_run if {
	doc := object.union(with_app(held_limits), {"application": {"total": {"cpuMilli": 2000, "memoryBytes": 1, "pods": 2}, "batchSchedulerOptions": {"resources": {"cpuMilli": 1000, "memoryBytes": 214748364801, "cpu": "1", "memory": "214748364801"}}}})
	quota.violation == {
		{"check": "maxAppMemory", "message": "app \"nightly\": spec.batchSchedulerOptions.resources has Volcano hold 214748364801 memory for its PodGroup before it places any of its pods; group \"core-data\" allows at most 40Gi per app (NamespaceOverrides layer \"ns-etl\")"},
		{"check": "namespaceMemory", "message": "app \"nightly\": spec.batchSchedulerOptions.resources has Volcano hold 214748364801 memory for its PodGroup before it places any of its pods; group \"core-data\" allows at most 200Gi for the whole namespace (NamespaceOverrides layer \"ns-etl\")"},
	} with input as doc
	count(quota.violation) == 0 with input as object.union(with_app(held_limits), {"application": {"total": {"cpuMilli": 2000, "memoryBytes": 1, "pods": 2}, "batchSchedulerOptions": {"resources": {"cpuMilli": 20000, "memoryBytes": 0, "cpu": "20", "memory": "0"}}}})
}

# Many gangs, each within bounds, hold no more together than the namespace may run.
waiting(cpu, mem) := object.union(
	pod_group({"cpuMilli": 20000, "memoryBytes": 42949672960, "cpu": "20", "memory": "40Gi"}),
	{"podGroup": {"namespaceHeld": {"cpuMilli": cpu, "memoryBytes": mem}}},
)

test_podgroup_with_the_namespace_s_waiting_gangs if {
	count(quota.podgroup_violation) == 0 with input as waiting(80000, 171798691840)
	quota.podgroup_violation == {
		{"check": "namespaceCPU", "message": "PodGroup \"pg\": spec.minResources has Volcano hold 20 CPU for the gang, 100001m with the namespace's other gangs waiting to run; group \"core-data\" allows at most 100 for the whole namespace (NamespaceOverrides layer \"ns-etl\")"},
		{"check": "namespaceMemory", "message": "PodGroup \"pg\": spec.minResources has Volcano hold 40Gi memory for the gang, 214748364801 with the namespace's other gangs waiting to run; group \"core-data\" allows at most 200Gi for the whole namespace (NamespaceOverrides layer \"ns-etl\")"},
	} with input as waiting(80001, 171798691841)
}

# A gang over the namespace's total alone is refused once, for itself.
test_podgroup_over_the_namespace_alone_once if {
	doc := object.union(pod_group({"cpuMilli": 100001, "memoryBytes": 0, "cpu": "100001m", "memory": "0"}), {"podGroup": {"namespaceHeld": {"cpuMilli": 5000, "memoryBytes": 0}}})
	{v.check | some v in quota.podgroup_violation} == {"maxAppCPU", "namespaceCPU"} with input as doc
	count(quota.podgroup_violation) == 2 with input as doc
}
