package mutate

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	resourcehelper "k8s.io/component-helpers/resource"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/fixtures"
)

// TestLaunchedPodFromTemplate: an executor section's pod template is the
// pod Spark starts its executors from, so the launched pod Strata judges
// holds all of it: the template's other containers and init containers
// (counted in the pod's requests), its volumes and tolerations, its
// pod-level resources, and its Spark container's resources other than the
// CPU and memory Spark sets.
func TestLaunchedPodFromTemplate(t *testing.T) {
	app := fixtures.App(t, "etl-report.yaml").App
	app.Spec.Executor.Template = &corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"from": "template", "team": "template"}},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{
				{Name: "miner", Image: "registry.example/miner:1", Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("12"), corev1.ResourceMemory: resource.MustParse("40Gi")}}},
				{Name: "spark-kubernetes-executor", Env: []corev1.EnvVar{{Name: "FROM_TEMPLATE", Value: "1"}}, Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceEphemeralStorage: resource.MustParse("1Gi")},
					Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("64")}}},
			},
			InitContainers: []corev1.Container{{Name: "warm", Image: "registry.example/warm:1"}},
			Volumes:        []corev1.Volume{{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}},
			Tolerations:    []corev1.Toleration{{Key: "reserved", Operator: corev1.TolerationOpExists}},
			NodeName:       "reserved-1",
		},
	}
	plain, err := LaunchedPod(&fixtures.App(t, "etl-report.yaml").App, v1alpha1.RoleExecutor)
	if err != nil {
		t.Fatal(err)
	}
	pod, err := LaunchedPod(&app, v1alpha1.RoleExecutor)
	if err != nil {
		t.Fatal(err)
	}
	if i := sparkContainer(pod, v1alpha1.RoleExecutor); i != 0 || pod.Spec.Containers[0].Image != plain.Spec.Containers[0].Image {
		t.Fatalf("the Spark container: at %d, image %q", i, pod.Spec.Containers[i].Image)
	}
	spark := pod.Spec.Containers[0]
	if got, want := spark.Resources.Requests.Cpu().String(), plain.Spec.Containers[0].Resources.Requests.Cpu().String(); got != want {
		t.Errorf("the Spark container requests %s CPU, want Spark's %s over the template's", got, want)
	}
	if got := spark.Resources.Limits.Cpu().String(); got != "64" {
		t.Errorf("the Spark container's CPU limit %s, want the template's 64 (no spark.kubernetes.executor.limit.cores)", got)
	}
	if _, ok := spark.Resources.Requests[corev1.ResourceEphemeralStorage]; !ok || len(spark.Env) == 0 || spark.Env[0].Name != "FROM_TEMPLATE" {
		t.Errorf("the template's own resources and env are kept: %v, env %v", spark.Resources.Requests, spark.Env)
	}
	if len(pod.Spec.Containers) != len(plain.Spec.Containers)+1 || pod.Spec.Containers[1].Name != "miner" {
		t.Errorf("containers %v, want the Spark container, the template's miner, then the sidecars", names(pod.Spec.Containers))
	}
	if len(pod.Spec.InitContainers) != len(plain.Spec.InitContainers)+1 || pod.Spec.InitContainers[0].Name != "warm" {
		t.Errorf("init containers %v, want the template's first", names(pod.Spec.InitContainers))
	}
	if pod.Spec.NodeName != "reserved-1" || len(pod.Spec.Volumes) != len(plain.Spec.Volumes)+1 || len(pod.Spec.Tolerations) != len(plain.Spec.Tolerations)+1 {
		t.Errorf("nodeName %q, volumes %d, tolerations %d: want the template's with the section's", pod.Spec.NodeName, len(pod.Spec.Volumes), len(pod.Spec.Tolerations))
	}
	if pod.Labels["from"] != "template" || pod.Labels["team"] != plain.Labels["team"] || pod.Labels[v1alpha1.RoleLabel] != "executor" {
		t.Errorf("labels %v: the template's, the app's over them", pod.Labels)
	}
	got, base := resourcehelper.PodRequests(pod, resourcehelper.PodResourcesOptions{}), resourcehelper.PodRequests(plain, resourcehelper.PodResourcesOptions{})
	if d := got.Cpu().MilliValue() - base.Cpu().MilliValue(); d != 12000 {
		t.Errorf("the pod requests %dm CPU more than without its template, want the miner's 12000m", d)
	}

	// Pod-level resources are the pod's requests, whatever its containers ask.
	app.Spec.Executor.Template.Spec.Resources = &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("96")}}
	if pod, err = LaunchedPod(&app, v1alpha1.RoleExecutor); err != nil {
		t.Fatal(err)
	}
	if r := resourcehelper.PodRequests(pod, resourcehelper.PodResourcesOptions{}); r.Cpu().Value() != 96 {
		t.Errorf("with pod-level resources the pod requests %s CPU, want 96", r.Cpu())
	}

	// A template whose Spark container has another name: Spark takes its
	// first container.
	app.Spec.Executor.Template = &corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "main"}, {Name: "other"}}}}
	if pod, err = LaunchedPod(&app, v1alpha1.RoleExecutor); err != nil {
		t.Fatal(err)
	}
	if pod.Spec.Containers[0].Name != "main" || pod.Spec.Containers[1].Name != "other" || sparkContainer(pod, v1alpha1.RoleExecutor) != 0 {
		t.Errorf("containers %v, want main (the Spark container), then other", names(pod.Spec.Containers))
	}
	// Spark's own variable and argument in another of the template's
	// containers do not make it the Spark container: Spark sets them in
	// its own, of either role.
	for _, role := range []v1alpha1.Role{v1alpha1.RoleDriver, v1alpha1.RoleExecutor} {
		sec := app.Spec.Pod(string(role))
		sec.Template = &corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "main"},
			{Name: "other", Args: []string{string(role)}, Env: []corev1.EnvVar{{Name: sparkOwnVariable(role), Value: "x"}}}}}}
		if pod, err = LaunchedPod(&app, role); err != nil {
			t.Fatal(err)
		}
		if i := sparkContainer(pod, role); i != 0 {
			t.Errorf("the %s's Spark container: %v, want main", role, pod.Spec.Containers[i].Name)
		}
		sec.Template = nil
	}
	app.Spec.Executor.Template = &corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "main"}, {Name: "other"}}}}
	// The driver's own section has no template: its pod is as before.
	driver, err := LaunchedPod(&app, v1alpha1.RoleDriver)
	if err != nil {
		t.Fatal(err)
	}
	plainDriver, err := LaunchedPod(&fixtures.App(t, "etl-report.yaml").App, v1alpha1.RoleDriver)
	if err != nil {
		t.Fatal(err)
	}
	if len(driver.Spec.Containers) != len(plainDriver.Spec.Containers) || driver.Spec.NodeName != "" {
		t.Errorf("the driver: containers %v", names(driver.Spec.Containers))
	}
}

func names(cs []corev1.Container) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

// TestLaunchedPodCarriesBatchQueue: the queue an app asks its batch
// scheduler for is on its launched pods where that scheduler reads a
// pod's queue, both when the operator's default scheduler decides; and a
// queue a layer gave the app launches pods the layers leave as they are.
func TestLaunchedPodCarriesBatchQueue(t *testing.T) {
	const volcano, yunikorn = "scheduling.volcano.sh/queue-name", "queue"
	for _, tt := range []struct {
		scheduler         string
		annotation, label bool
	}{
		{"volcano", true, false},
		{"yunikorn", false, true},
		{"", true, true},
		{"kube-scheduler", false, false},
	} {
		app := fixtures.App(t, "etl-report.yaml").App
		if tt.scheduler != "" {
			app.Spec.BatchScheduler = &tt.scheduler
		}
		app.Spec.BatchSchedulerOptions = &sparkv1beta2.BatchSchedulerOptions{Queue: new("other-team")}
		for _, role := range Roles() {
			pod, err := LaunchedPod(&app, role)
			if err != nil {
				t.Fatal(err)
			}
			a, hasA := pod.Annotations[volcano]
			l, hasL := pod.Labels[yunikorn]
			if hasA != tt.annotation || hasL != tt.label || hasA && a != "other-team" || hasL && l != "other-team" {
				t.Errorf("scheduler %q, %s: annotation %q (%v), label %q (%v); want annotation %v, label %v",
					tt.scheduler, role, a, hasA, l, hasL, tt.annotation, tt.label)
			}
		}
	}

	snap := fixtures.SnapshotOf(t, map[string]string{"volcano": `{tier: ClusterOverrides, config: {schedulerName: volcano, annotations: {scheduling.volcano.sh/queue-name: etl}}}`})
	res, err := ComposeApp(snap, prodA, fixtures.App(t, "etl-report.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range Roles() {
		if pod, got := composeLaunched(t, snap, prodA, res, role); len(got.Patch) != 0 || pod.Annotations[volcano] != "etl" {
			t.Errorf("%s pod of an app a layer gave queue etl: patch %v, queue %q", role, got.Patch, pod.Annotations[volcano])
		}
	}
}

// TestLaunchedPodHasWhatItsConfGives: the volumes and the environment
// Spark's configuration gives a role are on its launched pods, in the
// Spark container, each of the four volume types Spark knows; what Spark
// would refuse, and the other role's, are not.
func TestLaunchedPodHasWhatItsConfGives(t *testing.T) {
	app := fixtures.App(t, "etl-report.yaml").App
	app.Spec.Monitoring = nil // its exporter's ConfigMap: TestLaunchedPodHasThePrometheusExporter
	app.Spec.SparkConf = map[string]string{
		"spark.kubernetes.executor.volumes.hostPath.root.mount.path":                     "/host",
		"spark.kubernetes.executor.volumes.hostPath.root.options.path":                   "/",
		"spark.kubernetes.executor.volumes.hostPath.root.mount.readOnly":                 "TRUE",
		"spark.kubernetes.executor.volumes.emptyDir.scratch.mount.path":                  "/scratch",
		"spark.kubernetes.executor.volumes.emptyDir.scratch.options.sizeLimit":           "10Gi",
		"spark.kubernetes.executor.volumes.nfs.share.mount.path":                         "/share",
		"spark.kubernetes.executor.volumes.nfs.share.options.path":                       "/exports",
		"spark.kubernetes.executor.volumes.nfs.share.options.server":                     "nfs.internal",
		"spark.kubernetes.executor.volumes.persistentVolumeClaim.data.mount.path":        "/data",
		"spark.kubernetes.executor.volumes.persistentVolumeClaim.data.options.claimName": "OnDemand",
		"spark.kubernetes.executor.volumes.hostPath.nopath.mount.path":                   "/x",  // no options.path: Spark refuses it
		"spark.kubernetes.executor.volumes.secret.s.mount.path":                          "/s",  // a type Spark does not know
		"spark.kubernetes.executor.volumes.nfs.noserver.mount.path":                      "/n1", // nfs needs a path and a server
		"spark.kubernetes.executor.volumes.nfs.noserver.options.path":                    "/exports",
		"spark.kubernetes.executor.volumes.nfs.nopath.mount.path":                        "/n2",
		"spark.kubernetes.executor.volumes.nfs.nopath.options.server":                    "nfs.internal",
		// MountSecretsFeatureStep: a Secret's volume, before the others.
		"spark.kubernetes.executor.secrets.creds":                   "/etc/creds",
		"spark.executorEnv.":                                        "no name",
		"spark.kubernetes.driver.volumes.hostPath.drv.mount.path":   "/drv",
		"spark.kubernetes.driver.volumes.hostPath.drv.options.path": "/var",
		"spark.executorEnv.AWS_ROLE_ARN":                            "arn:aws:iam::1:role/x",
		"spark.kubernetes.driverEnv.AWS_ROLE_ARN":                   "arn:aws:iam::1:role/d",
		// Spark's EnvSecretsFeatureStep: secret:key, else no pod at all.
		"spark.kubernetes.executor.secretKeyRef.AWS_ROLE_ARN": "aws:role",
		"spark.kubernetes.executor.secretKeyRef.BAD":          "no-key",
		"spark.kubernetes.executor.secretKeyRef.":             "no:name",
	}
	exec, err := LaunchedPod(&app, v1alpha1.RoleExecutor)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, v := range exec.Spec.Volumes {
		names = append(names, v.Name)
	}
	if want := []string{"creds-volume", "scratch", "root", "share", "data"}; !slices.Equal(names, want) {
		t.Errorf("executor volumes %q, want %q", names, want)
	}
	mountOf := func(name string) *corev1.VolumeMount {
		for i, m := range exec.Spec.Containers[0].VolumeMounts {
			if m.Name == name {
				return &exec.Spec.Containers[0].VolumeMounts[i]
			}
		}
		return nil
	}
	if root := mountOf("root"); root == nil || root.MountPath != "/host" || !root.ReadOnly || exec.Spec.Volumes[2].HostPath == nil || exec.Spec.Volumes[2].HostPath.Path != "/" {
		t.Errorf("the hostPath volume: %+v mounted %+v", exec.Spec.Volumes[2], root)
	}
	if creds := mountOf("creds-volume"); creds == nil || creds.MountPath != "/etc/creds" || exec.Spec.Volumes[0].Secret == nil || exec.Spec.Volumes[0].Secret.SecretName != "creds" {
		t.Errorf("the Secret's volume: %+v mounted %+v", exec.Spec.Volumes[0], creds)
	}
	drv, err := LaunchedPod(&app, v1alpha1.RoleDriver)
	if err != nil {
		t.Fatal(err)
	}
	if len(drv.Spec.Volumes) != 1 || drv.Spec.Volumes[0].Name != "drv" {
		t.Errorf("driver volumes %+v, want drv only", drv.Spec.Volumes)
	}
	for pod, want := range map[*corev1.Pod][]string{exec: {"arn:aws:iam::1:role/x", "from aws:role"}, drv: {"arn:aws:iam::1:role/d"}} {
		var got []string
		for _, e := range pod.Spec.Containers[0].Env {
			switch {
			case e.Name == "BAD":
				t.Errorf("%s: env BAD from a reference Spark refuses", pod.Name)
			case e.Name != "AWS_ROLE_ARN":
			case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
				got = append(got, "from "+e.ValueFrom.SecretKeyRef.Name+":"+e.ValueFrom.SecretKeyRef.Key)
			default:
				got = append(got, e.Value)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: AWS_ROLE_ARN %q, want %q", pod.Name, got, want)
		}
		for _, e := range pod.Spec.Containers[0].Env {
			if e.Name == "" || strings.HasPrefix(e.Name, "spark.") {
				t.Errorf("%s: env %q from a key that is no variable", pod.Name, e.Name)
			}
		}
	}
}

// TestLaunchedPodMountsTheOperatorsConfigMaps: the ConfigMaps the
// operator's pod webhook mounts are on the launched pods as it mounts them:
// the application's Hadoop and Spark configuration on both roles' Spark
// containers with the variables that point there, last, and a section's
// own on its role's only, each volume named as the operator names it.
func TestLaunchedPodMountsTheOperatorsConfigMaps(t *testing.T) {
	app := fixtures.App(t, "etl-report.yaml").App
	app.Spec.Monitoring = nil // its exporter's ConfigMap: TestLaunchedPodHasThePrometheusExporter
	app.Spec.HadoopConfigMap, app.Spec.SparkConfigMap = new(string), new(string)
	*app.Spec.HadoopConfigMap, *app.Spec.SparkConfigMap = "hadoop-site", "spark-defaults"
	long := strings.Repeat("a", 55) + strings.Repeat(".b", 5)
	app.Spec.Driver.ConfigMaps = []sparkv1beta2.NamePath{{Name: "app.conf", Path: "/etc/app"}, {Name: "plain", Path: "/etc/plain"}, {Name: long, Path: "/etc/long"}}
	mounted := func(role v1alpha1.Role) (mounts, env []string) {
		pod, err := LaunchedPod(&app, role)
		if err != nil {
			t.Fatal(err)
		}
		source := map[string]string{}
		for _, v := range pod.Spec.Volumes {
			if v.ConfigMap != nil {
				source[v.Name] = v.ConfigMap.Name
			}
		}
		spark := pod.Spec.Containers[0]
		for _, m := range spark.VolumeMounts {
			if cm, ok := source[m.Name]; ok && m.ReadOnly {
				mounts = append(mounts, cm+" "+m.Name+" "+m.MountPath)
			}
		}
		for _, e := range spark.Env[max(0, len(spark.Env)-2):] {
			env = append(env, e.Name+"="+e.Value)
		}
		return mounts, env
	}
	shared := []string{"hadoop-site hadoop-configmap-volume /etc/hadoop/conf", "spark-defaults spark-configmap-volume /etc/spark/conf"}
	dirs := []string{"HADOOP_CONF_DIR=/etc/hadoop/conf", "SPARK_CONF_DIR=/etc/spark/conf"}
	mounts, env := mounted(v1alpha1.RoleDriver)
	want := append(slices.Clone(shared), "app.conf app-conf-3a476fd9-vol /etc/app", "plain plain-vol /etc/plain",
		long+" "+strings.Repeat("a", 50)+"-02f8ab87-vol /etc/long")
	if !slices.Equal(mounts, want) || !slices.Equal(env, dirs) {
		t.Errorf("driver: mounts %q, last variables %q; want %q, %q", mounts, env, want, dirs)
	}
	if mounts, env := mounted(v1alpha1.RoleExecutor); !slices.Equal(mounts, shared) || !slices.Equal(env, dirs) {
		t.Errorf("executor: mounts %q, last variables %q; want %q, %q", mounts, env, shared, dirs)
	}
}

// TestLaunchedPodPrecedence holds the launched pod to the order the
// operator passes each spelling to spark-submit and Spark merges them:
// sparkConf's label keys, then the application's labels, then the
// section's; the shared node selector keys (sparkConf's, then
// spec.nodeSelector's), then the role's own (sparkConf's, then the
// section's).
func TestLaunchedPodPrecedence(t *testing.T) {
	app := sparkv1beta2.SparkApplication{}
	app.Name, app.Namespace = "order", "etl"
	app.Labels = map[string]string{"app": "app", "both": "app"}
	app.Spec.SparkConf = map[string]string{
		"spark.kubernetes.executor.label.app":          "conf",
		"spark.kubernetes.executor.label.both":         "conf",
		"spark.kubernetes.executor.label.conf":         "conf",
		"spark.kubernetes.node.selector.shared":        "conf",
		"spark.kubernetes.node.selector.typed":         "conf",
		"spark.kubernetes.node.selector.role":          "conf",
		"spark.kubernetes.executor.node.selector.role": "role-conf",
		"spark.kubernetes.executor.node.selector.sec":  "role-conf",
	}
	app.Spec.NodeSelector = map[string]string{"typed": "typed", "role": "typed"}
	app.Spec.Executor.Labels = map[string]string{"both": "section"}
	app.Spec.Executor.NodeSelector = map[string]string{"sec": "section"}
	pod, err := LaunchedPod(&app, v1alpha1.RoleExecutor)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"app": "app", "both": "section", "conf": "conf"} {
		if got := pod.Labels[k]; got != want {
			t.Errorf("label %s = %q, want %q", k, got, want)
		}
	}
	for k, want := range map[string]string{"shared": "conf", "typed": "typed", "role": "role-conf", "sec": "section"} {
		if got := pod.Spec.NodeSelector[k]; got != want {
			t.Errorf("node selector %s = %q, want %q", k, got, want)
		}
	}
}

// TestKueueLabelsStayOnTheApp: the operator passes an application's labels
// on to its pods, but for Kueue's, which queue the application itself:
// the launched pods carry the others only, and a layer's label of the
// same key is no override of the user's.
func TestKueueLabelsStayOnTheApp(t *testing.T) {
	app := fixtures.App(t, "etl-report.yaml").App.DeepCopy()
	app.Labels = map[string]string{"kueue.x-k8s.io/queue-name": "etl-queue", "kueue.x-k8s.io/priority-class": "high", "cost-center": "etl"}
	for _, role := range Roles() {
		pod, err := LaunchedPod(app, role)
		if err != nil {
			t.Fatal(err)
		}
		if pod.Labels["cost-center"] != "etl" {
			t.Errorf("%s: the app's label is not passed on: %v", role, pod.Labels)
		}
		for k := range pod.Labels {
			if strings.HasPrefix(k, kueueLabelPrefix) {
				t.Errorf("%s: Kueue's label %s is on the pod", role, k)
			}
		}
	}
	snap := fixtures.SnapshotOf(t, map[string]string{"q": `{tier: ClusterDefaults, config: {labels: {kueue.x-k8s.io/queue-name: platform}}}`})
	res := composeTypedApp(t, snap, prodA, app)
	if got := res.App.App.Spec.Driver.Labels["kueue.x-k8s.io/queue-name"]; got != "platform" {
		t.Errorf("a default layer's label for the pods = %q, want platform: the app's own label never reaches them", got)
	}
	if got := res.App.App.Labels["kueue.x-k8s.io/queue-name"]; got != "etl-queue" {
		t.Errorf("the app's own Kueue label changed: %q", got)
	}
}

// TestTypedSecretsAreTheirKeys: a section's envSecretKeyRefs and typed
// secrets are the keys the operator passes for them (and the variable a
// typed secret needs), in the effective configuration and on the pods
// the application launches.
func TestTypedSecretsAreTheirKeys(t *testing.T) {
	app := fixtures.App(t, "etl-report.yaml").App
	app.Spec.Driver.EnvSecretKeyRefs = map[string]sparkv1beta2.NameKey{"TOKEN": {Name: "api", Key: "token"}}
	app.Spec.Driver.Secrets = []sparkv1beta2.SecretInfo{{Name: "gcp", Path: "/etc/gcp/", Type: sparkv1beta2.SecretTypeGCPServiceAccount}}
	app.Spec.Executor.Secrets = []sparkv1beta2.SecretInfo{
		{Name: "hdfs", Path: "/etc/old", Type: sparkv1beta2.SecretTypeGeneric},
		{Name: "hdfs", Path: "/etc/hdfs", Type: sparkv1beta2.SecretTypeHadoopDelegationToken}}
	conf := EffectiveConf(&app.Spec)
	for k, want := range map[string]string{
		"spark.kubernetes.driver.secretKeyRef.TOKEN":                "api:token",
		"spark.kubernetes.driver.secrets.gcp":                       "/etc/gcp/",
		"spark.kubernetes.driverEnv.GOOGLE_APPLICATION_CREDENTIALS": "/etc/gcp/key.json",
		"spark.kubernetes.executor.secrets.hdfs":                    "/etc/hdfs", // the later entry, passed last
		"spark.executorEnv.HADOOP_TOKEN_FILE_LOCATION":              "/etc/hdfs/hadoop.token",
	} {
		if conf[k] != want {
			t.Errorf("effective %s = %q, want %q", k, conf[k], want)
		}
	}
	env := func(role v1alpha1.Role) map[string]string {
		pod, err := LaunchedPod(&app, role)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, e := range pod.Spec.Containers[0].Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				out[e.Name] = "from " + e.ValueFrom.SecretKeyRef.Name + ":" + e.ValueFrom.SecretKeyRef.Key
			} else {
				out[e.Name] = e.Value
			}
		}
		return out
	}
	drv, exec := env(v1alpha1.RoleDriver), env(v1alpha1.RoleExecutor)
	if drv["TOKEN"] != "from api:token" || drv["GOOGLE_APPLICATION_CREDENTIALS"] != "/etc/gcp/key.json" {
		t.Errorf("driver env %v, want TOKEN from api:token and the key file", drv)
	}
	if exec["HADOOP_TOKEN_FILE_LOCATION"] != "/etc/hdfs/hadoop.token" || exec["TOKEN"] != "" {
		t.Errorf("executor env %v, want the token file only", exec)
	}
	// Mounted as Spark mounts a Secret, once for the name, at the path
	// passed last.
	pod, err := LaunchedPod(&app, v1alpha1.RoleExecutor)
	if err != nil {
		t.Fatal(err)
	}
	var mounts []string
	for _, m := range pod.Spec.Containers[0].VolumeMounts {
		if strings.HasSuffix(m.Name, "-volume") {
			mounts = append(mounts, m.Name+" "+m.MountPath)
		}
	}
	if want := []string{"hdfs-volume /etc/hdfs"}; !slices.Equal(mounts, want) {
		t.Errorf("executor's Secret mounts %q, want %q", mounts, want)
	}
}

// TestLaunchedPodHasItsDevices: the devices a role's pods are limited to,
// as Spark and the operator write them, and requested, as the API
// server's defaults request a limit: Spark's custom resources
// (spark.<role>.resource.<name>.amount of the vendor's <vendor>/<name>),
// then the section's gpu over them; none Spark would fail on, nor an
// empty gpu. A template's container that only limits what it uses
// requests it too.
func TestLaunchedPodHasItsDevices(t *testing.T) {
	for _, tc := range []struct {
		name     string
		conf     map[string]string
		gpu      *sparkv1beta2.GPUSpec
		executor corev1.ResourceList // beyond CPU and memory
		driver   corev1.ResourceList
	}{
		{name: "none"},
		{name: "Spark's, of each role", conf: map[string]string{
			"spark.executor.resource.gpu.amount": "2", "spark.executor.resource.gpu.vendor": "nvidia.com",
			"spark.executor.resource.gpu.discoveryScript": "/opt/gpu.sh",
			"spark.driver.resource.fpga.amount":           "1", "spark.driver.resource.fpga.vendor": "xilinx.com"},
			executor: corev1.ResourceList{"nvidia.com/gpu": resource.MustParse("2")},
			driver:   corev1.ResourceList{"xilinx.com/fpga": resource.MustParse("1")}},
		{name: "without a vendor", conf: map[string]string{"spark.executor.resource.gpu.amount": "2"}},
		{name: "of an amount not whole", conf: map[string]string{"spark.executor.resource.gpu.amount": "0.5", "spark.executor.resource.gpu.vendor": "nvidia.com"}},
		{name: "the operator's gpu over Spark's", conf: map[string]string{"spark.executor.resource.gpu.amount": "2", "spark.executor.resource.gpu.vendor": "nvidia.com"},
			gpu: &sparkv1beta2.GPUSpec{Name: "nvidia.com/gpu", Quantity: 4}, executor: corev1.ResourceList{"nvidia.com/gpu": resource.MustParse("4")}},
		{name: "a gpu of no quantity", gpu: &sparkv1beta2.GPUSpec{Name: "nvidia.com/gpu"}},
		{name: "a gpu of no name", gpu: &sparkv1beta2.GPUSpec{Quantity: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := fixtures.App(t, "etl-report.yaml").App
			app.Spec.SparkConf = tc.conf
			app.Spec.Executor.GPU = tc.gpu
			for role, want := range map[v1alpha1.Role]corev1.ResourceList{v1alpha1.RoleExecutor: tc.executor, v1alpha1.RoleDriver: tc.driver} {
				pod, err := LaunchedPod(&app, role)
				if err != nil {
					t.Fatal(err)
				}
				r := pod.Spec.Containers[0].Resources
				for what, list := range map[string]corev1.ResourceList{"limits": r.Limits, "requests": r.Requests} {
					got := corev1.ResourceList{}
					for name, q := range list {
						if name != corev1.ResourceCPU && name != corev1.ResourceMemory {
							got[name] = q
						}
					}
					if len(got) != len(want) {
						t.Errorf("%s %s: %v, want %v", role, what, got, want)
					}
					for name, q := range want {
						if g := got[name]; g.Cmp(q) != 0 {
							t.Errorf("%s %s: %s %s, want %s", role, what, name, &g, &q)
						}
					}
				}
			}
		})
	}
	app := fixtures.App(t, "etl-report.yaml").App
	app.Spec.Executor.Template = &corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{
		{Name: "spark-kubernetes-executor"},
		{Name: "agent", Image: "registry.example/agent:1", Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("3")}}}}}}
	pod, err := LaunchedPod(&app, v1alpha1.RoleExecutor)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := container(pod, "agent"); c == nil || c.Resources.Requests.Cpu().String() != "3" {
		t.Errorf("the template's agent, limited to 3 CPU: %+v, want it to request them", c)
	}
}

// TestLaunchedPodMemoryLimit: a section's memoryLimit is the Spark
// container's memory limit, read as the operator's pod webhook reads it (a
// JVM size's unit in lower case is binary); one it cannot read leaves
// Spark's, the container's request.
func TestLaunchedPodMemoryLimit(t *testing.T) {
	spark, err := LaunchedPod(&fixtures.App(t, "etl-report.yaml").App, v1alpha1.RoleExecutor)
	if err != nil {
		t.Fatal(err)
	}
	request := spark.Spec.Containers[0].Resources.Requests[corev1.ResourceMemory]
	for limit, want := range map[string]string{
		"2g":          "2Gi",
		"512m":        "512Mi", // mebibytes, not thousandths
		"10gb":        "10Gi",
		"1Gi":         "1Gi",
		"3000000000":  "3e9",
		"2G":          request.String(), // the operator's 2GGi
		"1e999999999": request.String(),
		"":            request.String(),
	} {
		app := fixtures.App(t, "etl-report.yaml").App
		app.Spec.Executor.MemoryLimit = &limit
		pod, err := LaunchedPod(&app, v1alpha1.RoleExecutor)
		if err != nil {
			t.Fatal(err)
		}
		r := pod.Spec.Containers[0].Resources
		if got := r.Limits[corev1.ResourceMemory]; got.Cmp(resource.MustParse(want)) != 0 {
			t.Errorf("memoryLimit %q: the Spark container's limit %s, want %s", limit, &got, want)
		}
		if got := r.Requests[corev1.ResourceMemory]; got.Cmp(request) != 0 {
			t.Errorf("memoryLimit %q: the Spark container requests %s, want Spark's %s", limit, &got, &request)
		}
	}
}

// TestLaunchedPodHasTheOperatorsPodFields: what the operator's pod webhook
// sets on a role's pods from its section is on the launched pods, for the
// policies (a site's too) to judge: DNS configuration, host aliases after
// the template's, the termination grace period, a shared process
// namespace only when true, and the Spark container's ports before the
// exporter's; the other role's pods have none of it.
func TestLaunchedPodHasTheOperatorsPodFields(t *testing.T) {
	app := fixtures.App(t, "etl-report.yaml").App
	grace, yes, no := int64(600), true, false
	e := &app.Spec.Executor
	e.DNSConfig = &corev1.PodDNSConfig{Nameservers: []string{"10.0.0.53"}}
	e.HostAliases = []corev1.HostAlias{{IP: "10.0.0.1", Hostnames: []string{"metadata"}}}
	e.TerminationGracePeriodSeconds, e.ShareProcessNamespace = &grace, &yes
	e.Ports = []sparkv1beta2.Port{{Name: "debug", Protocol: "TCP", ContainerPort: 5005}}
	e.Template = &corev1.PodTemplateSpec{Spec: corev1.PodSpec{HostAliases: []corev1.HostAlias{{IP: "10.0.0.2", Hostnames: []string{"template"}}}}}
	app.Spec.Driver.ShareProcessNamespace = &no
	exec, err := LaunchedPod(&app, v1alpha1.RoleExecutor)
	if err != nil {
		t.Fatal(err)
	}
	var aliases, ports []string
	for _, h := range exec.Spec.HostAliases {
		aliases = append(aliases, h.IP)
	}
	for _, p := range exec.Spec.Containers[0].Ports {
		ports = append(ports, p.Name)
	}
	switch {
	case exec.Spec.DNSConfig == nil || exec.Spec.DNSConfig.Nameservers[0] != "10.0.0.53":
		t.Errorf("executor DNS configuration %+v", exec.Spec.DNSConfig)
	case !slices.Equal(aliases, []string{"10.0.0.2", "10.0.0.1"}):
		t.Errorf("executor host aliases %q, want the template's then the section's", aliases)
	case exec.Spec.TerminationGracePeriodSeconds == nil || *exec.Spec.TerminationGracePeriodSeconds != 600:
		t.Errorf("executor grace period %v", exec.Spec.TerminationGracePeriodSeconds)
	case exec.Spec.ShareProcessNamespace == nil || !*exec.Spec.ShareProcessNamespace:
		t.Errorf("executor shareProcessNamespace %v", exec.Spec.ShareProcessNamespace)
	case !slices.Equal(ports, []string{"debug", "jmx-exporter"}):
		t.Errorf("executor ports %q, want the section's, then the exporter's", ports)
	}
	drv, err := LaunchedPod(&app, v1alpha1.RoleDriver)
	if err != nil {
		t.Fatal(err)
	}
	if drv.Spec.DNSConfig != nil || len(drv.Spec.HostAliases) != 0 || drv.Spec.TerminationGracePeriodSeconds != nil || drv.Spec.ShareProcessNamespace != nil {
		t.Errorf("the driver has the executors' fields (or a shared namespace set false): %+v", drv.Spec)
	}
}
