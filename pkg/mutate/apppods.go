package mutate

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/quantity"
	"github.com/strata-dev/strata/pkg/overlay/sparkvalue"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// Labels the Spark Operator and Spark put on an application's pods.
const (
	operatorAppNameLabel    = "sparkoperator.k8s.io/app-name"
	operatorLaunchedByLabel = "sparkoperator.k8s.io/launched-by-spark-operator"
	sparkAppSelectorLabel   = "spark-app-selector"
	// kueueLabelPrefix starts the labels of an application the operator
	// does not pass on to its pods (since v2.4): Kueue queues the
	// application, not its pods.
	kueueLabelPrefix = "kueue.x-k8s.io/"
)

// passedAppLabel reports whether the operator puts the application's label
// key on its pods.
func passedAppLabel(key string) bool { return !strings.HasPrefix(key, kueueLabelPrefix) }

// LaunchedPod is the pod of role the Spark Operator and Spark create from
// a SparkApplication: the section's settings where the operator puts them
// (labels and annotations, node selectors, tolerations, service account,
// scheduler, batch scheduler queue, priority class, affinity, host network, security contexts,
// DNS configuration, host aliases, termination grace period, a shared
// process namespace, the Spark container's env, envFrom, mounts, ports and
// lifecycle hooks, sidecars, init
// containers, the application's volumes the Spark container mounts, and
// the volumes and environment Spark's configuration gives the role),
// started from the section's pod template, the Spark container sized as
// Spark sizes it (SizeOf), and the labels Spark adds. The composition of
// a composed application's pod is empty (TestLaunchedPodsComposeToNothing),
// and the validating webhook judges an application by its launched pods.
// It reports an error for a size Spark would not accept.
func LaunchedPod(app *sparkv1beta2.SparkApplication, role v1alpha1.Role) (*corev1.Pod, error) {
	size, err := SizeOf(&app.Spec)
	if err != nil {
		return nil, err
	}
	s := &app.Spec
	sec := s.Pod(string(role))
	pod := templatePod(app, role)
	pod.Labels[operatorAppNameLabel] = app.Name
	pod.Labels[operatorLaunchedByLabel] = "true"
	pod.Labels[sparkAppSelectorLabel] = "spark-" + app.Name
	withBatchQueue(pod, s)
	if role == v1alpha1.RoleExecutor {
		pod.Name = app.Name + "-exec-1"
		pod.Labels["spark-exec-id"] = "1"
	}
	if pod.Spec.ServiceAccountName == "" {
		pod.Spec.ServiceAccountName = defaultServiceAccountName
	}
	pod.Spec.RestartPolicy = corev1.RestartPolicyNever
	// The operator adds the volumes the Spark container mounts, no other.
	mounted := map[string]bool{}
	for _, m := range sec.VolumeMounts {
		mounted[m.Name] = true
	}
	pod.Spec.Volumes = slices.DeleteFunc(pod.Spec.Volumes, func(v corev1.Volume) bool { return !mounted[v.Name] })
	// Spark adds the volumes its configuration gives the role.
	conf := EffectiveConf(s)
	volumes, mounts := confVolumes(conf, role)
	pod.Spec.Volumes = append(pod.Spec.Volumes, volumes...)
	if len(pod.Spec.Volumes) == 0 {
		pod.Spec.Volumes = nil
	}
	spark := &pod.Spec.Containers[0]
	spark.VolumeMounts = append(spark.VolumeMounts, mounts...)
	// And the environment, in the order it has on the pod: Spark's own
	// (SPARK_USER, the application's and the executor's ids, then its
	// configuration's), then the section's, which the operator appends.
	// Every value is judged, even of a name both set (an IAM role in
	// AWS_ROLE_ARN, say); the last is the one in effect.
	own := []corev1.EnvVar{{Name: "SPARK_USER", Value: "spark"}, {Name: "SPARK_APPLICATION_ID", Value: "spark-" + app.Name}}
	if role == v1alpha1.RoleExecutor {
		own = append(own, corev1.EnvVar{Name: v1alpha1.SparkExecutorIDVariable, Value: strconv.Itoa(1)})
	} else {
		own = append(own, corev1.EnvVar{Name: v1alpha1.SparkDriverBindAddressVariable,
			ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "status.podIP"}}})
	}
	spark.Env = slices.Concat(own, spark.Env) // the configuration's, then the section's (templatePod)
	// Spark's entrypoint for the role, the first of its arguments
	// (BasicExecutorFeatureStep, DriverCommandFeatureStep).
	spark.Args = []string{string(role)}
	spark.Resources.Requests = size.requests(role)
	spark.Resources.Limits = corev1.ResourceList{corev1.ResourceMemory: spark.Resources.Requests[corev1.ResourceMemory]}
	lim, ok, err := sparkvalue.Conf(conf).CPU("spark.kubernetes." + string(role) + ".limit.cores")
	if err != nil {
		return nil, err
	}
	if ok {
		spark.Resources.Limits[corev1.ResourceCPU] = lim
	}
	maps.Copy(spark.Resources.Limits, sparkDeviceLimits(conf, role))
	pod.Annotations = maps.Clone(pod.Annotations)
	if sec.Template != nil {
		pod = withTemplate(pod, sec.Template, role)
	}
	withOperatorSettings(pod, sec)
	lifecycle, ports := s.Executor.Lifecycle, s.Executor.Ports
	if role == v1alpha1.RoleDriver {
		lifecycle, ports = s.Driver.Lifecycle, s.Driver.Ports
	}
	if lifecycle != nil { // addPodLifeCycleConfig
		pod.Spec.Containers[0].Lifecycle = lifecycle.DeepCopy()
	}
	for _, p := range ports { // addContainerPorts
		pod.Spec.Containers[0].Ports = append(pod.Spec.Containers[0].Ports,
			corev1.ContainerPort{Name: p.Name, ContainerPort: p.ContainerPort, Protocol: corev1.Protocol(p.Protocol)})
	}
	withConfigMaps(pod, s, sec)
	withPrometheusExporter(pod, app, role)
	// The API server's defaults: a container's limit without its request
	// is requested too (a GPU Spark or the operator limits the Spark
	// container to; a template's container that only limits its CPU).
	return withDefaultedRequests(pod), nil
}

// sparkDeviceLimits are the limits Spark gives a role's container for the
// custom resources its configuration asks for: of each resource named in
// spark.<role>.resource.<name>.amount, the amount, as the device plugin's
// resource <vendor>/<name> (.vendor). Spark fails the submission, or the
// executors, for a resource without a vendor or of an amount not a whole
// number (KubernetesUtils.buildResourcesQuantities,
// BasicExecutorFeatureStep): such a resource limits nothing.
func sparkDeviceLimits(conf map[string]string, role v1alpha1.Role) corev1.ResourceList {
	prefix := "spark." + string(role) + ".resource."
	type device struct{ amount, vendor string }
	devices := map[string]*device{}
	for k, v := range conf {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		name, setting, ok := strings.Cut(rest, ".")
		if !ok || (setting != "amount" && setting != "vendor") {
			continue
		}
		d := devices[name]
		if d == nil {
			d = &device{}
			devices[name] = d
		}
		if setting == "amount" {
			d.amount = v
		} else {
			d.vendor = v
		}
	}
	var out corev1.ResourceList
	for name, d := range devices {
		n, err := strconv.ParseInt(d.amount, 10, 64) // Long.parseLong, as Scala's toLong
		if d.vendor == "" || err != nil || n < 0 {
			continue
		}
		if out == nil {
			out = corev1.ResourceList{}
		}
		out[corev1.ResourceName(d.vendor+"/"+name)] = *resource.NewQuantity(n, resource.DecimalSI)
	}
	return out
}

// The ConfigMaps the operator's pod webhook mounts in the Spark container:
// spec.hadoopConfigMap and spec.sparkConfigMap, then the section's.
const (
	hadoopConfigMapVolume = "hadoop-configmap-volume"
	hadoopConfDir         = "/etc/hadoop/conf"
	sparkConfigMapVolume  = "spark-configmap-volume"
	sparkConfDir          = "/etc/spark/conf"
)

// withConfigMaps adds to pod the ConfigMaps the operator's pod webhook
// mounts in its Spark container (the first), read-only, in its order:
// spec.hadoopConfigMap at /etc/hadoop/conf and spec.sparkConfigMap at
// /etc/spark/conf, each with the variable that points there
// (HADOOP_CONF_DIR, SPARK_CONF_DIR), then each of the section's
// configMaps at its path.
func withConfigMaps(pod *corev1.Pod, s *sparkv1beta2.Spec, sec *sparkv1beta2.SparkPodSpec) {
	spark := &pod.Spec.Containers[0]
	mount := func(configMap, volume, path string) {
		pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: volume,
			VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: configMap}}}})
		spark.VolumeMounts = append(spark.VolumeMounts, corev1.VolumeMount{Name: volume, ReadOnly: true, MountPath: path})
	}
	if name := s.HadoopConfigMap; name != nil {
		mount(*name, hadoopConfigMapVolume, hadoopConfDir)
		spark.Env = append(spark.Env, corev1.EnvVar{Name: "HADOOP_CONF_DIR", Value: hadoopConfDir})
	}
	if name := s.SparkConfigMap; name != nil {
		mount(*name, sparkConfigMapVolume, sparkConfDir)
		spark.Env = append(spark.Env, corev1.EnvVar{Name: "SPARK_CONF_DIR", Value: sparkConfDir})
	}
	for _, c := range sec.ConfigMaps {
		mount(c.Name, configMapVolumeName(c.Name), c.Path)
	}
}

// configMapVolumeName is the volume the operator's pod webhook mounts
// ConfigMap name as: <name>-vol, or, where that is no DNS label (a dot,
// over 63 characters), the name with dots as dashes, cut to fit, and the
// first 8 hex digits of its SHA-256 before -vol.
func configMapVolumeName(name string) string {
	const suffix, maxLen = "-vol", 63
	if v := name + suffix; len(v) <= maxLen && !strings.Contains(v, ".") {
		return v
	}
	sum := sha256.Sum256([]byte(name))
	hashed := "-" + hex.EncodeToString(sum[:4]) + suffix
	prefix := strings.ReplaceAll(name, ".", "-")
	prefix = prefix[:min(len(prefix), maxLen-len(hashed))]
	return strings.TrimRight(prefix, "-") + hashed
}

// withBatchQueue puts the queue an application asks its batch scheduler
// for (spec.batchSchedulerOptions.queue) where that scheduler reads a
// pod's queue, the way layers give it: the operator hands it to Volcano on
// the PodGroup it creates, with its own credentials, and to YuniKorn as
// each pod's queue label. So policies judge the queue as a pod's (a
// reserved prefix holds against it). Without spec.batchScheduler, the
// operator's default scheduler, which an app cannot tell, takes it: both.
func withBatchQueue(pod *corev1.Pod, s *sparkv1beta2.Spec) {
	if s.BatchSchedulerOptions == nil || s.BatchSchedulerOptions.Queue == nil {
		return
	}
	queue := *s.BatchSchedulerOptions.Queue
	for _, name := range slices.Sorted(maps.Keys(batchSchedulers)) {
		if s.BatchScheduler != nil && *s.BatchScheduler != "" && *s.BatchScheduler != name {
			continue
		}
		if bs := batchSchedulers[name]; bs.root == overlay.PathLabels {
			pod.Labels = setKey(pod.Labels, bs.queue, queue)
		} else {
			pod.Annotations = setKey(pod.Annotations, bs.queue, queue)
		}
	}
}

// withOperatorSettings sets on pod what the operator's pod webhook sets
// over what Spark created, of what policies judge: the section's affinity,
// host network (with its DNS policy), pod security context, and the Spark
// container's security context, each replacing the pod's, and its memory
// limit and GPU, limits of the Spark container.
func withOperatorSettings(pod *corev1.Pod, sec *sparkv1beta2.SparkPodSpec) {
	if sec.Affinity != nil {
		pod.Spec.Affinity = sec.Affinity.DeepCopy()
	}
	if sec.HostNetwork != nil && *sec.HostNetwork {
		pod.Spec.HostNetwork = true
		pod.Spec.DNSPolicy = corev1.DNSClusterFirstWithHostNet
	}
	if sec.PodSecurityContext != nil {
		pod.Spec.SecurityContext = sec.PodSecurityContext.DeepCopy()
	}
	if sec.SecurityContext != nil {
		pod.Spec.Containers[0].SecurityContext = sec.SecurityContext.DeepCopy()
	}
	limit := func(name corev1.ResourceName, q resource.Quantity) {
		r := &pod.Spec.Containers[0].Resources
		if r.Limits == nil {
			r.Limits = corev1.ResourceList{}
		}
		r.Limits[name] = q
	}
	// addMemoryLimit, then addGPU (a resource name and a positive
	// quantity, or nothing).
	if sec.MemoryLimit != nil {
		if q, ok := operatorMemory(*sec.MemoryLimit); ok {
			limit(corev1.ResourceMemory, q)
		}
	}
	if g := sec.GPU; g != nil && g.Name != "" && g.Quantity > 0 {
		limit(corev1.ResourceName(g.Name), *resource.NewQuantity(g.Quantity, resource.DecimalSI))
	}
	// addHostAliases (appended to the template's), addDNSConfig,
	// addTerminationGracePeriodSeconds, addShareProcessNamespace (only
	// true).
	pod.Spec.HostAliases = append(pod.Spec.HostAliases, sec.HostAliases...)
	if sec.DNSConfig != nil {
		pod.Spec.DNSConfig = sec.DNSConfig.DeepCopy()
	}
	if g := sec.TerminationGracePeriodSeconds; g != nil {
		pod.Spec.TerminationGracePeriodSeconds = new(*g)
	}
	if sec.ShareProcessNamespace != nil && *sec.ShareProcessNamespace {
		pod.Spec.ShareProcessNamespace = new(true)
	}
}

// operatorMemory is a section's memoryLimit as the operator's pod webhook
// reads it (util.ConvertJavaMemoryStringToK8sMemoryString): a JVM size's
// unit k, m, g, t or p (or kb ... pb) in lower case is the binary suffix
// Ki ... Pi; anything else is read as a quantity. The webhook fails on
// what it cannot read, and then sets no limit: false.
func operatorMemory(s string) (resource.Quantity, bool) {
	for _, u := range []struct{ jvm, k8s string }{
		{"kb", "Ki"}, {"mb", "Mi"}, {"gb", "Gi"}, {"tb", "Ti"}, {"pb", "Pi"},
		{"k", "Ki"}, {"m", "Mi"}, {"g", "Gi"}, {"t", "Ti"}, {"p", "Pi"},
	} {
		if strings.HasSuffix(strings.ToLower(s), u.jvm) {
			// The operator cuts the unit as written: 2G is 2GGi, which
			// no quantity is.
			s = strings.TrimSuffix(s, u.jvm) + u.k8s
			break
		}
	}
	q, err := quantity.Parse(s)
	return q, err == nil
}

// withTemplate is pod started from the section's pod template, as Spark
// starts a pod from the template the operator writes of it
// (KubernetesUtils.loadPodFromTemplate): the template's pod and its Spark
// container (the one named for the role, else its first) are the base,
// and what the operator and Spark set goes on top: maps key by key (theirs
// win), lists after the template's, and the Spark container's CPU and
// memory over the template's, its other resources kept. So every
// container, init container, volume and toleration of the template, and
// its pod-level resources, are judged and counted with the pod.
func withTemplate(pod *corev1.Pod, t *corev1.PodTemplateSpec, role v1alpha1.Role) *corev1.Pod {
	out := &corev1.Pod{ObjectMeta: *t.ObjectMeta.DeepCopy(), Spec: *t.Spec.DeepCopy()}
	out.Name, out.Namespace, out.GenerateName = pod.Name, pod.Namespace, ""
	out.OwnerReferences = nil
	out.Labels = mergedMap(out.Labels, pod.Labels)
	out.Annotations = mergedMap(out.Annotations, pod.Annotations)
	out.Spec.NodeSelector = mergedMap(out.Spec.NodeSelector, pod.Spec.NodeSelector)
	for _, f := range []struct {
		dst *string
		src string
	}{
		{&out.Spec.ServiceAccountName, pod.Spec.ServiceAccountName},
		{&out.Spec.SchedulerName, pod.Spec.SchedulerName},
		{&out.Spec.PriorityClassName, pod.Spec.PriorityClassName},
	} {
		if f.src != "" {
			*f.dst = f.src
		}
	}
	out.Spec.RestartPolicy = pod.Spec.RestartPolicy
	out.Spec.Tolerations = append(out.Spec.Tolerations, pod.Spec.Tolerations...)
	out.Spec.Volumes = append(out.Spec.Volumes, pod.Spec.Volumes...)
	out.Spec.InitContainers = append(out.Spec.InitContainers, pod.Spec.InitContainers...)

	// The template's Spark container, taken out of its containers.
	spark := pod.Spec.Containers[0]
	others := out.Spec.Containers
	if len(others) > 0 {
		i := templateSparkContainer(others, role)
		base := others[i]
		others = slices.Delete(slices.Clone(others), i, i+1)
		if base.Name != "" {
			spark.Name = base.Name
		}
		spark.Env = append(base.Env, spark.Env...)
		spark.EnvFrom = append(base.EnvFrom, spark.EnvFrom...)
		spark.VolumeMounts = append(base.VolumeMounts, spark.VolumeMounts...)
		spark.Args = append(base.Args, spark.Args...)
		spark.Resources.Requests = mergedResources(base.Resources.Requests, spark.Resources.Requests)
		spark.Resources.Limits = mergedResources(base.Resources.Limits, spark.Resources.Limits)
		base.Name, base.Image, base.Env, base.EnvFrom, base.VolumeMounts, base.Resources = spark.Name, spark.Image, spark.Env, spark.EnvFrom, spark.VolumeMounts, spark.Resources
		base.Args = spark.Args
		spark = base
	}
	// The Spark container first, where sparkContainer finds it whatever
	// its name; the template's other containers, then the sidecars.
	out.Spec.Containers = append(append([]corev1.Container{spark}, others...), pod.Spec.Containers[1:]...)
	return out
}

// mergedMap is base with over's keys set over it.
func mergedMap(base, over map[string]string) map[string]string {
	if len(over) == 0 {
		return base
	}
	out := maps.Clone(base)
	if out == nil {
		out = make(map[string]string, len(over))
	}
	maps.Copy(out, over)
	return out
}

// mergedResources is base with over's resources set over it.
func mergedResources(base, over corev1.ResourceList) corev1.ResourceList {
	if len(base) == 0 {
		return over
	}
	out := maps.Clone(base)
	maps.Copy(out, over)
	return out
}
