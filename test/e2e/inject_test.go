package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

func findContainer(pod *corev1.Pod, name string) (*corev1.Container, bool) {
	for i := range pod.Spec.InitContainers {
		if pod.Spec.InitContainers[i].Name == name {
			return &pod.Spec.InitContainers[i], true
		}
	}
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == name {
			return &pod.Spec.Containers[i], false
		}
	}
	return nil, false
}

func envOf(c *corev1.Container) map[string]string {
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	return env
}

func hasMount(c *corev1.Container, path string) bool {
	return slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == path })
}

// TestInjectionsStored creates the example pods through the API server and
// reads back every injection of examples/layers: native sidecars, env,
// volumes and mounts, the secret, the IAM role by annotation (etl) and by
// IRSA (geo), mirrored images and priorities. The API server accepting
// them is part of the test.
func TestInjectionsStored(t *testing.T) {
	ctx := context.Background()
	etl := examplePod(t, "executor.yaml", "inject-etl-exec-1")
	geo := examplePod(t, "geo-executor.yaml", "inject-geo-exec-1")
	for _, pod := range []*corev1.Pod{etl, geo} {
		if err := cp.Client.Create(ctx, pod); err != nil {
			t.Fatalf("creating %s: %v", pod.Name, err)
		}
		if err := cp.Client.Get(ctx, client.ObjectKeyFromObject(pod), pod); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"log-shipper", "metrics-exporter"} {
			c, init := findContainer(pod, name)
			if c == nil || !init || c.RestartPolicy == nil || *c.RestartPolicy != corev1.ContainerRestartPolicyAlways {
				t.Errorf("%s: %s is not a native sidecar: %+v", pod.Name, name, c)
				continue
			}
			if c.Image[:len("mirror.prod-a.internal/dockerhub/")] != "mirror.prod-a.internal/dockerhub/" {
				t.Errorf("%s: %s image %s not mirrored", pod.Name, name, c.Image)
			}
		}
		spark, _ := findContainer(pod, "spark-kubernetes-executor")
		if spark.Image != "mirror.prod-a.internal/dockerhub/apache/spark:3.5.3" {
			t.Errorf("%s: spark image %s", pod.Name, spark.Image)
		}
		if envOf(spark)["SPARK_LOG_DIR"] != "/var/log/spark" || !hasMount(spark, "/var/log/spark") || !hasMount(spark, "/etc/log-shipper") {
			t.Errorf("%s: spark env/mounts %v %v", pod.Name, spark.Env, spark.VolumeMounts)
		}
		if shipper, _ := findContainer(pod, "log-shipper"); !hasMount(shipper, "/etc/log-shipper") {
			t.Errorf("%s: the secret is not mounted into the log shipper that asked for it", pod.Name)
		}
		assertPriority(t, pod, "spark-executor")
	}
	if etl.Annotations["iam.amazonaws.com/role"] != "arn:aws:iam::111122223333:role/spark-etl" {
		t.Errorf("etl IAM annotation %v", etl.Annotations)
	}
	if _, ok := geo.Annotations["iam.amazonaws.com/role"]; ok {
		t.Error("geo (IRSA) got the KIAM annotation")
	}
	var token *corev1.Volume
	for i := range geo.Spec.Volumes {
		if geo.Spec.Volumes[i].Name == "aws-iam-token" {
			token = &geo.Spec.Volumes[i]
		}
	}
	if token == nil || token.Projected == nil || token.Projected.Sources[0].ServiceAccountToken.Audience != "sts.amazonaws.com" {
		t.Fatalf("geo: projected token volume %+v", token)
	}
	for _, c := range append(append([]corev1.Container{}, geo.Spec.InitContainers...), geo.Spec.Containers...) {
		env := envOf(&c)
		if env["AWS_ROLE_ARN"] != "arn:aws:iam::444455556666:role/spark-geo" || env["AWS_WEB_IDENTITY_TOKEN_FILE"] == "" ||
			!hasMount(&c, "/var/run/secrets/eks.amazonaws.com/serviceaccount") {
			t.Errorf("geo: container %s lacks IRSA env or token mount", c.Name)
		}
	}
	spark, _ := findContainer(geo, "spark-kubernetes-executor")
	if !slices.ContainsFunc(spark.EnvFrom, func(e corev1.EnvFromSource) bool { return e.SecretRef != nil && e.SecretRef.Name == "geo-tiles-api" }) {
		t.Errorf("geo: secret envFrom missing: %v", spark.EnvFrom)
	}
	// A second pass over what the API server stored adds nothing.
	for _, pod := range []*corev1.Pod{etl, geo} {
		if resp := admit(t, pod); !resp.Allowed || len(resp.Patch) != 0 {
			t.Errorf("%s: second pass patches %v", pod.Name, string(resp.Patch))
		}
	}
}

// TestInjectionsReachATemplateNamedSparkContainer: an executor as Spark
// creates it from a pod template whose Spark container is named "main"
// beside an exporter. Spark keeps the template's name, gives its container
// SPARK_EXECUTOR_ID and appends it after the template's others, so the
// pod's first container is the exporter. What examples/layers give the
// Spark container (env, mounts, the secret) is stored in main, none of it
// in the exporter; the validating webhook admits the pod; the composer's
// dry run says what the API server stored; a second pass adds nothing.
func TestInjectionsReachATemplateNamedSparkContainer(t *testing.T) {
	ctx := context.Background()
	pod := examplePod(t, "executor.yaml", "inject-templated-exec-1")
	pod.Spec.Containers[0].Name = "main"
	exporter := corev1.Container{Name: "exporter", Image: "docker.io/prom/statsd-exporter:v0.27.1"}
	pod.Spec.Containers = append([]corev1.Container{exporter}, pod.Spec.Containers...)
	dry := composeWithCLI(t, pod)
	if err := cp.Client.Create(ctx, pod); err != nil {
		t.Fatalf("creating %s: %v", pod.Name, err)
	}
	if err := cp.Client.Get(ctx, client.ObjectKeyFromObject(pod), pod); err != nil {
		t.Fatal(err)
	}
	main, _ := findContainer(pod, "main")
	exp, _ := findContainer(pod, "exporter")
	if main == nil || exp == nil {
		t.Fatalf("containers %v", pod.Spec.Containers)
	}
	if envOf(main)["SPARK_LOG_DIR"] != "/var/log/spark" || !hasMount(main, "/var/log/spark") || !hasMount(main, "/etc/log-shipper") {
		t.Errorf("main: env %v, mounts %v; want the layers' SPARK_LOG_DIR and mounts", main.Env, main.VolumeMounts)
	}
	if _, ok := envOf(exp)["SPARK_LOG_DIR"]; ok || hasMount(exp, "/var/log/spark") || hasMount(exp, "/etc/log-shipper") {
		t.Errorf("exporter got the Spark container's values: env %v, mounts %v", exp.Env, exp.VolumeMounts)
	}
	dryMain, _ := findContainer(dry, "main")
	if dryMain == nil || !slices.EqualFunc(dryMain.Env, main.Env, func(a, b corev1.EnvVar) bool { return a.Name == b.Name && a.Value == b.Value }) {
		t.Errorf("the dry run's main env %v, the API server's %v", dryMain, main.Env)
	}
	if resp := admit(t, pod); !resp.Allowed || len(resp.Patch) != 0 {
		t.Errorf("second pass patches %v", string(resp.Patch))
	}
}

// TestALayersSidecarDoesNotReplaceATemplateNamedSparkContainer: in a
// namespace whose layer gives executors a sidecar named "main", an
// executor whose template named its Spark container "main" would lose
// Spark's container to it. The API server refuses the pod, and the
// SparkApplication whose executor template names it so, each naming the
// layer; an executor whose Spark container has Spark's name gets the
// sidecar.
func TestALayersSidecarDoesNotReplaceATemplateNamedSparkContainer(t *testing.T) {
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "templated-spark"}}
	if err := cp.Client.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	layer := &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "e2e-main-sidecar"}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.NamespaceOverrides,
		Match:  v1alpha1.Match{Namespaces: []string{ns.Name}, Roles: []v1alpha1.Role{v1alpha1.RoleExecutor}},
		Config: &v1alpha1.Config{Sidecars: []corev1.Container{{Name: "main", Image: "docker.io/library/busybox:1.36"}}}}}
	createLayer(t, layer, ns.Name)
	const want = `spec.containers[main]: a layer's sidecar of that name would replace the pod's Spark container`
	const by = `(NamespaceOverrides layer "e2e-main-sidecar")`

	pod := examplePod(t, "executor.yaml", "templated-exec-1")
	pod.Namespace = ns.Name
	pod.Spec.Containers[0].Name = "main"
	pod.Spec.Containers = append([]corev1.Container{{Name: "exporter", Image: "docker.io/prom/statsd-exporter:v0.27.1"}}, pod.Spec.Containers...)
	if err := cp.Client.Create(ctx, pod); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), by) {
		t.Errorf("creating the templated executor: %v\nwant a refusal saying %q and naming the layer", err, want)
	}

	app := exampleApp(t, "etl-report.yaml", "templated-app")
	app.SetNamespace(ns.Name)
	unstructured.RemoveNestedField(app.Object, "spec", "driver", "annotations")
	template := map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "main"},
		map[string]any{"name": "exporter", "image": "docker.io/prom/statsd-exporter:v0.27.1"}}}}
	if err := unstructured.SetNestedField(app.Object, template, "spec", "executor", "template"); err != nil {
		t.Fatal(err)
	}
	if err := cp.Client.Create(ctx, app); err == nil || !strings.Contains(err.Error(), "spec.executor.template.spec.containers[main]: its pods would be refused: "+want) ||
		!strings.Contains(err.Error(), by) {
		if err == nil {
			_ = cp.Client.Delete(ctx, app)
		}
		t.Errorf("creating the app: %v\nwant a refusal saying %q and naming the layer", err, want)
	}

	named := examplePod(t, "executor.yaml", "named-exec-1")
	named.Namespace = ns.Name
	if err := cp.Client.Create(ctx, named); err != nil {
		t.Fatalf("an executor whose Spark container has Spark's name: %v", err)
	}
	if c, _ := findContainer(named, "main"); c == nil {
		t.Errorf("the layer's sidecar main is not on the stored pod: %v", named.Spec.InitContainers)
	}
}
