package mutate

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"gomodules.xyz/jsonpatch/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
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
	// which keys of their sparkConf spark-submit ignores
	// (overlay.IgnoredSparkKey), and which launched pods what the layers
	// added has the namespace's Pod Security level refuse
	// (launchedPodSecurityWarnings).
	Warnings []string
	// input is the application as the user wrote it.
	input *sparkv1beta2.Spec
}

// ScheduleWarnings are Warnings for the creator of schedule, whose run
// (sparkv1beta2.RunOf) r composed: a field of the application's spec is
// named where the schedule holds it, under spec.template (executor:
// spec.template.executor.memory ...; the run's labels are the schedule's
// own, so metadata stays as it is), and each ends as the schedule's
// messages do (sparkv1beta2.Schedule.EachRun).
func (r *AppResult) ScheduleWarnings(schedule sparkv1beta2.Schedule) []string {
	out := make([]string, len(r.Warnings))
	for i, w := range r.Warnings {
		head, rest := "", w
		for _, role := range Roles() {
			if p := string(role) + ": "; strings.HasPrefix(w, p) {
				head, rest = p, w[len(p):]
			}
		}
		if field, ok := strings.CutPrefix(rest, "spec."); ok {
			rest = "spec.template." + field
		}
		out[i] = head + rest + schedule.EachRun()
	}
	return out
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
// count or place executors (overlay.SparkKeyRole), which are the executors'.
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
	// pinned are the node selector keys each template was given from the
	// namespace's pin, which the application did not write.
	pinned := map[v1alpha1.Role][]string{}
	for _, role := range Roles() {
		templates[role] = templatePod(&in.App, role)
		pinned[role] = givePinnedSelector(templates[role], snap.NamespacePlacement(app.Namespace))
	}
	for _, role := range Roles() {
		res, err := composeRole(snap, cluster, &in.App, role, templates[role])
		if err != nil {
			return nil, fmt.Errorf("SparkApplication %q: %s: %w", app.Namespace+"/"+app.Name, role, err)
		}
		res.Pinned = pinned[role]
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
		if ns, ok := metricsNamespace(app); ok {
			out.Conf[metricsNamespaceKey] = ns
		}
	}
	if err := launchedPodSecurityWarnings(snap, cluster, &in.App, out); err != nil {
		return nil, fmt.Errorf("SparkApplication %q: %w", app.Namespace+"/"+app.Name, err)
	}
	if err := launchedPlacementWarnings(snap, cluster, &in.App, out); err != nil {
		return nil, fmt.Errorf("SparkApplication %q: %w", app.Namespace+"/"+app.Name, err)
	}
	if err := launchedLimitWarnings(snap, cluster, out); err != nil {
		return nil, fmt.Errorf("SparkApplication %q: %w", app.Namespace+"/"+app.Name, err)
	}
	for _, role := range Roles() {
		res := out.Role(role)
		res.Warnings = append(warningsAt(res.Composition.Provenance, templates[role], res.Pod,
			func(f overlay.Field) (string, bool) {
				if f.Key.Root == overlay.PathNodeSelector && slices.Contains(pinned[role], f.Key.Item) {
					return "", false // not the user's: the placement warning says it
				}
				return out.ExplainPath(role, f.Key)
			}), res.Warnings...)
		for _, w := range res.Warnings {
			out.Warnings = append(out.Warnings, string(role)+": "+w)
		}
	}
	out.Warnings = append(out.Warnings, ignoredKeyWarnings(userConf)...)
	if byOperator {
		out.Warnings = append(out.Warnings, operatorKeyWarnings(userConf)...)
		out.Warnings = append(out.Warnings, monitoringWarnings(app)...)
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
	user := UserConfig(pod, snap)
	user.SparkConf = userSparkConf(&app.Spec, role)
	user.HadoopConf = userHadoopConf(&app.Spec)
	res := &Result{Spark: true, Role: role, Pod: pod.DeepCopy(), Patch: []jsonpatch.Operation{}}
	res.Composition = snap.Compose(TargetOf(cluster, pod, role), user)
	// A pod template's Spark container of another name than Spark's
	// (which no layer's container takes) would be replaced on each pod by
	// a layer's container of its name, and each pod refused for it.
	if t := app.Spec.Pod(string(role)).Template; t != nil {
		if i := templateSparkContainer(t.Spec.Containers, role); i >= 0 {
			if err := replacesSparkContainer(t.Spec.Containers[i].Name, &res.Composition); err != nil {
				return nil, fmt.Errorf("spec.%s.template.spec.containers[%s]: its pods would be refused: %w", role, t.Spec.Containers[i].Name, err)
			}
		}
	}
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
