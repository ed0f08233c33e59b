# Quota: per-pod size, executors per Spark application, and namespace totals
# over the pods that hold resources in the namespace. Limits come from the layers (limits.*); each
# message names the limit and the layer that set it.
package strata.quota

import rego.v1

limit(name) := input.config.limits[name]

# Who the limit is for: the namespace's group, else the namespace.
subject := sprintf("group %q", [input.group]) if input.group != ""

else := sprintf("namespace %q", [input.request.namespace])

violation contains {"check": "maxPodCPU", "message": msg} if {
	l := limit("maxPodCPU")
	input.resources.cpuMilli > l.number
	msg := sprintf("pod requests %s CPU; %s allows at most %s per pod (%s)", [cpu(input.resources.cpuMilli), subject, l.value, l.source])
}

violation contains {"check": "maxPodMemory", "message": msg} if {
	l := limit("maxPodMemory")
	input.resources.memoryBytes > l.number
	msg := sprintf("pod requests %s memory; %s allows at most %s per pod (%s)", [memory(input.resources.memoryBytes), subject, l.value, l.source])
}

violation contains {"check": "maxExecutorsPerApp", "message": msg} if {
	input.role == "executor"
	l := limit("maxExecutorsPerApp")
	input.app != ""
	n := input.inventory.appExecutors + 1
	n > l.number
	msg := sprintf("app %q would have %d executors; %s allows at most %d per app (%s)", [input.app, n, subject, l.number, l.source])
}

# An executor that names no application would escape the per-app count.
violation contains {"check": "maxExecutorsPerApp", "message": msg} if {
	input.role == "executor"
	l := limit("maxExecutorsPerApp")
	input.app == ""
	msg := sprintf("executor has no spark-app-selector label; %s allows at most %d executors per app (%s), so every executor must name its app", [subject, l.number, l.source])
}

violation contains {"check": "namespaceCPU", "message": msg} if {
	l := limit("namespaceCPU")
	total := input.inventory.namespace.cpuMilli + input.resources.cpuMilli
	total > l.number
	msg := sprintf("namespace %q would request %s CPU in total; %s allows at most %s (%s)", [input.request.namespace, cpu(total), subject, l.value, l.source])
}

violation contains {"check": "namespaceMemory", "message": msg} if {
	l := limit("namespaceMemory")
	total := input.inventory.namespace.memoryBytes + input.resources.memoryBytes
	total > l.number
	msg := sprintf("namespace %q would request %s memory in total; %s allows at most %s (%s)", [input.request.namespace, memory(total), subject, l.value, l.source])
}

violation contains {"check": "namespacePods", "message": msg} if {
	l := limit("namespacePods")
	n := input.inventory.namespace.pods + 1
	n > l.number
	msg := sprintf("namespace %q would have %d pods; %s allows at most %d (%s)", [input.request.namespace, n, subject, l.number, l.source])
}

# cpu renders millicores as Kubernetes does: 16, or 1500m.
cpu(m) := format_int(m / 1000, 10) if m % 1000 == 0

else := sprintf("%sm", [format_int(m, 10)])

# memory renders bytes in the largest binary unit that divides them.
memory(b) := sprintf("%sGi", [format_int(b / 1073741824, 10)]) if b % 1073741824 == 0

else := sprintf("%sMi", [format_int(b / 1048576, 10)]) if b % 1048576 == 0

else := sprintf("%sKi", [format_int(b / 1024, 10)]) if b % 1024 == 0

else := format_int(b, 10)
