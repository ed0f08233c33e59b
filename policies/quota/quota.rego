# Quota: per-pod size, executors per Spark application, namespace totals over the pods that hold
# resources in the namespace, and how often the operator submits an application on its own. Limits
# come from the layers (limits.*); each message names the limit and the layer that set it.
#
# A SparkApplication is judged at submission by the pods it will launch; its executor's input
# carries input.application, the whole application (driver and every executor it may run), which
# is checked against maxExecutorsPerApp, maxAppCPU, maxAppMemory and the namespace totals instead
# of the one pod. A pod is checked against maxAppCPU and maxAppMemory with its application's live
# pods (input.inventory.app).
package strata.quota

import rego.v1

# Each rule reads its limit as input.config.limits.NAME: a helper function called by every rule was a
# quarter of this policy's evaluation time. Likewise no rule starts by referring to another rule
# (app := input.application as a rule), nor a pod's rule by negating one (not input.application):
# each is looked up on every evaluation, and most evaluations end at a rule's first check. A pod's
# rule asks whether there is an application after its own check (BENCHMARKS.md).

# Who the limit is for: the namespace's group, else the namespace.
subject := sprintf("group %q", [input.group]) if input.group != ""

else := sprintf("namespace %q", [input.request.namespace])

violation contains {"check": "maxPodCPU", "message": msg} if {
	l := input.config.limits.maxPodCPU
	input.resources.cpuMilli > l.number
	msg := sprintf("pod requests %s CPU; %s allows at most %s per pod (%s)", [cpu(input.resources.cpuMilli), subject, l.value, l.source])
}

violation contains {"check": "maxPodMemory", "message": msg} if {
	l := input.config.limits.maxPodMemory
	input.resources.memoryBytes > l.number
	msg := sprintf("pod requests %s memory; %s allows at most %s per pod (%s)", [memory(input.resources.memoryBytes), subject, l.value, l.source])
}

# A pod that requests none of a resource counts for none of it, however much of it it uses: no limit
# on that resource would hold a tenant's pods that request none. As ResourceQuota refuses a pod that
# requests none of a resource it limits, every pod must request CPU where a limit on CPU applies,
# and memory where one on memory does (a LimitRange's default requests give them to pods that name
# none). The limit named is the first that applies of the namespace's, the app's and the pod's.
violation contains {"check": name, "message": msg} if {
	input.resources.cpuMilli == 0
	name := first_limit(["namespaceCPU", "maxAppCPU", "maxPodCPU"])
	msg := unrequested(name, "CPU")
}

violation contains {"check": name, "message": msg} if {
	input.resources.memoryBytes == 0
	name := first_limit(["namespaceMemory", "maxAppMemory", "maxPodMemory"])
	msg := unrequested(name, "memory")
}

# first_limit(names) is the first of the limits named that applies (undefined when none does).
first_limit(names) := [n | some n in names; input.config.limits[n]][0]

unrequested(name, what) := sprintf("pod requests no %s, so no limit counts what it uses; %s limits %s to %s (%s), so every pod must request %s", [what, subject, name, l.value, l.source, what]) if {
	l := input.config.limits[name]
}

violation contains {"check": "maxExecutorsPerApp", "message": msg} if {
	input.role == "executor"
	l := input.config.limits.maxExecutorsPerApp
	input.app != ""
	n := input.inventory.appExecutors + 1
	n > l.number
	not input.application
	msg := sprintf("app %q would have %d executors; %s allows at most %d per app (%s)", [input.app, n, subject, l.number, l.source])
}

# An executor that names no application would escape the per-app count.
violation contains {"check": "maxExecutorsPerApp", "message": msg} if {
	input.role == "executor"
	l := input.config.limits.maxExecutorsPerApp
	input.app == ""
	not input.application
	msg := sprintf("executor has no spark-app-selector label; %s allows at most %d executors per app (%s), so every executor must name its app", [subject, l.number, l.source])
}

# The whole application, as its pods join it: what its live pods (driver and executors, whoever
# created them) request, with the pod. At submission a SparkApplication is checked against every
# executor it may run (below); this holds for pods the check could not foresee, or that no
# SparkApplication launched.
violation contains {"check": "maxAppCPU", "message": msg} if {
	l := input.config.limits.maxAppCPU
	input.app != ""
	total := input.inventory.app.cpuMilli + input.resources.cpuMilli
	total > l.number
	not input.application
	msg := sprintf("app %q would request %s CPU with its live pods; %s allows at most %s per app (%s)", [input.app, cpu(total), subject, l.value, l.source])
}

violation contains {"check": "maxAppMemory", "message": msg} if {
	l := input.config.limits.maxAppMemory
	input.app != ""
	total := input.inventory.app.memoryBytes + input.resources.memoryBytes
	total > l.number
	not input.application
	msg := sprintf("app %q would request %s memory with its live pods; %s allows at most %s per app (%s)", [input.app, memory(total), subject, l.value, l.source])
}

# An executor that names no application would escape the whole-app totals.
violation contains {"check": name, "message": msg} if {
	input.role == "executor"
	input.app == ""
	some name in ["maxAppCPU", "maxAppMemory"]
	l := input.config.limits[name]
	not input.application
	msg := sprintf("executor has no spark-app-selector label; %s limits %s to %s per app (%s), so every executor must name its app", [subject, name, l.value, l.source])
}

violation contains {"check": "namespaceCPU", "message": msg} if {
	l := input.config.limits.namespaceCPU
	total := input.inventory.namespace.cpuMilli + input.resources.cpuMilli
	total > l.number
	not input.application
	msg := sprintf("namespace %q would request %s CPU in total; %s allows at most %s (%s)", [input.request.namespace, cpu(total), subject, l.value, l.source])
}

violation contains {"check": "namespaceMemory", "message": msg} if {
	l := input.config.limits.namespaceMemory
	total := input.inventory.namespace.memoryBytes + input.resources.memoryBytes
	total > l.number
	not input.application
	msg := sprintf("namespace %q would request %s memory in total; %s allows at most %s (%s)", [input.request.namespace, memory(total), subject, l.value, l.source])
}

violation contains {"check": "namespacePods", "message": msg} if {
	l := input.config.limits.namespacePods
	n := input.inventory.namespace.pods + 1
	n > l.number
	not input.application
	msg := sprintf("namespace %q would have %d pods; %s allows at most %d (%s)", [input.request.namespace, n, subject, l.number, l.source])
}

# The whole application, at submission. Each rule reads it into a variable of its own (app :=
# input.application) rather than through a rule of that name, and ends there for a pod.

violation contains {"check": "maxExecutorsPerApp", "message": msg} if {
	app := input.application
	app.bounded
	l := input.config.limits.maxExecutorsPerApp
	app.executors > l.number
	msg := sprintf("app %q asks for up to %d executors; %s allows at most %d per app (%s)", [app.name, app.executors, subject, l.number, l.source])
}

# Dynamic allocation without maxExecutors may grow without bound: no limit on the whole
# application or the namespace can hold it. (app.bounded == false, not "not app.bounded": a pod
# has no input.application, and the rule must stop there, before trying every limit.)
violation contains {"check": name, "message": msg} if {
	app := input.application
	app.bounded == false
	some name in ["maxExecutorsPerApp", "maxAppCPU", "maxAppMemory", "namespaceCPU", "namespaceMemory", "namespacePods"]
	l := input.config.limits[name]
	msg := sprintf("app %q enables dynamic allocation without spark.dynamicAllocation.maxExecutors, so nothing bounds its executors; %s limits %s to %v (%s)", [app.name, subject, name, l.value, l.source])
}

violation contains {"check": "maxAppCPU", "message": msg} if {
	app := input.application
	app.bounded
	l := input.config.limits.maxAppCPU
	app.total.cpuMilli > l.number
	msg := sprintf("app %q requests %s CPU with all %d executors; %s allows at most %s per app (%s)", [app.name, cpu(app.total.cpuMilli), app.executors, subject, l.value, l.source])
}

violation contains {"check": "maxAppMemory", "message": msg} if {
	app := input.application
	app.bounded
	l := input.config.limits.maxAppMemory
	app.total.memoryBytes > l.number
	msg := sprintf("app %q requests %s memory with all %d executors; %s allows at most %s per app (%s)", [app.name, memory(app.total.memoryBytes), app.executors, subject, l.value, l.source])
}

violation contains {"check": "namespaceCPU", "message": msg} if {
	app := input.application
	app.bounded
	l := input.config.limits.namespaceCPU
	total := input.inventory.namespace.cpuMilli + app.total.cpuMilli
	total > l.number
	msg := sprintf("app %q would bring namespace %q to %s CPU with all its executors; %s allows at most %s (%s)", [app.name, input.request.namespace, cpu(total), subject, l.value, l.source])
}

violation contains {"check": "namespaceMemory", "message": msg} if {
	app := input.application
	app.bounded
	l := input.config.limits.namespaceMemory
	total := input.inventory.namespace.memoryBytes + app.total.memoryBytes
	total > l.number
	msg := sprintf("app %q would bring namespace %q to %s memory with all its executors; %s allows at most %s (%s)", [app.name, input.request.namespace, memory(total), subject, l.value, l.source])
}

violation contains {"check": "namespacePods", "message": msg} if {
	app := input.application
	app.bounded
	l := input.config.limits.namespacePods
	n := input.inventory.namespace.pods + app.total.pods
	n > l.number
	msg := sprintf("app %q would bring namespace %q to %d pods with all its executors; %s allows at most %d (%s)", [app.name, input.request.namespace, n, subject, l.number, l.source])
}

# What Volcano holds for a gang before it places any of its pods: a PodGroup's spec.minResources,
# which the operator writes from an application's spec.batchSchedulerOptions.resources when it is
# set. Volcano admits a PodGroup into its queue only while what every admitted gang not yet running
# holds fits what is idle (the overcommit plugin, cluster-wide; proportion and capacity, per queue),
# so a gang that holds more than its application or namespace may ever run keeps every other
# tenant's gangs waiting, with no pod of its own. It is held to what one application and the
# namespace may request.
podgroup_violation contains {"check": name, "message": msg} if {
	some [name, amount, l, render] in held_over(input.podGroup.minResources)
	msg := sprintf("PodGroup %q: spec.minResources has Volcano hold %s for the gang before it places any of its pods; %s", [input.podGroup.name, render, allows(name, l)])
}

# And with what the namespace's other gangs waiting to run hold (input.podGroup.namespaceHeld: those
# Pending or Inqueue, or with no phase yet; once any of a gang's pods is placed, its pods count
# themselves), so that many gangs, each within bounds, cannot hold together more than the namespace
# may run.
podgroup_violation contains {"check": "namespaceCPU", "message": msg} if {
	l := input.config.limits.namespaceCPU
	held := input.podGroup.minResources.cpuMilli
	held <= l.number
	total := input.podGroup.namespaceHeld.cpuMilli + held
	total > l.number
	msg := sprintf("PodGroup %q: spec.minResources has Volcano hold %s CPU for the gang, %s with the namespace's other gangs waiting to run; %s allows at most %s for the whole namespace (%s)", [input.podGroup.name, input.podGroup.minResources.cpu, cpu(total), subject, l.value, l.source])
}

podgroup_violation contains {"check": "namespaceMemory", "message": msg} if {
	l := input.config.limits.namespaceMemory
	held := input.podGroup.minResources.memoryBytes
	held <= l.number
	total := input.podGroup.namespaceHeld.memoryBytes + held
	total > l.number
	msg := sprintf("PodGroup %q: spec.minResources has Volcano hold %s memory for the gang, %s with the namespace's other gangs waiting to run; %s allows at most %s for the whole namespace (%s)", [input.podGroup.name, input.podGroup.minResources.memory, memory(total), subject, l.value, l.source])
}

violation contains {"check": name, "message": msg} if {
	app := input.application
	some [name, amount, l, render] in held_over(app.batchSchedulerOptions.resources)
	msg := sprintf("app %q: spec.batchSchedulerOptions.resources has Volcano hold %s for its PodGroup before it places any of its pods; %s", [app.name, render, allows(name, l)])
}

# held_over(held) are the limits an amount held ({cpuMilli, memoryBytes, cpu, memory}: counted, and
# as quantities) is over: [check, amount, limit, the amount as a quantity].
held_over(held) := {[name, amount, l, sprintf("%s %s", [held[written], what])] |
	some [name, field, written, what] in [
		["maxAppCPU", "cpuMilli", "cpu", "CPU"], ["namespaceCPU", "cpuMilli", "cpu", "CPU"],
		["maxAppMemory", "memoryBytes", "memory", "memory"], ["namespaceMemory", "memoryBytes", "memory", "memory"],
	]
	l := input.config.limits[name]
	amount := held[field]
	amount > l.number
}

allows(name, l) := sprintf("%s allows at most %s per app (%s)", [subject, l.value, l.source]) if startswith(name, "maxApp")

else := sprintf("%s allows at most %s for the whole namespace (%s)", [subject, l.value, l.source])

# How often the operator submits an application on its own: each submission runs spark-submit in
# the operator, which every tenant shares. (Only what the operator does again without the tenant:
# an application the tenant writes again is a new submission it makes itself.)
violation contains {"check": "minSubmissionIntervalSeconds", "message": msg} if {
	app := input.application
	app.restartPolicy.type == "Always"
	l := input.config.limits.minSubmissionIntervalSeconds
	msg := sprintf("app %q: restartPolicy.type Always: the operator submits an application that succeeded again at once; %s allows no less than %ds between submissions (%s): use OnFailure", [app.name, subject, l.number, l.source])
}

violation contains {"check": "minSubmissionIntervalSeconds", "message": msg} if {
	app := input.application
	restarts := app.restartPolicy
	some name in ["onFailureRetryInterval", "onSubmissionFailureRetryInterval"]
	s := restarts[name]
	retried(name)
	l := input.config.limits.minSubmissionIntervalSeconds
	s < l.number
	msg := sprintf("app %q: restartPolicy.%s is %ds, so the operator may submit it again that soon; %s allows no less than %ds between submissions (%s)", [app.name, name, s, subject, l.number, l.source])
}

violation contains {"check": "minSubmissionIntervalSeconds", "message": msg} if {
	app := input.application
	s := app.schedule.leastIntervalSeconds
	l := input.config.limits.minSubmissionIntervalSeconds
	s < l.number
	msg := sprintf("ScheduledSparkApplication %q starts a run as often as every %ds (schedule %q); %s allows no less than %ds between submissions (%s)", [app.schedule.name, s, app.schedule.cron, subject, l.number, l.source])
}

# retried(interval): the operator waits that interval of the restart policy (times the attempts so
# far) before it submits again: with Always, after any failure; with OnFailure, while retries are
# left. (Without the interval it never retries.)
retried(_) if input.application.restartPolicy.type == "Always"

retried("onFailureRetryInterval") if {
	input.application.restartPolicy.type == "OnFailure"
	input.application.restartPolicy.onFailureRetries > 0
}

retried("onSubmissionFailureRetryInterval") if {
	input.application.restartPolicy.type == "OnFailure"
	input.application.restartPolicy.onSubmissionFailureRetries > 0
}

# cpu renders millicores as Kubernetes does: 16, or 1500m.
cpu(m) := format_int(m / 1000, 10) if m % 1000 == 0

else := sprintf("%sm", [format_int(m, 10)])

# memory renders bytes in the largest binary unit that divides them.
memory(b) := sprintf("%sGi", [format_int(b / 1073741824, 10)]) if b % 1073741824 == 0

else := sprintf("%sMi", [format_int(b / 1048576, 10)]) if b % 1048576 == 0

else := sprintf("%sKi", [format_int(b / 1024, 10)]) if b % 1024 == 0

else := format_int(b, 10)
