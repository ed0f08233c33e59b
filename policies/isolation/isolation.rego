# Isolation: what a tenant may not reach. The rules' parameters come from
# the layers (isolation.*); the fields checked are those the tenant wrote
# (input.user, attributed by provenance), so the platform's own values are
# never held against a tenant. The Pod Security Standards baseline checks
# are in baseline.rego, same package.
package strata.isolation

import rego.v1

param(name) := input.config.isolation[name]

namespace := input.request.namespace

# Request annotations Strata defines for users; never reserved.
user_request_annotations := {"strata.dev/iam-role"}

violation contains {"check": "allowedIAMRoles", "message": msg} if {
	p := param("allowedIAMRoles")
	role := input.config.iamRole
	not role_allowed(role.value, p.value)
	msg := sprintf("isolation: IAM role %q (from %s) is not allowed in namespace %q; allowed: %s (%s)", [role.value, role.source, namespace, concat(", ", p.value), p.source])
}

# * stays within an ARN segment (between : or /), ** crosses them.
role_allowed(role, globs) if {
	some g in globs
	glob.match(g, [":", "/"], role)
}

violation contains {"check": "allowedRegistries", "message": msg} if {
	p := param("allowedRegistries")
	some img in input.images
	not registry_allowed(img, p.value)
	msg := sprintf("isolation: container %q image %q is not from an allowed registry; allowed: %s (%s)", [img.container, img.image, concat(", ", p.value), p.source])
}

registry_allowed(img, prefixes) if {
	some prefix in prefixes
	under(img.normalized, prefix)
}

registry_allowed(img, prefixes) if {
	some prefix in prefixes
	under(img.image, prefix)
}

# under: s starts with prefix at a component boundary.
under(s, prefix) if s == prefix

under(s, prefix) if {
	startswith(s, prefix)
	substring(s, count(prefix), 1) in {"/", ":", "@"}
}

violation contains {"check": "allowedTolerations", "message": msg} if {
	p := param("allowedTolerations")
	some t in input.user.tolerations
	not toleration_allowed(t, p.value)
	msg := sprintf("isolation: toleration %q is not allowed for tenants; allowed: %s (%s)", [t.display, concat(", ", [pattern_text(x) | some x in p.value]), p.source])
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
	p := param("reservedNodeSelectors")
	some s in input.user.nodeSelector
	some r in p.value
	reserved_selector(s, r)
	msg := sprintf("isolation: node selector %q is reserved for the platform (%q, %s)", [sprintf("%s=%s", [s.key, s.value]), r, p.source])
}

reserved_selector(s, r) if {
	not contains(r, "=")
	s.key == r
}

reserved_selector(s, r) if r == sprintf("%s=%s", [s.key, s.value])

violation contains {"check": "reservedLabelPrefixes", "message": msg} if {
	p := param("reservedLabelPrefixes")
	some m in input.user.metadata
	not m.key in user_request_annotations
	some prefix in p.value
	startswith(m.key, prefix)
	msg := sprintf("isolation: %s %q is reserved for the platform: only layers may set keys starting with %q (%s)", [m.kind, m.key, prefix, p.source])
}
