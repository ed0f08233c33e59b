package mutate

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"gomodules.xyz/jsonpatch/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/sparkvalue"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// AppResult is the outcome of composing one SparkApplication.
type AppResult struct {
	// App is the composed application: a copy of the input.
	App *sparkv1beta2.Object
	// Patch turns the input into App; empty when nothing changed.
	Patch []jsonpatch.Operation
	// Driver and Executor are the compositions of the two roles: Pod is
	// the role's pod settings as composed (the pod template the
	// application describes, not a pod the operator will create).
	Driver, Executor *Result
	// Conf is the job's effective Spark configuration: what spark-submit
	// runs with, every typed field as its key, the typed field winning.
	Conf map[string]string
	// Spelling is how the user wrote each Spark key of the application
	// that has a typed field: the typed field's path, or spec.sparkConf.
	Spelling map[string]string
	// Warnings tell the user which of their own values a layer overrode,
	// and which keys of their sparkConf spark-submit ignores
	// (overlay.IgnoredSparkKey).
	Warnings []string
	// input is the application as the user wrote it.
	input *sparkv1beta2.Spec
}

// Role is the composition of role.
func (r *AppResult) Role(role v1alpha1.Role) *Result {
	if role == v1alpha1.RoleDriver {
		return r.Driver
	}
	return r.Executor
}

// Roles are the two roles of an application, in the order they compose.
func Roles() []v1alpha1.Role { return []v1alpha1.Role{v1alpha1.RoleDriver, v1alpha1.RoleExecutor} }

// ComposeApp composes a SparkApplication with the layers of snap, as the
// admission webhook does. Each role is composed as its pods are: the
// driver section (and everything it shares, spec.image, spec.volumes) as
// the driver, the executor section as an executor, from the same Layers,
// matched the same way; the layers' pod patches apply to the pods only,
// when the operator creates them. The job's own configuration (sparkConf,
// hadoopConf) is the driver's composition, but for the keys that size,
// count or place executors (sparkKeyRole), which are the executors'.
//
// A typed field the operator turns into a Spark key (sparkAliases, and
// the labels, annotations, node selectors and service accounts of
// overlay.SparkConfTarget) is the same setting as that key: the user's
// value is the one spark-submit would run with, and the composed object
// states the winner once, in the typed field when it can, removing the
// other spelling.
func ComposeApp(snap *overlay.Snapshot, cluster Cluster, obj *sparkv1beta2.Object) (*AppResult, error) {
	return composeApp(snap, cluster, obj, true)
}

// ComposeSubmitJob composes a job that spark-submit submits itself, in
// namespace, whose own Spark configuration is conf (a properties file):
// a SparkApplication whose whole configuration is keys, composed as
// ComposeApp composes one, but for what the operator alone does (its own
// values of operatorKeys). Its SubmitConf is what the job runs with.
func ComposeSubmitJob(snap *overlay.Snapshot, cluster Cluster, namespace string, conf map[string]string) (*AppResult, error) {
	app := &sparkv1beta2.SparkApplication{}
	app.APIVersion, app.Kind = sparkv1beta2.APIVersion, sparkv1beta2.Kind
	app.Name, app.Namespace = "spark-submit", namespace
	app.Spec.SparkConf = conf
	obj, err := sparkv1beta2.FromApp(app)
	if err != nil {
		return nil, err
	}
	return composeApp(snap, cluster, obj, false)
}

// composeApp is ComposeApp of an application the operator submits
// (byOperator), or of a job spark-submit submits itself.
func composeApp(snap *overlay.Snapshot, cluster Cluster, obj *sparkv1beta2.Object, byOperator bool) (*AppResult, error) {
	// What obj holds now is the input, typed view and all.
	in, err := obj.AsDecoded()
	if err != nil {
		return nil, err
	}
	out := &AppResult{App: in.DeepCopy(), Spelling: spellings(&in.App.Spec), Patch: []jsonpatch.Operation{}, input: &in.App.Spec}
	app := &out.App.App
	if app.Namespace == "" {
		app.Namespace = corev1.NamespaceDefault
	}
	userConf := maps.Clone(in.App.Spec.SparkConf)
	// Each role's pod as the user wrote it, read (never changed) by its
	// composition, its projection and its warnings.
	templates := map[v1alpha1.Role]*corev1.Pod{}
	for _, role := range Roles() {
		templates[role] = templatePod(&in.App, role)
	}
	for _, role := range Roles() {
		res, err := composeRole(snap, cluster, &in.App, role, templates[role])
		if err != nil {
			return nil, fmt.Errorf("SparkApplication %q: %s: %w", app.Namespace+"/"+app.Name, role, err)
		}
		if role == v1alpha1.RoleDriver {
			out.Driver = res
		} else {
			out.Executor = res
		}
		projectPod(&app.Spec, role, res.Pod, templates[role])
	}
	if app.Spec.Volumes, err = unionVolumes(in.App.Spec.Volumes, out.Driver, out.Executor); err != nil {
		return nil, fmt.Errorf("SparkApplication %q: %w", app.Namespace+"/"+app.Name, err)
	}
	projectImages(&in.App.Spec, &app.Spec, out.Driver.Pod, out.Executor.Pod)
	projectBatchScheduler(&app.Spec, &out.Driver.Composition)
	out.writeConf(userConf)
	out.Conf = EffectiveConf(&app.Spec)
	if byOperator {
		for k := range operatorKeys {
			delete(out.Conf, k) // what it runs with is the operator's
		}
	}
	for _, role := range Roles() {
		res := out.Role(role)
		res.Warnings = append(warningsAt(res.Composition.Provenance, templates[role], res.Pod,
			func(f overlay.Field) (string, bool) { return out.ExplainPath(role, f.Key) }), res.Warnings...)
		for _, w := range res.Warnings {
			out.Warnings = append(out.Warnings, string(role)+": "+w)
		}
	}
	out.Warnings = append(out.Warnings, ignoredKeyWarnings(userConf)...)
	if byOperator {
		out.Warnings = append(out.Warnings, operatorKeyWarnings(userConf)...)
	}
	after, err := out.App.Values()
	if err != nil {
		return nil, err
	}
	if out.Patch, err = appPatch(in.OriginalValues(), after); err != nil {
		return nil, err
	}
	return out, nil
}

// operatorKeys are the Spark keys the operator always passes a value of
// its own for that wins over sparkConf's, and what it passes: such a key
// in an application's sparkConf has no effect, so its effective
// configuration (AppResult.Conf) leaves it out, and the user is warned.
var operatorKeys = map[string]string{
	"spark.app.name":                   "spark-submit's --name, the application's name",
	"spark.master":                     "spark-submit's --master, the API server it runs in",
	"spark.submit.deployMode":          "spark-submit's --deploy-mode, spec.mode",
	"spark.kubernetes.driver.pod.name": "the driver's pod name after sparkConf: spec.driver.podName, else the application's name and -driver",
}

// operatorKeyWarnings warn of the keys of conf, the user's sparkConf, that
// the operator's own values win over (operatorKeys), in order.
func operatorKeyWarnings(conf map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(operatorKeys)) {
		if _, ok := conf[k]; ok {
			out = append(out, fmt.Sprintf("spec.sparkConf[%q]: has no effect: the Spark Operator passes %s, which wins", k, operatorKeys[k]))
		}
	}
	return out
}

// maxIgnoredKeyWarnings is how many keys spark-submit ignores the warnings
// of an app name one by one: the API server passes a client at most 4 KiB
// of warnings, and a tenant writes as many keys as it likes.
const maxIgnoredKeyWarnings = 8

// ignoredKeyWarnings warn of the keys of conf, the user's sparkConf, that
// spark-submit ignores (overlay.IgnoredSparkKey): the first
// maxIgnoredKeyWarnings in order, one each, then how many more.
func ignoredKeyWarnings(conf map[string]string) []string {
	var keys []string
	why := ""
	for k := range conf {
		if w := overlay.IgnoredSparkKey(k); w != "" {
			keys, why = append(keys, k), w
		}
	}
	slices.Sort(keys)
	var out []string
	for i, k := range keys {
		if i == maxIgnoredKeyWarnings {
			out = append(out, fmt.Sprintf("spec.sparkConf: %d more keys do not start with \"spark.\", which spark-submit ignores", len(keys)-i))
			break
		}
		out = append(out, fmt.Sprintf("spec.sparkConf[%q]: %s", k, why))
	}
	return out
}

// composeRole composes role's pod settings of app: its pod template (pod,
// templatePod's, which it does not change), read as the user's pod,
// composed and rendered as a pod is, without the layers' pod patches.
func composeRole(snap *overlay.Snapshot, cluster Cluster, app *sparkv1beta2.SparkApplication, role v1alpha1.Role, pod *corev1.Pod) (*Result, error) {
	user := UserConfig(pod)
	user.SparkConf = userSparkConf(&app.Spec, role)
	user.HadoopConf = userHadoopConf(&app.Spec)
	res := &Result{Spark: true, Role: role, Pod: pod.DeepCopy(), Patch: []jsonpatch.Operation{}}
	res.Composition = snap.Compose(TargetOf(cluster, pod, role), user)
	res.Warnings = grantIAM(&res.Composition)
	// A layer's image is the Spark container's before mirrors rewrite it.
	if img, ok := res.Composition.Config.SparkConf[overlay.SparkRoleImage(role)]; ok {
		if i := sparkContainer(res.Pod, role); i >= 0 {
			res.Pod.Spec.Containers[i].Image = img
		}
	}
	for _, row := range podTable() {
		if row.render == nil || row.field.Name == "podPatch" {
			continue
		}
		if err := row.render(res.Pod, role, &res.Composition); err != nil {
			return nil, err
		}
	}
	return res, nil
}

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
// is not among them: the API server resolves it for the operator's pods.
var projectedRegions = []string{
	regionLabels, regionAnnotations, regionNodeSelector, regionPriorityClass, regionScheduler,
	regionServiceAccount, regionDeprecatedSA, regionTolerations, regionInitContainers, regionContainers, regionVolumes,
}

// projectPod writes the composed pod settings of role back into its
// section of s: each setting that composition changed (against before,
// the template the section describes), in the typed field, and the
// sparkConf spellings of the same settings removed, so the winner is
// stated once.
func projectPod(s *sparkv1beta2.Spec, role v1alpha1.Role, after, before *corev1.Pod) {
	sec := s.Pod(string(role))
	drop := func(field, key string) {
		for k := range s.SparkConf {
			if to := overlay.SparkConfTarget(role, k); to.Field == field && to.Item == key && !to.IsGeneral() {
				delete(s.SparkConf, k)
			}
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
				return nil, fmt.Errorf("spec.volumes[%s]: the driver's and the executors' layers define it differently", v.Name)
			default:
				out[i] = v
			}
			set[v.Name] = true
		}
	}
	return nonEmptyList(out), nil
}

// writeConf writes the job's Spark and Hadoop configuration: the user's,
// with every key a layer won from the composition that owns it
// (sparkKeyRole); each aliased setting in its typed field when a layer
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
			if aliases[k] || sparkKeyRole(k) != role {
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
// so they win; spec.memoryOverheadFactor before it, so the key wins), and
// the pod settings of each role as their keys.
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
		if sparkKeyRole(key.Item) != role {
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
