package mutate

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// templatePod is the pod role's section of app describes, as the user
// wrote it: what the operator will put on role's pods. Labels are the
// Spark keys that set labels, then the application's, then the section's
// own (the operator passes them in that order; the last wins), and so
// for annotations and the service account; node selectors are the shared
// ones (sparkConf's, then spec.nodeSelector's), then the role's own
// (sparkConf's, then the section's), as Spark merges them.
func templatePod(app *sparkv1beta2.SparkApplication, role v1alpha1.Role) *corev1.Pod {
	s := &app.Spec
	sec := s.Pod(string(role))
	pod := &corev1.Pod{}
	pod.Name = app.Name + "-" + string(role)
	pod.Namespace = app.Namespace
	if pod.Namespace == "" {
		pod.Namespace = corev1.NamespaceDefault
	}
	// Spark puts a role's own node selector keys over the shared ones
	// (spark.kubernetes.node.selector.*, which spec.nodeSelector is,
	// passed after sparkConf): the shared ones first.
	for k, v := range s.SparkConf {
		switch to := overlay.SparkConfTarget(role, k); {
		case to.Field == "nodeSelector" && to.IsGeneral():
			pod.Spec.NodeSelector = setKey(pod.Spec.NodeSelector, to.Item, v)
		case to.Field == "schedulerName" && to.IsGeneral():
			pod.Spec.SchedulerName = v
		}
	}
	for k, v := range s.NodeSelector {
		pod.Spec.NodeSelector = setKey(pod.Spec.NodeSelector, k, v)
	}
	for k, v := range s.SparkConf {
		to := overlay.SparkConfTarget(role, k)
		switch to.Field {
		case "labels":
			pod.Labels = setKey(pod.Labels, to.Item, v)
		case "annotations":
			pod.Annotations = setKey(pod.Annotations, to.Item, v)
		case "nodeSelector":
			if !to.IsGeneral() {
				pod.Spec.NodeSelector = setKey(pod.Spec.NodeSelector, to.Item, v)
			}
		case "serviceAccountName":
			pod.Spec.ServiceAccountName = v
		case "schedulerName":
			if !to.IsGeneral() {
				pod.Spec.SchedulerName = v
			}
		}
	}
	for k, v := range app.Labels {
		if passedAppLabel(k) {
			pod.Labels = setKey(pod.Labels, k, v)
		}
	}
	for k, v := range sec.Labels {
		pod.Labels = setKey(pod.Labels, k, v)
	}
	for k, v := range sec.Annotations {
		pod.Annotations = setKey(pod.Annotations, k, v)
	}
	for k, v := range sec.NodeSelector {
		pod.Spec.NodeSelector = setKey(pod.Spec.NodeSelector, k, v)
	}
	pod.Labels = setKey(pod.Labels, v1alpha1.RoleLabel, string(role))
	if sec.ServiceAccount != nil {
		pod.Spec.ServiceAccountName = *sec.ServiceAccount
	}
	if sec.SchedulerName != nil && *sec.SchedulerName != "" {
		// The operator's pod webhook sets none for "": Spark's keys stand.
		pod.Spec.SchedulerName = *sec.SchedulerName
	}
	if sec.PriorityClassName != nil {
		pod.Spec.PriorityClassName = *sec.PriorityClassName
	}
	if t := sec.Template; t != nil {
		// The section has no field of its own for the class: the pod
		// template's is the pods'.
		pod.Spec.RuntimeClassName = t.Spec.RuntimeClassName
	}
	pod.Spec.Tolerations = slices.Clone(sec.Tolerations)
	pod.Spec.Volumes = slices.Clone(s.Volumes)
	// The Spark container's environment is what Spark's configuration
	// gives it (sparkConf's keys with envSecretKeyRefs', then envVars' and
	// the typed secrets', passed after them in that order), then the
	// section's env, which the operator appends.
	spark := corev1.Container{Name: driverContainer,
		Env:          slices.Concat(confEnv(withSecretKeyRefs(s.SparkConf, sec.EnvSecretKeyRefs, role), role), mapEnv(sec.EnvVars), secretEnv(sec.Secrets), sec.Env),
		EnvFrom:      slices.Clone(sec.EnvFrom),
		VolumeMounts: slices.Clone(sec.VolumeMounts)}
	if role == v1alpha1.RoleExecutor {
		spark.Name = executorContainer
	}
	spark.Image = roleImage(s, role)
	pod.Spec.Containers = append([]corev1.Container{spark}, sec.Sidecars...)
	pod.Spec.InitContainers = slices.Clone(sec.InitContainers)
	return pod.DeepCopy()
}

// roleImage is the image role's pods run: the section's, else
// spec.image, else what sparkConf says (the role's key, else the shared);
// an empty image field is none, as the operator passes none.
func roleImage(s *sparkv1beta2.Spec, role v1alpha1.Role) string {
	if img, ok := passedImage(s.Pod(string(role)).Image); ok {
		return img
	}
	if img, ok := passedImage(s.Image); ok {
		return img
	}
	if img, ok := s.SparkConf[overlay.SparkRoleImage(role)]; ok {
		return img
	}
	return s.SparkConf[overlay.SparkContainerImage]
}

func setKey(m map[string]string, k, v string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	m[k] = v
	return m
}

// userSparkConf is the user's Spark configuration for role: the
// application's sparkConf with every typed field the operator passes as a
// key written as that key (the typed field wins, as on the spark-submit
// line), and without the keys that are pod settings, which templatePod
// reads into the pod.
func userSparkConf(s *sparkv1beta2.Spec, role v1alpha1.Role) map[string]string {
	conf := map[string]string{}
	for k, v := range s.SparkConf {
		if overlay.SparkConfTarget(role, k).Field == "sparkConf" {
			conf[k] = v
		}
	}
	for _, a := range aliasesOf(s) {
		if v, ok := a.user(s); ok {
			conf[a.key] = v
		}
	}
	if len(conf) == 0 {
		return nil
	}
	return conf
}

// userHadoopConf is the Hadoop configuration the user's application runs
// with: sparkConf's spark.hadoop.* keys, then hadoopConf, which the
// operator passes after them as the same keys.
func userHadoopConf(s *sparkv1beta2.Spec) map[string]string {
	var conf map[string]string
	for k, v := range s.SparkConf {
		if h, ok := strings.CutPrefix(k, overlay.SparkHadoopPrefix); ok && h != "" {
			conf = setKey(conf, h, v)
		}
	}
	for k, v := range s.HadoopConf {
		conf = setKey(conf, k, v)
	}
	return conf
}

// spellings says, per aliased key the user set, how they wrote it.
func spellings(s *sparkv1beta2.Spec) map[string]string {
	out := map[string]string{}
	for _, a := range aliasesOf(s) {
		if a.typedWins(s) {
			out[a.key] = a.field
		} else if _, ok := s.SparkConf[a.key]; ok {
			out[a.key] = "spec.sparkConf"
		}
	}
	return out
}

// projectedRegions are the pod regions projectPod (and unionVolumes)
// writes back onto an application; TestEveryRegionLandsOnApps fails when a
// pod row touches one that is not here. The priority a class resolves to
// is not among them, nor a RuntimeClass's overhead: the API server
// resolves them for the operator's pods.
var projectedRegions = []string{
	regionLabels, regionAnnotations, regionNodeSelector, regionPriorityClass, regionRuntimeClass, regionScheduler,
	regionServiceAccount, regionDeprecatedSA, regionTolerations, regionInitContainers, regionContainers, regionVolumes,
}

// projectPod writes the composed pod settings of role back into its
// section of s: each setting that composition changed (against before,
// the template the section describes), in the typed field, and the
// sparkConf spellings of the same settings removed, so the winner is
// stated once.
func projectPod(s *sparkv1beta2.Spec, role v1alpha1.Role, after, before *corev1.Pod) {
	sec := s.Pod(string(role))
	// The role's own sparkConf spellings of each setting, read on the
	// first drop: walking every key for each setting composition changed
	// was quadratic in an application of many keys.
	type setting struct{ field, item string }
	var spellings map[setting][]string
	drop := func(field, key string) {
		if spellings == nil {
			spellings = map[setting][]string{}
			for k := range s.SparkConf {
				if to := overlay.SparkConfTarget(role, k); !to.IsGeneral() {
					at := setting{to.Field, to.Item}
					spellings[at] = append(spellings[at], k)
				}
			}
		}
		for _, k := range spellings[setting{field, key}] {
			delete(s.SparkConf, k)
		}
	}
	for k, v := range after.Labels {
		if old, ok := before.Labels[k]; !ok || old != v {
			sec.Labels = setKey(sec.Labels, k, v)
			drop("labels", k)
		}
	}
	for k, v := range after.Annotations {
		if old, ok := before.Annotations[k]; !ok || old != v {
			sec.Annotations = setKey(sec.Annotations, k, v)
			drop("annotations", k)
		}
	}
	for k, v := range after.Spec.NodeSelector {
		if old, ok := before.Spec.NodeSelector[k]; !ok || old != v {
			sec.NodeSelector = setKey(sec.NodeSelector, k, v)
			drop("nodeSelector", k)
		}
	}
	if a, b := after.Spec.ServiceAccountName, before.Spec.ServiceAccountName; a != b {
		sec.ServiceAccount = &a
		drop("serviceAccountName", "")
	}
	if a, b := after.Spec.SchedulerName, before.Spec.SchedulerName; a != b {
		sec.SchedulerName = &a
		drop("schedulerName", "")
	}
	if a, b := after.Spec.PriorityClassName, before.Spec.PriorityClassName; a != b {
		sec.PriorityClassName = &a
	}
	if a := after.Spec.RuntimeClassName; !sameClass(a, before.Spec.RuntimeClassName) {
		if sec.Template == nil {
			sec.Template = &corev1.PodTemplateSpec{}
		}
		sec.Template.Spec.RuntimeClassName = a
	}
	if !reflect.DeepEqual(after.Spec.Tolerations, before.Spec.Tolerations) {
		sec.Tolerations = after.Spec.Tolerations
	}
	spark := sparkContainer(after, role)
	if !reflect.DeepEqual(after.Spec.InitContainers, before.Spec.InitContainers) {
		sec.InitContainers = after.Spec.InitContainers
	}
	var sidecars []corev1.Container
	for i := range after.Spec.Containers {
		if i == spark {
			c := &after.Spec.Containers[i]
			// The environment the configuration's keys gave it is the
			// section's now, in its order, when composition changed it:
			// each variable stated once.
			if was := sparkContainer(before, role); was < 0 || !reflect.DeepEqual(c.Env, before.Spec.Containers[was].Env) {
				sec.Env, sec.EnvVars, sec.EnvSecretKeyRefs = nonEmptyList(c.Env), nil, nil
				for k := range s.SparkConf {
					if overlay.SparkConfTarget(role, k).Field == "env" {
						delete(s.SparkConf, k)
					}
				}
			}
			sec.EnvFrom, sec.VolumeMounts = nonEmptyList(c.EnvFrom), nonEmptyList(c.VolumeMounts)
			continue
		}
		sidecars = append(sidecars, after.Spec.Containers[i])
	}
	if !reflect.DeepEqual(nonEmptyList(sidecars), nonEmptyList(sec.Sidecars)) {
		sec.Sidecars = sidecars
	}
}

func nonEmptyList[T any](l []T) []T {
	if len(l) == 0 {
		return nil
	}
	return l
}

// projectImages writes the composed images where the user's image was: a
// role's image that composition changed (a layer's image, or a mirror)
// goes into spec.image when the role ran spec.image and every role that
// ran it still runs one image, else into the role's own field. A role
// with an image of its own does not read spec.image, so a mirror rewrites
// the spec.image the other role runs, whatever the first role's field.
func projectImages(before, s *sparkv1beta2.Spec, driver, executor *corev1.Pod) {
	img := func(pod *corev1.Pod, role v1alpha1.Role) string {
		if i := sparkContainer(pod, role); i >= 0 {
			return pod.Spec.Containers[i].Image
		}
		return ""
	}
	now := map[v1alpha1.Role]string{v1alpha1.RoleDriver: img(driver, v1alpha1.RoleDriver), v1alpha1.RoleExecutor: img(executor, v1alpha1.RoleExecutor)}
	_, shared := passedImage(before.Image)
	runsShared := func(role v1alpha1.Role) bool {
		_, own := passedImage(before.Pod(string(role)).Image)
		return shared && !own
	}
	// The one image every role that ran spec.image runs now, if one.
	sharedNow, oneShared := "", true
	for _, role := range Roles() {
		if runsShared(role) {
			if sharedNow != "" && sharedNow != now[role] {
				oneShared = false
			}
			sharedNow = now[role]
		}
	}
	for _, role := range Roles() {
		if now[role] == roleImage(before, role) {
			continue
		}
		if runsShared(role) && oneShared {
			s.Image = new(sharedNow)
			continue
		}
		s.Pod(string(role)).Image = new(now[role])
	}
}

// VolcanoQueueAnnotation is the pod annotation Volcano reads a pod's queue
// from.
const VolcanoQueueAnnotation = "scheduling.volcano.sh/queue-name"

// Batch schedulers the Spark Operator integrates with (spec.batchScheduler),
// and where each reads a pod's queue from.
var batchSchedulers = map[string]struct {
	root  string // overlay.PathLabels or overlay.PathAnnotations
	queue string
}{
	"volcano":  {overlay.PathAnnotations, VolcanoQueueAnnotation},
	"yunikorn": {overlay.PathLabels, "queue"},
}

// projectBatchScheduler hands the application to the batch scheduler a
// layer chose for its driver (schedulerName volcano or yunikorn): the
// operator then creates the scheduler's objects (a Volcano PodGroup, say)
// and places every pod with it. A queue a layer gives (Volcano's queue
// annotation, YuniKorn's queue label) for the batch scheduler the app runs
// with, the layer's or the user's, is spec.batchSchedulerOptions.queue.
func projectBatchScheduler(s *sparkv1beta2.Spec, comp *overlay.Result) {
	if w, ok := comp.Provenance.WinnerOf(overlay.FieldKey(overlay.PathSchedulerName)); ok && !w.IsUser() && comp.Config.SchedulerName != nil {
		if name := *comp.Config.SchedulerName; batchSchedulers[name].queue != "" {
			s.BatchScheduler = &name
		}
	}
	// The queue a layer gives, for the batch scheduler the app runs with
	// (the layer's or the user's own).
	if s.BatchScheduler == nil {
		return
	}
	bs, known := batchSchedulers[*s.BatchScheduler]
	if !known {
		return
	}
	q, ok := comp.Provenance.WinnerOf(overlay.MapKey(bs.root, bs.queue))
	if !ok || q.IsUser() {
		return
	}
	queue := comp.Config.Annotations[bs.queue]
	if bs.root == overlay.PathLabels {
		queue = comp.Config.Labels[bs.queue]
	}
	if s.BatchSchedulerOptions == nil {
		s.BatchSchedulerOptions = &sparkv1beta2.BatchSchedulerOptions{}
	}
	s.BatchSchedulerOptions.Queue = &queue
}

// unionVolumes is the application's volumes: its own, with what each
// role's composition set (a volume a layer won, or rendering added or
// changed). A volume both roles' layers set must be set alike, whatever
// the user wrote, so that a composed application composes again.
func unionVolumes(user []corev1.Volume, roles ...*Result) ([]corev1.Volume, error) {
	out := slices.Clone(user)
	at := map[string]int{}
	for i := range out {
		at[out[i].Name] = i
	}
	set := map[string]bool{}
	for _, res := range roles {
		prov := res.Composition.Provenance
		for _, v := range res.Pod.Spec.Volumes {
			i, ok := at[v.Name]
			if ok && !set[v.Name] && reflect.DeepEqual(out[i], v) {
				if by, won := prov.WinnerOf(overlay.ElementKey(overlay.PathVolumes, v.Name)); !won || by.IsUser() {
					continue // the user's, as written
				}
			}
			switch {
			case !ok:
				at[v.Name] = len(out)
				out = append(out, v)
			case set[v.Name] && !reflect.DeepEqual(out[i], v):
				return nil, invalidComposition(fmt.Errorf("spec.volumes[%s]: the driver's and the executors' layers define it differently", v.Name))
			default:
				out[i] = v
			}
			set[v.Name] = true
		}
	}
	return nonEmptyList(out), nil
}
