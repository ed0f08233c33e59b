package mutate

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// What KIAM/kube2iam read, and what the EKS Pod Identity Webhook writes.
const (
	iamRoleAnnotation   = "iam.amazonaws.com/role"
	irsaVolume          = "aws-iam-token"
	irsaMountPath       = "/var/run/secrets/eks.amazonaws.com/serviceaccount"
	irsaTokenPath       = "token"
	irsaAudience        = "sts.amazonaws.com"
	irsaTokenExpiration = int64(86400)
)

// renderIAM gives the pod its composed IAM role: the iam.amazonaws.com/role
// annotation (mode annotation, the default), or IRSA: AWS_ROLE_ARN,
// AWS_WEB_IDENTITY_TOKEN_FILE and AWS_STS_REGIONAL_ENDPOINTS in every
// container and init container, and a projected service-account token for
// audience sts.amazonaws.com mounted in each of them. An empty role renders
// nothing.
//
// The annotation is recorded in provenance as rendered from iam.role, so it
// is never taken for one the user wrote.
func renderIAM(pod *corev1.Pod, c *v1alpha1.Config, prov *overlay.Provenance) {
	if c.IAM == nil || c.IAM.Role == nil || *c.IAM.Role == "" {
		return
	}
	role := *c.IAM.Role
	if c.IAM.Mode == nil || *c.IAM.Mode == v1alpha1.IAMModeAnnotation {
		if pod.Annotations == nil {
			pod.Annotations = map[string]string{}
		}
		var beaten []overlay.Contribution
		if old, ok := pod.Annotations[iamRoleAnnotation]; ok && old != role {
			beaten = append(beaten, overlay.Contribution{Source: overlay.UserSource(), Value: strconv.Quote(old)})
		}
		prov.Derive(overlay.KeyPath(overlay.PathAnnotations, iamRoleAnnotation), strconv.Quote(role),
			overlay.RenderedSource(overlay.PathIAMRole), beaten...)
		pod.Annotations[iamRoleAnnotation] = role
		return
	}
	volume := corev1.Volume{Name: irsaVolume, VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
		Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{
			Audience: irsaAudience, ExpirationSeconds: ptrTo(irsaTokenExpiration), Path: irsaTokenPath,
		}}},
	}}}
	pod.Spec.Volumes = upsert(pod.Spec.Volumes, []corev1.Volume{volume}, overlay.VolumeKey, cloneOf[corev1.Volume])
	env := []corev1.EnvVar{
		{Name: "AWS_STS_REGIONAL_ENDPOINTS", Value: "regional"},
		{Name: "AWS_ROLE_ARN", Value: role},
		{Name: "AWS_WEB_IDENTITY_TOKEN_FILE", Value: irsaMountPath + "/" + irsaTokenPath},
	}
	mount := []corev1.VolumeMount{{Name: irsaVolume, MountPath: irsaMountPath, ReadOnly: true}}
	forEachContainer(pod, func(ctr *corev1.Container) {
		ctr.Env = upsert(ctr.Env, env, overlay.EnvKey, cloneOf[corev1.EnvVar])
		ctr.VolumeMounts = upsert(ctr.VolumeMounts, mount, overlay.VolumeMountKey, cloneOf[corev1.VolumeMount])
	})
}
