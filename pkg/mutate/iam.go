package mutate

import (
	"fmt"

	"github.com/gobwas/glob"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// IAMRoleAnnotation is the pod annotation KIAM and kube2iam read a pod's
// IAM role from.
const IAMRoleAnnotation = "iam.amazonaws.com/role"

// What the EKS Pod Identity Webhook writes.
const (
	irsaVolume          = "aws-iam-token"
	irsaMountPath       = "/var/run/secrets/eks.amazonaws.com/serviceaccount"
	irsaTokenPath       = "token"
	irsaAudience        = "sts.amazonaws.com"
	irsaTokenExpiration = int64(86400)
)

// IAMRoleAllowed reports whether role matches one of globs, as the
// isolation policy's allowedIAMRoles matches it: `*` within an ARN segment
// (between `:` or `/`), `**` across them. It uses the glob library OPA's
// glob.match uses, with the same delimiters, so the two always agree. A
// glob that does not compile matches nothing.
func IAMRoleAllowed(globs []string, role string) bool {
	for _, g := range globs {
		if m, err := glob.Compile(g, ':', '/'); err == nil && m.Match(role) {
			return true
		}
	}
	return false
}

// iamRoleKey is the provenance key of the composed IAM role.
var iamRoleKey = overlay.SubKey(overlay.PathIAM, "role")

// grantIAM withdraws from the composition an IAM role the user asked for
// that no allowedIAMRoles in force permits, so Strata never writes onto a
// pod a role the isolation policy would deny had the tenant written it;
// the policy then judges the request (strata.dev/iam-role) itself. A role a
// layer chose is the platform's and is rendered as it is. It returns the
// warning that says so.
func grantIAM(comp *overlay.Result) []string {
	c := &comp.Config
	if c.IAM == nil || c.IAM.Role == nil || *c.IAM.Role == "" {
		return nil
	}
	f, ok := comp.Provenance.Lookup(iamRoleKey)
	if !ok || !f.Winner.IsUser() {
		return nil
	}
	for _, b := range f.Beaten {
		if !b.Source.IsUser() && b.Value == f.Value {
			return nil // a layer gives the same role: the platform's choice
		}
	}
	role := *c.IAM.Role
	var allowed []string
	if c.Isolation != nil {
		allowed = c.Isolation.AllowedIAMRoles
	}
	if IAMRoleAllowed(allowed, role) {
		return nil
	}
	c.IAM.Role = nil
	return []string{fmt.Sprintf("%s: IAM role %q not granted: no isolation.allowedIAMRoles in force allows it", v1alpha1.IAMRoleAnnotation, role)}
}

// iamAnnotated reports whether c gives the pod a role by annotation.
func iamAnnotated(c *v1alpha1.Config) bool {
	return c.IAM != nil && c.IAM.Role != nil && *c.IAM.Role != "" &&
		(c.IAM.Mode == nil || *c.IAM.Mode == v1alpha1.IAMModeAnnotation)
}

// deriveIAMAnnotation records the IAM annotation as rendered from iam.role,
// beating the pod's own value old (when it had one that differs).
func deriveIAMAnnotation(prov *overlay.Provenance, role, old string, had bool) {
	var beaten []overlay.Contribution
	if had && old != role {
		beaten = append(beaten, overlay.Contribution{Source: overlay.UserSource(), Value: old})
	}
	prov.Derive(overlay.MapKey(overlay.PathAnnotations, IAMRoleAnnotation), role,
		overlay.RenderedSource(overlay.PathIAMRole), beaten...)
}

// renderIAM gives the pod its composed IAM role: the iam.amazonaws.com/role
// annotation (mode annotation, the default), or IRSA: AWS_ROLE_ARN,
// AWS_WEB_IDENTITY_TOKEN_FILE and AWS_STS_REGIONAL_ENDPOINTS in every
// container and init container, and a projected service-account token for
// audience sts.amazonaws.com mounted in each of them. An empty role renders
// nothing.
//
// The annotation is recorded in provenance as rendered from iam.role, so it
// is never taken for one the user wrote.
func renderIAM(pod *corev1.Pod, roleOf v1alpha1.Role, c *v1alpha1.Config, prov *overlay.Provenance) {
	if c.IAM == nil || c.IAM.Role == nil || *c.IAM.Role == "" {
		return
	}
	role := *c.IAM.Role
	if iamAnnotated(c) {
		if pod.Annotations == nil {
			pod.Annotations = map[string]string{}
		}
		old, had := pod.Annotations[IAMRoleAnnotation]
		deriveIAMAnnotation(prov, role, old, had)
		pod.Annotations[IAMRoleAnnotation] = role
		return
	}
	volume := corev1.Volume{Name: irsaVolume, VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
		Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{
			Audience: irsaAudience, ExpirationSeconds: ptrTo(irsaTokenExpiration), Path: irsaTokenPath,
		}}},
	}}}
	// What IRSA replaces of the pod's volumes and of the Spark container's
	// env and mounts is recorded as rendered from iam.role, as the
	// annotation is.
	from := func(string) overlay.Source { return overlay.RenderedSource(overlay.PathIAMRole) }
	pod.Spec.Volumes = upsertNoting(pod.Spec.Volumes, []corev1.Volume{volume}, overlay.VolumeKey, copyInto[corev1.Volume],
		replacedIn(prov, overlay.PathVolumes, from, overlay.RenderJSON[corev1.Volume]))
	env := []corev1.EnvVar{
		{Name: "AWS_STS_REGIONAL_ENDPOINTS", Value: "regional"},
		{Name: "AWS_ROLE_ARN", Value: role},
		{Name: "AWS_WEB_IDENTITY_TOKEN_FILE", Value: irsaMountPath + "/" + irsaTokenPath},
	}
	mount := []corev1.VolumeMount{{Name: irsaVolume, MountPath: irsaMountPath, ReadOnly: true}}
	spark := sparkContainer(pod, roleOf)
	for i := range pod.Spec.InitContainers {
		ctr := &pod.Spec.InitContainers[i]
		ctr.Env = upsert(ctr.Env, env, overlay.EnvKey, copyInto[corev1.EnvVar])
		ctr.VolumeMounts = upsert(ctr.VolumeMounts, mount, overlay.VolumeMountKey, copyInto[corev1.VolumeMount])
	}
	for i := range pod.Spec.Containers {
		ctr := &pod.Spec.Containers[i]
		if i != spark {
			ctr.Env = upsert(ctr.Env, env, overlay.EnvKey, copyInto[corev1.EnvVar])
			ctr.VolumeMounts = upsert(ctr.VolumeMounts, mount, overlay.VolumeMountKey, copyInto[corev1.VolumeMount])
			continue
		}
		ctr.Env = upsertNoting(ctr.Env, env, overlay.EnvKey, copyInto[corev1.EnvVar], replacedIn(prov, overlay.PathEnv, from, overlay.RenderEnv))
		ctr.VolumeMounts = upsertNoting(ctr.VolumeMounts, mount, overlay.VolumeMountKey, copyInto[corev1.VolumeMount],
			replacedIn(prov, overlay.PathVolumeMounts, from, overlay.RenderJSON[corev1.VolumeMount]))
	}
}
