package app

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/strata-dev/strata/pkg/mutate"
)

// limitsRepo writes a layer repository whose layer injects a sidecar that
// requests cpu and memory and limits memory only, a LimitRange of the etl
// namespace (defaults, and a maximum of cpu per container), and an executor whose
// container sets no resources; it returns the directory, the LimitRange's
// file and the pod's.
func limitsRepo(t *testing.T) (dir, limits, pod string) {
	t.Helper()
	dir = t.TempDir()
	write := writerIn(t, dir)
	write("layers/layer.yaml", `apiVersion: strata.dev/v1alpha1
kind: Layer
metadata: {name: log-shipper}
spec:
  tier: ClusterDefaults
  config:
    sidecars:
    - name: log-shipper
      image: fluent/fluent-bit:3.1.9
      resources: {requests: {cpu: 50m, memory: 64Mi}, limits: {memory: 128Mi}}
`)
	limits = write("cluster/limits.yaml", `apiVersion: v1
kind: LimitRange
metadata: {name: bounds, namespace: etl}
spec:
  limits:
  - type: Container
    default: {cpu: "1", memory: 2Gi}
    defaultRequest: {cpu: 500m, memory: 1Gi}
    max: {cpu: "4"}
`)
	pod = write("pod.yaml", executorYAML("etl", ""))
	return dir, limits, pod
}

// TestLimitRangerInTheDryRun: given the cluster's LimitRanges, the
// composer gives a pod file what the API server's LimitRanger plugin gives
// it before any webhook, and what it gives the layer's sidecar when the
// API server runs its plugins again after the webhook changed the pod;
// with --validate it refuses what the plugin refuses after the webhooks:
// here the sidecar's request under a namespace's minimum.
func TestLimitRangerInTheDryRun(t *testing.T) {
	dir, limits, pod := limitsRepo(t)
	base := func(pod, limits string, more ...string) []string {
		return append([]string{"compose", "-f", pod, "--layers", filepath.Join(dir, "layers"), "--cluster", "c", "--pool", "p", "--cluster-config", limits}, more...)
	}
	r := composer(t, "", base(pod, limits, "--validate", "-o", "json")...)
	if r.code != ExitOK {
		t.Fatalf("compose: exit %d: %s", r.code, r.err)
	}
	var got corev1.Pod
	if err := json.Unmarshal([]byte(r.out), &got); err != nil {
		t.Fatal(err)
	}
	var sidecar corev1.ResourceRequirements
	for _, c := range got.Spec.InitContainers {
		if c.Name == "log-shipper" {
			sidecar = c.Resources
		}
	}
	exec := got.Spec.Containers[0].Resources
	for _, q := range []struct {
		what string
		list corev1.ResourceList
		name corev1.ResourceName
		want string
	}{{"the executor's request", exec.Requests, corev1.ResourceCPU, "500m"}, {"the executor's request", exec.Requests, corev1.ResourceMemory, "1Gi"},
		{"the executor's limit", exec.Limits, corev1.ResourceCPU, "1"}, {"the executor's limit", exec.Limits, corev1.ResourceMemory, "2Gi"},
		// The layer's own values are kept; the cpu limit it lacks is the
		// LimitRange's, from the plugins' second round.
		{"the sidecar's request", sidecar.Requests, corev1.ResourceCPU, "50m"}, {"the sidecar's limit", sidecar.Limits, corev1.ResourceMemory, "128Mi"},
		{"the sidecar's limit", sidecar.Limits, corev1.ResourceCPU, "1"}} {
		if v, ok := q.list[q.name]; !ok || v.Cmp(resource.MustParse(q.want)) != 0 {
			t.Errorf("%s of %s: %v, want %s", q.what, q.name, q.list, q.want)
		}
	}
	// The second round's words replace the first's, as on the API server.
	if a := got.Annotations[mutate.LimitRangerAnnotation]; a != "LimitRanger plugin set: cpu limit for init container log-shipper" {
		t.Errorf("annotation %q", a)
	}
	// -o explain shows what the second round gave, apart from the layers'
	// table: the sidecar's cpu limit is no layer's.
	r = composer(t, "", base(pod, limits, "-o", "explain")...)
	for _, want := range []string{"Then the API server's second pass", `spec.initContainers[log-shipper].resources.limits.cpu  "1"`,
		`metadata.annotations["kubernetes.io/limit-ranger"]     "LimitRanger plugin set: cpu limit for init container log-shipper"`} {
		if r.code != ExitOK || !strings.Contains(r.out, want) {
			t.Errorf("-o explain: exit %d, want %q in\n%s\n%s", r.code, want, r.out, r.err)
		}
	}
	least := writerIn(t, dir)("cluster/least.yaml", strings.Replace(readFile(t, limits), `max: {cpu: "4"}`, `min: {cpu: 100m}`, 1))
	const refusal = `limit-ranger: LimitRange "bounds": container "log-shipper": minimum cpu usage per Container is 100m, but request is 50m (the API server's LimitRanger admission refuses the pod after the mutating webhooks, before any validating webhook)`
	if r := composer(t, "", base(pod, least, "--validate", "-o", "json")...); r.code != ExitDenied || !strings.Contains(r.err, refusal) {
		t.Errorf("--validate: exit %d, stderr:\n%s\nwant %q", r.code, r.err, refusal)
	}
	// Another namespace has no LimitRange: nothing given, nothing refused.
	other := writerIn(t, dir)("other.yaml", strings.Replace(readFile(t, pod), "namespace: etl", "namespace: ml", 1))
	if r := composer(t, "", base(other, least, "--validate", "-o", "json")...); r.code != ExitOK || strings.Contains(r.out, mutate.LimitRangerAnnotation) {
		t.Errorf("ml: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	// A LimitRange in the layer repository counts as one of --cluster-config.
	writerIn(t, dir)("layers/limits.yaml", readFile(t, least))
	if r := composer(t, "", "compose", "-f", pod, "--layers", filepath.Join(dir, "layers"), "--cluster", "c", "--pool", "p", "--validate", "-o", "json"); r.code != ExitDenied || !strings.Contains(r.err, refusal) {
		t.Errorf("a repository's LimitRange: exit %d, stderr:\n%s", r.code, r.err)
	}
}

// TestLimitRangerJudgesLaunchedPods: an application whose executors a
// LimitRange refuses is refused, as the API server would refuse each of
// them after the operator or the driver created them.
func TestLimitRangerJudgesLaunchedPods(t *testing.T) {
	dir, limits, _ := limitsRepo(t)
	write := writerIn(t, dir)
	small := write("cluster/small.yaml", strings.Replace(readFile(t, limits), "max: {cpu: \"4\"}", "max: {memory: 8Gi}", 1))
	app := write("app.yaml", reportApp("etl", "12g"))
	r := composer(t, "", "compose", "-f", app, "--layers", filepath.Join(dir, "layers"), "--cluster", "c", "--pool", "p", "--cluster-config", small, "--validate", "-o", "json")
	const want = `limit-ranger: SparkApplication "report": executor pod: LimitRange "bounds": container "spark-kubernetes-executor": maximum memory usage per Container is 8Gi, but limit is`
	if r.code != ExitDenied || !strings.Contains(r.err, want) || strings.Contains(r.err, "driver pod: LimitRange") {
		t.Errorf("exit %d, stderr:\n%s\nwant %q, the driver admitted", r.code, r.err, want)
	}
	// The operator's pod webhook limits the executors' memory to the
	// section's memoryLimit, over Spark's limit.
	for limit, refused := range map[string]bool{"12g": true, "6g": false} {
		limited := write("limited.yaml", strings.Replace(reportApp("etl", "4g"), "instances: 2}", "instances: 2, memoryLimit: "+limit+"}", 1))
		r := composer(t, "", "compose", "-f", limited, "--layers", filepath.Join(dir, "layers"), "--cluster", "c", "--pool", "p", "--cluster-config", small, "--validate", "-o", "json")
		if got := r.code == ExitDenied && strings.Contains(r.err, want); got != refused {
			t.Errorf("memoryLimit %s: exit %d, stderr:\n%s\nwant refused: %v", limit, r.code, r.err, refused)
		}
	}
	// A default cpu limit under what Spark requests of the driver's cores:
	// every driver pod is invalid.
	under := write("cluster/under.yaml", strings.Replace(readFile(t, limits), `default: {cpu: "1", memory: 2Gi}`, `default: {cpu: 500m, memory: 2Gi}`, 1))
	r = composer(t, "", "compose", "-f", app, "--layers", filepath.Join(dir, "layers"), "--cluster", "c", "--pool", "p", "--cluster-config", under, "--validate", "-o", "json")
	const invalid = `limit-ranger: SparkApplication "report": driver pod: spec.containers[0].resources.requests: Invalid value: "1": must be less than or equal to cpu limit of 500m (the API server refuses the pod as invalid)`
	if r.code != ExitDenied || !strings.Contains(r.err, invalid) {
		t.Errorf("a default limit under a request: exit %d, stderr:\n%s\nwant %q", r.code, r.err, invalid)
	}
	// A maximum of cpu per container, with a default. The application's
	// sidecar, which limits no cpu, is in the pods the operator creates,
	// which the plugin gives the default; a layer's pod patch adds a
	// container the pod webhook gives them, which gets the default when
	// the API server runs its plugins again after the webhook.
	write("layers/patch.yaml", `apiVersion: strata.dev/v1alpha1
kind: Layer
metadata: {name: warm-up}
spec:
  tier: ClusterDefaults
  config: {podPatch: {spec: {initContainers: [{name: warm-up, image: busybox:1.36}]}}}
`)
	r = composer(t, "", "compose", "-f", app, "--layers", filepath.Join(dir, "layers"), "--cluster", "c", "--pool", "p", "--cluster-config", limits, "--validate", "-o", "json")
	if r.code != ExitOK || strings.Contains(r.err, "limit-ranger") {
		t.Errorf("a default under a maximum: exit %d, stderr:\n%s", r.code, r.err)
	}
}

// TestLimitRangerJudgesSparkClaims: the PersistentVolumeClaims Spark
// creates for an application's pods, from the Spark configuration the
// layers compose (an executor spill volume) and its own (a driver
// scratch volume), are judged by the namespace's PersistentVolumeClaim
// items: refused as the API server refuses them, led by the application,
// the role and the key that sizes the claim; a claim within its bounds,
// or one whose claim must exist already (no storage class), is not.
func TestLimitRangerJudgesSparkClaims(t *testing.T) {
	dir, limits, _ := limitsRepo(t)
	write := writerIn(t, dir)
	write("layers/spill.yaml", `apiVersion: strata.dev/v1alpha1
kind: Layer
metadata: {name: spill}
spec:
  tier: ClusterOverrides
  executor:
    sparkConf:
      spark.kubernetes.executor.volumes.persistentVolumeClaim.spill.mount.path: /spill
      spark.kubernetes.executor.volumes.persistentVolumeClaim.spill.options.claimName: OnDemand
      spark.kubernetes.executor.volumes.persistentVolumeClaim.spill.options.storageClass: gp3
      spark.kubernetes.executor.volumes.persistentVolumeClaim.spill.options.sizeLimit: 500Gi
`)
	storage := write("cluster/storage.yaml", readFile(t, limits)+`  - type: PersistentVolumeClaim
    min: {storage: 1Gi}
    max: {storage: 100Gi}
`)
	scratch := func(class string) string {
		return reportApp("etl", "4g") + `  sparkConf:
    spark.kubernetes.driver.volumes.persistentVolumeClaim.scratch.mount.path: /scratch
    spark.kubernetes.driver.volumes.persistentVolumeClaim.scratch.options.claimName: OnDemand
    spark.kubernetes.driver.volumes.persistentVolumeClaim.scratch.options.sizeLimit: 100Mi
` + class
	}
	app := write("app.yaml", scratch("    spark.kubernetes.driver.volumes.persistentVolumeClaim.scratch.options.storageClass: gp3\n"))
	args := func(app string) []string {
		return []string{"compose", "-f", app, "--layers", filepath.Join(dir, "layers"), "--cluster", "c", "--pool", "p", "--cluster-config", storage, "--validate", "-o", "json"}
	}
	r := composer(t, "", args(app)...)
	for _, want := range []string{
		`limit-ranger: SparkApplication "report": driver: the PersistentVolumeClaim Spark creates for volume "scratch" (spark.kubernetes.driver.volumes.persistentVolumeClaim.scratch.options.sizeLimit=100Mi): ` +
			`LimitRange "bounds": minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 100Mi (the API server's LimitRanger admission)`,
		`limit-ranger: SparkApplication "report": executor: the PersistentVolumeClaim Spark creates for volume "spill" (spark.kubernetes.executor.volumes.persistentVolumeClaim.spill.options.sizeLimit=500Gi): ` +
			`LimitRange "bounds": maximum storage usage per PersistentVolumeClaim is 100Gi, but request is 500Gi (the API server's LimitRanger admission)`,
	} {
		if r.code != ExitDenied || !strings.Contains(r.err, want) {
			t.Errorf("exit %d, stderr:\n%s\nwant %q", r.code, r.err, want)
		}
	}
	// A SparkConnect's server is a driver in client mode, whose pod the
	// operator creates: Spark creates its executors' claims only.
	conn := write("connect.yaml", `apiVersion: sparkoperator.k8s.io/v1alpha1
kind: SparkConnect
metadata: {name: notebooks, namespace: etl}
spec:
  sparkVersion: 4.0.1
  image: apache/spark:4.0.1
  sparkConf:
    spark.kubernetes.driver.volumes.persistentVolumeClaim.scratch.mount.path: /scratch
    spark.kubernetes.driver.volumes.persistentVolumeClaim.scratch.options.claimName: OnDemand
    spark.kubernetes.driver.volumes.persistentVolumeClaim.scratch.options.storageClass: gp3
    spark.kubernetes.driver.volumes.persistentVolumeClaim.scratch.options.sizeLimit: 100Mi
  server: {cores: 1, memory: 1g, template: {spec: {containers: [{name: spark-kubernetes-driver, image: apache/spark:4.0.1}]}}}
  executor: {instances: 1, cores: 1, memory: 1g}
`)
	r = composer(t, "", args(conn)...)
	if want := `limit-ranger: SparkConnect "notebooks": executor: the PersistentVolumeClaim Spark creates for volume "spill"`; r.code != ExitDenied || !strings.Contains(r.err, want) || strings.Contains(r.err, `"scratch"`) {
		t.Errorf("a SparkConnect: exit %d, stderr:\n%s\nwant %q, and nothing of the server's volume", r.code, r.err, want)
	}
	// The driver's claim must exist already; the executors' is within
	// the bounds once the layer is.
	write("layers/spill.yaml", strings.Replace(readFile(t, filepath.Join(dir, "layers/spill.yaml")), "500Gi", "100Gi", 1))
	r = composer(t, "", args(write("app.yaml", scratch("")))...)
	if r.code != ExitOK || strings.Contains(r.err, "limit-ranger") {
		t.Errorf("claims within the bounds: exit %d, stderr:\n%s", r.code, r.err)
	}
}

// TestLimitRangeWithoutANamespace: a LimitRange bounds the pods of its
// namespace; one without is bad input naming the file and the object.
func TestLimitRangeWithoutANamespace(t *testing.T) {
	dir, limits, pod := limitsRepo(t)
	bad := writerIn(t, dir)("cluster/bad.yaml", strings.Replace(readFile(t, limits), ", namespace: etl", "", 1))
	r := composer(t, "", "compose", "-f", pod, "--layers", filepath.Join(dir, "layers"), "--cluster", "c", "--pool", "p", "--cluster-config", bad)
	if want := bad + `: LimitRange "bounds": metadata.namespace: Required value`; r.code != ExitInput || !strings.Contains(r.err, want) {
		t.Errorf("exit %d, stderr:\n%s\nwant %q", r.code, r.err, want)
	}
}

// TestLimitRangerInPolicyTests: a suite's cases are bounded by the
// LimitRanges of its layers directory, given their defaults, the layer's
// sidecar too (the plugins' second round).
func TestLimitRangerInPolicyTests(t *testing.T) {
	dir, limits, _ := limitsRepo(t)
	write := writerIn(t, dir)
	write("layers/limits.yaml", strings.Replace(readFile(t, limits), `max: {cpu: "4"}`, `min: {cpu: 100m}`, 1))
	file := write("t.yaml", `apiVersion: strata.dev/v1alpha1
kind: PolicyTest
metadata: {name: limits}
layers: layers
cluster: c
pool: p
cases:
  - name: the sidecar under the minimum
    pod: pod.yaml
    expect:
      allowed: false
      violations:
      - policy: limit-ranger
        message: "limit-ranger: LimitRange \"bounds\": container \"log-shipper\": minimum cpu usage per Container is 100m, but request is 50m (the API server's LimitRanger admission refuses the pod after the mutating webhooks, before any validating webhook)"
`)
	if r := composer(t, "", "test", file); r.code != ExitOK || !strings.Contains(r.out, "1 passed, 0 failed") {
		t.Errorf("exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	// Without the LimitRange, the case fails: nothing refuses the pod.
	write("layers/limits.yaml", "")
	if r := composer(t, "", "test", file); r.code != ExitDenied || !strings.Contains(r.out, "0 passed, 1 failed") {
		t.Errorf("without the LimitRange: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
}

// TestLimitRangerWarnsOfALayer: the composer warns of a Layer whose
// sidecar the LimitRanges of the namespaces it composes pods in would
// refuse, naming the first of each group bounded alike, and of none where
// the LimitRange's defaults reach the sidecar.
func TestLimitRangerWarnsOfALayer(t *testing.T) {
	dir, limits, pod := limitsRepo(t)
	write := writerIn(t, dir)
	least := strings.Replace(readFile(t, limits), `max: {cpu: "4"}`, `min: {cpu: 100m}`, 1)
	both := write("cluster/least.yaml", least+"---\n"+strings.Replace(least, "namespace: etl", "namespace: ml", 1)+
		"---\n"+strings.Replace(readFile(t, limits), "namespace: etl", "namespace: geo", 1))
	run := func(cfg string) run {
		return composer(t, "", "compose", "-f", pod, "--layers", filepath.Join(dir, "layers"), "--cluster", "c", "--pool", "p", "--cluster-config", cfg, "-o", "json")
	}
	const want = `Warning: ` + `LAYERS` + `: Layer "log-shipper": spec: the API server will refuse the Spark driver and executor pods this Layer composes in namespace "etl" and 1 more bounded alike: LimitRange "bounds": container "log-shipper": minimum cpu usage per Container is 100m, but request is 50m`
	r := run(both)
	if w := strings.Replace(want, "LAYERS", filepath.Join(dir, "layers", "layer.yaml"), 1); !strings.Contains(r.err, w) || strings.Contains(r.err, `"geo"`) {
		t.Errorf("exit %d, stderr:\n%s\nwant %q, and nothing of geo", r.code, r.err, w)
	}
	if r := run(limits); strings.Contains(r.err, "will refuse") {
		t.Errorf("a default under a maximum: stderr:\n%s", r.err)
	}
	// A default cpu limit under what the sidecar requests: invalid.
	under := write("cluster/under.yaml", strings.Replace(readFile(t, limits), `default: {cpu: "1", memory: 2Gi}`, `default: {cpu: 10m, memory: 2Gi}`, 1))
	const invalid = `pods this Layer composes in namespace "etl": container "log-shipper": spec.initContainers[0].resources.requests: Invalid value: "50m": must be less than or equal to cpu limit of 10m`
	if r := run(under); !strings.Contains(r.err, invalid) {
		t.Errorf("a default limit under the sidecar's request: stderr:\n%s\nwant %q", r.err, invalid)
	}
}
