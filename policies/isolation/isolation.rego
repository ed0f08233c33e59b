# Isolation: what a tenant may not reach. The rules' parameters come from
# the layers (isolation.*); the fields checked are those the tenant wrote
# (input.user, attributed by provenance), so the platform's own values are
# never held against a tenant. The Pod Security Standards baseline checks
# are in baseline.rego, same package.

# METADATA
# custom:
#   # What of each container this policy never reads: left out of input.pod (see README).
#   unread_container_fields: [args, command, env, envFrom, resources, volumeMounts, workingDir]
package strata.isolation

import rego.v1

# Each rule reads its parameter as input.config.isolation.NAME, not through a helper function: a
# function call per rule costs more than the rule's own check. For the same reason a rule asks
# whether a placement controller made the request (not placed_by_controller) after its own check,
# which ends most evaluations first.

namespace := input.request.namespace

# Request annotations Strata defines for users; never reserved.
user_request_annotations := {"strata.dev/iam-role"}

# Every IAM role the pod carries (input.iamRoles: the composed one and any
# the tenant wrote: the KIAM annotation, AWS_ROLE_ARN, an ungranted
# strata.dev/iam-role request) must be allowed by the allowlist in force.
violation contains {"check": "allowedIAMRoles", "message": msg} if {
	p := input.config.isolation.allowedIAMRoles
	some role in input.iamRoles
	not role_allowed(role.value, p.value)
	msg := sprintf("IAM role %q (from %s) is not allowed in namespace %q; allowed: %s (%s)", [role.value, role.source, namespace, concat(", ", p.value), p.source])
}

# With no allowlist in force, a tenant gets no role at all: a layer must
# allow roles explicitly ("**" allows every role).
violation contains {"check": "allowedIAMRoles", "message": msg} if {
	some role in input.iamRoles
	role.user
	not input.config.isolation.allowedIAMRoles
	msg := sprintf("IAM role %q (from %s) is not allowed in namespace %q: no layer allows IAM roles here (isolation.allowedIAMRoles)", [role.value, role.source, namespace])
}

# * stays within an ARN segment (between : or /), ** crosses them.
role_allowed(role, globs) if {
	some g in globs
	glob.match(g, [":", "/"], role)
}

# An image is under a registry when its normalized reference (as the
# container runtime reads it) is one of the allowed registries' normalized
# prefixes or starts with it at a component boundary ("/", ":" a port or a
# tag, "@" a digest): with one of the boundaries Strata gives the policy.
# Never as written: team, Docker Hub's docker.io/team, would allow
# team:5000/x, an image of the registry team:5000. What the input leaves
# out allows nothing: an image without a normalized reference, an empty
# list of prefixes or boundaries.
violation contains {"check": "allowedRegistries", "message": msg} if {
	p := input.config.isolation.allowedRegistries
	boundaries := object.get(p, "boundaries", [])
	prefixes := object.get(p, "normalized", [])
	some img in input.images
	ref := object.get(img, "normalized", "")
	not strings.any_prefix_match(ref, boundaries)
	not ref in prefixes
	msg := sprintf("%s image %q is not from an allowed registry; allowed: %s (%s)", [image_holder(img), img.image, concat(", ", p.value), p.source])
}

# What pulls an image: a container, or an image volume (which the kubelet
# pulls as it pulls a container's image, for a container to mount).
image_holder(img) := sprintf("volume %q", [img.volume]) if img.volume

else := sprintf("container %q", [img.container])

# An UPDATE by a controller the platform names to place admitted pods
# (Kueue ungating a pod onto a flavor's nodes): the node selection and the
# tolerations in it are the platform's. A CREATE is judged whoever makes
# it, and so is an UPDATE by a service account of the pod's own namespace,
# which the namespace's admins may impersonate.
placed_by_controller if {
	input.request.operation == "UPDATE"
	user := input.request.userInfo.username
	user in input.config.isolation.placementControllers.value
	not startswith(user, concat("", ["system:serviceaccount:", input.request.namespace, ":"]))
}

violation contains {"check": "allowedTolerations", "message": msg} if {
	p := input.config.isolation.allowedTolerations
	some t in input.user.tolerations
	not toleration_allowed(t, p.value)
	not placed_by_controller
	msg := sprintf("toleration %q is not allowed for tenants; allowed: %s (%s)", [t.display, concat(", ", [pattern_text(x) | some x in p.value]), p.source])
}

toleration_allowed(t, patterns) if {
	some x in patterns
	x.key == t.key
	object.get(x, "effect", "") == ""
}

toleration_allowed(t, patterns) if {
	some x in patterns
	x.key == t.key
	x.effect == t.effect
}

pattern_text(x) := sprintf("%s:%s", [x.key, x.effect]) if object.get(x, "effect", "") != ""

else := x.key

violation contains {"check": "reservedNodeSelectors", "message": msg} if {
	p := input.config.isolation.reservedNodeSelectors
	some s in input.user.nodeSelector
	some r in p.value
	reserved_selector(s, r)
	not placed_by_controller
	msg := sprintf("node selector %q is reserved for the platform (%q, %s)", [sprintf("%s=%s", [s.key, s.value]), r, p.source])
}

reserved_selector(s, r) if {
	not contains(r, "=")
	s.key == r
}

reserved_selector(s, r) if r == sprintf("%s=%s", [s.key, s.value])

# Required node affinity selects nodes as nodeSelector does.
violation contains {"check": "reservedNodeSelectors", "message": msg} if {
	p := input.config.isolation.reservedNodeSelectors
	some e in input.user.nodeAffinity
	some r in p.value
	reserved_expression(e, r)
	not placed_by_controller
	msg := sprintf("required node affinity %q is reserved for the platform (%q, %s)", [e.display, r, p.source])
}

# A key alone is reserved for every operator that selects nodes with it.
reserved_expression(e, r) if {
	not contains(r, "=")
	e.key == r
	not e.operator in {"NotIn", "DoesNotExist"}
}

reserved_expression(e, r) if {
	e.operator == "In"
	some v in e.values
	r == sprintf("%s=%s", [e.key, v])
}

# A required pod affinity term places its pod on nodes with the same value of its topology key as the
# nodes of the pods it selects: on a reserved key, that selects reserved nodes (those the platform placed
# the selected pods on) by proxy. Anti-affinity keeps a pod off nodes, which selects none.
violation contains {"check": "reservedNodeSelectors", "message": msg} if {
	p := input.config.isolation.reservedNodeSelectors
	some t in input.user.podAffinity
	t.required
	not t.anti
	some r in p.value
	t.topologyKey == reserved_key(r)
	not placed_by_controller
	msg := sprintf("%s places the pod on nodes by the value of node label %q, which is reserved for the platform (%q, %s)", [t.display, t.topologyKey, r, p.source])
}

# The key of a reserved selector (key, or key=value; a label key has no "=").
reserved_key(r) := substring(r, 0, indexof(r, "=")) if contains(r, "=")

else := r

# A required node affinity on a node's name (matchFields, metadata.name In ...) chooses nodes
# whatever their labels: naming a node through the scheduler (which still holds it to the node's
# taints). NotIn keeps a pod off nodes, which selects none.
violation contains {"check": "reservedNodeSelectors", "message": msg} if {
	p := input.config.isolation.reservedNodeSelectors
	some e in input.user.nodeFields
	e.operator == "In"
	not placed_by_controller
	msg := sprintf("required node affinity on a node's field %q names nodes, which bypasses node selection, reserved for the platform here (%s)", [e.display, p.source])
}

# spec.nodeName skips the scheduler: every node selection rule, and the taints that keep pods off
# nodes (a kubelet runs a pod named to it whatever NoSchedule taints it has). A tenant names a node
# by writing spec.nodeName at creation, or by binding its pod (pods/binding: the API server sets
# spec.nodeName from the binding; judged as the UPDATE it makes, request.subResource "binding"). The
# cluster's scheduler binds without the webhook, and a named placement controller's binding is the
# platform's.
violation contains {"check": "reservedNodeSelectors", "message": msg} if {
	p := input.config.isolation.reservedNodeSelectors
	node := names_node
	msg := sprintf("%s %q bypasses node selection, which is reserved for the platform here (%s)", [node_named_by, node, p.source])
}

violation contains {"check": "allowedTolerations", "message": msg} if {
	p := input.config.isolation.allowedTolerations
	node := names_node
	msg := sprintf("%s %q bypasses the nodes' taints, and tolerations are held to an allowlist here (%s)", [node_named_by, node, p.source])
}

names_node := input.user.nodeName if input.request.operation == "CREATE"

names_node := input.user.nodeName if {
	input.request.subResource == "binding"
	not placed_by_controller
}

node_named_by := "spec.nodeName" if input.request.operation == "CREATE"

node_named_by := "binding the pod to node" if input.request.subResource == "binding"

# A pod affinity or anti-affinity term selects pods in the namespaces it names (input.user.podAffinity
# reads them as the scheduler does). Beyond the tenant's own namespace and those allowed it reaches other
# tenants: a required anti-affinity term keeps their pods off every node its pod runs on, and affinity
# places a pod beside theirs.
violation contains {"check": "podAffinity", "message": msg} if {
	p := input.config.isolation.podAffinity
	some t in input.user.podAffinity
	some ns in t.namespaces
	ns != namespace
	not ns in p.value.allowedNamespaces
	msg := sprintf("%s selects pods in namespace %q; pod affinity may select pods only in namespace %q%s (%s)", [t.display, ns, namespace, also_allowed(p.value.allowedNamespaces), p.source])
}

violation contains {"check": "podAffinity", "message": msg} if {
	p := input.config.isolation.podAffinity
	some t in input.user.podAffinity
	t.anyNamespace
	msg := sprintf("%s selects pods in any namespace its namespaceSelector %q matches (select namespaces by name, %s In); pod affinity may select pods only in namespace %q%s (%s)", [t.display, t.namespaceSelector, "kubernetes.io/metadata.name", namespace, also_allowed(p.value.allowedNamespaces), p.source])
}

also_allowed(allowed) := "" if count(allowed) == 0

else := sprintf(" and %s", [concat(", ", allowed)])

violation contains {"check": "allowedPriorityClasses", "message": msg} if {
	p := input.config.isolation.allowedPriorityClasses
	pc := input.user.priorityClassName
	not pc in p.value
	msg := sprintf("priority class %q is not allowed for tenants; allowed: %s (%s)", [pc, concat(", ", p.value), p.source])
}

# A RuntimeClass's scheduling gives the pods of the class its node selectors and tolerations before
# any webhook. Those of a class tenants may name are the platform's (input.user leaves them out);
# a class any pod may name, the platform's own among them, would otherwise open its nodes to tenants.
violation contains {"check": "allowedRuntimeClasses", "message": msg} if {
	p := input.config.isolation.allowedRuntimeClasses
	rc := input.user.runtimeClassName
	not rc in p.value
	msg := sprintf("RuntimeClass %q is not allowed for tenants; allowed: %s (%s)", [rc, concat(", ", p.value), p.source])
}

# A layer's runtimeClassName is the RuntimeClass of the pods it matches (a sandbox, say): the
# webhook gives it to Spark pods; a pod it does not compose (no spark-role label) must name it
# itself, so dropping the label never leaves the sandbox.
violation contains {"check": "runtimeClassName", "message": msg} if {
	rc := input.config.runtimeClassName
	named := object.get(input.pod.spec, "runtimeClassName", "")
	named != rc.value
	msg := sprintf("the pod must run in RuntimeClass %q (%s); it names %s", [rc.value, rc.source, class_named(named)])
}

class_named("") := "none"

class_named(n) := sprintf("RuntimeClass %q", [n]) if n != ""

# The Spark Operator gives a batch scheduler's PodGroup the application's
# spec.batchSchedulerOptions.priorityClassName, with its own credentials:
# it ranks the whole application (Volcano preempts by it), so a class the
# tenant chose there is held to the same allowlist as a pod's.
violation contains {"check": "allowedPriorityClasses", "message": msg} if {
	p := input.config.isolation.allowedPriorityClasses
	pc := input.application.batchSchedulerOptions.priorityClassName
	pc.user
	not pc.value in p.value
	msg := sprintf("spec.batchSchedulerOptions.priorityClassName %q (the app's PodGroup) is not allowed for tenants; allowed: %s (%s)", [pc.value, concat(", ", p.value), p.source])
}

# A Volcano PodGroup a tenant writes itself (spark-submit creates one with the submitter's
# credentials) ranks its whole gang: Volcano orders and preempts by its class. Held to the same
# allowlist as a pod's, but for the classes the layers give the pods and the cluster's default.
podgroup_violation contains {"check": "allowedPriorityClasses", "message": msg} if {
	p := input.config.isolation.allowedPriorityClasses
	pc := input.podGroup.priorityClassName
	pc.user
	not pc.value in p.value
	msg := sprintf("PodGroup %q: spec.priorityClassName %q is not allowed for tenants; allowed: %s (%s)", [input.podGroup.name, pc.value, concat(", ", p.value), p.source])
}

# And its queue: where the annotation pods take their Volcano queue from is under a reserved prefix,
# a tenant's PodGroup takes only a queue the layers give the pods, or Volcano's default.
podgroup_violation contains {"check": "reservedLabelPrefixes", "message": msg} if {
	p := input.config.isolation.reservedLabelPrefixes
	q := input.podGroup.queue
	q.user
	some prefix in p.value
	startswith(volcano_queue_annotation, prefix)
	msg := sprintf("PodGroup %q: spec.queue %q is reserved for the platform: pods take their queue from annotation %q, and keys starting with %q only layers may set (%s)", [input.podGroup.name, q.value, volcano_queue_annotation, prefix, p.source])
}

volcano_queue_annotation := "scheduling.volcano.sh/queue-name"

# What the platform put under a reserved prefix stays: an UPDATE may not
# change or remove it (a label a NetworkPolicy selects on, the IAM role
# annotation, ...).
violation contains {"check": "reservedLabelPrefixes", "message": msg} if {
	old := input.old.metadata
	p := input.config.isolation.reservedLabelPrefixes
	some kind, field in {"label": "labels", "annotation": "annotations"}
	some k, v in object.get(old, field, {})
	not k in user_request_annotations
	some prefix in p.value
	startswith(k, prefix)
	object.get(object.get(input.pod.metadata, field, {}), k, null) != v
	msg := sprintf("%s %q is reserved for the platform: it cannot be changed or removed on an existing pod (%s)", [kind, k, p.source])
}

# The labels that say what a pod is and which application it counts for
# are fixed once the pod exists: changing them would move it out of its
# role's rules or its application's executor count.
immutable_labels := {"spark-role", "spark-app-selector"}

violation contains {"check": "immutableLabels", "message": msg} if {
	old := input.old.metadata.labels
	some k in immutable_labels
	object.get(old, k, null) != object.get(object.get(input.pod.metadata, "labels", {}), k, null)
	msg := sprintf("label %q cannot be changed on an existing pod (was %s)", [k, label_text(object.get(old, k, null))])
}

label_text(v) := "unset" if v == null

else := sprintf("%q", [v])

violation contains {"check": "reservedLabelPrefixes", "message": msg} if {
	p := input.config.isolation.reservedLabelPrefixes
	some m in input.user.metadata
	strings.any_prefix_match(m.key, p.value) # one call per key; the prefix is found below
	not m.key in user_request_annotations
	some prefix in p.value
	startswith(m.key, prefix)
	msg := sprintf("%s %q is reserved for the platform: only layers may set keys starting with %q (%s)", [m.kind, m.key, prefix, p.source])
}

# The Spark Operator creates the Services and Ingresses that expose an application's driver (or a
# SparkConnect's server) with its own credentials, from what the application writes
# (input.application.exposure, every value the tenant's): a tenant that may not create them itself
# gets no more through the operator than the layers allow.
violation contains {"check": "allowedServiceTypes", "message": msg} if {
	p := input.config.isolation.allowedServiceTypes
	some s in input.application.exposure.services
	s.type != "ClusterIP"
	not s.type in p.value
	allowed := sort({t | some t in p.value} | {"ClusterIP"})
	msg := sprintf("%s %q: the Spark Operator would create a Service of that type for the application; allowed for tenants: %s (%s)", [s.typeField, s.type, concat(", ", allowed), p.source])
}

violation contains {"check": "allowedServiceTypes", "message": msg} if {
	p := input.config.isolation.allowedServiceTypes
	some s in input.application.exposure.services
	count(s.externalIPs) > 0
	msg := sprintf("%s.spec.externalIPs %s: the Spark Operator would create a Service that takes the traffic the cluster sends to those addresses; tenants' Services may not name externalIPs while allowedServiceTypes is in force (%s)", [s.field, concat(", ", s.externalIPs), p.source])
}

violation contains {"check": "allowedIngressHosts", "message": msg} if {
	p := input.config.isolation.allowedIngressHosts
	some h in input.application.exposure.ingressHosts
	not ingress_host_allowed(h, p.value)
	msg := sprintf("%s: %s, not a host tenants' Ingresses may serve; allowed: %s (%s)", [h.field, ingress_host_text(h), concat(", ", p.value), p.source])
}

ingress_host_allowed(_, globs) if "**" in globs

ingress_host_allowed(h, globs) if {
	not h.unread
	h.host != ""
	some g in globs
	glob.match(replace(g, "{{$appNamespace}}", namespace), ["."], h.host)
}

ingress_host_text(h) := sprintf("%q takes the application's Spark id ({{$appId}}), which the operator reads later from its pods' labels", [h.format]) if h.unread

else := sprintf("%q names no host: its Ingress would serve every host no other Ingress claims", [h.format]) if h.host == ""

else := sprintf("host %q", [h.host])

violation contains {"check": "reservedLabelPrefixes", "message": msg} if {
	p := input.config.isolation.reservedLabelPrefixes
	some m in input.application.exposure.metadata
	some prefix in p.value
	startswith(m.key, prefix)
	msg := sprintf("%s: %s %q is reserved for the platform: the Spark Operator would write it with its own credentials, and only layers may set keys starting with %q (%s)", [m.field, m.kind, m.key, prefix, p.source])
}
