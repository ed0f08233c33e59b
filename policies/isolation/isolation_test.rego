package strata.isolation_test

import rego.v1

import data.strata.isolation

src := "NamespaceOverrides layer \"ns-etl\""

base := {
	"request": {"namespace": "etl"},
	"pod": {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "spark-kubernetes-driver", "image": "mirror.internal/apache/spark:3.5.3"}]}},
	"images": [{"container": "spark-kubernetes-driver", "image": "mirror.internal/apache/spark:3.5.3", "normalized": "mirror.internal/apache/spark:3.5.3"}],
	"injected": {},
	"user": {"tolerations": [], "nodeSelector": [], "metadata": [], "nodeAffinity": []},
	"iamRoles": [],
	"config": {"isolation": {}},
}

with_param(name, value) := object.union(base, {"config": {"isolation": {name: {"value": value, "source": src}}}})

checks(doc) := result if {
	result := {v.check | some v in isolation.violation} with input as doc
}

messages(doc) := result if {
	result := {v.message | some v in isolation.violation} with input as doc
}

test_nothing_configured_nothing_violated if {
	count(isolation.violation) == 0 with input as base
}

test_iam_role_allowed_by_glob if {
	doc := object.union(with_param("allowedIAMRoles", ["arn:aws:iam::111122223333:role/spark-etl*"]), {"iamRoles": [{"value": "arn:aws:iam::111122223333:role/spark-etl-nightly", "source": "user", "user": true}]})
	count(isolation.violation) == 0 with input as doc
}

test_other_tenants_iam_role_denied if {
	doc := object.union(with_param("allowedIAMRoles", ["arn:aws:iam::111122223333:role/spark-etl*"]), {"iamRoles": [{"value": "arn:aws:iam::444455556666:role/spark-geo", "source": "user", "user": true}]})
	isolation.violation == {{"check": "allowedIAMRoles", "message": "IAM role \"arn:aws:iam::444455556666:role/spark-geo\" (from user) is not allowed in namespace \"etl\"; allowed: arn:aws:iam::111122223333:role/spark-etl* (NamespaceOverrides layer \"ns-etl\")"}} with input as doc
}

test_single_star_stays_in_a_segment if {
	doc := object.union(with_param("allowedIAMRoles", ["arn:aws:iam::111122223333:role/*"]), {"iamRoles": [{"value": "arn:aws:iam::111122223333:role/team/other", "source": "user", "user": true}]})
	checks(doc) == {"allowedIAMRoles"}
}

# allowedRegistries as the input gives it: as written, as normalized references spell it, and the
# boundaries of those (each followed by "/", ":" or "@").
with_registries(value, normalized) := object.union(base, {"config": {"isolation": {"allowedRegistries": {
	"value": value, "normalized": normalized, "source": src,
	"boundaries": [concat("", [r, b]) | some r in normalized; some b in ["/", ":", "@"]],
}}}})

test_registry if {
	doc := object.union(with_registries(["mirror.internal/"], ["mirror.internal"]), {"images": [
		{"container": "a", "image": "mirror.internal/x:1", "normalized": "mirror.internal/x:1"},
		{"container": "b", "image": "mirror.internalevil.com/x", "normalized": "mirror.internalevil.com/x"},
		{"container": "c", "image": "nginx", "normalized": "docker.io/library/nginx"},
	]})
	{v.message | some v in isolation.violation} == {
		"container \"b\" image \"mirror.internalevil.com/x\" is not from an allowed registry; allowed: mirror.internal/ (NamespaceOverrides layer \"ns-etl\")",
		"container \"c\" image \"nginx\" is not from an allowed registry; allowed: mirror.internal/ (NamespaceOverrides layer \"ns-etl\")",
	} with input as doc
}

# An image volume's reference is pulled as a container's image is, and judged the same way, named
# by its volume.
test_registry_of_an_image_volume if {
	doc := object.union(with_registries(["mirror.internal/"], ["mirror.internal"]), {"images": [
		{"container": "a", "image": "mirror.internal/x:1", "normalized": "mirror.internal/x:1"},
		{"container": "", "volume": "tools", "image": "evil.io/kit:1", "normalized": "evil.io/kit:1"},
		{"container": "", "volume": "data", "image": "mirror.internal/data:1", "normalized": "mirror.internal/data:1"},
	]})
	messages(doc) == {"volume \"tools\" image \"evil.io/kit:1\" is not from an allowed registry; allowed: mirror.internal/ (NamespaceOverrides layer \"ns-etl\")"}
}

# An image is under a registry at a component boundary only: "/", ":" (a port or a tag) or "@"
# (a digest), or when it is the registry itself. Images are compared as normalized, never as
# written: team (docker.io/team) allows neither team:5000/x, an image of the registry team:5000, nor
# an image without a normalized reference.
test_registry_boundaries if {
	allowed := ["mirror.internal", "ghcr.io/team/", "team"]
	doc := object.union(with_registries(allowed, ["mirror.internal", "ghcr.io/team", "docker.io/team", "docker.io/library/team"]), {"images": [
		{"container": "a", "image": "mirror.internal:5000/x", "normalized": "mirror.internal:5000/x"},
		{"container": "b", "image": "ghcr.io/team@sha256:0", "normalized": "ghcr.io/team@sha256:0"},
		{"container": "c", "image": "ghcr.io/team:1", "normalized": "ghcr.io/team:1"},
		{"container": "d", "image": "mirror.internal", "normalized": "mirror.internal"},
		{"container": "e", "image": "ghcr.io/teammate/x", "normalized": "ghcr.io/teammate/x"},
		{"container": "f", "image": "mirror.internal.evil/x", "normalized": "mirror.internal.evil/x"},
		{"container": "g", "image": "x/mirror.internal/y", "normalized": "docker.io/x/mirror.internal/y"},
		{"container": "h", "image": "team/app", "normalized": "docker.io/team/app"},
		{"container": "i", "image": "team:1", "normalized": "docker.io/library/team:1"},
		{"container": "j", "image": "team:5000/x", "normalized": "team:5000/x"},
		{"container": "k", "image": "team/tool"},
	]})
	{v.message | some v in isolation.violation} == {sprintf("container %q image %q is not from an allowed registry; allowed: mirror.internal, ghcr.io/team/, team (%s)", [c, i, src]) | some [c, i] in [
		["e", "ghcr.io/teammate/x"],
		["f", "mirror.internal.evil/x"],
		["g", "x/mirror.internal/y"],
		["j", "team:5000/x"],
		["k", "team/tool"],
	]} with input as doc
}

# A rule in force without a prefix allows no image: the input then leaves out the normalized
# prefixes and their boundaries.
test_no_registry_allowed if {
	doc := object.union(base, {
		"config": {"isolation": {"allowedRegistries": {"value": [], "source": src}}},
		"images": [{"container": "a", "image": "mirror.internal/x:1", "normalized": "mirror.internal/x:1"}],
	})
	checks(doc) == {"allowedRegistries"}
}

test_tolerations if {
	doc := object.union(with_param("allowedTolerations", [{"key": "node.strata.dev/spot"}, {"key": "nvidia.com/gpu", "effect": "NoSchedule"}]), {"user": {
		"tolerations": [
			{"key": "node.strata.dev/spot", "effect": "NoExecute", "display": "spot"},
			{"key": "nvidia.com/gpu", "effect": "NoSchedule", "display": "gpu"},
			{"key": "nvidia.com/gpu", "effect": "NoExecute", "display": "nvidia.com/gpu:NoExecute op=Exists"},
			{"key": "node.strata.dev/pool", "effect": "NoSchedule", "display": "node.strata.dev/pool=core:NoSchedule"},
		],
		"nodeSelector": [], "metadata": [],
	}})
	{v.message | some v in isolation.violation} == {
		"toleration \"nvidia.com/gpu:NoExecute op=Exists\" is not allowed for tenants; allowed: node.strata.dev/spot, nvidia.com/gpu:NoSchedule (NamespaceOverrides layer \"ns-etl\")",
		"toleration \"node.strata.dev/pool=core:NoSchedule\" is not allowed for tenants; allowed: node.strata.dev/spot, nvidia.com/gpu:NoSchedule (NamespaceOverrides layer \"ns-etl\")",
	} with input as doc
}

test_reserved_node_selectors if {
	doc := object.union(with_param("reservedNodeSelectors", ["node.strata.dev/pool=core", "node-role.kubernetes.io/control-plane"]), {"user": {"tolerations": [], "metadata": [], "nodeSelector": [
		{"key": "node.strata.dev/pool", "value": "core"},
		{"key": "node.strata.dev/pool", "value": "batch"},
		{"key": "node-role.kubernetes.io/control-plane", "value": ""},
	]}})
	count(isolation.violation) == 2 with input as doc
	checks(doc) == {"reservedNodeSelectors"}
}

test_reserved_label_prefixes if {
	doc := object.union(with_param("reservedLabelPrefixes", ["iam.amazonaws.com/", "strata.dev/"]), {"user": {"tolerations": [], "nodeSelector": [], "metadata": [
		{"kind": "annotation", "key": "iam.amazonaws.com/role", "value": "x"},
		{"kind": "annotation", "key": "strata.dev/iam-role", "value": "x"},
		{"kind": "label", "key": "team", "value": "x"},
	]}})
	isolation.violation == {{"check": "reservedLabelPrefixes", "message": "annotation \"iam.amazonaws.com/role\" is reserved for the platform: only layers may set keys starting with \"iam.amazonaws.com/\" (NamespaceOverrides layer \"ns-etl\")"}} with input as doc
}

test_tenant_role_without_allowlist_denied if {
	doc := object.union(base, {"iamRoles": [{"value": "arn:aws:iam::444455556666:role/admin", "source": "user (annotation iam.amazonaws.com/role)", "user": true}]})
	checks(doc) == {"allowedIAMRoles"}
}

test_layer_role_without_allowlist_allowed if {
	doc := object.union(base, {"iamRoles": [{"value": "arn:aws:iam::1:role/platform", "source": "ClusterDefaults layer \"cd\"", "user": false}]})
	count(isolation.violation) == 0 with input as doc
}

test_double_star_allows_every_role if {
	doc := object.union(with_param("allowedIAMRoles", ["**"]), {"iamRoles": [{"value": "arn:aws:iam::444455556666:role/team/x", "source": "user", "user": true}]})
	count(isolation.violation) == 0 with input as doc
}

test_every_role_on_the_pod_is_checked if {
	doc := object.union(with_param("allowedIAMRoles", ["arn:aws:iam::1:role/etl"]), {"iamRoles": [
		{"value": "arn:aws:iam::1:role/etl", "source": "user", "user": true},
		{"value": "arn:aws:iam::2:role/other", "source": "user (env AWS_ROLE_ARN of container \"c\")", "user": true},
	]})
	[v.message | some v in isolation.violation; v.check == "allowedIAMRoles"] == ["IAM role \"arn:aws:iam::2:role/other\" (from user (env AWS_ROLE_ARN of container \"c\")) is not allowed in namespace \"etl\"; allowed: arn:aws:iam::1:role/etl (NamespaceOverrides layer \"ns-etl\")"] with input as doc
}

affinity(key, op, values) := {"key": key, "operator": op, "values": values, "display": sprintf("%s %s %s", [key, op, concat(",", values)])}

test_reserved_key_in_required_affinity_denied if {
	every op in ["In", "Exists", "Gt", "Lt"] {
		doc := object.union(with_param("reservedNodeSelectors", ["node.strata.dev/pool"]), {"user": {"nodeAffinity": [affinity("node.strata.dev/pool", op, ["platform"])]}})
		checks(doc) == {"reservedNodeSelectors"}
	}
}

test_reserved_key_excluded_by_affinity_allowed if {
	every op in ["NotIn", "DoesNotExist"] {
		doc := object.union(with_param("reservedNodeSelectors", ["node.strata.dev/pool"]), {"user": {"nodeAffinity": [affinity("node.strata.dev/pool", op, ["platform"])]}})
		count(isolation.violation) == 0 with input as doc
	}
}

test_reserved_value_in_required_affinity if {
	reserved := with_param("reservedNodeSelectors", ["pool=platform"])
	checks(object.union(reserved, {"user": {"nodeAffinity": [affinity("pool", "In", ["batch", "platform"])]}})) == {"reservedNodeSelectors"}
	count(isolation.violation) == 0 with input as object.union(reserved, {"user": {"nodeAffinity": [affinity("pool", "In", ["batch"])]}})
}

# A required node affinity on a node's name names nodes, whatever selectors are reserved; one that
# keeps a pod off nodes does not, nor one with nothing reserved, nor a placement controller's.
test_node_field_affinity_bypasses_reserved_selectors if {
	doc := object.union(with_param("reservedNodeSelectors", ["pool=platform"]), {"user": {"nodeFields": [affinity("metadata.name", "In", ["node-1"])]}})
	messages(doc) == {`required node affinity on a node's field "metadata.name In node-1" names nodes, which bypasses node selection, reserved for the platform here (NamespaceOverrides layer "ns-etl")`}
	count(isolation.violation) == 0 with input as object.union(with_param("reservedNodeSelectors", ["pool=platform"]), {"user": {"nodeFields": [affinity("metadata.name", "NotIn", ["node-1"])]}})
	count(isolation.violation) == 0 with input as object.union(base, {"user": {"nodeFields": [affinity("metadata.name", "In", ["node-1"])]}})
	placed := object.union(doc, {"request": {"namespace": "etl", "operation": "UPDATE", "userInfo": {"username": "kueue"}}, "config": {"isolation": {"placementControllers": {"value": ["kueue"], "source": src}}}})
	count(isolation.violation) == 0 with input as placed
}

test_node_name_bypasses_reserved_selectors if {
	doc := object.union(with_param("reservedNodeSelectors", ["pool=platform"]), {"request": {"namespace": "etl", "operation": "CREATE"}, "user": {"nodeName": "node-1"}})
	checks(doc) == {"reservedNodeSelectors"}
	messages(doc) == {`spec.nodeName "node-1" bypasses node selection, which is reserved for the platform here (NamespaceOverrides layer "ns-etl")`}
	count(isolation.violation) == 0 with input as object.union(base, {"request": {"namespace": "etl", "operation": "CREATE"}, "user": {"nodeName": "node-1"}})
}

test_node_name_bypasses_taints if {
	doc := object.union(with_param("allowedTolerations", [{"key": "team"}]), {"request": {"namespace": "etl", "operation": "CREATE"}, "user": {"nodeName": "node-1"}})
	checks(doc) == {"allowedTolerations"}
	messages(doc) == {`spec.nodeName "node-1" bypasses the nodes' taints, and tolerations are held to an allowlist here (NamespaceOverrides layer "ns-etl")`}
}

# A pod affinity term reaches the namespaces it names, its own when it names none; a
# namespaceSelector not bounded by names reaches every namespace.
pod_term(namespaces, selector) := {"display": `podAntiAffinity required term (topologyKey "kubernetes.io/hostname", pods spark-role=driver)`, "namespaces": namespaces, "anyNamespace": selector != "", "namespaceSelector": selector}

beside_term(key, anti, required) := {"display": sprintf("term (topologyKey %q)", [key]), "namespaces": ["etl"], "anyNamespace": false, "anti": anti, "required": required, "topologyKey": key}

# A required pod affinity on a reserved key places the pod on the nodes of that key's value where the
# selected pods run; anti-affinity, a preferred term, another key, a placement controller's do not.
test_pod_affinity_on_a_reserved_key if {
	reserved := with_param("reservedNodeSelectors", ["pool=core", "flavor"])
	messages(object.union(reserved, {"user": {"podAffinity": [beside_term("pool", false, true)]}})) == {`term (topologyKey "pool") places the pod on nodes by the value of node label "pool", which is reserved for the platform ("pool=core", NamespaceOverrides layer "ns-etl")`}
	checks(object.union(reserved, {"user": {"podAffinity": [beside_term("flavor", false, true)]}})) == {"reservedNodeSelectors"}
	count(isolation.violation) == 0 with input as object.union(reserved, {"user": {"podAffinity": [beside_term("pool", true, true), beside_term("pool", false, false), beside_term("kubernetes.io/hostname", false, true)]}})
	placed := object.union(reserved, {"request": {"namespace": "etl", "operation": "UPDATE", "userInfo": {"username": "kueue"}}, "config": {"isolation": {"placementControllers": {"value": ["kueue"], "source": src}}}, "user": {"podAffinity": [beside_term("pool", false, true)]}})
	count(isolation.violation) == 0 with input as placed
}

test_affinity_within_own_and_allowed_namespaces if {
	allowed := with_param("podAffinity", {"allowedNamespaces": ["shared"]})
	count(isolation.violation) == 0 with input as object.union(allowed, {"user": {"podAffinity": [pod_term(["etl"], ""), pod_term(["etl", "shared"], "")]}})
}

test_affinity_beyond_allowed_namespaces_denied if {
	none := with_param("podAffinity", {"allowedNamespaces": []})
	messages(object.union(none, {"user": {"podAffinity": [pod_term(["etl", "geo"], "")]}})) == {`podAntiAffinity required term (topologyKey "kubernetes.io/hostname", pods spark-role=driver) selects pods in namespace "geo"; pod affinity may select pods only in namespace "etl" (NamespaceOverrides layer "ns-etl")`}
	shared := with_param("podAffinity", {"allowedNamespaces": ["shared", "tools"]})
	messages(object.union(shared, {"user": {"podAffinity": [pod_term(["geo"], "")]}})) == {`podAntiAffinity required term (topologyKey "kubernetes.io/hostname", pods spark-role=driver) selects pods in namespace "geo"; pod affinity may select pods only in namespace "etl" and shared, tools (NamespaceOverrides layer "ns-etl")`}
}

test_affinity_in_any_namespace_denied if {
	doc := object.union(with_param("podAffinity", {"allowedNamespaces": ["shared"]}), {"user": {"podAffinity": [pod_term([], "{}")]}})
	messages(doc) == {`podAntiAffinity required term (topologyKey "kubernetes.io/hostname", pods spark-role=driver) selects pods in any namespace its namespaceSelector "{}" matches (select namespaces by name, kubernetes.io/metadata.name In); pod affinity may select pods only in namespace "etl" and shared (NamespaceOverrides layer "ns-etl")`}
}

test_affinity_without_the_rule_allowed if {
	count(isolation.violation) == 0 with input as object.union(base, {"user": {"podAffinity": [pod_term(["geo"], "{}")]}})
}

# A binding is judged as the UPDATE it makes: the node it names is the binder's, unless a named
# placement controller (not a service account of the pod's own namespace) binds.
binding(user) := {"namespace": "etl", "operation": "UPDATE", "subResource": "binding", "userInfo": {"username": user}}

test_binding_names_a_node if {
	reserved := object.union(with_param("reservedNodeSelectors", ["pool=platform"]), {"user": {"nodeName": "node-1"}})
	doc := object.union(reserved, {"request": binding("alice")})
	checks(doc) == {"reservedNodeSelectors"}
	messages(doc) == {`binding the pod to node "node-1" bypasses node selection, which is reserved for the platform here (NamespaceOverrides layer "ns-etl")`}
	tainted := object.union(with_param("allowedTolerations", [{"key": "team"}]), {"user": {"nodeName": "node-1"}, "request": binding("alice")})
	checks(tainted) == {"allowedTolerations"}

	# Neither rule in force: a binding names any node.
	count(isolation.violation) == 0 with input as object.union(base, {"user": {"nodeName": "node-1"}, "request": binding("alice")})

	# A plain UPDATE of a bound pod names no node.
	count(isolation.violation) == 0 with input as object.union(reserved, {"request": {"namespace": "etl", "operation": "UPDATE", "userInfo": {"username": "alice"}}})
}

test_binding_by_a_placement_controller if {
	volcano := "system:serviceaccount:volcano-system:volcano-scheduler"
	params := {"config": {"isolation": {
		"reservedNodeSelectors": {"value": ["pool=platform"], "source": "ClusterOverrides layer \"c\""},
		"placementControllers": {"value": [volcano, "system:serviceaccount:etl:binder"], "source": "ClusterOverrides layer \"c\""},
	}}}
	doc := object.union(object.union(base, params), {"user": {"nodeName": "node-1"}})
	count(isolation.violation) == 0 with input as object.union(doc, {"request": binding(volcano)})
	checks(object.union(doc, {"request": binding("system:serviceaccount:etl:binder")})) == {"reservedNodeSelectors"}
	checks(object.union(doc, {"request": binding("alice")})) == {"reservedNodeSelectors"}
}

test_priority_class_a_tenant_chooses if {
	allowed := with_param("allowedPriorityClasses", ["spark-low", "spark-normal"])
	count(isolation.violation) == 0 with input as object.union(allowed, {"user": {"priorityClassName": "spark-low"}})
	checks(object.union(allowed, {"user": {"priorityClassName": "platform-critical"}})) == {"allowedPriorityClasses"}
	count(isolation.violation) == 0 with input as allowed
}

test_runtime_class_a_tenant_names if {
	allowed := with_param("allowedRuntimeClasses", ["gvisor", "kata"])
	count(isolation.violation) == 0 with input as object.union(allowed, {"user": {"runtimeClassName": "gvisor"}})
	messages(object.union(allowed, {"user": {"runtimeClassName": "platform-runc"}})) == {"RuntimeClass \"platform-runc\" is not allowed for tenants; allowed: gvisor, kata (NamespaceOverrides layer \"ns-etl\")"}
	count(isolation.violation) == 0 with input as allowed
	count(isolation.violation) == 0 with input as object.union(base, {"user": {"runtimeClassName": "platform-runc"}})
	checks(object.union(with_param("allowedRuntimeClasses", []), {"user": {"runtimeClassName": "gvisor"}})) == {"allowedRuntimeClasses"}
}

in_class(doc, named) := object.union(doc, {"pod": {"spec": {"runtimeClassName": named}}})

test_the_layers_runtime_class_is_named if {
	sandboxed := object.union(base, {"config": {"runtimeClassName": {"value": "gvisor", "source": src}}})
	count(isolation.violation) == 0 with input as in_class(sandboxed, "gvisor")
	messages(sandboxed) == {"the pod must run in RuntimeClass \"gvisor\" (NamespaceOverrides layer \"ns-etl\"); it names none"}
	messages(in_class(sandboxed, "runc")) == {"the pod must run in RuntimeClass \"gvisor\" (NamespaceOverrides layer \"ns-etl\"); it names RuntimeClass \"runc\""}
	count(isolation.violation) == 0 with input as in_class(base, "runc")
}

pod_group(doc, pc, user) := object.union(doc, {"application": {"batchSchedulerOptions": {"priorityClassName": {"value": pc, "source": "user", "user": user}}}})

test_pod_group_priority_class_a_tenant_chooses if {
	allowed := with_param("allowedPriorityClasses", ["spark-low"])
	count(isolation.violation) == 0 with input as pod_group(allowed, "spark-low", true)
	checks(pod_group(allowed, "system-cluster-critical", true)) == {"allowedPriorityClasses"}
	count(isolation.violation) == 0 with input as pod_group(allowed, "spark-driver-high", false)
	count(isolation.violation) == 0 with input as pod_group(base, "system-cluster-critical", true)
}

placed(doc, operation, user) := object.union(doc, {
	"request": {"namespace": "etl", "operation": operation, "userInfo": {"username": user}},
	"user": {"tolerations": [{"key": "flavor", "effect": "NoSchedule", "display": "flavor:NoSchedule"}], "nodeSelector": [{"key": "pool", "value": "gpu"}]},
})

test_placement_controllers_place_on_update_only if {
	kueue := "system:serviceaccount:kueue-system:kueue-controller-manager"
	rules := object.union(with_param("reservedNodeSelectors", ["pool"]), {"config": {"isolation": {
		"allowedTolerations": {"value": [], "source": src},
		"placementControllers": {"value": [kueue], "source": src},
	}}})
	count(isolation.violation) == 0 with input as placed(rules, "UPDATE", kueue)
	checks(placed(rules, "UPDATE", "system:serviceaccount:etl:spark")) == {"allowedTolerations", "reservedNodeSelectors"}
	checks(placed(rules, "CREATE", kueue)) == {"allowedTolerations", "reservedNodeSelectors"}
	without := object.union(with_param("reservedNodeSelectors", ["pool"]), {"config": {"isolation": {"allowedTolerations": {"value": [], "source": src}}}})
	checks(placed(without, "UPDATE", kueue)) == {"allowedTolerations", "reservedNodeSelectors"}
}

test_placement_controller_of_the_pods_namespace_is_not_trusted if {
	own := "system:serviceaccount:etl:placer"
	rules := object.union(with_param("reservedNodeSelectors", ["pool"]), {"config": {"isolation": {
		"allowedTolerations": {"value": [], "source": src},
		"placementControllers": {"value": [own], "source": src},
	}}})
	checks(placed(rules, "UPDATE", own)) == {"allowedTolerations", "reservedNodeSelectors"}
}

test_immutable_labels_on_update if {
	old := {"old": {"metadata": {"labels": {"spark-role": "executor", "spark-app-selector": "a"}, "annotations": {}}}}
	relabelled := object.union(base, object.union(old, {"pod": {"metadata": {"name": "p", "labels": {"spark-role": "executor"}}}}))
	checks(relabelled) == {"immutableLabels"}
	same := object.union(base, object.union(old, {"pod": {"metadata": {"name": "p", "labels": {"spark-role": "executor", "spark-app-selector": "a", "x": "y"}}}}))
	count(isolation.violation) == 0 with input as same
}

# Set where it was unset, or the other way round: a change all the same, said as such.
test_immutable_label_set_on_update if {
	old := {"old": {"metadata": {"labels": {"spark-role": "executor"}, "annotations": {}}}}
	joined := object.union(base, object.union(old, {"pod": {"metadata": {"name": "p", "labels": {"spark-role": "executor", "spark-app-selector": "b"}}}}))
	[v.message | some v in isolation.violation] == ["label \"spark-app-selector\" cannot be changed on an existing pod (was unset)"] with input as joined
	left := object.union(base, object.union(old, {"pod": {"metadata": {"name": "p"}}}))
	[v.message | some v in isolation.violation] == ["label \"spark-role\" cannot be changed on an existing pod (was \"executor\")"] with input as left
}

test_reserved_keys_kept_on_update if {
	reserved := with_param("reservedLabelPrefixes", ["platform.strata.dev/", "iam.amazonaws.com/"])
	old := {"old": {"metadata": {"labels": {"platform.strata.dev/tenant": "etl"}, "annotations": {"iam.amazonaws.com/role": "r"}}}}
	kept := object.union(reserved, object.union(old, {"pod": {"metadata": {"name": "p", "labels": {"platform.strata.dev/tenant": "etl"}, "annotations": {"iam.amazonaws.com/role": "r"}}}}))
	count(isolation.violation) == 0 with input as kept
	removed := object.union(reserved, object.union(old, {"pod": {"metadata": {"name": "p", "annotations": {"iam.amazonaws.com/role": "r"}}}}))
	[v.message | some v in isolation.violation] == ["label \"platform.strata.dev/tenant\" is reserved for the platform: it cannot be changed or removed on an existing pod (NamespaceOverrides layer \"ns-etl\")"] with input as removed
}

podgroup(pc) := object.union(with_param("allowedPriorityClasses", ["spark-low", "spark-normal"]), {"podGroup": {"name": "spark-pi-pg", "priorityClassName": pc}})

test_podgroup_priority_class if {
	tenants := podgroup({"value": "platform-critical", "source": "user", "user": true})
	{v.message | some v in isolation.podgroup_violation} == {`PodGroup "spark-pi-pg": spec.priorityClassName "platform-critical" is not allowed for tenants; allowed: spark-low, spark-normal (NamespaceOverrides layer "ns-etl")`} with input as tenants

	# An allowed class, the layers' own, and none at all pass.
	count(isolation.podgroup_violation) == 0 with input as podgroup({"value": "spark-low", "source": "user", "user": true})
	count(isolation.podgroup_violation) == 0 with input as podgroup({"value": "platform-critical", "source": "ClusterOverrides layer \"c\""})
	count(isolation.podgroup_violation) == 0 with input as with_param("allowedPriorityClasses", ["spark-low"])

	# Without an allowlist in force, any class.
	count(isolation.podgroup_violation) == 0 with input as object.union(base, {"podGroup": {"name": "pg", "priorityClassName": {"value": "x", "user": true}}})

	# A PodGroup is not a pod: the pod rules find nothing to judge.
	count(isolation.violation) == 0 with input as tenants
}

test_podgroup_queue if {
	reserved := object.union(with_param("reservedLabelPrefixes", ["scheduling.volcano.sh/"]), {"podGroup": {"name": "pg", "queue": {"value": "other-team", "source": "user", "user": true}}})
	{v.message | some v in isolation.podgroup_violation} == {`PodGroup "pg": spec.queue "other-team" is reserved for the platform: pods take their queue from annotation "scheduling.volcano.sh/queue-name", and keys starting with "scheduling.volcano.sh/" only layers may set (NamespaceOverrides layer "ns-etl")`} with input as reserved

	# The layers' queue passes; so does any queue where the annotation is the tenant's.
	count(isolation.podgroup_violation) == 0 with input as object.union(reserved, {"podGroup": {"queue": {"value": "etl", "source": "NamespaceOverrides layer \"ns-etl\"", "user": false}}})
	count(isolation.podgroup_violation) == 0 with input as object.union(with_param("reservedLabelPrefixes", ["platform.strata.dev/"]), {"podGroup": {"name": "pg", "queue": {"value": "other-team", "user": true}}})
}

exposing(doc, exposure) := object.union(doc, {"application": {"exposure": object.union({"services": [], "ingressHosts": [], "metadata": []}, exposure)}})

ui_service(t) := {"field": "spec.sparkUIOptions", "typeField": "spec.sparkUIOptions.serviceType", "type": t, "externalIPs": []}

test_service_types_a_tenant_exposes if {
	allowed := with_param("allowedServiceTypes", ["NodePort"])
	count(isolation.violation) == 0 with input as exposing(allowed, {"services": [ui_service("ClusterIP"), ui_service("NodePort")]})
	messages(exposing(allowed, {"services": [ui_service("LoadBalancer")]})) == {`spec.sparkUIOptions.serviceType "LoadBalancer": the Spark Operator would create a Service of that type for the application; allowed for tenants: ClusterIP, NodePort (NamespaceOverrides layer "ns-etl")`}

	# Without the rule in force, any type.
	count(isolation.violation) == 0 with input as exposing(base, {"services": [ui_service("LoadBalancer")]})
}

test_external_ips_a_tenant_exposes if {
	svc := {"field": "spec.server.service", "typeField": "spec.server.service.spec.type", "type": "ClusterIP", "externalIPs": ["10.0.0.1", "10.0.0.2"]}
	messages(exposing(with_param("allowedServiceTypes", ["ClusterIP"]), {"services": [svc]})) == {`spec.server.service.spec.externalIPs 10.0.0.1, 10.0.0.2: the Spark Operator would create a Service that takes the traffic the cluster sends to those addresses; tenants' Services may not name externalIPs while allowedServiceTypes is in force (NamespaceOverrides layer "ns-etl")`}
	count(isolation.violation) == 0 with input as exposing(base, {"services": [svc]})
}

ingress_host(host, format, unread) := {"field": "spec.driverIngressOptions[0].ingressURLFormat", "host": host, "format": format, "unread": unread}

test_ingress_hosts_a_tenant_exposes if {
	allowed := with_param("allowedIngressHosts", ["*.{{$appNamespace}}.spark.example.com"])
	count(isolation.violation) == 0 with input as exposing(allowed, {"ingressHosts": [ingress_host("pi.etl.spark.example.com", "{{$appName}}.etl.spark.example.com", false)]})

	# Another namespace's, more labels than the glob's, another domain.
	every host in ["pi.geo.spark.example.com", "a.pi.etl.spark.example.com", "bank.example.com"] {
		checks(exposing(allowed, {"ingressHosts": [ingress_host(host, host, false)]})) == {"allowedIngressHosts"}
	}
	messages(exposing(allowed, {"ingressHosts": [ingress_host("bank.example.com", "bank.example.com/pi", false)]})) == {`spec.driverIngressOptions[0].ingressURLFormat: host "bank.example.com", not a host tenants' Ingresses may serve; allowed: *.{{$appNamespace}}.spark.example.com (NamespaceOverrides layer "ns-etl")`}
	messages(exposing(allowed, {"ingressHosts": [ingress_host("", "/pi", false)]})) == {`spec.driverIngressOptions[0].ingressURLFormat: "/pi" names no host: its Ingress would serve every host no other Ingress claims, not a host tenants' Ingresses may serve; allowed: *.{{$appNamespace}}.spark.example.com (NamespaceOverrides layer "ns-etl")`}
	messages(exposing(allowed, {"ingressHosts": [ingress_host(".etl.spark.example.com", "{{$appId}}.etl.spark.example.com", true)]})) == {`spec.driverIngressOptions[0].ingressURLFormat: "{{$appId}}.etl.spark.example.com" takes the application's Spark id ({{$appId}}), which the operator reads later from its pods' labels, not a host tenants' Ingresses may serve; allowed: *.{{$appNamespace}}.spark.example.com (NamespaceOverrides layer "ns-etl")`}

	# "**" allows every host, none and the unread among them; without the rule in force, any.
	every h in [ingress_host("bank.example.com", "bank.example.com", false), ingress_host("", "/", false), ingress_host("x", "{{$appId}}", true)] {
		count(isolation.violation) == 0 with input as exposing(with_param("allowedIngressHosts", ["**"]), {"ingressHosts": [h]})
		count(isolation.violation) == 0 with input as exposing(base, {"ingressHosts": [h]})
	}
}

test_reserved_keys_a_tenant_exposes if {
	key := {"field": `spec.sparkUIOptions.ingressAnnotations["nginx.ingress.kubernetes.io/configuration-snippet"]`, "kind": "annotation", "key": "nginx.ingress.kubernetes.io/configuration-snippet"}
	messages(exposing(with_param("reservedLabelPrefixes", ["nginx.ingress.kubernetes.io/"]), {"metadata": [key]})) == {`spec.sparkUIOptions.ingressAnnotations["nginx.ingress.kubernetes.io/configuration-snippet"]: annotation "nginx.ingress.kubernetes.io/configuration-snippet" is reserved for the platform: the Spark Operator would write it with its own credentials, and only layers may set keys starting with "nginx.ingress.kubernetes.io/" (NamespaceOverrides layer "ns-etl")`}
	count(isolation.violation) == 0 with input as exposing(with_param("reservedLabelPrefixes", ["strata.dev/"]), {"metadata": [key]})
}
