package overlay

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// SparkSetting is where a Spark configuration key lands in the composition
// for one role: the Config field (by JSON name) and the key in it.
type SparkSetting struct {
	// Field is labels, annotations, nodeSelector, serviceAccountName,
	// schedulerName, env, hadoopConf or sparkConf.
	Field string
	// Item is the key in Field: a label, annotation, node label or Hadoop
	// key, an environment variable's name, or the canonical Spark key; ""
	// for serviceAccountName and schedulerName.
	Item string
	// FromSecret is an env variable Spark takes from a Secret: the key's
	// value is secret:key (SecretKeyRefEnv).
	FromSecret bool
	// general is a key that sets the same as a role's own key, which wins
	// over it (spark.kubernetes.node.selector.* under
	// spark.kubernetes.driver.node.selector.*).
	general bool
}

// SparkConfTarget is where key, a Spark configuration key, lands when
// composing for role. A key that sets a pod setting of role is that
// setting, so a layer that writes either spelling governs both:
//
//	spark.kubernetes.<role>.label.K            labels[K]
//	spark.kubernetes.<role>.annotation.K       annotations[K]
//	spark.kubernetes.<role>.node.selector.K    nodeSelector[K]
//	spark.kubernetes.node.selector.K           nodeSelector[K] (the role's own key wins)
//	spark.kubernetes.authenticate.<role>.serviceAccountName  serviceAccountName
//	spark.kubernetes.<role>.scheduler.name     schedulerName
//	spark.kubernetes.scheduler.name            schedulerName (the role's own key wins)
//	spark.hadoop.K                             hadoopConf[K]
//	spark.kubernetes.driverEnv.K (the driver), spark.executorEnv.K (executors)
//	                                           env[K] of the Spark container
//	spark.kubernetes.<role>.secretKeyRef.K     env[K] of the Spark container, from
//	                                           the Secret's key the value names
//
// spark.kubernetes.container.image is the image of both roles, so for a
// role it is spark.kubernetes.<role>.container.image (which wins over
// it). Every other key is itself, in sparkConf; so is every key when role
// is neither driver nor executor.
func SparkConfTarget(role v1alpha1.Role, key string) SparkSetting {
	if role != v1alpha1.RoleDriver && role != v1alpha1.RoleExecutor {
		return SparkSetting{Field: "sparkConf", Item: key}
	}
	// The prefixes are cut in parts, not built for role: this runs for
	// every Spark key of every block composed.
	if rest, ok := cutRolePrefix(key, "spark.kubernetes.", role); ok {
		if rest == "scheduler.name" {
			return SparkSetting{Field: "schedulerName"}
		}
		if k, ok := strings.CutPrefix(rest, "secretKeyRef."); ok && k != "" {
			return SparkSetting{Field: "env", Item: k, FromSecret: true}
		}
		for _, m := range [...]struct{ prefix, field string }{
			{"label.", "labels"},
			{"annotation.", "annotations"},
			{"node.selector.", "nodeSelector"},
		} {
			if k, ok := strings.CutPrefix(rest, m.prefix); ok && k != "" {
				return SparkSetting{Field: m.field, Item: k}
			}
		}
	}
	if k, ok := strings.CutPrefix(key, SparkNodeSelectorPrefix); ok && k != "" {
		return SparkSetting{Field: "nodeSelector", Item: k, general: true}
	}
	if key == SparkSchedulerName {
		return SparkSetting{Field: "schedulerName", general: true}
	}
	if rest, ok := cutRolePrefix(key, "spark.kubernetes.authenticate.", role); ok && rest == "serviceAccountName" {
		return SparkSetting{Field: "serviceAccountName"}
	}
	if k, ok := strings.CutPrefix(key, SparkEnvPrefix(role)); ok && k != "" {
		return SparkSetting{Field: "env", Item: k}
	}
	if k, ok := strings.CutPrefix(key, SparkHadoopPrefix); ok && k != "" {
		return SparkSetting{Field: "hadoopConf", Item: k}
	}
	if key == SparkContainerImage {
		return SparkSetting{Field: "sparkConf", Item: SparkRoleImage(role), general: true}
	}
	return SparkSetting{Field: "sparkConf", Item: key}
}

// cutRolePrefix is strings.CutPrefix(key, prefix+role+".").
func cutRolePrefix(key, prefix string, role v1alpha1.Role) (string, bool) {
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok {
		return "", false
	}
	if rest, ok = strings.CutPrefix(rest, string(role)); !ok {
		return "", false
	}
	return strings.CutPrefix(rest, ".")
}

// IsGeneral reports whether the key is a shared key that a role's own key
// of the same setting wins over (spark.kubernetes.node.selector.*,
// spark.kubernetes.container.image).
func (s SparkSetting) IsGeneral() bool { return s.general }

// Spark keys the composition knows by name.
const (
	// SparkNodeSelectorPrefix is followed by a node label key; it selects
	// nodes for the driver and the executors.
	SparkNodeSelectorPrefix = "spark.kubernetes.node.selector."
	// SparkHadoopPrefix is followed by a Hadoop configuration key: Spark
	// passes spark.hadoop.K to Hadoop as K, which is what hadoopConf[K]
	// is (the Spark Operator passes hadoopConf as these keys, after
	// sparkConf).
	SparkHadoopPrefix = "spark.hadoop."
	// SparkContainerImage is the image of the driver and the executors.
	SparkContainerImage = "spark.kubernetes.container.image"
	// SparkSchedulerName is the scheduler of the driver's and the
	// executors' pods (Spark 3.3), under spark.kubernetes.<role>.scheduler.name.
	SparkSchedulerName = "spark.kubernetes.scheduler.name"
)

// SparkEnvPrefix is the prefix of the keys that set an environment
// variable of role's Spark container: spark.kubernetes.driverEnv. for the
// driver, spark.executorEnv. for executors.
func SparkEnvPrefix(role v1alpha1.Role) string {
	if role == v1alpha1.RoleDriver {
		return "spark.kubernetes.driverEnv."
	}
	return "spark.executorEnv."
}

// SparkRoleImage is the key of role's own image, which wins over
// SparkContainerImage.
func SparkRoleImage(role v1alpha1.Role) string {
	switch role { // the roles' keys without building them
	case v1alpha1.RoleDriver:
		return "spark.kubernetes.driver.container.image"
	case v1alpha1.RoleExecutor:
		return "spark.kubernetes.executor.container.image"
	}
	return "spark.kubernetes." + string(role) + ".container.image"
}

// foldSparkConf folds a block's Spark configuration: each key into the
// setting it is for the folder's role (SparkConfTarget), general keys
// before a role's own, so the role's own wins as in Spark; a general key
// the block's own nodeSelector or schedulerName sets too is the role's own
// there, and is not folded.
func (f folder) foldSparkConf(r *Result, c *v1alpha1.Config) {
	conf := c.SparkConf
	if len(conf) == 0 {
		return
	}
	type entry struct {
		key string
		to  SparkSetting
	}
	entries := make([]entry, 0, len(conf))
	for k := range conf {
		to := SparkConfTarget(f.role, k)
		if _, own := c.NodeSelector[to.Item]; own && to.general && to.Field == "nodeSelector" {
			continue
		}
		if to.general && to.Field == "schedulerName" && c.SchedulerName != nil {
			continue
		}
		entries = append(entries, entry{k, to})
	}
	slices.SortFunc(entries, func(a, b entry) int {
		if a.to.general != b.to.general {
			if a.to.general {
				return -1
			}
			return 1
		}
		return strings.Compare(a.key, b.key)
	})
	out := &r.Config
	for _, e := range entries {
		v := conf[e.key]
		switch e.to.Field {
		case "labels":
			out.Labels = f.foldEntry(PathLabels, out.Labels, e.to.Item, v)
		case "annotations":
			out.Annotations = f.foldEntry(PathAnnotations, out.Annotations, e.to.Item, v)
		case "nodeSelector":
			out.NodeSelector = f.foldEntry(PathNodeSelector, out.NodeSelector, e.to.Item, v)
		case "serviceAccountName":
			foldScalar(f, FieldKey(PathServiceAccountName), &out.ServiceAccountName, &v)
		case "schedulerName":
			foldScalar(f, FieldKey(PathSchedulerName), &out.SchedulerName, &v)
		case "hadoopConf":
			out.HadoopConf = f.foldEntry(PathHadoopConf, out.HadoopConf, e.to.Item, v)
		case "env":
			env, ok := corev1.EnvVar{Name: e.to.Item, Value: v}, true
			if e.to.FromSecret {
				env, ok = SecretKeyRefEnv(e.to.Item, v)
			}
			if !ok {
				// Never in a valid Layer (sparkPodSetting): Spark launches
				// no pod with it.
				out.SparkConf = f.foldEntry(PathSparkConf, out.SparkConf, e.key, v)
				continue
			}
			out.Env = foldKeyed(f, PathEnv, out.Env, []corev1.EnvVar{env}, EnvKey, RenderEnv)
		default:
			out.SparkConf = f.foldEntry(PathSparkConf, out.SparkConf, e.to.Item, v)
		}
	}
}

// SecretKeyRefEnv is the variable name Spark takes from a Secret for
// spark.kubernetes.<role>.secretKeyRef.<name> = value, which names the
// Secret and its key as secret:key (EnvSecretsFeatureStep); false for a
// value Spark refuses, which is not those two parts.
func SecretKeyRefEnv(name, value string) (corev1.EnvVar, bool) {
	ref := strings.Split(value, ":")
	if len(ref) != 2 {
		return corev1.EnvVar{}, false
	}
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: ref[0]}, Key: ref[1]}}}, true
}

// SparkKeyRole is the role a Spark key is for, and the composition a
// SparkApplication's key is read from: the executors' for the keys that
// size, count, place or authenticate executors (their off-heap memory and
// the executors' YARN-era overhead key among them), the driver's for
// every other (the driver holds the job's configuration).
func SparkKeyRole(key string) v1alpha1.Role {
	if key == "spark.unsafe.offHeap" {
		return v1alpha1.RoleExecutor
	}
	for _, p := range []string{"spark.executor.", "spark.executorEnv.", "spark.kubernetes.executor.", "spark.dynamicAllocation.",
		"spark.memory.offHeap.", "spark.yarn.executor.", "spark.kubernetes.authenticate.executor."} {
		if strings.HasPrefix(key, p) {
			return v1alpha1.RoleExecutor
		}
	}
	return v1alpha1.RoleDriver
}
