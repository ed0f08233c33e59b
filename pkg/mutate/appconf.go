package mutate

import (
	"maps"
	"slices"
	"strings"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/sparkvalue"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// writeConf writes the job's Spark and Hadoop configuration: the user's,
// with every key a layer won from the composition that owns it
// (overlay.SparkKeyRole); each aliased setting in its typed field when a layer
// set it or the user wrote both spellings, its sparkConf spelling then
// removed.
func (r *AppResult) writeConf(user map[string]string) {
	s := &r.App.App.Spec
	conf := maps.Clone(user)
	layerWon := func(role v1alpha1.Role, root, key string) (string, bool) {
		w, ok := r.Role(role).Composition.Provenance.WinnerOf(overlay.MapKey(root, key))
		if !ok || w.IsUser() {
			return "", false
		}
		comp := r.Role(role).Composition.Config
		if root == overlay.PathHadoopConf {
			return comp.HadoopConf[key], true
		}
		return comp.SparkConf[key], true
	}
	all := aliasesOf(s, r.Driver.Composition.Config.SparkConf, r.Executor.Composition.Config.SparkConf)
	aliases := map[string]bool{}
	for _, a := range all {
		aliases[a.key] = true
	}
	for _, role := range Roles() {
		for _, k := range slices.Sorted(maps.Keys(r.Role(role).Composition.Config.SparkConf)) {
			if aliases[k] || overlay.SparkKeyRole(k) != role {
				continue
			}
			if v, ok := layerWon(role, overlay.PathSparkConf, k); ok {
				conf = setKey(conf, k, v)
			}
		}
	}
	for _, a := range all {
		if v, ok := layerWon(a.role, overlay.PathSparkConf, a.key); ok {
			if !a.keyWins && a.set(s, v) {
				delete(conf, a.key)
			} else {
				a.clear(s)
				conf = setKey(conf, a.key, v)
			}
			continue
		}
		if _, typed := a.get(s); !typed {
			continue
		}
		// Both spellings: the one that runs stays.
		if a.typedWins(s) {
			delete(conf, a.key)
		} else {
			a.clear(s)
		}
	}
	// Pod settings projectPod moved into typed fields are gone from s.
	for k := range conf {
		if _, had := user[k]; had {
			if _, still := s.SparkConf[k]; !still {
				delete(conf, k)
			}
		}
	}
	// A Hadoop key is one setting in either spelling: a layer's value in
	// hadoopConf (which the operator passes last), and the user's
	// sparkConf spelling of a key hadoopConf holds removed.
	hadoop := maps.Clone(s.HadoopConf)
	for _, k := range slices.Sorted(maps.Keys(r.Driver.Composition.Config.HadoopConf)) {
		if v, ok := layerWon(v1alpha1.RoleDriver, overlay.PathHadoopConf, k); ok {
			hadoop = setKey(hadoop, k, v)
		}
	}
	for k := range hadoop {
		delete(conf, overlay.SparkHadoopPrefix+k)
	}
	s.SparkConf = nonEmptyMap(conf)
	s.HadoopConf = nonEmptyMap(hadoop)
}

func hasKey(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}

func nonEmptyMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// EffectiveConf is the Spark configuration spark-submit runs a
// SparkApplication with, as far as Strata composes it: sparkConf, then
// every typed field as its key (the operator passes them after sparkConf,
// so they win; spec.memoryOverheadFactor before it, so the key wins), the
// pod settings of each role as their keys, and what the operator's
// Prometheus monitoring passes (withMonitoring; spark.metrics.conf is an
// alias, spark.metrics.namespace is the application's, metricsNamespace).
func EffectiveConf(s *sparkv1beta2.Spec) map[string]string {
	conf := maps.Clone(s.SparkConf)
	if conf == nil {
		conf = map[string]string{}
	}
	if img, ok := passedImage(s.Image); ok {
		conf[overlay.SparkContainerImage] = img
	}
	for _, a := range aliasesOf(s) {
		if v, ok := a.user(s); ok {
			conf[a.key] = v
		}
	}
	for k, v := range s.HadoopConf {
		conf["spark.hadoop."+k] = v
	}
	for k, v := range s.NodeSelector {
		conf[overlay.SparkNodeSelectorPrefix+k] = v
	}
	for _, role := range Roles() {
		sec := s.Pod(string(role))
		prefix := "spark.kubernetes." + string(role) + "."
		for k, v := range sec.Labels {
			conf[prefix+"label."+k] = v
		}
		for k, v := range sec.Annotations {
			conf[prefix+"annotation."+k] = v
		}
		for k, v := range sec.NodeSelector {
			conf[prefix+"node.selector."+k] = v
		}
		if sa, ok := textOf(sec.ServiceAccount); ok {
			conf["spark.kubernetes.authenticate."+string(role)+".serviceAccountName"] = sa
		}
		conf = withSecretKeyRefs(conf, sec.EnvSecretKeyRefs, role)
		for k, v := range sec.EnvVars {
			conf[overlay.SparkEnvPrefix(role)+k] = v
		}
		for _, e := range secretEnv(sec.Secrets) { // passed after envVars
			conf[overlay.SparkEnvPrefix(role)+e.Name] = e.Value
		}
		if name, ok := textOf(sec.SchedulerName); ok && name != "" {
			// The operator's pod webhook sets it on the role's pods, over
			// what Spark's keys gave them: the role's own key says so.
			conf[prefix+"scheduler.name"] = name
		}
	}
	withMonitoring(conf, s)
	return conf
}

// SubmitConf is the Spark configuration of a job that spark-submit
// submits itself, without the operator (composer conf): the effective
// configuration (r.Conf) with each role's composed environment as the
// keys Spark reads it from, since no operator appends a section's env to
// the pods: a value as spark.kubernetes.driverEnv.K or spark.executorEnv.K,
// a Secret's key as spark.kubernetes.<role>.secretKeyRef.K. A variable no
// key can say (from a field or a ConfigMap) is left to the admission
// webhook, which gives the layers' to the pods.
func (r *AppResult) SubmitConf() map[string]string {
	conf := maps.Clone(r.Conf)
	for _, role := range Roles() {
		for _, e := range r.App.App.Spec.Pod(string(role)).Env {
			switch {
			case e.ValueFrom == nil:
				conf[overlay.SparkEnvPrefix(role)+e.Name] = e.Value
			case e.ValueFrom.SecretKeyRef != nil:
				ref := e.ValueFrom.SecretKeyRef
				conf[secretKeyRefPrefix(role)+e.Name] = ref.Name + ":" + ref.Key
			}
		}
	}
	return conf
}

// ConfLines renders conf as spark-defaults.conf lines, sorted by key,
// each escaped as Spark reads it back (sparkvalue.PropertiesLine).
func ConfLines(conf map[string]string) []string {
	keys := slices.Sorted(maps.Keys(conf))
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = sparkvalue.PropertiesLine(k, conf[k])
	}
	return out
}

// ExplainPath is where a field of role's composition lands on the
// application, for explain: the section's field for a pod setting, the
// spelling the user wrote for a Spark key (or the typed field a layer's
// value went to); false for what the application does not carry from
// this role (a key the other role's composition owns, the layers' pod
// patches, which apply to pods only).
func (r *AppResult) ExplainPath(role v1alpha1.Role, key overlay.Key) (string, bool) {
	sec := "spec." + string(role) + "."
	switch key.Root {
	case overlay.PathSparkConf:
		if overlay.SparkKeyRole(key.Item) != role {
			return "", false
		}
		// Where the winner is stated: the typed field when it is what
		// runs, else the key.
		if a, ok := aliasOf(key.Item); ok && a.typedWins(&r.App.App.Spec) {
			return a.field, true
		}
		return overlay.Key{Root: "spec.sparkConf", Item: key.Item, Map: true}.String(), true
	case overlay.PathHadoopConf:
		if role != v1alpha1.RoleDriver {
			return "", false
		}
		if in := r.input; in != nil {
			if _, typed := in.HadoopConf[key.Item]; !typed {
				if k := overlay.SparkHadoopPrefix + key.Item; hasKey(in.SparkConf, k) {
					return overlay.Key{Root: "spec.sparkConf", Item: k, Map: true}.String(), true
				}
			}
		}
		key.Root = "spec.hadoopConf"
	case overlay.PathPodPatch:
		return "", false
	case overlay.PathLabels, overlay.PathAnnotations, overlay.PathNodeSelector, overlay.PathServiceAccountName, overlay.PathSchedulerName:
		if path, ok := r.userPath(role, key); ok {
			return path, true
		}
		key.Root = sec + map[string]string{overlay.PathLabels: "labels", overlay.PathAnnotations: "annotations",
			overlay.PathNodeSelector: "nodeSelector", overlay.PathServiceAccountName: "serviceAccount",
			overlay.PathSchedulerName: "schedulerName"}[key.Root]
	case overlay.PathPriorityClassName, overlay.PathTolerations,
		overlay.PathSidecars, overlay.PathInitContainers:
		key.Root = sec + strings.TrimPrefix(key.Root, "spec.")
	case overlay.PathEnv, overlay.PathEnvFrom, overlay.PathVolumeMounts:
		key.Root = sec + strings.TrimPrefix(key.Root, "spark.")
	case "spec.containers":
		if key.Item == driverContainer || key.Item == executorContainer {
			if in := r.input; in != nil && in.Pod(string(role)).Image == nil && in.Image != nil {
				return "spec.image", true // the user wrote the image both roles run
			}
			return sec + "image", true
		}
		key.Root = sec + "sidecars"
	}
	return key.String(), true
}

// userPath is where the user wrote a pod setting of role when not in the
// section's typed field: the role's Spark key, the application's labels
// (which the operator passes over sparkConf's label keys), or for a node
// selector spec.nodeSelector, then the shared key, which a role's own key
// wins over, as in Spark.
func (r *AppResult) userPath(role v1alpha1.Role, key overlay.Key) (string, bool) {
	if r.input == nil {
		return "", false
	}
	sec := r.input.Pod(string(role))
	field := map[string]string{overlay.PathLabels: "labels", overlay.PathAnnotations: "annotations",
		overlay.PathNodeSelector: "nodeSelector", overlay.PathServiceAccountName: "serviceAccountName",
		overlay.PathSchedulerName: "schedulerName"}[key.Root]
	switch field {
	case "labels":
		if _, ok := sec.Labels[key.Item]; ok {
			return "", false
		}
		if _, ok := r.App.App.Labels[key.Item]; ok && passedAppLabel(key.Item) {
			return overlay.Key{Root: "metadata.labels", Item: key.Item, Map: true}.String(), true
		}
	case "annotations":
		if _, ok := sec.Annotations[key.Item]; ok {
			return "", false
		}
	case "nodeSelector":
		if _, ok := sec.NodeSelector[key.Item]; ok {
			return "", false
		}
	case "serviceAccountName":
		if sec.ServiceAccount != nil {
			return "", false
		}
	case "schedulerName":
		if sec.SchedulerName != nil && *sec.SchedulerName != "" {
			return "", false
		}
	}
	var general string
	for _, k := range slices.Sorted(maps.Keys(r.input.SparkConf)) {
		if to := overlay.SparkConfTarget(role, k); to.Field == field && to.Item == key.Item {
			if !to.IsGeneral() {
				return overlay.Key{Root: "spec.sparkConf", Item: k, Map: true}.String(), true
			}
			general = k
		}
	}
	if _, ok := r.input.NodeSelector[key.Item]; ok && field == "nodeSelector" {
		return overlay.Key{Root: "spec.nodeSelector", Item: key.Item, Map: true}.String(), true
	}
	if general != "" {
		return overlay.Key{Root: "spec.sparkConf", Item: general, Map: true}.String(), true
	}
	return "", false
}
