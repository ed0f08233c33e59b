package mutate

import (
	"maps"
	"path"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/sparkvalue"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// confEnv is the environment Spark's configuration gives role's Spark
// container: its values (spark.kubernetes.driverEnv.<name> for the driver,
// spark.executorEnv.<name> for executors), sorted by name, then the
// variables it takes from Secrets (spark.kubernetes.<role>.secretKeyRef.<name>
// = secret:key, EnvSecretsFeatureStep), sorted by name. A reference Spark
// would refuse (not two parts) is left out: Spark launches no pod with it.
func confEnv(conf map[string]string, role v1alpha1.Role) []corev1.EnvVar {
	prefix := overlay.SparkEnvPrefix(role)
	secretPrefix := secretKeyRefPrefix(role)
	var env, fromSecrets []corev1.EnvVar
	for _, k := range slices.Sorted(maps.Keys(conf)) {
		if name, ok := strings.CutPrefix(k, prefix); ok && name != "" {
			env = append(env, corev1.EnvVar{Name: name, Value: conf[k]})
		}
		if name, ok := strings.CutPrefix(k, secretPrefix); ok && name != "" {
			if e, ok := overlay.SecretKeyRefEnv(name, conf[k]); ok {
				fromSecrets = append(fromSecrets, e)
			}
		}
	}
	return append(env, fromSecrets...)
}

// withSecretKeyRefs is conf with refs, a SparkApplication section's
// envSecretKeyRefs, as the keys the operator passes them as after
// sparkConf (spark.kubernetes.<role>.secretKeyRef.<name> = secret:key):
// one setting per variable, as Spark reads them.
func withSecretKeyRefs(conf map[string]string, refs map[string]sparkv1beta2.NameKey, role v1alpha1.Role) map[string]string {
	if len(refs) == 0 {
		return conf
	}
	out := maps.Clone(conf)
	if out == nil {
		out = make(map[string]string, len(refs))
	}
	for name, ref := range refs {
		out[secretKeyRefPrefix(role)+name] = ref.Name + ":" + ref.Key
	}
	return out
}

// secretKeyRefPrefix starts the keys of role's variables from Secrets.
func secretKeyRefPrefix(role v1alpha1.Role) string {
	return "spark.kubernetes." + string(role) + ".secretKeyRef."
}

// secretEnv are the variables the operator passes for a section's typed
// secrets, in their order: where a service account's key or a delegation
// token is (GOOGLE_APPLICATION_CREDENTIALS, HADOOP_TOKEN_FILE_LOCATION).
func secretEnv(secrets []sparkv1beta2.SecretInfo) []corev1.EnvVar {
	var out []corev1.EnvVar
	for _, sec := range secrets {
		switch sec.Type {
		case sparkv1beta2.SecretTypeGCPServiceAccount:
			out = append(out, corev1.EnvVar{Name: "GOOGLE_APPLICATION_CREDENTIALS", Value: path.Join(sec.Path, "key.json")})
		case sparkv1beta2.SecretTypeHadoopDelegationToken:
			out = append(out, corev1.EnvVar{Name: "HADOOP_TOKEN_FILE_LOCATION", Value: path.Join(sec.Path, "hadoop.token")})
		}
	}
	return out
}

// mapEnv is env, a SparkApplication section's envVars, as variables
// sorted by name.
func mapEnv(env map[string]string) []corev1.EnvVar {
	var out []corev1.EnvVar
	for _, name := range slices.Sorted(maps.Keys(env)) {
		out = append(out, corev1.EnvVar{Name: name, Value: env[name]})
	}
	return out
}

// sparkSecretsPrefix starts the keys spark.kubernetes.<role>.secrets.<name>
// = path, each a Secret Spark mounts in role's Spark container.
func sparkSecretsPrefix(role v1alpha1.Role) string {
	return "spark.kubernetes." + string(role) + ".secrets."
}

// confVolumes are the volumes, and their mounts in the Spark container,
// that Spark adds to role's pods from its configuration: first each
// Secret of spark.kubernetes.<role>.secrets.<name> = path, as volume
// <name>-volume mounted at path (MountSecretsFeatureStep), by name; then
// those of spark.kubernetes.<role>.volumes.<type>.<name>.mount.path and
// .options.* (KubernetesVolumeUtils and MountVolumesFeatureStep): hostPath,
// emptyDir, nfs and persistentVolumeClaim, in the order of their type and
// name. A volume Spark would refuse (no mount path, a type it does not
// know, an option it requires missing) is left out: Spark launches no pod
// with it.
func confVolumes(conf map[string]string, role v1alpha1.Role) ([]corev1.Volume, []corev1.VolumeMount) {
	prefix := "spark.kubernetes." + string(role) + ".volumes."
	secretPrefix := sparkSecretsPrefix(role)
	byVolume := map[[2]string]map[string]string{}
	secrets := map[string]string{}
	for k, v := range conf {
		if name, ok := strings.CutPrefix(k, secretPrefix); ok && name != "" {
			secrets[name] = v
			continue
		}
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		parts := strings.SplitN(rest, ".", 3)
		if len(parts) < 3 {
			continue
		}
		id := [2]string{parts[0], parts[1]}
		if byVolume[id] == nil {
			byVolume[id] = map[string]string{}
		}
		byVolume[id][parts[2]] = v
	}
	var (
		volumes []corev1.Volume
		mounts  []corev1.VolumeMount
	)
	for _, name := range slices.Sorted(maps.Keys(secrets)) {
		vol := name + "-volume"
		volumes = append(volumes, corev1.Volume{Name: vol, VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: name}}})
		mounts = append(mounts, corev1.VolumeMount{Name: vol, MountPath: secrets[name]})
	}
	for _, id := range slices.SortedFunc(maps.Keys(byVolume), func(a, b [2]string) int {
		return strings.Compare(a[0]+"\x00"+a[1], b[0]+"\x00"+b[1])
	}) {
		props := byVolume[id]
		path, ok := props["mount.path"]
		if !ok {
			continue
		}
		src, ok := confVolumeSource(id[0], props)
		if !ok {
			continue
		}
		volumes = append(volumes, corev1.Volume{Name: id[1], VolumeSource: src})
		readOnly, _ := sparkvalue.ParseSwitch(props["mount.readOnly"])
		mounts = append(mounts, corev1.VolumeMount{Name: id[1], MountPath: path, ReadOnly: readOnly,
			SubPath: props["mount.subPath"], SubPathExpr: props["mount.subPathExpr"]})
	}
	return volumes, mounts
}

// confVolumeSource is the source of a volume of type kind with options
// props, as Spark builds it; false when Spark refuses it.
func confVolumeSource(kind string, props map[string]string) (corev1.VolumeSource, bool) {
	opt := func(name string) (string, bool) { v, ok := props["options."+name]; return v, ok }
	switch kind {
	case "hostPath":
		path, ok := opt("path")
		if !ok {
			return corev1.VolumeSource{}, false
		}
		t, _ := opt("type")
		return corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: path, Type: (*corev1.HostPathType)(&t)}}, true
	case "emptyDir":
		// Its size limit is left out: no policy reads it, and a size a
		// tenant writes is no quantity to parse unbounded.
		m, _ := opt("medium")
		return corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMedium(m)}}, true
	case "nfs":
		path, okPath := opt("path")
		server, okServer := opt("server")
		if !okPath || !okServer {
			return corev1.VolumeSource{}, false
		}
		return corev1.VolumeSource{NFS: &corev1.NFSVolumeSource{Path: path, Server: server}}, true
	case "persistentVolumeClaim":
		claim, ok := opt("claimName")
		if !ok {
			return corev1.VolumeSource{}, false
		}
		return corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim}}, true
	}
	return corev1.VolumeSource{}, false
}
