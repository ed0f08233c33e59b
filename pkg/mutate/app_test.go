package mutate

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/quantity"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/fixtures"
)

var prodA = Cluster{Name: "prod-a", Pool: "batch"}

func TestComposeAppTwiceChangesNothing(t *testing.T) {
	snap := fixtures.Snapshot(t, "prod-a")
	first, err := ComposeApp(snap, prodA, fixtures.App(t, "etl-report.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Patch) == 0 {
		t.Fatal("the example app composed to nothing")
	}
	again, err := ComposeApp(snap, prodA, first.App)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Patch) != 0 {
		t.Errorf("composing a composed app patched it again: %v", again.Patch)
	}
	if len(again.Warnings) != 0 {
		t.Errorf("composing a composed app warned: %q", again.Warnings)
	}
}

// TestAppWarnsOfKeysSparkIgnores: a key of the user's sparkConf that
// spark-submit drops (not "spark.") is warned of, by its path, as often
// as the app is composed; the keys Spark keeps are not.
func TestAppWarnsOfKeysSparkIgnores(t *testing.T) {
	snap := fixtures.Snapshot(t, "prod-a")
	app := fixtures.App(t, "etl-report.yaml").App.DeepCopy()
	app.Spec.SparkConf = map[string]string{"hive.metastore.uris": "thrift://hms:9083", "spark.sql.shuffle.partitions": "8",
		"Spark.executor.cores": "2"}
	obj, err := sparkv1beta2.FromApp(app)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`spec.sparkConf["Spark.executor.cores"]: spark-submit ignores keys that do not start with "spark." (a Hadoop setting is hadoopConf's, or spark.hadoop.<key>)`,
		`spec.sparkConf["hive.metastore.uris"]: spark-submit ignores keys that do not start with "spark." (a Hadoop setting is hadoopConf's, or spark.hadoop.<key>)`,
	}
	for i := range 2 {
		res, err := ComposeApp(snap, prodA, obj)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, w := range res.Warnings {
			if strings.HasPrefix(w, "spec.sparkConf[") {
				got = append(got, w)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("composition %d warned:\n%s\nwant\n%s", i+1, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if res.Conf["hive.metastore.uris"] != "thrift://hms:9083" {
			t.Errorf("the key is dropped from the composition: %q", res.Conf)
		}
		obj = res.App
	}
}

// TestIgnoredKeyWarningsAreBounded: however many keys a tenant writes
// that spark-submit ignores, the first few are named, in order, and the
// rest counted.
func TestIgnoredKeyWarningsAreBounded(t *testing.T) {
	conf := map[string]string{"spark.kept": "1"}
	for i := range 5000 {
		conf[fmt.Sprintf("k%04d", i)] = ""
	}
	got := ignoredKeyWarnings(conf)
	if len(got) != maxIgnoredKeyWarnings+1 {
		t.Fatalf("%d warnings, want %d", len(got), maxIgnoredKeyWarnings+1)
	}
	if !strings.HasPrefix(got[0], `spec.sparkConf["k0000"]: `) || !strings.HasPrefix(got[maxIgnoredKeyWarnings-1], `spec.sparkConf["k0007"]: `) {
		t.Errorf("not the first keys in order: %q", got)
	}
	if want := fmt.Sprintf(`spec.sparkConf: %d more keys do not start with "spark.", which spark-submit ignores`, 5000-maxIgnoredKeyWarnings); got[maxIgnoredKeyWarnings] != want {
		t.Errorf("last warning %q, want %q", got[maxIgnoredKeyWarnings], want)
	}
	if got := ignoredKeyWarnings(map[string]string{"spark.a": "", "b": ""}); len(got) != 1 {
		t.Errorf("one ignored key: %q", got)
	}
}

// TestLaunchedPodsComposeToNothing builds the pods the operator launches
// from a composed app: the pod webhook leaves them as they are, and warns
// of nothing.
func TestLaunchedPodsComposeToNothing(t *testing.T) {
	// With what Spark and the operator's pod webhook add besides: a
	// Secret's volume, the ConfigMaps and their variables.
	mounting := fixtures.App(t, "etl-report.yaml").App
	mounting.Spec.SparkConfigMap, mounting.Spec.HadoopConfigMap = new(string), new(string)
	*mounting.Spec.SparkConfigMap, *mounting.Spec.HadoopConfigMap = "spark-defaults", "hadoop-site"
	mounting.Spec.Executor.ConfigMaps = []sparkv1beta2.NamePath{{Name: "app.conf", Path: "/etc/app"}}
	mounting.Spec.Driver.Secrets = []sparkv1beta2.SecretInfo{{Name: "tls", Path: "/etc/tls", Type: sparkv1beta2.SecretTypeGeneric}}
	mountingApp, err := sparkv1beta2.FromApp(&mounting)
	if err != nil {
		t.Fatal(err)
	}
	for _, cluster := range []string{"prod-a", "prod-b", "prod-a mounting"} {
		in := fixtures.App(t, "etl-report.yaml")
		if name, ok := strings.CutSuffix(cluster, " mounting"); ok {
			cluster, in = name, mountingApp
		}
		snap := fixtures.Snapshot(t, cluster)
		c := Cluster{Name: cluster, Pool: map[string]string{"prod-a": "batch", "prod-b": "interactive"}[cluster]}
		res, err := ComposeApp(snap, c, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, role := range Roles() {
			_, got := composeLaunched(t, snap, c, res, role)
			if len(got.Patch) != 0 {
				p, _ := json.Marshal(got.Patch)
				t.Errorf("%s: %s pod of the composed app patched: %s", cluster, role, p)
			}
			// Only what the app's composition said already.
			for _, w := range got.Warnings {
				if !slices.Contains(res.Warnings, string(role)+": "+w) {
					t.Errorf("%s: %s pod of the composed app warned: %q (the app: %q)", cluster, role, w, res.Warnings)
				}
			}
		}
	}
}

// composeTypedApp composes app, a typed SparkApplication, as the webhook
// composes one, failing t on an error.
func composeTypedApp(t *testing.T, snap *overlay.Snapshot, c Cluster, app *sparkv1beta2.SparkApplication) *AppResult {
	t.Helper()
	obj, err := sparkv1beta2.FromApp(app)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ComposeApp(snap, c, obj)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// composeLaunched is the pod of role the operator launches from the
// composed app res, and that pod composed as the pod webhook composes it.
func composeLaunched(t *testing.T, snap *overlay.Snapshot, c Cluster, res *AppResult, role v1alpha1.Role) (*corev1.Pod, *Result) {
	t.Helper()
	pod, err := LaunchedPod(&res.App.App, role)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Compose(snap, c, pod)
	if err != nil {
		t.Fatal(err)
	}
	return pod, got
}

// TestUnknownFieldsSurvive: every field the mirror does not know comes
// out of composition exactly as it went in.
func TestUnknownFieldsSurvive(t *testing.T) {
	in := fixtures.App(t, "etl-report.yaml")
	res, err := ComposeApp(fixtures.Snapshot(t, "prod-a"), prodA, in)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := in.Values()
	after, _ := res.App.Values()
	spec := func(m map[string]any) map[string]any { return m["spec"].(map[string]any) }
	for _, k := range []string{"monitoring", "arguments", "restartPolicy", "mainClass", "sparkVersion", "mode"} {
		b, _ := json.Marshal(spec(before)[k])
		a, _ := json.Marshal(spec(after)[k])
		if string(a) != string(b) {
			t.Errorf("spec.%s changed: %s -> %s", k, b, a)
		}
	}
	exec := spec(after)["executor"].(map[string]any)
	if exec["deleteOnTermination"] != false {
		t.Errorf("spec.executor.deleteOnTermination lost: %v", exec)
	}
}

var _ = v1alpha1.RoleDriver

// FuzzComposeApp composes arbitrary SparkApplications with the example
// layers: an error or a composition, never a panic, and a composed app
// composes to nothing.
func FuzzComposeApp(f *testing.F) {
	snap := fixtures.Snapshot(f, "prod-a")
	seed, err := fixtures.App(f, "etl-report.yaml").Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"metadata":{"namespace":"etl"},"spec":{"sparkConf":{"spark.kubernetes.executor.label.team":"x","spark.kubernetes.node.selector.a":"b","spark.kubernetes.driver.node.selector.a":"c"},"driver":{"labels":{"team":"y"}}}}`))
	f.Add([]byte(`{"metadata":{"namespace":"geo"},"spec":{"image":"a","driver":{"image":"b"},"dynamicAllocation":{"enabled":true},"sparkConf":{"spark.dynamicAllocation.maxExecutors":"x"}}}`))
	f.Add([]byte(`{"spec":{"volumes":[{"name":"spark-logs","hostPath":{"path":"/"}}],"executor":{"sidecars":[{"name":"log-shipper"}]}}}`))
	f.Add([]byte(`{"metadata":{"namespace":"etl"},"spec":{"driver":{"template":{"spec":{"containers":[{"name":"main","image":"x"},{"name":"log-shipper"}],"initContainers":[{"name":"i"}]}}}}}`))
	f.Add([]byte(`{"metadata":{"namespace":"etl"},"spec":{"type":"Python","dynamicAllocation":{"enabled":false},"sparkConf":{"spark.dynamicAllocation.enabled":"TRUE","spark.unsafe.offHeap":"true","spark.memory.offHeap.size":"4g","spark.yarn.driver.memoryOverhead":"x"}}}`))
	f.Add([]byte(`{"metadata":{"namespace":"etl","labels":{"kueue.x-k8s.io/queue-name":"q"}},"spec":{"sparkConf":{"spark.kubernetes.scheduler.name":"a","spark.kubernetes.driver.scheduler.name":""},"executor":{"schedulerName":""},"driver":{"schedulerName":"b"}}}`))
	f.Add([]byte(`{"metadata":{"namespace":"etl"},"spec":{"sparkConf":{"spark.kubernetes.driverEnv.A":"1"},"driver":{"envVars":{"A":"2","SPARK_LOG_DIR":"x"},"env":[{"name":"A","value":"3"}]},"executor":{"envVars":{"B":"1"}}}}`))
	f.Add([]byte(`{"metadata":{"namespace":"etl"},"spec":{"volumes":[{"name":"k","image":{"reference":"busybox:1"}}],"executor":{"volumeMounts":[{"name":"k","mountPath":"/k"}],"gpu":{"name":"nvidia.com/gpu","quantity":2}},"sparkConf":{"spark.driver.resource.gpu.amount":"1","spark.driver.resource.gpu.vendor":"nvidia.com"}}}`))
	f.Add([]byte(`{"metadata":{"namespace":"etl","name":"m"},"spec":{"monitoring":{"exposeDriverMetrics":true,"metricsPropertiesFile":"","prometheus":{"jmxExporterJar":"j","port":1,"configFile":"c"}},"sparkConf":{"spark.metrics.conf":"x","spark.metrics.namespace":"y","spark.driver.extraJavaOptions":"-Dz"},"executor":{"ports":[{"name":"p","protocol":"TCP","containerPort":5005}],"hostAliases":[{"ip":"1.2.3.4"}],"shareProcessNamespace":false,"terminationGracePeriodSeconds":-1,"dnsConfig":{"nameservers":["x"]}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		// The webhook refuses, before it is decoded, an app holding a
		// quantity resource.Quantity would take minutes to decode.
		if quantity.MayHoldUnbounded(data) && quantity.CheckJSON(data, reflect.TypeFor[sparkv1beta2.SparkApplication]()) != nil {
			return
		}
		obj, err := sparkv1beta2.Decode(data)
		if err != nil {
			return
		}
		res, err := ComposeApp(snap, prodA, obj)
		if err != nil {
			return
		}
		again, err := ComposeApp(snap, prodA, res.App)
		if err != nil {
			t.Fatalf("a composed app does not compose again: %v", err)
		}
		if len(again.Patch) != 0 {
			t.Fatalf("a composed app composed again patched: %v\ninput %s", again.Patch, data)
		}
	})
}

// TestBatchScheduler: a layer that gives the driver Volcano (and a queue)
// hands the application to it; a scheduler the user chose is left alone.
func TestBatchScheduler(t *testing.T) {
	snap := fixtures.SnapshotOf(t, map[string]string{"volcano": `{tier: ClusterOverrides, config: {schedulerName: volcano, annotations: {scheduling.volcano.sh/queue-name: etl}}}`})
	res, err := ComposeApp(snap, prodA, fixtures.App(t, "etl-report.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := res.App.App.Spec
	if s.BatchScheduler == nil || *s.BatchScheduler != "volcano" || s.BatchSchedulerOptions == nil || *s.BatchSchedulerOptions.Queue != "etl" {
		t.Errorf("batchScheduler %v, options %+v; want volcano, queue etl", s.BatchScheduler, s.BatchSchedulerOptions)
	}
	snap = fixtures.SnapshotOf(t, map[string]string{"volcano": `{tier: ClusterDefaults, config: {schedulerName: volcano}}`})
	app := fixtures.App(t, "etl-report.yaml")
	mine := "my-scheduler"
	app.App.Spec.Driver.SchedulerName = &mine
	if res, err = ComposeApp(snap, prodA, app); err != nil {
		t.Fatal(err)
	}
	if res.App.App.Spec.BatchScheduler != nil {
		t.Errorf("the user's scheduler was replaced by a default's batch scheduler: %v", *res.App.App.Spec.BatchScheduler)
	}
}

// TestBatchQueueForTheUsersScheduler: a layer's queue reaches an app whose
// user chose the batch scheduler.
func TestBatchQueueForTheUsersScheduler(t *testing.T) {
	snap := fixtures.SnapshotOf(t, map[string]string{"queue": `{tier: ClusterOverrides, config: {labels: {queue: root.etl}}}`})
	app := fixtures.App(t, "etl-report.yaml")
	yk := "yunikorn"
	app.App.Spec.BatchScheduler = &yk
	res, err := ComposeApp(snap, prodA, app)
	if err != nil {
		t.Fatal(err)
	}
	if o := res.App.App.Spec.BatchSchedulerOptions; o == nil || o.Queue == nil || *o.Queue != "root.etl" {
		t.Errorf("batchSchedulerOptions = %+v, want queue root.etl", o)
	}
}

// TestExplainPathOfAnApp: explain names a field of an application where
// the application states it: the image at spec.image when the user wrote
// it for both roles and at the role's section when they wrote it there;
// hadoopConf at spec.hadoopConf from the driver's composition only, or at
// its sparkConf key when the user wrote it there.
func TestExplainPathOfAnApp(t *testing.T) {
	var conf map[string]string
	compose := func(image, driverImage string) *AppResult {
		t.Helper()
		app := &sparkv1beta2.SparkApplication{}
		app.APIVersion, app.Kind = sparkv1beta2.APIVersion, sparkv1beta2.Kind
		app.Name, app.Namespace = "paths", "etl"
		app.Spec.SparkConf = conf
		if image != "" {
			app.Spec.Image = &image
		}
		if driverImage != "" {
			app.Spec.Driver.Image = &driverImage
		}
		return composeTypedApp(t, aliasSnapshot(t, v1alpha1.ClusterDefaults, "spark.unrelated", "x"), cluster, app)
	}
	driverImage := overlay.ElementKey("spec.containers", driverContainer).WithSub("image")
	executorImage := overlay.ElementKey("spec.containers", executorContainer).WithSub("image")
	hadoop := overlay.MapKey(overlay.PathHadoopConf, "fs.s3a.endpoint")
	for _, c := range []struct {
		res  *AppResult
		role v1alpha1.Role
		key  overlay.Key
		want string // "" when the app does not carry it from role
	}{
		{compose("example.com/spark:1", ""), v1alpha1.RoleDriver, driverImage, "spec.image"},
		{compose("example.com/spark:1", ""), v1alpha1.RoleExecutor, executorImage, "spec.image"},
		{compose("example.com/spark:1", "example.com/spark:2"), v1alpha1.RoleDriver, driverImage, "spec.driver.image"},
		{compose("example.com/spark:1", "example.com/spark:2"), v1alpha1.RoleExecutor, executorImage, "spec.image"},
		{compose("", "example.com/spark:2"), v1alpha1.RoleExecutor, executorImage, "spec.executor.image"},
		{compose("", ""), v1alpha1.RoleDriver, hadoop, `spec.hadoopConf["fs.s3a.endpoint"]`},
		{compose("", ""), v1alpha1.RoleExecutor, hadoop, ""},
		{func() *AppResult {
			conf = map[string]string{"spark.hadoop.fs.s3a.endpoint": "s3.internal"}
			defer func() { conf = nil }()
			return compose("", "")
		}(), v1alpha1.RoleDriver, hadoop, `spec.sparkConf["spark.hadoop.fs.s3a.endpoint"]`},
	} {
		got, ok := c.res.ExplainPath(c.role, c.key)
		if !ok {
			got = ""
		}
		if got != c.want {
			t.Errorf("%s of the %s: explained at %q, want %q", c.key, c.role, got, c.want)
		}
	}
}

// TestExplainPathOfAPodSetting: explain names a pod setting the user wrote
// outside the section where the user wrote the value that is in effect:
// the application's labels over sparkConf's label keys, a role's own node
// selector key over spec.nodeSelector, and spec.nodeSelector over the
// shared key.
func TestExplainPathOfAPodSetting(t *testing.T) {
	app := &sparkv1beta2.SparkApplication{}
	app.APIVersion, app.Kind = sparkv1beta2.APIVersion, sparkv1beta2.Kind
	app.Name, app.Namespace = "paths", "etl"
	app.Labels = map[string]string{"team": "app"}
	app.Spec.NodeSelector = map[string]string{"typed": "x", "own": "x"}
	app.Spec.SparkConf = map[string]string{
		"spark.kubernetes.executor.label.team":        "conf",
		"spark.kubernetes.executor.label.conf":        "conf",
		"spark.kubernetes.node.selector.typed":        "y",
		"spark.kubernetes.node.selector.shared":       "y",
		"spark.kubernetes.executor.node.selector.own": "z",
	}
	res := composeTypedApp(t, aliasSnapshot(t, v1alpha1.ClusterDefaults, "spark.unrelated", "x"), cluster, app)
	for _, c := range []struct {
		key  overlay.Key
		want string
	}{
		{overlay.MapKey(overlay.PathLabels, "team"), `metadata.labels.team`},
		{overlay.MapKey(overlay.PathLabels, "conf"), `spec.sparkConf["spark.kubernetes.executor.label.conf"]`},
		{overlay.MapKey(overlay.PathNodeSelector, "own"), `spec.sparkConf["spark.kubernetes.executor.node.selector.own"]`},
		{overlay.MapKey(overlay.PathNodeSelector, "typed"), `spec.nodeSelector.typed`},
		{overlay.MapKey(overlay.PathNodeSelector, "shared"), `spec.sparkConf["spark.kubernetes.node.selector.shared"]`},
		{overlay.MapKey(overlay.PathNodeSelector, "none"), `spec.executor.nodeSelector.none`},
	} {
		if got, _ := res.ExplainPath(v1alpha1.RoleExecutor, c.key); got != c.want {
			t.Errorf("%s: explained at %q, want %q", c.key, got, c.want)
		}
	}
}

// TestAppWarnsOfKeysTheOperatorOverrides: a key of an application's
// sparkConf that the operator always passes a value of its own for (the
// app's name, the driver's pod name, spark-submit's master and deploy
// mode) has no effect: the user is warned, the key is kept where they
// wrote it, and the effective configuration does not claim the job runs
// with it. A job spark-submit submits itself runs with them.
func TestAppWarnsOfKeysTheOperatorOverrides(t *testing.T) {
	snap := fixtures.Snapshot(t, "prod-a")
	conf := map[string]string{"spark.app.name": "mine", "spark.kubernetes.driver.pod.name": "my-driver",
		"spark.master": "local[*]", "spark.submit.deployMode": "client", "spark.sql.shuffle.partitions": "8"}
	app := fixtures.App(t, "etl-report.yaml").App.DeepCopy()
	app.Spec.SparkConf = maps.Clone(conf)
	res := composeTypedApp(t, snap, prodA, app)
	noEffect := func(res *AppResult) []string {
		var out []string
		for _, w := range res.Warnings {
			if strings.Contains(w, "has no effect") {
				out = append(out, w)
			}
		}
		return out
	}
	want := []string{
		`spec.sparkConf["spark.app.name"]: has no effect: the Spark Operator passes spark-submit's --name, the application's name, which wins`,
		`spec.sparkConf["spark.kubernetes.driver.pod.name"]: has no effect: the Spark Operator passes the driver's pod name after sparkConf: spec.driver.podName, else the application's name and -driver, which wins`,
		`spec.sparkConf["spark.master"]: has no effect: the Spark Operator passes spark-submit's --master, the API server it runs in, which wins`,
		`spec.sparkConf["spark.submit.deployMode"]: has no effect: the Spark Operator passes spark-submit's --deploy-mode, spec.mode, which wins`,
	}
	if got := noEffect(res); !slices.Equal(got, want) {
		t.Errorf("warned:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for k := range operatorKeys {
		if v, ok := res.Conf[k]; ok {
			t.Errorf("the effective configuration states %s = %q", k, v)
		}
		if res.App.App.Spec.SparkConf[k] != conf[k] {
			t.Errorf("the user's %s was not kept", k)
		}
	}
	if res.Conf["spark.sql.shuffle.partitions"] != "8" {
		t.Errorf("an ordinary key is not in the effective configuration: %q", res.Conf)
	}
	job, err := ComposeSubmitJob(snap, prodA, "etl", maps.Clone(conf))
	if err != nil {
		t.Fatal(err)
	}
	if got := noEffect(job); len(got) != 0 {
		t.Errorf("a spark-submit job warned: %q", got)
	}
	for k, v := range conf {
		if job.SubmitConf()[k] != v {
			t.Errorf("a spark-submit job runs with %s = %q, want its own %q", k, job.SubmitConf()[k], v)
		}
	}
}

// TestAppImageVolumesAreMirrored: an application's image volume is pulled
// through the layers' mirror, as its containers' images are, and composing
// the composed application again changes nothing.
func TestAppImageVolumesAreMirrored(t *testing.T) {
	snap := fixtures.Snapshot(t, "prod-a")
	in := fixtures.App(t, "etl-report.yaml")
	in.App.Spec.Volumes = append(in.App.Spec.Volumes,
		corev1.Volume{Name: "kit", VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: "busybox:1.36"}}},
		corev1.Volume{Name: "data", VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: "quay.io/team/data:1"}}})
	in.App.Spec.Executor.VolumeMounts = append(in.App.Spec.Executor.VolumeMounts, corev1.VolumeMount{Name: "kit", MountPath: "/kit"})
	res, err := ComposeApp(snap, prodA, in)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"kit": "mirror.prod-a.internal/dockerhub/library/busybox:1.36", "data": "quay.io/team/data:1"} {
		if v, ok := find(res.App.App.Spec.Volumes, overlay.VolumeKey, name); !ok || v.Image == nil || v.Image.Reference != want {
			t.Errorf("volume %s: %+v, want the image %s", name, v, want)
		}
	}
	again, err := ComposeApp(snap, prodA, res.App)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Patch) != 0 {
		t.Errorf("composing the composed app patched it again: %v", again.Patch)
	}
}
