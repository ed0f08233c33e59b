package overlay

import (
	"errors"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// TestIgnoredSparkKey: spark-submit keeps exactly the keys that start
// with "spark.".
func TestIgnoredSparkKey(t *testing.T) {
	for key, ignored := range map[string]bool{
		"spark.executor.memory":              false,
		"spark.hadoop.fs.s3a.endpoint":       false,
		"spark.":                             false,
		"hive.metastore.uris":                true,
		"fs.s3a.endpoint":                    true,
		"Spark.executor.memory":              true,
		"spark":                              true,
		" spark.executor.memory":             true,
		"javax.jdo.option.ConnectionURL":     true,
		"sparkx.executor.memory":             true,
		"spark_executor_memory":              true,
		"spark.kubernetes.driver.label.team": false,
	} {
		if got := IgnoredSparkKey(key) != ""; got != ignored {
			t.Errorf("IgnoredSparkKey(%q) says ignored=%v, want %v", key, got, ignored)
		}
	}
}

// TestLayerWarnings: a Layer is warned of each Spark key spark-submit
// would ignore, in each block, named by its field path, before its
// placement controllers; without a lookup, of the keys alone.
func TestLayerWarnings(t *testing.T) {
	l := &v1alpha1.Layer{Spec: v1alpha1.LayerSpec{
		Config: &v1alpha1.Config{
			SparkConf:  map[string]string{"spark.eventLog.enabled": "true", "hive.metastore.uris": "thrift://hms:9083"},
			HadoopConf: map[string]string{"fs.s3a.endpoint": "https://s3.internal"}, // Spark's key is spark.hadoop.fs.s3a.endpoint
			Isolation:  &v1alpha1.Isolation{PlacementControllers: []string{"system:serviceaccount:team-a:placer"}},
		},
		Driver:   &v1alpha1.Config{SparkConf: map[string]string{"driver.memory": "2g", "spark.driver.cores": "1"}},
		Executor: &v1alpha1.Config{SparkConf: map[string]string{"spark.executor.cores": "2"}},
	}}
	keys := []string{
		`spec.config.sparkConf[hive.metastore.uris]: spark-submit ignores keys that do not start with "spark." (a Hadoop setting is hadoopConf's, or spark.hadoop.<key>)`,
		`spec.driver.sparkConf[driver.memory]: spark-submit ignores keys that do not start with "spark." (a Hadoop setting is hadoopConf's, or spark.hadoop.<key>)`,
	}
	if got := LayerWarnings(l, ClusterLookup{}, ""); !slices.Equal(got, keys) {
		t.Errorf("without a lookup:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(keys, "\n"))
	}
	lookup := ClusterLookup{Namespace: func(string) (*corev1.Namespace, error) { return nil, nil }}
	got := LayerWarnings(l, lookup, "was nowhere")
	want := append(slices.Clip(keys), `spec.config.isolation.placementControllers[0]: "system:serviceaccount:team-a:placer" is a service account of namespace "team-a", which was nowhere: unless tenants administer it, label it strata.dev/exempt=true`)
	if !slices.Equal(got, want) {
		t.Errorf("with a lookup:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := LayerWarnings(&v1alpha1.Layer{}, lookup, ""); got != nil {
		t.Errorf("an empty Layer: %q", got)
	}
}

// TestInputsLayerWarnings: each warning of a repository's Layers is led
// by the Layer's file, when known, and its name, with the Namespaces of the
// repository looked up.
func TestInputsLayerWarnings(t *testing.T) {
	layer := func(name string) v1alpha1.Layer {
		return v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1alpha1.LayerSpec{
			Config: &v1alpha1.Config{SparkConf: map[string]string{"hive.metastore.uris": "thrift://hms:9083"},
				Isolation: &v1alpha1.Isolation{PlacementControllers: []string{
					"system:serviceaccount:team-a:placer", "system:serviceaccount:kueue-system:kueue"}}}}}
	}
	in := Inputs{
		Layers: []LayerSource{{Layer: layer("from-git"), File: "layers/placement.yaml"}, {Layer: layer("in-memory")}},
		Namespaces: []corev1.Namespace{
			{ObjectMeta: metav1.ObjectMeta{Name: "kueue-system", Labels: map[string]string{ExemptLabel: "true"}}},
			{ObjectMeta: metav1.ObjectMeta{Name: "team-a"}},
		},
	}
	key := `spec.config.sparkConf[hive.metastore.uris]: spark-submit ignores keys that do not start with "spark." (a Hadoop setting is hadoopConf's, or spark.hadoop.<key>)`
	placement := `spec.config.isolation.placementControllers[0]: "system:serviceaccount:team-a:placer" is a service account of namespace "team-a", which is not the platform's (strata.dev/exempt=true): whoever administers it may impersonate the account and place pods on reserved nodes`
	var want []string
	for _, lead := range []string{`layers/placement.yaml: Layer "from-git": `, `Layer "in-memory": `} {
		want = append(want, lead+key, lead+placement)
	}
	if got := in.LayerWarnings("is not in the repository"); !slices.Equal(got, want) {
		t.Errorf("warnings:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestRuntimeClassWarnings: each block's runtimeClassName that the lookup
// does not find is warned of by its path, one it cannot read as such; ""
// (no class) and a class that exists are not; a repository's Layers look
// their classes up among its RuntimeClasses.
func TestRuntimeClassWarnings(t *testing.T) {
	l := &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "sandbox"}, Spec: v1alpha1.LayerSpec{
		Config:   &v1alpha1.Config{RuntimeClassName: new("gvisor")},
		Driver:   &v1alpha1.Config{RuntimeClassName: new("")},
		Executor: &v1alpha1.Config{RuntimeClassName: new("kata")},
	}}
	known := func(name string) (*nodev1.RuntimeClass, error) {
		if name == "gvisor" {
			return &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: name}}, nil
		}
		return nil, nil
	}
	want := []string{`spec.executor.runtimeClassName: RuntimeClass "kata" was nowhere: the webhook refuses every pod this Layer gives a class that does not exist`}
	if got := RuntimeClassWarnings(l, known, "was nowhere"); !slices.Equal(got, want) {
		t.Errorf("warnings %q, want %q", got, want)
	}
	failing := func(string) (*nodev1.RuntimeClass, error) { return nil, errors.New("away") }
	want = []string{`spec.config.runtimeClassName: cannot read RuntimeClass "gvisor" to tell whether it exists: away`,
		`spec.executor.runtimeClassName: cannot read RuntimeClass "kata" to tell whether it exists: away`}
	if got := RuntimeClassWarnings(l, failing, ""); !slices.Equal(got, want) {
		t.Errorf("unreadable: %q, want %q", got, want)
	}
	in := Inputs{Layers: []LayerSource{{Layer: *l, File: "layers/sandbox.yaml"}},
		RuntimeClasses: []nodev1.RuntimeClass{{ObjectMeta: metav1.ObjectMeta{Name: "kata"}}}}
	want = []string{`layers/sandbox.yaml: Layer "sandbox": spec.config.runtimeClassName: RuntimeClass "gvisor" is not in the repository: the webhook refuses every pod this Layer gives a class that does not exist`}
	if got := in.LayerWarnings("is not in the repository"); !slices.Equal(got, want) {
		t.Errorf("a repository's: %q, want %q", got, want)
	}
}

// TestMountWarnings: a mount a Layer gives of a volume none of its blocks
// gives, and not one of Spark's own (spark-*), is warned of, where it is;
// the webhook refuses each pod that does not have it.
func TestMountWarnings(t *testing.T) {
	l := &v1alpha1.Layer{Spec: v1alpha1.LayerSpec{
		Config: &v1alpha1.Config{
			Volumes: []corev1.Volume{{Name: "logs", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
			VolumeMounts: []corev1.VolumeMount{{Name: "logs", MountPath: "/logs"}, {Name: "spark-local-dir-1", MountPath: "/scratch"},
				{Name: "data", MountPath: "/data"}},
		},
		Driver: &v1alpha1.Config{InitContainers: []corev1.Container{{Name: "fetch", Image: "busybox",
			VolumeMounts: []corev1.VolumeMount{{Name: "logs", MountPath: "/logs"}}}}},
		Executor: &v1alpha1.Config{Sidecars: []corev1.Container{{Name: "shipper", Image: "fluent-bit",
			VolumeMounts: []corev1.VolumeMount{{Name: "cache", MountPath: "/cache"}}}}},
	}}
	const refused = `, which this Layer does not give: a pod it matches that does not have it is refused (the API server would refuse it as invalid)`
	want := []string{
		`spec.config.volumeMounts[2]: mounts volume "data"` + refused,
		`spec.executor.sidecars[0].volumeMounts[0]: mounts volume "cache"` + refused,
	}
	if got := MountWarnings(l); !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := LayerWarnings(l, ClusterLookup{}, ""); !slices.Equal(got, want) {
		t.Errorf("LayerWarnings:\n%s", strings.Join(got, "\n"))
	}
}

// TestUnmatchedRoleWarnings: a role's block that sets something, in a
// Layer whose match.roles leaves that role out, is warned of; an empty
// block, a matched role's, and a Layer matching every role are not.
func TestUnmatchedRoleWarnings(t *testing.T) {
	labels := &v1alpha1.Config{Labels: map[string]string{"a": "b"}}
	layer := func(roles []v1alpha1.Role, driver, executor *v1alpha1.Config) *v1alpha1.Layer {
		return &v1alpha1.Layer{Spec: v1alpha1.LayerSpec{Match: v1alpha1.Match{Roles: roles}, Driver: driver, Executor: executor}}
	}
	const driverLeftOut = `spec.driver: spec.match.roles [executor] leaves out driver pods, so no pod gets these settings; set them where the Layer matches, or add "driver" to spec.match.roles`
	for name, tt := range map[string]struct {
		layer *v1alpha1.Layer
		want  []string
	}{
		"a driver block, executors matched": {layer([]v1alpha1.Role{v1alpha1.RoleExecutor}, labels, labels), []string{driverLeftOut}},
		"an executor block, drivers matched": {layer([]v1alpha1.Role{v1alpha1.RoleDriver}, nil, &v1alpha1.Config{Limits: &v1alpha1.Limits{}}),
			[]string{`spec.executor: spec.match.roles [driver] leaves out executor pods, so no pod gets these settings; set them where the Layer matches, or add "executor" to spec.match.roles`}},
		"an empty driver block":    {layer([]v1alpha1.Role{v1alpha1.RoleExecutor}, &v1alpha1.Config{}, nil), nil},
		"both roles matched":       {layer([]v1alpha1.Role{v1alpha1.RoleDriver, v1alpha1.RoleExecutor}, labels, labels), nil},
		"every role, by omission":  {layer(nil, labels, labels), nil},
		"the matched role's block": {layer([]v1alpha1.Role{v1alpha1.RoleDriver}, labels, nil), nil},
	} {
		if got := UnmatchedRoleWarnings(tt.layer); !slices.Equal(got, tt.want) {
			t.Errorf("%s:\n%q\nwant\n%q", name, got, tt.want)
		}
		if got := LayerWarnings(tt.layer, ClusterLookup{}, ""); !slices.Equal(got, tt.want) {
			t.Errorf("%s: LayerWarnings:\n%q\nwant\n%q", name, got, tt.want)
		}
	}
}

// TestOtherRoleKeyWarnings: a job setting in the block of the role it is
// not read from is warned of; a pod setting of the block's role, and a
// key of the block's own role, are not.
func TestOtherRoleKeyWarnings(t *testing.T) {
	l := &v1alpha1.Layer{Spec: v1alpha1.LayerSpec{
		Config: &v1alpha1.Config{SparkConf: map[string]string{"spark.executor.memory": "4g", "spark.sql.shuffle.partitions": "400"}},
		Driver: &v1alpha1.Config{SparkConf: map[string]string{
			"spark.executor.memory":             "4g", // the executors'
			"spark.dynamicAllocation.enabled":   "true",
			"spark.kubernetes.executor.label.a": "b",
			"spark.driver.memory":               "2g", // the driver's own
			"spark.sql.shuffle.partitions":      "400",
			"spark.kubernetes.driver.label.a":   "b",
			"spark.kubernetes.node.selector.a":  "b", // a pod setting of either role
			"spark.hadoop.fs.s3a.endpoint":      "https://s3",
		}, HadoopConf: map[string]string{"fs.s3a.path.style.access": "true"},
			// Judged with the application, on the executors' input; the
			// driver's own rules still hold on the driver's pod.
			Isolation: &v1alpha1.Isolation{AllowedServiceTypes: []string{"ClusterIP"}, AllowedIngressHosts: []string{"**"}, AllowedRegistries: []string{"r"}}},
		Executor: &v1alpha1.Config{Isolation: &v1alpha1.Isolation{AllowedServiceTypes: []string{"ClusterIP"}}, SparkConf: map[string]string{
			"spark.executor.memory":            "4g", // the executors' own
			"spark.executorEnv.A":              "b",
			"spark.kubernetes.container.image": "spark:4", // the executors' image
			"spark.kubernetes.node.selector.a": "b",
			"spark.sql.shuffle.partitions":     "400", // the job's
			"spark.kubernetes.driver.label.a":  "b",
			"spark.hadoop.fs.s3a.endpoint":     "https://s3",
		}, HadoopConf: map[string]string{"fs.s3a.path.style.access": "true"}},
	}}
	const toExecutors = `the job reads this key from the executors' composition, so the driver block's value applies to nothing; set it in config or executor`
	const toDriver = `the job reads this key from the driver's composition, which holds the job's configuration, so the executor block's value applies to nothing; set it in config or driver`
	want := []string{
		`spec.driver.sparkConf[spark.dynamicAllocation.enabled]: ` + toExecutors,
		`spec.driver.sparkConf[spark.executor.memory]: ` + toExecutors,
		`spec.driver.sparkConf[spark.kubernetes.executor.label.a]: ` + toExecutors,
		`spec.driver.isolation.allowedServiceTypes: the job reads the rule on the Services the operator creates for it from the executors' composition, so the driver block's value applies to nothing; set it in config or executor`,
		`spec.driver.isolation.allowedIngressHosts: the job reads the rule on the Ingresses the operator creates for it from the executors' composition, so the driver block's value applies to nothing; set it in config or executor`,
		`spec.executor.sparkConf[spark.hadoop.fs.s3a.endpoint]: ` + toDriver,
		`spec.executor.sparkConf[spark.kubernetes.driver.label.a]: ` + toDriver,
		`spec.executor.sparkConf[spark.sql.shuffle.partitions]: ` + toDriver,
		`spec.executor.hadoopConf[fs.s3a.path.style.access]: the job reads its Hadoop configuration from the driver's composition, which holds the job's configuration, so the executor block's value applies to nothing; set it in config or driver`,
	}
	if got := OtherRoleKeyWarnings(l); !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := LayerWarnings(l, ClusterLookup{}, ""); !slices.Equal(got, want) {
		t.Errorf("LayerWarnings:\n%s", strings.Join(got, "\n"))
	}
}

// TestEnforcementWarnings: an enforcement of a policy not loaded, in any
// block, is warned of with the policies that are; one of a loaded policy
// is not.
func TestEnforcementWarnings(t *testing.T) {
	loaded := []string{"baseline", "isolation", "quota"}
	l := &v1alpha1.Layer{Spec: v1alpha1.LayerSpec{
		Config:   &v1alpha1.Config{Enforcement: map[string]v1alpha1.Enforcement{"quota": "warn", "qouta": "warn"}},
		Executor: &v1alpha1.Config{Enforcement: map[string]v1alpha1.Enforcement{"isolation": "dryrun", "site-costs": "dryrun"}},
	}}
	want := []string{
		`spec.config.enforcement[qouta]: no policy named "qouta" is loaded (baseline, isolation, quota), so this applies to nothing`,
		`spec.executor.enforcement[site-costs]: no policy named "site-costs" is loaded (baseline, isolation, quota), so this applies to nothing`,
	}
	if got := EnforcementWarnings(l, loaded); !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := EnforcementWarnings(l, append(loaded, "qouta", "site-costs")); got != nil {
		t.Errorf("every policy loaded: %q", got)
	}
	in := Inputs{Layers: []LayerSource{{Layer: *l, File: "layers/a.yaml"}}}
	in.Layers[0].Layer.Name = "a"
	if got := in.EnforcementWarnings(loaded); len(got) != 2 || !strings.HasPrefix(got[0], `layers/a.yaml: Layer "a": spec.config.enforcement[qouta]`) {
		t.Errorf("Inputs.EnforcementWarnings: %q", got)
	}
}
