package policy

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// awsRoleEnv is the variable IRSA gives a container its role by.
const awsRoleEnv = "AWS_ROLE_ARN"

// maxRoleLength is the longest an IAM role's ARN can be (IAM's limit on
// an ARN): a value that expands to more names no role, and expanding stops
// there, so a tenant's references cannot make admission build a value
// larger than it.
const maxRoleLength = 2048

// forEachEnvRole calls fn with the role each AWS_ROLE_ARN entry of each
// container of pod (ephemeral ones included) gives that container at run
// time, in the pod's order: a value taken from elsewhere is unread
// (roleFrom); a value written out has each $(NAME) in it expanded from the
// variables before it, as the kubelet expands it (makeEnvironmentVariables).
// A reference is read only where a variable written out before it, with no
// reference of its own, defines it; any other could be anything at run time
// (a variable from a Secret or a ConfigMap, one of envFrom, a Service's, one
// built from others, or the reference left as written), so the whole value
// is unread, and so is one that expands past maxRoleLength. A tenant cannot
// build a role past the allowlist out of parts. Linear in the containers'
// variables: those before a role are indexed once, as they go by, and only
// in a container one of whose roles holds a $.
func forEachEnvRole(pod *corev1.Pod, fn func(container, role string)) {
	forEachContainer(pod, func(c *corev1.Container) {
		expands := slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool {
			return e.Name == awsRoleEnv && e.ValueFrom == nil && strings.Contains(e.Value, "$")
		})
		var literal map[string]string // the variables so far written out with no reference
		if expands {
			literal = make(map[string]string)
		}
		for j := range c.Env {
			e := &c.Env[j]
			if e.Name == awsRoleEnv {
				fn(c.Name, envRole(e, literal))
			}
			switch {
			case !expands:
			case e.ValueFrom == nil && !strings.Contains(e.Value, "$"):
				literal[e.Name] = e.Value
			default:
				delete(literal, e.Name)
			}
		}
	})
}

// envRole is the role e, an AWS_ROLE_ARN entry, gives its container, the
// literal variables before it being those of literal (forEachEnvRole).
func envRole(e *corev1.EnvVar, literal map[string]string) string {
	if e.ValueFrom != nil {
		return roleFrom(e.ValueFrom)
	}
	if !strings.Contains(e.Value, "$") {
		return e.Value
	}
	value, ok := expandEnv(e.Value, literal, maxRoleLength)
	if !ok {
		return fmt.Sprintf("<unread: %q takes a variable of the container's environment>", e.Value)
	}
	return value
}

// expandEnv is value with its variable references expanded from vars as
// the kubelet expands them (k8s.io/kubernetes's
// third_party/forked/golang/expansion, which this follows: a module
// the webhook does not import): $$ is $, $(NAME) is NAME's value, a $
// before anything else or an unclosed $( stays as written. ok is false
// when a reference names a variable vars lacks, or the value expands to
// more than limit bytes.
func expandEnv(value string, vars map[string]string, limit int) (string, bool) {
	if !strings.Contains(value, "$") {
		return value, true
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(value, '$')
		if i < 0 || i == len(value)-1 {
			if b.Len()+len(value) > limit {
				return "", false
			}
			b.WriteString(value)
			return b.String(), true
		}
		b.WriteString(value[:i])
		rest := value[i+1:]
		switch rest[0] {
		case '$':
			b.WriteByte('$')
			value = rest[1:]
		case '(':
			end := strings.IndexByte(rest, ')')
			if end < 0 {
				b.WriteString("$(")
				value = rest[1:]
				continue
			}
			v, ok := vars[rest[1:end]]
			if !ok || b.Len()+len(v) > limit {
				return "", false
			}
			b.WriteString(v)
			value = rest[end+1:]
		default:
			b.WriteByte('$')
			value = rest
		}
	}
}

// roleFrom stands for a role a container takes from elsewhere (an env
// var's valueFrom: a Secret, a ConfigMap, the pod's own fields, a file),
// which admission cannot read: not an ARN, so only an allowlist that
// allows every role ("**") allows it. A role must be written out to be
// judged.
func roleFrom(src *corev1.EnvVarSource) string {
	switch {
	case src.SecretKeyRef != nil:
		return fmt.Sprintf("<unread: key %q of Secret %q>", src.SecretKeyRef.Key, src.SecretKeyRef.Name)
	case src.ConfigMapKeyRef != nil:
		return fmt.Sprintf("<unread: key %q of ConfigMap %q>", src.ConfigMapKeyRef.Key, src.ConfigMapKeyRef.Name)
	case src.FieldRef != nil:
		return fmt.Sprintf("<unread: the pod's field %s>", src.FieldRef.FieldPath)
	case src.FileKeyRef != nil:
		return fmt.Sprintf("<unread: key %q of file %q on volume %q>", src.FileKeyRef.Key, src.FileKeyRef.Path, src.FileKeyRef.VolumeName)
	}
	return "<unread: valueFrom>"
}
