package overlay

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// iamRoleARN is the form of an AWS IAM role ARN, in any partition.
var iamRoleARN = regexp.MustCompile(`^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$`)

// injection checks the injection fields of one config block.
func (v *validator) injection(p string, c *v1alpha1.Config) {
	v.containers(p+".sidecars", c.Sidecars, true)
	v.containers(p+".initContainers", c.InitContainers, false)
	if m := c.SidecarMode; m != nil && *m != v1alpha1.SidecarModeNative && *m != v1alpha1.SidecarModeContainer {
		v.add(p+".sidecarMode", "unknown sidecar mode %q (want native or container)", *m)
	}
	v.envVars(p+".env", c.Env)
	seen := map[string]int{}
	for i := range c.EnvFrom {
		field := fmt.Sprintf("%s.envFrom[%d]", p, i)
		e := &c.EnvFrom[i]
		switch {
		case (e.ConfigMapRef == nil) == (e.SecretRef == nil):
			v.add(field, "set exactly one of configMapRef and secretRef")
		case e.ConfigMapRef != nil && e.ConfigMapRef.Name == "", e.SecretRef != nil && e.SecretRef.Name == "":
			v.add(field, "the referenced name must not be empty")
		}
		v.duplicate(seen, field, EnvFromKey(e), i, "envFrom source")
	}
	seen = map[string]int{}
	for i := range c.Volumes {
		field := fmt.Sprintf("%s.volumes[%d]", p, i)
		vol := &c.Volumes[i]
		v.addAll(field+".name", "volume name", vol.Name, validation.IsDNS1123Label(vol.Name))
		if n := countSources(&vol.VolumeSource); n != 1 {
			v.add(field, "set exactly one volume source (secret, configMap, emptyDir, projected, ...), got %d", n)
		}
		v.duplicate(seen, field, vol.Name, i, "volume")
	}
	v.mounts(p+".volumeMounts", c.VolumeMounts)
	seen = map[string]int{}
	for i := range c.Secrets {
		field := fmt.Sprintf("%s.secrets[%d]", p, i)
		s := &c.Secrets[i]
		if s.SecretName == "" {
			v.add(field+".secretName", "must not be empty")
		} else {
			v.addAll(field+".secretName", "secret name", s.SecretName, validation.IsDNS1123Subdomain(s.SecretName))
		}
		switch {
		case s.AsEnv && s.MountPath != "":
			v.add(field, "set either mountPath or asEnv, not both")
		case !s.AsEnv && s.MountPath == "":
			v.add(field, "set mountPath (mount the Secret) or asEnv: true (add it as environment variables)")
		case s.MountPath != "" && !path.IsAbs(s.MountPath):
			v.add(field+".mountPath", "must be an absolute path, got %q", s.MountPath)
		case s.AsEnv && len(s.Sidecars) > 0:
			v.add(field+".sidecars", "only a mounted Secret can be shared with sidecars")
		}
		for j, name := range s.Sidecars {
			v.addAll(fmt.Sprintf("%s.sidecars[%d]", field, j), "container name", name, validation.IsDNS1123Label(name))
		}
		v.duplicate(seen, field, SecretMountKey(s), i, "secret mount")
	}
	if c.IAM != nil {
		if r := c.IAM.Role; r != nil && *r != "" && !iamRoleARN.MatchString(*r) {
			v.add(p+".iam.role", "invalid IAM role ARN %q (want arn:aws:iam::<12-digit account>:role/<name>)", *r)
		}
		if m := c.IAM.Mode; m != nil && *m != v1alpha1.IAMModeAnnotation && *m != v1alpha1.IAMModeIRSA {
			v.add(p+".iam.mode", "unknown IAM mode %q (want annotation or irsa)", *m)
		}
	}
	seen = map[string]int{}
	for i := range c.ImageMirrors {
		field := fmt.Sprintf("%s.imageMirrors[%d]", p, i)
		m := &c.ImageMirrors[i]
		v.imagePrefix(field+".from", m.From)
		v.imagePrefix(field+".to", m.To)
		v.duplicate(seen, field, m.From, i, "mirror of")
	}
	if c.PodPatch != nil {
		if err := CheckPodPatch(c.PodPatch.Raw, v.roles...); err != nil {
			v.add(p+".podPatch", "%v", err)
		}
	}
}

func (v *validator) duplicate(seen map[string]int, field, key string, i int, what string) {
	if j, dup := seen[key]; dup {
		v.add(field, "duplicate %s %s (also at index %d); a layer may set each once", what, key, j)
	}
	seen[key] = i
}

func (v *validator) containers(p string, cs []corev1.Container, sidecars bool) {
	seen := map[string]int{}
	for i := range cs {
		field := fmt.Sprintf("%s[%d]", p, i)
		c := &cs[i]
		v.addAll(field+".name", "container name", c.Name, validation.IsDNS1123Label(c.Name))
		if strings.TrimSpace(c.Image) == "" {
			v.add(field+".image", "must not be empty")
		}
		if c.RestartPolicy != nil {
			switch {
			case sidecars && *c.RestartPolicy != corev1.ContainerRestartPolicyAlways:
				v.add(field+".restartPolicy", "must be Always or unset for a sidecar, got %q", *c.RestartPolicy)
			case !sidecars:
				v.add(field+".restartPolicy", "must be unset for an init container (an init container with restartPolicy Always is a sidecar: use sidecars)")
			}
		}
		v.envVars(field+".env", c.Env)
		v.mounts(field+".volumeMounts", c.VolumeMounts)
		v.duplicate(seen, field, c.Name, i, "container")
	}
}

func (v *validator) envVars(p string, env []corev1.EnvVar) {
	seen := map[string]int{}
	for i := range env {
		field := fmt.Sprintf("%s[%d]", p, i)
		e := &env[i]
		v.addAll(field+".name", "environment variable name", e.Name, validation.IsEnvVarName(e.Name))
		if e.Value != "" && e.ValueFrom != nil {
			v.add(field, "set either value or valueFrom, not both")
		}
		v.duplicate(seen, field, e.Name, i, "environment variable")
	}
}

func (v *validator) mounts(p string, mounts []corev1.VolumeMount) {
	seen := map[string]int{}
	for i := range mounts {
		field := fmt.Sprintf("%s[%d]", p, i)
		m := &mounts[i]
		if m.Name == "" {
			v.add(field+".name", "must not be empty (the volume to mount)")
		}
		if !path.IsAbs(m.MountPath) {
			v.add(field+".mountPath", "must be an absolute path, got %q", m.MountPath)
		}
		v.duplicate(seen, field, m.MountPath, i, "mount at")
	}
}

func (v *validator) imagePrefix(field, prefix string) {
	switch {
	case prefix == "":
		v.add(field, "must not be empty")
	case strings.Contains(prefix, "://"):
		v.add(field, "must be a registry or registry/path prefix without a scheme, got %q", prefix)
	case strings.HasSuffix(prefix, "/"), strings.ContainsAny(prefix, " @"):
		v.add(field, "must be a registry or registry/path prefix like mirror.internal or docker.io/apache, got %q", prefix)
	}
}

// countSources counts the volume sources set in vs.
func countSources(vs *corev1.VolumeSource) int {
	b, err := json.Marshal(vs)
	if err != nil {
		return 0
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return 0
	}
	return len(m)
}
