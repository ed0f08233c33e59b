package policy

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// awsRoleEnv is the variable IRSA gives a container its role by.
const awsRoleEnv = "AWS_ROLE_ARN"

// forEachEnvRole calls fn with the role each AWS_ROLE_ARN entry of each
// container of pod (ephemeral ones included) gives that container at run
// time (envRole), in the pod's order.
func forEachEnvRole(pod *corev1.Pod, fn func(container, role string)) {
	forEachContainer(pod, func(c *corev1.Container) {
		for j := range c.Env {
			if c.Env[j].Name == awsRoleEnv {
				fn(c.Name, envRole(c.Env, j))
			}
		}
	})
}

// envRole is the value env[j] has in its container at run time, as the
// kubelet computes it (makeEnvironmentVariables): a value taken from
// elsewhere is unread (roleFrom), and a value written out has each
// $(NAME) in it expanded from the variables before it. A reference only a
// literal variable before it defines is read; any other could be anything
// at run time (a variable from a Secret or a ConfigMap, one of envFrom, a
// Service's, or the reference itself left as written), so the whole value
// is unread. A tenant cannot build a role past the allowlist out of parts.
func envRole(env []corev1.EnvVar, j int) string {
	e := &env[j]
	if e.ValueFrom != nil {
		return roleFrom(e.ValueFrom)
	}
	if !strings.Contains(e.Value, "$") {
		return e.Value
	}
	earlier := make(map[string]string, j) // the literal variables before j, expanded
	for i := range env[:j] {
		v := &env[i]
		value, ok := "", false
		if v.ValueFrom == nil {
			value, ok = expandEnv(v.Value, earlier)
		}
		if ok {
			earlier[v.Name] = value
		} else {
			delete(earlier, v.Name)
		}
	}
	value, ok := expandEnv(e.Value, earlier)
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
// when a reference names a variable vars lacks.
func expandEnv(value string, vars map[string]string) (string, bool) {
	if !strings.Contains(value, "$") {
		return value, true
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(value, '$')
		if i < 0 || i == len(value)-1 {
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
			if !ok {
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
