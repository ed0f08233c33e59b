package overlay

import (
	"path"
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// iamRoleARN is the form of an AWS IAM role ARN, in any partition.
var iamRoleARN = regexp.MustCompile(`^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$`)

// injection checks the injection fields of one config block.
func (v *validator) injection(p *field.Path, c *v1alpha1.Config) {
	v.containers(p.Child("sidecars"), c.Sidecars, true)
	v.containers(p.Child("initContainers"), c.InitContainers, false)
	if m := c.SidecarMode; m != nil && *m != v1alpha1.SidecarModeNative && *m != v1alpha1.SidecarModeContainer {
		v.errs = append(v.errs, field.NotSupported(p.Child("sidecarMode"), *m,
			[]v1alpha1.SidecarMode{v1alpha1.SidecarModeNative, v1alpha1.SidecarModeContainer}))
	}
	v.envVars(p.Child("env"), c.Env)
	v.envSources(p.Child("env"), c.Env)
	seen := map[string]int{}
	for i := range c.EnvFrom {
		ep := p.Child("envFrom").Index(i)
		e := &c.EnvFrom[i]
		if (e.ConfigMapRef == nil) == (e.SecretRef == nil) {
			v.invalid(ep, field.OmitValueType{}, "set exactly one of configMapRef and secretRef")
		} else {
			v.envFromSource(ep, e)
		}
		v.duplicate(seen, ep, EnvFromKey(e), i, "envFrom source")
	}
	seen = map[string]int{}
	for i := range c.Volumes {
		vp := p.Child("volumes").Index(i)
		vol := &c.Volumes[i]
		v.addAll(vp.Child("name"), vol.Name, validation.IsDNS1123Label(vol.Name))
		if n := len(volumeSources(&vol.VolumeSource)); n != 1 {
			v.invalid(vp, field.OmitValueType{}, "set exactly one volume source (secret, configMap, emptyDir, projected, ...), got %d", n)
		} else {
			v.volumeSource(vp, &vol.VolumeSource)
		}
		v.duplicate(seen, vp, vol.Name, i, "volume name")
	}
	v.mounts(p.Child("volumeMounts"), c.VolumeMounts)
	v.mountRules(p.Child("volumeMounts"), c.VolumeMounts, nil)
	seen = map[string]int{}
	for i := range c.Secrets {
		sp := p.Child("secrets").Index(i)
		s := &c.Secrets[i]
		if s.SecretName == "" {
			v.required(sp.Child("secretName"), "the Secret to inject")
		} else {
			v.addAll(sp.Child("secretName"), s.SecretName, validation.IsDNS1123Subdomain(s.SecretName))
		}
		switch {
		case s.AsEnv && s.MountPath != "":
			v.forbidden(sp.Child("asEnv"), "set either mountPath or asEnv, not both")
		case !s.AsEnv && s.MountPath == "":
			v.required(sp.Child("mountPath"), "set mountPath (mount the Secret) or asEnv: true (add it as environment variables)")
		case s.MountPath != "" && !path.IsAbs(s.MountPath):
			v.invalid(sp.Child("mountPath"), s.MountPath, "must be an absolute path")
		case s.AsEnv && len(s.Sidecars) > 0:
			v.forbidden(sp.Child("sidecars"), "only a mounted Secret can be shared with sidecars")
		}
		for j, name := range s.Sidecars {
			v.addAll(sp.Child("sidecars").Index(j), name, validation.IsDNS1123Label(name))
		}
		v.duplicate(seen, sp, SecretMountKey(s), i, "secret mount")
	}
	if c.IAM != nil {
		if r := c.IAM.Role; r != nil && *r != "" && !iamRoleARN.MatchString(*r) {
			v.invalid(p.Child("iam", "role"), *r, "not an IAM role ARN (want arn:aws:iam::<12-digit account>:role/<name>)")
		}
		if m := c.IAM.Mode; m != nil && *m != v1alpha1.IAMModeAnnotation && *m != v1alpha1.IAMModeIRSA {
			v.errs = append(v.errs, field.NotSupported(p.Child("iam", "mode"), *m,
				[]v1alpha1.IAMMode{v1alpha1.IAMModeAnnotation, v1alpha1.IAMModeIRSA}))
		}
	}
	seen = map[string]int{}
	for i := range c.ImageMirrors {
		mp := p.Child("imageMirrors").Index(i)
		m := &c.ImageMirrors[i]
		v.imagePrefix(mp.Child("from"), m.From)
		v.imagePrefix(mp.Child("to"), m.To)
		v.duplicate(seen, mp, ImageMirrorKey(m), i, "mirror of this prefix")
	}
	if c.PodPatch != nil {
		if err := CheckPodPatch(c.PodPatch.Raw, v.roles...); err != nil {
			v.invalid(p.Child("podPatch"), field.OmitValueType{}, "%v", err)
		}
	}
}

func (v *validator) containers(p *field.Path, cs []corev1.Container, sidecars bool) {
	seen := map[string]int{}
	for i := range cs {
		cp := p.Index(i)
		c := &cs[i]
		v.addAll(cp.Child("name"), c.Name, validation.IsDNS1123Label(c.Name))
		if c.Name == v1alpha1.SparkDriverContainer || c.Name == v1alpha1.SparkExecutorContainer {
			v.invalid(cp.Child("name"), c.Name, "is the name of the container Spark runs in, which a layer's container of that name would replace: name it otherwise")
		}
		if strings.TrimSpace(c.Image) == "" {
			v.required(cp.Child("image"), "")
		}
		if c.RestartPolicy != nil {
			switch {
			case sidecars && *c.RestartPolicy != corev1.ContainerRestartPolicyAlways:
				v.invalid(cp.Child("restartPolicy"), *c.RestartPolicy, "must be Always or unset for a sidecar")
			case !sidecars:
				v.forbidden(cp.Child("restartPolicy"), "must be unset for an init container (an init container with restartPolicy Always is a sidecar: use sidecars)")
			}
		}
		v.envVars(cp.Child("env"), c.Env)
		if j := sparkOwnVariable(c); j >= 0 {
			v.invalid(cp.Child("env").Index(j).Child("name"), c.Env[j].Name, "is the variable Spark sets in the container it runs in, by which Strata finds that container in a pod whose template named it otherwise; a layer's container cannot set it")
		}
		v.mounts(cp.Child("volumeMounts"), c.VolumeMounts)
		v.containerSpec(cp, c, sidecars)
		v.duplicate(seen, cp, c.Name, i, "container name")
	}
}

func (v *validator) envVars(p *field.Path, env []corev1.EnvVar) {
	seen := map[string]int{}
	for i := range env {
		ep := p.Index(i)
		e := &env[i]
		v.addAll(ep.Child("name"), e.Name, validation.IsEnvVarName(e.Name))
		v.duplicate(seen, ep, e.Name, i, "environment variable")
	}
}

func (v *validator) mounts(p *field.Path, mounts []corev1.VolumeMount) {
	seen := map[string]int{}
	for i := range mounts {
		mp := p.Index(i)
		m := &mounts[i]
		if m.Name == "" {
			v.required(mp.Child("name"), "the volume to mount")
		}
		if !path.IsAbs(m.MountPath) {
			v.invalid(mp.Child("mountPath"), m.MountPath, "must be an absolute path")
		}
		v.duplicate(seen, mp, m.MountPath, i, "mount path")
	}
}

// imagePrefix checks a registry or registry/path prefix. One trailing "/"
// is allowed (docker.io/ is docker.io), as registries are often written.
func (v *validator) imagePrefix(p *field.Path, prefix string) {
	trimmed := strings.TrimSuffix(prefix, "/")
	switch {
	case trimmed == "":
		v.required(p, "a registry or registry/path prefix")
	case strings.Contains(prefix, "://"):
		v.invalid(p, prefix, "must be a registry or registry/path prefix without a scheme")
	case strings.HasSuffix(trimmed, "/"), strings.ContainsAny(prefix, " @"):
		v.invalid(p, prefix, "must be a registry or registry/path prefix like mirror.internal or docker.io/apache")
	}
}
