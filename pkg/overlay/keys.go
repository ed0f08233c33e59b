package overlay

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// The merge keys of the keyed lists, and how values are rendered as text
// in provenance and in `composer -o explain`.

// TolerationKey is the merge key of a toleration: key/effect, with * standing
// for an empty key (all keys) or an empty effect (all effects).
func TolerationKey(t *corev1.Toleration) string {
	k, e := t.Key, string(t.Effect)
	if k == "" {
		k = "*"
	}
	if e == "" {
		e = "*"
	}
	return k + "/" + e
}

// RenderToleration renders a toleration the way kubectl describe does:
// key=value:effect, op=Exists, and the toleration seconds.
func RenderToleration(t *corev1.Toleration) string {
	s := t.Key
	if t.Value != "" {
		s += "=" + t.Value
	}
	if t.Effect != "" {
		s += ":" + string(t.Effect)
	}
	if t.Operator == corev1.TolerationOpExists {
		s += " op=Exists"
	}
	if t.TolerationSeconds != nil {
		s += fmt.Sprintf(" for %ds", *t.TolerationSeconds)
	}
	if s == "" {
		s = "(empty)"
	}
	return s
}

// ContainerKey is the merge key of a container: its name.
func ContainerKey(c *corev1.Container) string { return c.Name }

// RenderContainer renders a container as its image and a short digest of
// its whole definition, so two definitions differ in text when they differ
// at all.
func RenderContainer(c *corev1.Container) string {
	return fmt.Sprintf("%s [%s]", c.Image, digest(c))
}

// EnvKey is the merge key of an environment variable: its name.
func EnvKey(e *corev1.EnvVar) string { return e.Name }

// RenderEnv renders an environment variable's value, or its source.
func RenderEnv(e *corev1.EnvVar) string {
	if e.ValueFrom != nil {
		return "from " + RenderJSON(e.ValueFrom)
	}
	return strconv.Quote(e.Value)
}

// EnvFromKey is the merge key of an envFrom source: kind/name/prefix.
func EnvFromKey(e *corev1.EnvFromSource) string {
	switch {
	case e.ConfigMapRef != nil:
		return "configMap/" + e.ConfigMapRef.Name + "/" + e.Prefix
	case e.SecretRef != nil:
		return "secret/" + e.SecretRef.Name + "/" + e.Prefix
	}
	return "unknown/" + e.Prefix
}

// VolumeKey is the merge key of a volume: its name.
func VolumeKey(v *corev1.Volume) string { return v.Name }

// VolumeMountKey is the merge key of a volume mount: its mount path.
func VolumeMountKey(m *corev1.VolumeMount) string { return m.MountPath }

// SecretMountKey is the merge key of a secret mount: secret@mountPath, or
// secret@env for one added as environment variables.
func SecretMountKey(s *v1alpha1.SecretMount) string {
	if s.AsEnv {
		return s.SecretName + "@env"
	}
	return s.SecretName + "@" + s.MountPath
}

// ImageMirrorKey is the merge key of an image mirror: its from prefix,
// without a trailing "/" (docker.io/ is docker.io).
func ImageMirrorKey(m *v1alpha1.ImageMirror) string { return strings.TrimSuffix(m.From, "/") }

// RenderImageMirror renders a mirror as "-> to".
func RenderImageMirror(m *v1alpha1.ImageMirror) string { return "-> " + m.To }

// RenderJSON renders a value as provenance renders a list element's or a
// structured value: its JSON.
func RenderJSON[T any](v *T) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%+v", *v)
	}
	return string(b)
}

func digest[T any](v *T) string {
	sum := sha256.Sum256([]byte(RenderJSON(v)))
	return hex.EncodeToString(sum[:4])
}
