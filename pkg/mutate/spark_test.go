package mutate

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// templatedExecutor is an executor pod as Spark creates it from a pod
// template of [main, exporter]: Spark keeps the template's name of its
// container, gives it SPARK_EXECUTOR_ID and appends it after the
// template's other containers.
func templatedExecutor() *corev1.Pod {
	return &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "exec-1", Namespace: "etl", Labels: map[string]string{v1alpha1.RoleLabel: "executor"}},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{
				{Name: "exporter", Image: "prom/statsd-exporter:v0.27.1"},
				{Name: "main", Image: "apache/spark:3.5.3", Args: []string{"executor"},
					Env: []corev1.EnvVar{{Name: "SPARK_USER", Value: "bot"}, {Name: v1alpha1.SparkExecutorIDVariable, Value: "1"}}},
			},
		},
	}
}

// TestLayersReachTheSparkContainerATemplateNamed: what a layer gives the
// Spark container (env, envFrom, mounts, a Secret) lands in the container
// Spark runs in, not in the template's first; composing again changes
// nothing.
func TestLayersReachTheSparkContainerATemplateNamed(t *testing.T) {
	snap := snapshotOf(t, map[string]string{"platform": `{tier: ClusterOverrides, config: {
		env: [{name: TZ, value: UTC}], envFrom: [{configMapRef: {name: spark-env}}],
		volumes: [{name: scratch, emptyDir: {}}], volumeMounts: [{name: scratch, mountPath: /scratch}],
		secrets: [{secretName: s3-creds, mountPath: /etc/s3}]}}`})
	res := composeTwice(t, snap, templatedExecutor())
	shipper, main := &res.Pod.Spec.Containers[0], &res.Pod.Spec.Containers[1]
	if shipper.Name != "exporter" || main.Name != "main" {
		t.Fatalf("containers %s, %s: want exporter, main as written", shipper.Name, main.Name)
	}
	if len(shipper.Env) != 0 || len(shipper.EnvFrom) != 0 || len(shipper.VolumeMounts) != 0 {
		t.Errorf("exporter got the Spark container's values: env %v, envFrom %v, mounts %v", shipper.Env, shipper.EnvFrom, shipper.VolumeMounts)
	}
	if !slices.ContainsFunc(main.Env, func(e corev1.EnvVar) bool { return e.Name == "TZ" && e.Value == "UTC" }) || len(main.EnvFrom) != 1 {
		t.Errorf("main's env %v, envFrom %v: want the layer's TZ and ConfigMap", main.Env, main.EnvFrom)
	}
	var paths []string
	for _, m := range main.VolumeMounts {
		paths = append(paths, m.MountPath)
	}
	slices.Sort(paths)
	if !slices.Equal(paths, []string{"/etc/s3", "/scratch"}) {
		t.Errorf("main mounts %v, want /etc/s3 and /scratch", paths)
	}
}

// TestAPodPatchMayNotMoveTheSparkContainer: a podPatch that would make
// another container the one taken for Spark's (one of Spark's name, ahead
// of a Spark container a template named otherwise) fails the composition
// naming the podPatch: the second pass and the validator would render the
// layers into that container. On a pod whose Spark container has Spark's
// name the same patch changes that container and moves nothing. A patch
// that gives another container Spark's own variable is refused with its
// Layer (overlay's TestCheckPodPatch).
func TestAPodPatchMayNotMoveTheSparkContainer(t *testing.T) {
	snap := snapshotOf(t, map[string]string{"patcher": `{tier: NamespaceOverrides, config: {env: [{name: TZ, value: UTC}],
		podPatch: {spec: {containers: [{name: spark-kubernetes-executor, image: "apache/spark:4.0.1"}]}}}}`})
	_, err := Compose(snap, cluster, templatedExecutor())
	if err == nil {
		t.Fatal("composed; want an error naming the podPatch")
	}
	if !IsInvalidComposition(err) {
		t.Errorf("%v is not an InvalidCompositionError", err)
	}
	for _, want := range []string{`spec.containers[spark-kubernetes-executor]: would be taken for the pod's Spark container, which is "main"`,
		`the podPatch of NamespaceOverrides layer "patcher"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q\nwant it to say %q", err, want)
		}
	}
	pod := templatedExecutor()
	pod.Spec.Containers[1].Name = executorContainer
	res := composeTwice(t, snap, pod)
	if c := res.Pod.Spec.Containers[1]; c.Name != executorContainer || c.Image != "apache/spark:4.0.1" || len(res.Pod.Spec.Containers) != 2 {
		t.Errorf("containers %v: want the Spark container patched in place", res.Pod.Spec.Containers)
	}
}

// TestALayersContainerMayNotReplaceTheSparkContainer: a layer's sidecar
// or init container of the name a pod template gave the Spark container
// would replace it; the composition fails naming the layer. Beside a
// Spark container of Spark's name (which no layer's container may take)
// the same layer composes.
func TestALayersContainerMayNotReplaceTheSparkContainer(t *testing.T) {
	for field, what := range map[string]string{"sidecars": "sidecar", "initContainers": "init container"} {
		snap := snapshotOf(t, map[string]string{"mains": `{tier: ClusterDefaults, config: {` + field + `: [{name: main, image: "busybox:1.36"}]}}`})
		want := `spec.containers[main]: a layer's ` + what + ` of that name would replace the pod's Spark container`
		for name, compose := range map[string]func(*overlay.Snapshot, Cluster, *corev1.Pod) (*Result, error){"Compose": Compose, "Admit": Admit} {
			_, err := compose(snap, cluster, templatedExecutor())
			if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), `(ClusterDefaults layer "mains")`) || !IsInvalidComposition(err) {
				t.Errorf("%s, %s: error %v\nwant an InvalidCompositionError that says %q and names the layer", name, field, err, want)
			}
		}
		pod := templatedExecutor()
		pod.Spec.Containers[1].Name = executorContainer
		if _, err := Compose(snap, cluster, pod); err != nil {
			t.Errorf("%s beside a Spark container of Spark's name: %v", field, err)
		}
	}
}

// TestAnAppsTemplateSparkContainerIsNotReplaced: a SparkApplication whose
// executor template names its Spark container "main" (Spark takes it,
// the first, as the operator names none "spark-kubernetes-executor") is
// refused at composition, naming the layer, when a layer's sidecar is
// named "main": each of its pods would be. A sidecar of that name the
// application itself gives is its own, which the operator does not add
// over the template's container.
func TestAnAppsTemplateSparkContainerIsNotReplaced(t *testing.T) {
	app := func(sidecars string) *sparkv1beta2.Object {
		t.Helper()
		js, err := yaml.YAMLToJSON([]byte(`
apiVersion: sparkoperator.k8s.io/v1beta2
kind: SparkApplication
metadata: {name: templated, namespace: etl}
spec:
  type: Scala
  mode: cluster
  image: docker.io/apache/spark:3.5.3
  mainApplicationFile: local:///opt/spark/examples/jars/spark-examples.jar
  driver: {cores: 1, memory: 1g}
  executor:
    instances: 2
    memory: 1g
    template: {spec: {containers: [{name: main}, {name: exporter, image: "prom/statsd-exporter:v0.27.1"}]}}
    sidecars: ` + sidecars))
		if err != nil {
			t.Fatal(err)
		}
		obj, err := sparkv1beta2.Decode(js)
		if err != nil {
			t.Fatal(err)
		}
		return obj
	}
	snap := snapshotOf(t, map[string]string{"mains": `{tier: ClusterDefaults, match: {roles: [executor]}, config: {sidecars: [{name: main, image: "busybox:1.36"}]}}`})
	_, err := ComposeApp(snap, cluster, app("[]"))
	want := `spec.executor.template.spec.containers[main]: its pods would be refused: spec.containers[main]: a layer's sidecar of that name would replace the pod's Spark container`
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), `(ClusterDefaults layer "mains")`) {
		t.Errorf("error %v\nwant it to say %q and name the layer", err, want)
	}
	if _, err := ComposeApp(snap, cluster, app(`[{name: main, image: "busybox:1.36"}]`)); err != nil {
		t.Errorf("the app's own sidecar of the template's name: %v", err)
	}
	if _, err := ComposeApp(snapshotOf(t, map[string]string{"other": `{tier: ClusterDefaults, config: {sidecars: [{name: proxy, image: "busybox:1.36"}]}}`}), cluster, app("[]")); err != nil {
		t.Errorf("a layer's sidecar of another name: %v", err)
	}
}
