package mutate

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/fixtures"
)

// aliasValues are a value of each alias, and another: what the user
// writes and what a layer writes.
var aliasValues = map[string][2]string{
	"spark.driver.cores":                              {"2", "3"},
	"spark.executor.cores":                            {"2", "3"},
	"spark.kubernetes.driver.request.cores":           {"500m", "1500m"},
	"spark.kubernetes.executor.request.cores":         {"500m", "1500m"},
	"spark.kubernetes.driver.limit.cores":             {"2", "4"},
	"spark.kubernetes.executor.limit.cores":           {"2", "4"},
	"spark.driver.memory":                             {"2g", "3g"},
	"spark.executor.memory":                           {"2g", "3g"},
	"spark.driver.memoryOverhead":                     {"512m", "1g"},
	"spark.executor.memoryOverhead":                   {"512m", "1g"},
	"spark.kubernetes.driver.container.image":         {"example.com/spark:1", "example.com/spark:2"},
	"spark.kubernetes.executor.container.image":       {"example.com/spark:1", "example.com/spark:2"},
	"spark.executor.instances":                        {"4", "8"},
	"spark.dynamicAllocation.enabled":                 {"true", "true"},
	"spark.dynamicAllocation.initialExecutors":        {"1", "2"},
	"spark.dynamicAllocation.minExecutors":            {"1", "2"},
	"spark.dynamicAllocation.maxExecutors":            {"10", "20"},
	"spark.dynamicAllocation.shuffleTracking.enabled": {"true", "false"},
	"spark.metrics.conf":                              {"/opt/mine/metrics.properties", "/opt/platform/metrics.properties"},
	"spark.dynamicAllocation.shuffleTracking.timeout": {"60000", "120000"},
	"spark.driver.extraJavaOptions":                   {"-XX:+UseG1GC", "-Dlog4j2.configurationFile=/opt/platform/log4j2.xml"},
	"spark.executor.extraJavaOptions":                 {"-XX:+UseG1GC", "-Dlog4j2.configurationFile=/opt/platform/log4j2.xml"},
	"spark.kubernetes.memoryOverheadFactor":           {"0.2", "0.3"},
	"spark.kubernetes.container.image.pullPolicy":     {"Always", "IfNotPresent"},
	"spark.kubernetes.container.image.pullSecrets":    {"mine", "platform-registry,mine"},
	"spark.kubernetes.pyspark.pythonVersion":          {"3", "2"},
	"spark.kubernetes.executor.deleteOnTermination":   {"false", "true"},
	"spark.jars":                                       {"local:///opt/jobs/a.jar", "s3a://platform/listener.jar,local:///opt/jobs/a.jar"},
	"spark.files":                                      {"local:///opt/jobs/a.conf", "s3a://platform/log4j2.properties"},
	"spark.submit.pyFiles":                             {"local:///opt/jobs/lib.zip", "s3a://platform/lib.zip"},
	"spark.archives":                                   {"local:///opt/jobs/env.tar.gz", "s3a://platform/env.tar.gz#env"},
	"spark.jars.packages":                              {"org.apache.hadoop:hadoop-aws:3.3.4", "org.apache.hadoop:hadoop-aws:3.4.1"},
	"spark.jars.excludes":                              {"com.amazonaws:aws-java-sdk-bundle", "org.slf4j:slf4j-api"},
	"spark.jars.repositories":                          {"https://repo1.maven.org/maven2", "https://nexus.internal/maven"},
	"spark.kubernetes.driver.master":                   {"https://203.0.113.7:6443", "https://kubernetes.default.svc"},
	"spark.kubernetes.driver.secrets.TOKEN":            {"/etc/mine", "/etc/platform"},
	"spark.kubernetes.executor.secrets.TOKEN":          {"/etc/mine", "/etc/platform"},
	"spark.kubernetes.driver.service.label.TOKEN":      {"mine", "platform"},
	"spark.kubernetes.driver.service.annotation.TOKEN": {"mine", "platform"},
}

// everyAlias is every alias of the table and one entry, TOKEN, of each
// family.
func everyAlias() []sparkAlias {
	out := slices.Clone(sparkAliases())
	for _, f := range aliasFamilies() {
		out = append(out, f.member("TOKEN"))
	}
	return out
}

// aliasApp is an app with dynamic allocation on (so its fields are
// passed), Prometheus monitoring for spark.metrics.conf, and the alias set
// by the user: typed, or as a key.
func aliasApp(t *testing.T, a sparkAlias, typed bool, v string) *sparkv1beta2.Object {
	t.Helper()
	app := &sparkv1beta2.SparkApplication{}
	app.APIVersion, app.Kind = sparkv1beta2.APIVersion, sparkv1beta2.Kind
	app.Name, app.Namespace = "aliases", "etl"
	if typed || a.key != "spark.dynamicAllocation.enabled" {
		app.Spec.DynamicAllocation = &sparkv1beta2.DynamicAllocation{Enabled: true}
	}
	if a.key == metricsConfKey { // its typed field is passed under Prometheus monitoring
		app.Spec.Monitoring = &sparkv1beta2.Monitoring{Prometheus: &sparkv1beta2.Prometheus{JmxExporterJar: "/opt/jmx.jar"}}
	}
	app.Spec.SparkConf = map[string]string{"spark.sql.shuffle.partitions": "10"}
	if typed {
		if !a.set(&app.Spec, v) {
			t.Fatalf("%s: cannot set %q", a.field, v)
		}
	} else {
		app.Spec.SparkConf[a.key] = v
	}
	obj, err := sparkv1beta2.FromApp(app)
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

// aliasSnapshot is one layer of tier setting key to v.
func aliasSnapshot(t *testing.T, tier v1alpha1.Tier, key, v string) *overlay.Snapshot {
	t.Helper()
	var l v1alpha1.Layer
	l.Name = "alias-layer"
	l.Spec.Tier = tier
	l.Spec.Config = &v1alpha1.Config{SparkConf: map[string]string{key: v}}
	snap, err := overlay.Compile(overlay.Inputs{Layers: []overlay.LayerSource{{Layer: l}}})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// TestEveryAliasIsOneSetting composes every aliased setting both ways: the
// user writes the typed field or the key, a layer writes the key; an
// override wins whichever the user wrote, a default loses to either, the
// composed app states the winner once (in the typed field when a layer
// set it), and the effective configuration is the winner.
func TestEveryAliasIsOneSetting(t *testing.T) {
	for _, a := range everyAlias() {
		vals, ok := aliasValues[a.key]
		if !ok {
			t.Errorf("alias %s has no values in aliasValues: add them", a.key)
			continue
		}
		user, layer := vals[0], vals[1]
		if a.role != overlay.SparkKeyRole(a.key) {
			t.Errorf("alias %s is read from the %s composition, but its key belongs to the %s", a.key, a.role, overlay.SparkKeyRole(a.key))
		}
		for _, typed := range []bool{true, false} {
			if !typed && (a.key == "spark.dynamicAllocation.shuffleTracking.enabled" || a.key == metricsConfKey) {
				continue // with dynamic allocation (monitoring) on, the operator always passes it: it is never the key's alone
			}
			spelling := map[bool]string{true: a.field, false: "spec.sparkConf"}[typed]
			t.Run(a.key+"/user writes "+spelling, func(t *testing.T) {
				// An override governs the setting whatever the spelling.
				res, err := ComposeApp(aliasSnapshot(t, v1alpha1.ClusterOverrides, a.key, layer), cluster, aliasApp(t, a, typed, user))
				if err != nil {
					t.Fatal(err)
				}
				s := &res.App.App.Spec
				if got := res.Conf[a.key]; got != layer {
					t.Errorf("effective %s = %q, want the override's %q", a.key, got, layer)
				}
				got, isTyped := a.get(s)
				if _, inConf := s.SparkConf[a.key]; isTyped == inConf {
					t.Errorf("the winner is not stated once: typed %v (%q), in sparkConf %v", isTyped, got, inConf)
				}
				if isTyped && got != layer {
					t.Errorf("%s = %q, want %q", a.field, got, layer)
				}
				if res.Spelling[a.key] != spelling {
					t.Errorf("the user's spelling = %q, want %q", res.Spelling[a.key], spelling)
				}
				// Explain names where the winner is stated: the typed field,
				// else the key in sparkConf.
				wantPath := overlay.Key{Root: "spec.sparkConf", Item: a.key, Map: true}.String()
				if isTyped {
					wantPath = a.field
				}
				if path, ok := res.ExplainPath(a.role, overlay.MapKey(overlay.PathSparkConf, a.key)); !ok || path != wantPath {
					t.Errorf("explain names it %q (%v), want %s", path, ok, wantPath)
				}
				if user != layer && !strings.Contains(strings.Join(res.Warnings, "\n"), "overridden by") {
					t.Errorf("no warning that the user's value was overridden: %q", res.Warnings)
				}

				// A default loses to the user's value, in either spelling,
				// and changes nothing.
				res, err = ComposeApp(aliasSnapshot(t, v1alpha1.ClusterDefaults, a.key, layer), cluster, aliasApp(t, a, typed, user))
				if err != nil {
					t.Fatal(err)
				}
				if got := res.Conf[a.key]; got != user {
					t.Errorf("with a default: effective %s = %q, want the user's %q", a.key, got, user)
				}
				for _, op := range res.Patch {
					if !strings.HasSuffix(op.Path, "/annotations") { // the strata.dev/layers annotation
						t.Errorf("with a default the user's own value was rewritten: %v", op)
					}
				}
			})
		}
		// Both spellings, different values: the typed one is what
		// spark-submit runs with (the key, for a field the operator passes
		// before sparkConf), and the other is dropped.
		if user != layer && a.key != "spark.dynamicAllocation.enabled" {
			t.Run(a.key+"/both spellings", func(t *testing.T) {
				app := aliasApp(t, a, true, user)
				app.App.Spec.SparkConf[a.key] = layer
				res, err := ComposeApp(aliasSnapshot(t, v1alpha1.ClusterDefaults, "spark.unrelated", "x"), cluster, app)
				if err != nil {
					t.Fatal(err)
				}
				_, inConf := res.App.App.Spec.SparkConf[a.key]
				_, typed := a.get(&res.App.App.Spec)
				want := user
				if a.keyWins {
					want, inConf, typed = layer, !inConf, !typed
				}
				if inConf || !typed || res.Conf[a.key] != want {
					t.Errorf("both spellings stay, or the effective value %q is not the one that runs, %q", res.Conf[a.key], want)
				}
			})
		}
	}
}

// TestPodSettingKeysAreOneSetting: labels, annotations, node selectors
// and service accounts written as Spark keys are the role's pod settings,
// on apps (both directions) and on pods.
func TestPodSettingKeysAreOneSetting(t *testing.T) {
	type tc struct {
		name, layer string          // a layer's config, YAML
		app         string          // the user's spec, YAML
		want        map[string]any  // section fields of the composed app
		conf        map[string]bool // sparkConf keys that must (true) or must not (false) remain
	}
	for _, c := range []tc{
		{"layer key beats typed label", `{sparkConf: {spark.kubernetes.executor.label.team: platform}}`,
			`{executor: {labels: {team: mine}}}`, map[string]any{"executor.labels.team": "platform"}, nil},
		{"layer label beats label key", `{labels: {team: platform}}`,
			`{sparkConf: {spark.kubernetes.executor.label.team: mine}}`, map[string]any{"executor.labels.team": "platform", "driver.labels.team": "platform"},
			map[string]bool{"spark.kubernetes.executor.label.team": false}},
		{"layer key annotation", `{sparkConf: {spark.kubernetes.driver.annotation.cost: platform}}`,
			`{driver: {annotations: {cost: mine}}}`, map[string]any{"driver.annotations.cost": "platform"}, nil},
		{"layer annotation beats annotation key", `{annotations: {cost: platform}}`,
			`{sparkConf: {spark.kubernetes.driver.annotation.cost: mine}}`, map[string]any{"driver.annotations.cost": "platform"},
			map[string]bool{"spark.kubernetes.driver.annotation.cost": false}},
		{"layer shared node selector key", `{sparkConf: {spark.kubernetes.node.selector.pool: batch}}`,
			`{executor: {nodeSelector: {pool: mine}}}`, map[string]any{"executor.nodeSelector.pool": "batch"}, nil},
		{"layer node selector beats role key", `{nodeSelector: {pool: batch}}`,
			`{sparkConf: {spark.kubernetes.executor.node.selector.pool: mine}}`, map[string]any{"executor.nodeSelector.pool": "batch"},
			map[string]bool{"spark.kubernetes.executor.node.selector.pool": false}},
		{"layer node selector beats role key over the shared key", `{nodeSelector: {pool: batch}}`,
			`{sparkConf: {spark.kubernetes.executor.node.selector.pool: mine, spark.kubernetes.node.selector.pool: batch}}`,
			map[string]any{"executor.nodeSelector.pool": "batch"},
			map[string]bool{"spark.kubernetes.executor.node.selector.pool": false}},
		{"layer hadoop key beats the user's hadoopConf", `{sparkConf: {spark.hadoop.endpoint: platform}}`,
			`{hadoopConf: {endpoint: mine}}`, map[string]any{"hadoopConf.endpoint": "platform"}, nil},
		{"layer hadoopConf beats the user's hadoop key", `{hadoopConf: {endpoint: platform}}`,
			`{sparkConf: {spark.hadoop.endpoint: mine}}`, map[string]any{"hadoopConf.endpoint": "platform"},
			map[string]bool{"spark.hadoop.endpoint": false}},
		{"a default loses to the user's hadoop key", `{hadoopConf: {endpoint: platform}}`,
			`{sparkConf: {spark.hadoop.endpoint: mine}}`, map[string]any{"hadoopConf.endpoint": nil},
			map[string]bool{"spark.hadoop.endpoint": true}},
		{"a default hadoop key loses to the user's hadoopConf", `{sparkConf: {spark.hadoop.endpoint: platform}}`,
			`{hadoopConf: {endpoint: mine}}`, map[string]any{"hadoopConf.endpoint": "mine"},
			map[string]bool{"spark.hadoop.endpoint": false}},
		{"a layer's executor service account key is the executors' only", `{sparkConf: {spark.kubernetes.authenticate.executor.serviceAccountName: spark}}`,
			`{}`, map[string]any{"executor.serviceAccount": "spark", "driver.serviceAccount": nil},
			map[string]bool{"spark.kubernetes.authenticate.executor.serviceAccountName": false}},
		{"a block's own node selector beats its shared key", `{nodeSelector: {pool: own}, sparkConf: {spark.kubernetes.node.selector.pool: shared}}`,
			`{}`, map[string]any{"executor.nodeSelector.pool": "own", "driver.nodeSelector.pool": "own"},
			map[string]bool{"spark.kubernetes.node.selector.pool": false}},
		{"layer service account key", `{sparkConf: {spark.kubernetes.authenticate.driver.serviceAccountName: spark}}`,
			`{driver: {serviceAccount: mine}}`, map[string]any{"driver.serviceAccount": "spark"}, nil},
		{"layer service account beats its key", `{serviceAccountName: spark}`,
			`{sparkConf: {spark.kubernetes.authenticate.executor.serviceAccountName: mine}}`, map[string]any{"executor.serviceAccount": "spark"},
			map[string]bool{"spark.kubernetes.authenticate.executor.serviceAccountName": false}},
		{"a default loses to the user's key", `{labels: {team: platform}}`,
			`{sparkConf: {spark.kubernetes.executor.label.team: mine}}`, map[string]any{"executor.labels.team": nil},
			map[string]bool{"spark.kubernetes.executor.label.team": true}},
		{"layer scheduler key beats the typed scheduler", `{sparkConf: {spark.kubernetes.executor.scheduler.name: volcano}}`,
			`{executor: {schedulerName: mine}}`, map[string]any{"executor.schedulerName": "volcano", "driver.schedulerName": nil}, nil},
		{"layer scheduler beats the user's role key", `{schedulerName: platform}`,
			`{sparkConf: {spark.kubernetes.driver.scheduler.name: mine}}`, map[string]any{"driver.schedulerName": "platform", "executor.schedulerName": "platform"},
			map[string]bool{"spark.kubernetes.driver.scheduler.name": false}},
		{"layer scheduler beats the user's shared key", `{schedulerName: platform}`,
			`{sparkConf: {spark.kubernetes.scheduler.name: mine}}`, map[string]any{"driver.schedulerName": "platform", "executor.schedulerName": "platform"}, nil},
		{"a default scheduler loses to the user's shared key", `{schedulerName: platform}`,
			`{sparkConf: {spark.kubernetes.scheduler.name: mine}}`, map[string]any{"driver.schedulerName": nil, "executor.schedulerName": nil},
			map[string]bool{"spark.kubernetes.scheduler.name": true}},
		{"a default scheduler loses to the user's role key over a shared one", `{schedulerName: platform}`,
			`{sparkConf: {spark.kubernetes.executor.scheduler.name: mine, spark.kubernetes.scheduler.name: ""}}`,
			map[string]any{"executor.schedulerName": nil, "driver.schedulerName": "platform"},
			map[string]bool{"spark.kubernetes.executor.scheduler.name": true}},
		{"a default scheduler loses to the user's key beside an empty typed one", `{schedulerName: platform}`,
			`{executor: {schedulerName: ""}, sparkConf: {spark.kubernetes.executor.scheduler.name: mine}}`,
			map[string]any{"executor.schedulerName": "", "driver.schedulerName": "platform"},
			map[string]bool{"spark.kubernetes.executor.scheduler.name": true}},
		{"a block's own scheduler beats its shared key", `{schedulerName: own, sparkConf: {spark.kubernetes.scheduler.name: shared}}`,
			`{}`, map[string]any{"executor.schedulerName": "own", "driver.schedulerName": "own"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			tier := v1alpha1.ClusterOverrides
			if strings.HasPrefix(c.name, "a default") {
				tier = v1alpha1.ClusterDefaults
			}
			var cfg v1alpha1.Config
			if err := yaml.UnmarshalStrict([]byte(c.layer), &cfg); err != nil {
				t.Fatal(err)
			}
			l := v1alpha1.Layer{Spec: v1alpha1.LayerSpec{Tier: tier, Config: &cfg}}
			l.Name = "keys"
			snap, err := overlay.Compile(overlay.Inputs{Layers: []overlay.LayerSource{{Layer: l}}})
			if err != nil {
				t.Fatal(err)
			}
			var spec map[string]any
			if err := yaml.Unmarshal([]byte(c.app), &spec); err != nil {
				t.Fatal(err)
			}
			data, _ := json.Marshal(map[string]any{"apiVersion": sparkv1beta2.APIVersion, "kind": sparkv1beta2.Kind,
				"metadata": map[string]any{"name": "keys", "namespace": "etl"}, "spec": spec})
			obj, err := sparkv1beta2.Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			res, err := ComposeApp(snap, cluster, obj)
			if err != nil {
				t.Fatal(err)
			}
			vals, _ := res.App.Values()
			for path, want := range c.want {
				if got := lookup(vals["spec"], strings.Split(path, ".")); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("spec.%s = %v, want %v", path, got, want)
				}
			}
			for k, keep := range c.conf {
				if _, ok := res.App.App.Spec.SparkConf[k]; ok != keep {
					t.Errorf("sparkConf[%s] present = %v, want %v", k, ok, keep)
				}
			}
			// Composing the result again changes nothing.
			again, err := ComposeApp(snap, cluster, res.App)
			if err != nil {
				t.Fatal(err)
			}
			if len(again.Patch) != 0 {
				t.Errorf("composing again patched: %v", again.Patch)
			}
		})
	}
}

func lookup(v any, path []string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// TestPodSettingKeysOnPods: a layer's Spark key for a pod setting is that
// setting on the role's pods, not on the other role's.
func TestPodSettingKeysOnPods(t *testing.T) {
	snap := aliasSnapshot(t, v1alpha1.ClusterOverrides, "spark.kubernetes.executor.label.team", "platform")
	for role, want := range map[string]string{"executor": "platform", "driver": "analytics"} {
		res, err := Compose(snap, cluster, sparkPod(role))
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Pod.Labels["team"]; got != want {
			t.Errorf("%s pod: team = %q, want %q (labels %v)", role, got, want, maps.Clone(res.Pod.Labels))
		}
	}
}

// TestEmptyImageIsNone: the operator passes spec.image and a section's
// image to spark-submit only when they are not empty, so an empty one
// leaves the image sparkConf names: the pods Strata judges an app by run
// the image Spark would run.
func TestEmptyImageIsNone(t *testing.T) {
	empty := ""
	s := &sparkv1beta2.Spec{Image: &empty, Driver: sparkv1beta2.DriverSpec{SparkPodSpec: sparkv1beta2.SparkPodSpec{Image: &empty}},
		SparkConf: map[string]string{"spark.kubernetes.driver.container.image": "registry.example/driver:1", "spark.kubernetes.container.image": "registry.example/spark:1"}}
	conf := EffectiveConf(s)
	if got := conf["spark.kubernetes.driver.container.image"]; got != "registry.example/driver:1" {
		t.Errorf("the driver's image: %q, want sparkConf's", got)
	}
	if got := conf["spark.kubernetes.executor.container.image"]; got != "" {
		t.Errorf("the executors' image key: %q, want none (Spark falls back to the shared key)", got)
	}
	if got := conf["spark.kubernetes.container.image"]; got != "registry.example/spark:1" {
		t.Errorf("the shared image: %q, want sparkConf's", got)
	}
	for role, want := range map[v1alpha1.Role]string{v1alpha1.RoleDriver: "registry.example/driver:1", v1alpha1.RoleExecutor: "registry.example/spark:1"} {
		if got := roleImage(s, role); got != want {
			t.Errorf("the %s's pods run %q, want %q", role, got, want)
		}
	}
}

// TestAliasTakesOnlyWhatItsFieldHolds: a count or a timeout written as
// a Spark key sets the typed field only when the field can hold it (a
// whole number, zero or more; a timeout in milliseconds, bare or with
// ms); anything else is left where it was written.
func TestAliasTakesOnlyWhatItsFieldHolds(t *testing.T) {
	for _, a := range sparkAliases() {
		var valid, invalid []string
		switch a.key {
		case "spark.executor.instances", "spark.dynamicAllocation.initialExecutors",
			"spark.dynamicAllocation.minExecutors", "spark.dynamicAllocation.maxExecutors":
			valid, invalid = []string{"0", "7", " 7 "}, []string{"", "abc", "-1", "1.5", "99999999999"}
		case "spark.dynamicAllocation.shuffleTracking.timeout":
			valid, invalid = []string{"0", "60000", "60000ms"}, []string{"", "abc", "-1", "60s"}
		default:
			continue
		}
		for _, v := range valid {
			s := &sparkv1beta2.Spec{DynamicAllocation: &sparkv1beta2.DynamicAllocation{Enabled: true}}
			if !a.set(s, v) {
				t.Errorf("%s: %q not taken", a.key, v)
			} else if got, ok := a.get(s); !ok || got != strings.TrimSuffix(strings.TrimSpace(v), "ms") {
				t.Errorf("%s: %q reads back %q (%v)", a.key, v, got, ok)
			}
		}
		for _, v := range invalid {
			s := &sparkv1beta2.Spec{DynamicAllocation: &sparkv1beta2.DynamicAllocation{Enabled: true}}
			if a.set(s, v) {
				got, _ := a.get(s)
				t.Errorf("%s: %q taken, as %q", a.key, v, got)
			}
		}
	}
}

// TestEnvKeysAreTheEnv: spark.executorEnv.K and spark.kubernetes.driverEnv.K
// are the variable K of the role's Spark container, in either spelling:
// a layer's key overrides the section's variable (which the operator
// appends after Spark's, so it would win), a layer's default loses to the
// user's key, and a layer's key reaches the role's pods.
func TestEnvKeysAreTheEnv(t *testing.T) {
	compose := func(tier v1alpha1.Tier, key, layerValue string, env []corev1.EnvVar, conf map[string]string) (*AppResult, *corev1.Pod) {
		t.Helper()
		app := &sparkv1beta2.SparkApplication{}
		app.APIVersion, app.Kind = sparkv1beta2.APIVersion, sparkv1beta2.Kind
		app.Name, app.Namespace = "env", "etl"
		app.Spec.Executor.Env, app.Spec.SparkConf = env, conf
		return launchedExecutor(t, aliasSnapshot(t, tier, key, layerValue), app)
	}
	last := func(pod *corev1.Pod, name string) string {
		v := "(unset)"
		for _, e := range pod.Spec.Containers[0].Env {
			if e.Name == name {
				v = e.Value
			}
		}
		return v
	}
	// An override in the key's spelling wins over the section's variable.
	res, pod := compose(v1alpha1.ClusterOverrides, "spark.executorEnv.FOO", "platform", []corev1.EnvVar{{Name: "FOO", Value: "mine"}}, nil)
	if got := last(pod, "FOO"); got != "platform" {
		t.Errorf("override: the executor runs with FOO=%s, want the layer's", got)
	}
	if _, still := res.App.App.Spec.SparkConf["spark.executorEnv.FOO"]; still {
		t.Error("override: the winner is stated twice")
	}
	// A default loses to the user's key.
	res, pod = compose(v1alpha1.ClusterDefaults, "spark.executorEnv.FOO", "platform", nil, map[string]string{"spark.executorEnv.FOO": "mine"})
	if got := last(pod, "FOO"); got != "mine" {
		t.Errorf("default: the executor runs with FOO=%s, want the user's", got)
	}
	for _, op := range res.Patch {
		if !strings.HasSuffix(op.Path, "/annotations") { // the strata.dev/layers annotation
			t.Errorf("default: the user's own value was rewritten: %v", op)
		}
	}
	// A layer's key reaches a pod the operator did not launch from an app.
	exec := fixtures.Pod(t, "executor.yaml")
	got, err := Compose(aliasSnapshot(t, v1alpha1.ClusterOverrides, "spark.executorEnv.FOO", "platform"), cluster, exec)
	if err != nil {
		t.Fatal(err)
	}
	if v := last(got.Pod, "FOO"); v != "platform" {
		t.Errorf("pod: FOO=%s, want the layer's", v)
	}
	// A key of the other role's is not this role's variable.
	got, err = Compose(aliasSnapshot(t, v1alpha1.ClusterOverrides, "spark.kubernetes.driverEnv.FOO", "platform"), cluster, exec)
	if err != nil {
		t.Fatal(err)
	}
	if v := last(got.Pod, "FOO"); v != "(unset)" {
		t.Errorf("the driver's key gave the executor FOO=%s", v)
	}
}

// TestExplainPathOfTheSchedulerKeys: explain names where the user wrote
// the scheduler a layer overrode: the typed field when it names one, else
// the role's key, else the shared key.
func TestExplainPathOfTheSchedulerKeys(t *testing.T) {
	snap := fixtures.SnapshotOf(t, map[string]string{"s": `{tier: ClusterOverrides, config: {schedulerName: platform}}`})
	for _, tc := range []struct {
		name string
		edit func(*sparkv1beta2.Spec)
		want string
	}{
		{"typed", func(s *sparkv1beta2.Spec) { s.Executor.SchedulerName = new("mine") }, "spec.executor.schedulerName"},
		{"the role's key beside an empty typed field", func(s *sparkv1beta2.Spec) {
			s.Executor.SchedulerName = new("")
			s.SparkConf = map[string]string{"spark.kubernetes.executor.scheduler.name": "mine", "spark.kubernetes.scheduler.name": "shared"}
		}, `spec.sparkConf["spark.kubernetes.executor.scheduler.name"]`},
		{"the shared key", func(s *sparkv1beta2.Spec) {
			s.SparkConf = map[string]string{"spark.kubernetes.scheduler.name": "shared"}
		}, `spec.sparkConf["spark.kubernetes.scheduler.name"]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := fixtures.App(t, "etl-report.yaml").App.DeepCopy()
			a.Spec.Executor.SchedulerName, a.Spec.SparkConf = nil, nil
			tc.edit(&a.Spec)
			res := composeTypedApp(t, snap, prodA, a)
			want := "executor: " + tc.want + ` "`
			if !slices.ContainsFunc(res.Warnings, func(w string) bool {
				return strings.HasPrefix(w, want) && strings.Contains(w, `overridden by ClusterOverrides layer "s"`)
			}) {
				t.Errorf("warnings %q, want one starting %q", res.Warnings, want)
			}
		})
	}
}

// TestSecretKeyRefsAreTheEnv: spark.kubernetes.<role>.secretKeyRef.K and
// the section's envSecretKeyRefs.K are the variable K of the role's Spark
// container, taken from a Secret: a layer's override in the key's
// spelling wins over the user's, in either spelling, on the launched pods
// (which compose to nothing), and the variable is stated once; a
// default loses to it; a layer's key reaches a pod too.
func TestSecretKeyRefsAreTheEnv(t *testing.T) {
	const key = "spark.kubernetes.executor.secretKeyRef.DB_PASSWORD"
	from := func(pod *corev1.Pod) []string {
		var out []string
		for _, e := range pod.Spec.Containers[0].Env {
			if e.Name == "DB_PASSWORD" {
				if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
					out = append(out, "value "+e.Value)
				} else {
					out = append(out, e.ValueFrom.SecretKeyRef.Name+":"+e.ValueFrom.SecretKeyRef.Key)
				}
			}
		}
		return out
	}
	for _, typed := range []bool{true, false} {
		for _, tier := range []v1alpha1.Tier{v1alpha1.ClusterOverrides, v1alpha1.ClusterDefaults} {
			t.Run(fmt.Sprintf("typed=%v/%s", typed, tier), func(t *testing.T) {
				app := &sparkv1beta2.SparkApplication{}
				app.APIVersion, app.Kind = sparkv1beta2.APIVersion, sparkv1beta2.Kind
				app.Name, app.Namespace = "refs", "etl"
				if typed {
					app.Spec.Executor.EnvSecretKeyRefs = map[string]sparkv1beta2.NameKey{"DB_PASSWORD": {Name: "mine", Key: "pw"}}
				} else {
					app.Spec.SparkConf = map[string]string{key: "mine:pw"}
				}
				_, pod := launchedExecutor(t, aliasSnapshot(t, tier, key, "platform-db:password"), app)
				want := []string{"platform-db:password"}
				if tier == v1alpha1.ClusterDefaults {
					want = []string{"mine:pw"}
				}
				if got := from(pod); !slices.Equal(got, want) {
					t.Errorf("the executor's DB_PASSWORD %q, want %q, once", got, want)
				}
			})
		}
	}
	got, err := Compose(aliasSnapshot(t, v1alpha1.ClusterOverrides, key, "platform-db:password"), cluster, fixtures.Pod(t, "executor.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if v := from(got.Pod); !slices.Equal(v, []string{"platform-db:password"}) {
		t.Errorf("pod: DB_PASSWORD %q, want the layer's Secret", v)
	}
}

// launchedExecutor composes app with snap and admits the executor pod the
// composed app launches, which must compose to nothing: the composition,
// and the pod as admitted.
func launchedExecutor(t *testing.T, snap *overlay.Snapshot, app *sparkv1beta2.SparkApplication) (*AppResult, *corev1.Pod) {
	t.Helper()
	res := composeTypedApp(t, snap, cluster, app)
	pod, err := LaunchedPod(&res.App.App, v1alpha1.RoleExecutor)
	if err != nil {
		t.Fatal(err)
	}
	admitted, err := Compose(snap, cluster, pod)
	if err != nil {
		t.Fatal(err)
	}
	if len(admitted.Patch) != 0 {
		t.Errorf("the launched pod composed again: %v", admitted.Patch)
	}
	return res, admitted.Pod
}
