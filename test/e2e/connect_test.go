package e2e

import (
	"context"
	"encoding/json"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	composer "github.com/strata-dev/strata/cmd/composer/app"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// TestConnectComposedThroughTheAPIServer creates a SparkConnect through
// the API server: the Spark configuration the operator starts the server
// with is composed as a SparkApplication's is (the prod-a defaults fill
// what the tenant left unset, an override wins over the tenant's typed
// executor memory, in the typed field), the tenant is warned, every
// field Strata does not know is kept, and an update of the metadata
// alone leaves the spec as it is. One that could never fit is refused
// when it is written.
func TestConnectComposedThroughTheAPIServer(t *testing.T) {
	ctx := context.Background()
	layer := &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "e2e-connect-memory"}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.ClusterOverrides,
		Match:    v1alpha1.Match{Namespaces: []string{"etl"}},
		Executor: &v1alpha1.Config{SparkConf: map[string]string{"spark.executor.memory": "3g"}}}}
	if err := cp.Client.Create(ctx, layer); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cp.Client.Delete(context.Background(), layer); err == nil {
			waitForLayerGone(t, layer, "etl")
		}
	})
	waitForLayerServed(t, layer, "etl")

	conn := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(`
apiVersion: sparkoperator.k8s.io/v1alpha1
kind: SparkConnect
metadata: {name: e2e-notebooks, namespace: etl}
spec:
  sparkVersion: 4.0.1
  image: docker.io/apache/spark:4.0.1
  sparkConf:
    spark.eventLog.enabled: "false"
  server:
    cores: 1
    memory: 2g
    template:
      spec:
        containers: [{name: spark-kubernetes-driver, image: docker.io/apache/spark:4.0.1}]
  executor:
    instances: 2
    memory: 2g
  futureField: {kept: true}
`), &conn.Object); err != nil {
		t.Fatal(err)
	}
	// The dry run, reading the cluster's Layers, says what the webhook
	// will store.
	kubeconfig := kubeconfigFile(t)
	in, err := conn.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runComposer(t, in, "compose", "-f", "-", "--kubeconfig", kubeconfig, "--cluster", cluster.Name, "--pool", cluster.Pool, "-o", "json")
	if code != composer.ExitOK {
		t.Fatalf("the dry run: exit %d: %s", code, errOut)
	}
	var dryRun map[string]any
	if err := json.Unmarshal([]byte(out), &dryRun); err != nil {
		t.Fatal(err)
	}
	c, warnings := clientWithWarnings(t)
	if err := c.Create(ctx, conn); err != nil {
		t.Fatalf("creating the SparkConnect: %v", err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), conn) })
	stored := &unstructured.Unstructured{}
	stored.SetGroupVersionKind(schema.GroupVersionKind{Group: "sparkoperator.k8s.io", Version: "v1alpha1", Kind: "SparkConnect"})
	if err := c.Get(ctx, client.ObjectKeyFromObject(conn), stored); err != nil {
		t.Fatal(err)
	}
	spec := stored.Object["spec"].(map[string]any)
	if got, want := jsonOf(t, spec), jsonOf(t, dryRun["spec"]); got != want {
		t.Errorf("stored spec differs from the dry run's:\n--- stored\n%s\n--- dry run\n%s", got, want)
	}
	conf, _ := spec["sparkConf"].(map[string]any)
	for k, want := range map[string]any{
		"spark.eventLog.enabled":                 "false",                      // the tenant's, over a default
		"spark.eventLog.dir":                     "s3a://prod-a-spark-events/", // prod-a's default
		"spark.kubernetes.allocation.batch.size": "10",                         // the batch pool's default
	} {
		if conf[k] != want {
			t.Errorf("sparkConf[%s] = %v, want %v (sparkConf %v)", k, conf[k], want, conf)
		}
	}
	if _, spelled := conf["spark.executor.memory"]; spelled {
		t.Errorf("the overridden executor memory is in sparkConf too: %v", conf)
	}
	exec := spec["executor"].(map[string]any)
	if exec["memory"] != "3g" || spec["futureField"] == nil || spec["server"].(map[string]any)["template"] == nil {
		t.Errorf("stored spec = %v, want the executor memory overridden to 3g and every other field kept", spec)
	}
	if want := `executor: spec.executor.memory "2g" overridden by ClusterOverrides layer "e2e-connect-memory"`; !containsLine(warnings.all(), want) {
		t.Errorf("warnings %q, want %q", warnings.all(), want)
	}

	// An update of the metadata alone leaves the spec as it is.
	before := jsonOf(t, spec)
	stored.SetLabels(map[string]string{"team": "etl"})
	if err := c.Update(ctx, stored); err != nil {
		t.Fatalf("updating the SparkConnect: %v", err)
	}
	if got := jsonOf(t, stored.Object["spec"]); got != before {
		t.Errorf("a metadata update changed the spec:\n%s\nwant\n%s", got, before)
	}

	// One that could never fit is refused when it is written.
	wide := conn.DeepCopy()
	wide.SetName("e2e-notebooks-wide")
	_ = unstructured.SetNestedField(wide.Object, int64(30), "spec", "executor", "instances")
	err = c.Create(ctx, wide)
	wantDenied(t, "a SparkConnect of 30 executors", err, `quota: app "e2e-notebooks-wide" asks for up to 30 executors; group "core-data" allows at most 20 per app`)
	if err == nil {
		_ = cp.Client.Delete(context.Background(), wide)
	}

	// One whose server the operator would expose outside the cluster.
	exposed := conn.DeepCopy()
	exposed.SetName("e2e-notebooks-exposed")
	_ = unstructured.SetNestedField(exposed.Object, "LoadBalancer", "spec", "server", "service", "spec", "type")
	err = c.Create(ctx, exposed)
	wantDenied(t, "a SparkConnect behind a load balancer", err, `isolation: spec.server.service.spec.type "LoadBalancer": the Spark Operator would create a Service of that type for the application; allowed for tenants: ClusterIP`)
	if err == nil {
		_ = cp.Client.Delete(context.Background(), exposed)
	}
}
