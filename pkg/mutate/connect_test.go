package mutate

import (
	stdjson "encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psaapi "k8s.io/pod-security-admission/api"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1alpha1"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/manifest"
	"github.com/strata-dev/strata/pkg/overlay/quantity"
	"github.com/strata-dev/strata/test/fixtures"
)

// writtenConnect is a SparkConnect as a tenant writes one: sizes typed,
// dynamic allocation on, a Hadoop key in hadoopConf, a pod template, and a
// field Strata does not know.
const writtenConnect = `
apiVersion: sparkoperator.k8s.io/v1alpha1
kind: SparkConnect
metadata: {name: notebooks, namespace: etl}
spec:
  sparkVersion: 4.0.1
  image: docker.io/apache/spark:4.0.1
  sparkConf:
    spark.sql.shuffle.partitions: "64"
    spark.eventLog.enabled: "false"
  hadoopConf:
    fs.s3a.endpoint: s3.eu-west-1.amazonaws.com
  server:
    cores: 2
    memory: 4g
    template:
      spec:
        containers: [{name: spark-kubernetes-driver, image: docker.io/apache/spark:4.0.1}]
  executor:
    instances: 2
    cores: 1
    memory: 2g
  dynamicAllocation:
    enabled: true
    maxExecutors: 50
  futureField: {kept: true}
`

// TestComposeConnect: a SparkConnect's Spark configuration is composed as
// the operator passes it to the server: defaults fill what the tenant
// left unset, overrides win, each written where it runs (the typed field
// the tenant set, hadoopConf, sparkConf); pod settings and the operator's
// own keys are left to the pod webhook and the operator; everything else
// is kept as written, and composing the result again changes nothing.
func TestComposeConnect(t *testing.T) {
	for _, tc := range []struct {
		name  string
		layer string
		// spark are sparkConf keys the tenant writes besides.
		spark map[string]string
		// want are the composed spec's fields (JSON, by path below spec)
		// that differ from the written ones; warn a part of a warning.
		want map[string]string
		warn string
	}{
		{name: "a default fills what is unset, not what the tenant set",
			layer: `{tier: ClusterDefaults, config: {sparkConf: {spark.eventLog.enabled: "true", spark.eventLog.dir: "s3a://events/"}}}`,
			want:  map[string]string{"sparkConf": `{"spark.eventLog.dir":"s3a://events/","spark.eventLog.enabled":"false","spark.sql.shuffle.partitions":"64"}`}},
		{name: "an override of a key in sparkConf",
			layer: `{tier: ClusterOverrides, config: {sparkConf: {spark.eventLog.enabled: "true"}}}`,
			want:  map[string]string{"sparkConf": `{"spark.eventLog.enabled":"true","spark.sql.shuffle.partitions":"64"}`},
			warn:  `spec.sparkConf["spark.eventLog.enabled"] "false" overridden by ClusterOverrides layer "l"`},
		{name: "an override of a typed size is written in the typed field",
			layer: `{tier: ClusterOverrides, executor: {sparkConf: {spark.executor.memory: 1g}}}`,
			want:  map[string]string{"executor.memory": `"1g"`},
			warn:  `spec.executor.memory "2g" overridden by ClusterOverrides layer "l"`},
		{name: "an override of the server's cores",
			layer: `{tier: NamespaceOverrides, config: {sparkConf: {spark.driver.cores: "1"}}}`,
			want:  map[string]string{"server.cores": `1`}},
		{name: "an override of dynamic allocation's bound",
			layer: `{tier: ClusterOverrides, config: {sparkConf: {spark.dynamicAllocation.maxExecutors: "10"}}}`,
			want:  map[string]string{"dynamicAllocation": `{"enabled":true,"maxExecutors":10}`}},
		{name: "an override of a Hadoop key the tenant wrote in hadoopConf",
			layer: `{tier: ClusterOverrides, config: {hadoopConf: {fs.s3a.endpoint: s3.internal}}}`,
			want:  map[string]string{"hadoopConf": `{"fs.s3a.endpoint":"s3.internal"}`}},
		{name: "a Hadoop default",
			layer: `{tier: ClusterDefaults, config: {hadoopConf: {fs.s3a.fast.upload: "true"}}}`,
			want:  map[string]string{"hadoopConf": `{"fs.s3a.endpoint":"s3.eu-west-1.amazonaws.com","fs.s3a.fast.upload":"true"}`}},
		{name: "a Hadoop override of the tenant's sparkConf spelling",
			layer: `{tier: ClusterOverrides, config: {hadoopConf: {fs.s3a.path.style.access: "true"}}}`,
			spark: map[string]string{"spark.hadoop.fs.s3a.path.style.access": "false"},
			want: map[string]string{"sparkConf": `{"spark.eventLog.enabled":"false","spark.sql.shuffle.partitions":"64"}`,
				"hadoopConf": `{"fs.s3a.endpoint":"s3.eu-west-1.amazonaws.com","fs.s3a.path.style.access":"true"}`}},
		{name: "pod settings and the operator's keys are not written",
			layer: `{tier: ClusterOverrides, config: {labels: {team: x}, sparkConf: {spark.kubernetes.executor.label.cost: y, spark.kubernetes.namespace: other, spark.driver.port: "1"}}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap := layerInLabelledEtl(t, tc.layer, nil)
			data, err := yaml.YAMLToJSON([]byte(writtenConnect))
			if err != nil {
				t.Fatal(err)
			}
			if tc.spark != nil {
				var obj map[string]any
				if err := stdjson.Unmarshal(data, &obj); err != nil {
					t.Fatal(err)
				}
				conf := obj["spec"].(map[string]any)["sparkConf"].(map[string]any)
				for k, v := range tc.spark {
					conf[k] = v
				}
				if data, err = stdjson.Marshal(obj); err != nil {
					t.Fatal(err)
				}
			}
			res, err := ComposeConnect(snap, cluster, data, "")
			if err != nil {
				t.Fatal(err)
			}
			var written map[string]any
			if err := stdjson.Unmarshal(data, &written); err != nil {
				t.Fatal(err)
			}
			before, after := written["spec"].(map[string]any), res.Object["spec"].(map[string]any)
			got := map[string]string{}
			for _, path := range []string{"sparkConf", "hadoopConf", "server.cores", "server.memory", "executor.cores", "executor.memory", "executor.instances", "dynamicAllocation", "server.template", "futureField", "sparkVersion", "image"} {
				b, _ := stdjson.Marshal(at(before, path))
				a, _ := stdjson.Marshal(at(after, path))
				if string(a) != string(b) {
					got[path] = string(a)
				}
			}
			if len(tc.want) == 0 {
				tc.want = map[string]string{}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("changed fields %v\nwant %v", got, tc.want)
			}
			if (len(res.Patch) == 0) != (len(tc.want) == 0) {
				t.Errorf("patch %v for changes %v", res.Patch, tc.want)
			}
			if tc.warn != "" && !containsPart(res.Warnings, tc.warn) {
				t.Errorf("warnings %q lack %q", res.Warnings, tc.warn)
			}
			// Composing the composed SparkConnect changes nothing.
			again, err := stdjson.Marshal(res.Object)
			if err != nil {
				t.Fatal(err)
			}
			twice, err := ComposeConnect(snap, cluster, again, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(twice.Patch) != 0 {
				t.Errorf("composing the composed SparkConnect patched it again: %v", twice.Patch)
			}
			// What the server runs with is the composition's.
			var composed sparkv1alpha1.SparkConnect
			if err := stdjson.Unmarshal(again, &composed); err != nil {
				t.Fatal(err)
			}
			runs := connectConf(&composed.Spec)
			if !reflect.DeepEqual(runs, res.Conf) {
				t.Errorf("Conf %v, the composed SparkConnect runs %v", res.Conf, runs)
			}
			for k, v := range res.Job.Conf {
				if connectWritten(k) && runs[k] != v {
					t.Errorf("the composed SparkConnect runs %s=%q, the composition says %q", k, runs[k], v)
				}
			}
		})
	}
}

// at is the value at a dotted path below obj; nil when absent.
func at(obj map[string]any, path string) any {
	var v any = obj
	for _, p := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func containsPart(texts []string, part string) bool {
	for _, s := range texts {
		if strings.Contains(s, part) {
			return true
		}
	}
	return false
}

// FuzzComposeConnect composes arbitrary SparkConnects with the example
// layers: an error or a composition, never a panic; a composed SparkConnect
// composes to nothing, and runs with what the composition says.
func FuzzComposeConnect(f *testing.F) {
	// Its namespace pinned to a pool, with a tolerations whitelist, so
	// that what is warned of the pods it launches is composed too
	// (connectPlacementWarnings).
	in, err := manifest.LoadRepo(filesys.MakeFsOnDisk(), filepath.Join(fixtures.Examples(), "layers", "clusters", "prod-a"))
	if err != nil {
		f.Fatal(err)
	}
	in.Namespaces = append(in.Namespaces, corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "etl", Annotations: map[string]string{
		overlay.NamespaceNodeSelectorAnnotation:         "node.strata.dev/pool=core",
		overlay.NamespaceTolerationsWhitelistAnnotation: `[{"key":"node.strata.dev/core","operator":"Exists"}]`}}})
	snap, err := overlay.Compile(in)
	if err != nil {
		f.Fatal(err)
	}
	seed, err := yaml.YAMLToJSON([]byte(writtenConnect))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"metadata":{"namespace":"etl"},"spec":{"hadoopConf":{"spark.hadoop.a":"1","a":"2"},"sparkConf":{"spark.hadoop.a":"3"}}}`))
	f.Add([]byte(`{"spec":{"dynamicAllocation":{"enabled":true,"shuffleTrackingEnabled":false},"sparkConf":{"spark.dynamicAllocation.enabled":"TRUE"},"executor":{"instances":0,"template":{"spec":{"containers":[{"image":"x"}]}}}}}`))
	f.Add([]byte(`{"metadata":{"namespace":"geo"},"spec":{"server":{"cores":1},"sparkConf":{"spark.driver.cores":"2","spark.kubernetes.namespace":"etl"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		// The webhook refuses, before it is decoded, a SparkConnect whose
		// templates hold a quantity resource.Quantity would take minutes
		// to decode.
		if quantity.MayHoldUnbounded(data) && quantity.CheckJSON(data, reflect.TypeFor[sparkv1alpha1.SparkConnect]()) != nil {
			return
		}
		res, err := ComposeConnect(snap, prodA, data, "etl")
		if err != nil {
			return
		}
		again, err := stdjson.Marshal(res.Object)
		if err != nil {
			t.Fatal(err)
		}
		twice, err := ComposeConnect(snap, prodA, again, "etl")
		if err != nil {
			t.Fatalf("a composed SparkConnect does not compose again: %v", err)
		}
		if len(twice.Patch) != 0 {
			t.Fatalf("a composed SparkConnect composed again patched: %v\ninput %s", twice.Patch, data)
		}
		for k, v := range res.Job.Conf {
			if connectWritten(k) && res.Conf[k] != v {
				t.Fatalf("the composed SparkConnect runs %s=%q, the composition says %q\ninput %s", k, res.Conf[k], v, data)
			}
		}
	})
}

// TestConnectPodSecurityWarning: a SparkConnect in a namespace that
// enforces a Pod Security level is warned of the pods it launches (the
// server from its template, executors from theirs) that what the layers
// add breaks, naming the layer; not of what its templates break
// themselves, nor where nothing is enforced.
func TestConnectPodSecurityWarning(t *testing.T) {
	const privilegedSidecar = `{tier: ClusterOverrides, config: {sidecars: [{name: shipper, image: shipper:1, securityContext: {privileged: true}}]}}`
	baseline := map[string]string{psaapi.EnforceLevelLabel: "baseline"}
	for _, tc := range []struct {
		name    string
		layer   string
		level   map[string]string
		written func(spec map[string]any)
		want    []string
	}{
		{name: "a privileged sidecar under baseline", layer: privilegedSidecar, level: baseline, want: []string{
			`the server pod: Pod Security "baseline:latest" (enforced on namespace "etl") is broken by what the layers added: privileged (container "shipper" must not set securityContext.privileged=true); added: sidecar "shipper" (ClusterOverrides layer "l")`,
			`an executor pod: Pod Security "baseline:latest" (enforced on namespace "etl") is broken by what the layers added: privileged (container "shipper" must not set securityContext.privileged=true); added: sidecar "shipper" (ClusterOverrides layer "l")`}},
		{name: "an executors' hostPath", layer: `{tier: ClusterOverrides, match: {roles: [executor]}, config: {volumes: [{name: logs, hostPath: {path: /var/log}}]}}`, level: baseline,
			want: []string{`an executor pod: Pod Security "baseline:latest" (enforced on namespace "etl") is broken by what the layers added: hostPath volumes (volume "logs"); added: volume "logs" (ClusterOverrides layer "l")`}},
		{name: "nothing enforced", layer: privilegedSidecar},
		{name: "what the template breaks itself", layer: `{tier: ClusterOverrides, config: {sidecars: [{name: shipper, image: shipper:1}]}}`, level: baseline,
			written: func(spec map[string]any) {
				spec["server"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["hostNetwork"] = true
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap := layerInLabelledEtl(t, tc.layer, tc.level)
			res, err := ComposeConnect(snap, cluster, connectJSON(t, tc.written), "")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range res.Warnings {
				if strings.Contains(w, "Pod Security") {
					got = append(got, w)
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("warnings %q, want %d of Pod Security", res.Warnings, len(tc.want))
			}
			for i, want := range tc.want {
				if !strings.HasPrefix(got[i], want) {
					t.Errorf("warning %q\nwant it to start %q", got[i], want)
				}
			}
		})
	}
}

// connectJSON is writtenConnect as JSON, its spec changed by edit (nil:
// as written).
func connectJSON(t *testing.T, edit func(spec map[string]any)) []byte {
	t.Helper()
	var obj map[string]any
	if err := yaml.Unmarshal([]byte(writtenConnect), &obj); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(obj["spec"].(map[string]any))
	}
	data, err := stdjson.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
