package mutate

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	nodev1 "k8s.io/api/node/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/fixtures"
)

// sampleLayers has, for every field of the field table (overlay.Fields),
// a layer config that sets it. A field added to the table without a row
// here fails the test.
var sampleLayers = map[string]string{
	"labels":             `{labels: {team: etl}}`,
	"annotations":        `{annotations: {owner: etl}}`,
	"nodeSelector":       `{nodeSelector: {pool: batch}}`,
	"priorityClassName":  `{priorityClassName: spark-high}`,
	"schedulerName":      `{schedulerName: volcano}`,
	"serviceAccountName": `{serviceAccountName: spark}`,
	"tolerations":        `{tolerations: [{key: gpu, operator: Exists, effect: NoSchedule}]}`,
	"runtimeClassName":   `{runtimeClassName: gvisor}`,
	"sparkConf":          `{sparkConf: {spark.executor.memory: 4g}}`,
	"hadoopConf":         `{hadoopConf: {fs.s3a.endpoint: s3.eu-west-1.amazonaws.com}}`,
	"sidecars":           `{sidecars: [{name: log-shipper, image: fluent-bit:3}]}`,
	"sidecarMode":        `{sidecarMode: container, sidecars: [{name: log-shipper, image: fluent-bit:3}]}`,
	"initContainers":     `{initContainers: [{name: warmup, image: busybox}]}`,
	"env":                `{env: [{name: SPARK_LOG_DIR, value: /logs}]}`,
	"envFrom":            `{envFrom: [{configMapRef: {name: spark-env}}]}`,
	"volumes":            `{volumes: [{name: logs, emptyDir: {}}]}`,
	"volumeMounts":       `{volumeMounts: [{name: local, mountPath: /logs}]}`,
	"secrets":            `{secrets: [{secretName: token, mountPath: /secrets/token}]}`,
	"iam":                `{iam: {role: "arn:aws:iam::111111111111:role/etl"}}`,
	"imageMirrors":       `{imageMirrors: [{from: docker.io, to: mirror.internal}]}`,
	"podPatch":           `{podPatch: {spec: {dnsPolicy: Default}}}`,
	"limits":             `{limits: {maxPodCPU: "4"}}`,
	"isolation":          `{isolation: {allowedRegistries: [mirror.internal]}}`,
	"enforcement":        `{enforcement: {quota: warn}}`,
}

// TestPodTableIsComplete: every field of the field table has a row in the
// pod's table, a field rendered with another names an earlier field that
// has a renderer, a field users write on pods is read back, and one that
// does not land on pods is neither rendered nor read.
func TestPodTableIsComplete(t *testing.T) {
	table := podFields()
	rendered := map[string]bool{}
	for _, f := range overlay.Fields() {
		row, ok := table[f.Name]
		switch {
		case !ok:
			t.Errorf("field %s has no row in podFields: say how it lands on a pod", f.Name)
			continue
		case row.renderedWith != "" && !rendered[row.renderedWith]:
			t.Errorf("field %s is rendered with %s, which has no renderer before it", f.Name, row.renderedWith)
		case row.offPod() && (row.render != nil || row.user != nil || row.renderedWith != ""):
			t.Errorf("field %s does not land on pods but is rendered or read", f.Name)
		case !row.offPod() && row.render == nil && row.renderedWith == "":
			t.Errorf("field %s lands on pods but nothing renders it", f.Name)
		case row.lands == onPod && row.user == nil:
			t.Errorf("field %s is written by users on pods but not read back", f.Name)
		}
		if row.render != nil {
			rendered[f.Name] = true
		}
	}
	if len(table) != len(overlay.Fields()) {
		t.Errorf("podFields has %d rows for %d fields: a row names no field", len(table), len(overlay.Fields()))
	}
}

// TestEveryConfigFieldIsHandled composes, for every Config field, a layer
// that sets only that field, and checks it is merged into the composition,
// has provenance, changes the pod (when it is rendered) and is read back
// as the user's value from a pod that carries it (when users can set it).
func TestEveryConfigFieldIsHandled(t *testing.T) {
	table := podFields()
	for _, field := range overlay.Fields() {
		name := field.Name
		layer, ok := sampleLayers[name]
		if !ok {
			t.Errorf("field %s is not in sampleLayers: add a layer that sets it", name)
			continue
		}
		row := table[name]
		t.Run(name, func(t *testing.T) {
			compose := func(config string) *Result {
				t.Helper()
				var l v1alpha1.Layer
				if err := yaml.UnmarshalStrict([]byte(`{tier: ClusterOverrides, config: `+config+`}`), &l.Spec); err != nil {
					t.Fatal(err)
				}
				l.Name = "only-" + strings.ToLower(name)
				snap, err := overlay.Compile(overlay.Inputs{Layers: []overlay.LayerSource{{Layer: l}},
					PriorityClasses: []schedulingv1.PriorityClass{{ObjectMeta: metav1.ObjectMeta{Name: "spark-high"}, Value: 100}},
					RuntimeClasses:  []nodev1.RuntimeClass{sampleRuntimeClass()}})
				if err != nil {
					t.Fatal(err)
				}
				res, err := Compose(snap, cluster, executorPod())
				if err != nil {
					t.Fatal(err)
				}
				admitted, err := Admit(snap, cluster, executorPod())
				if err != nil || !reflect.DeepEqual(admitted.Patch, res.Patch) || !reflect.DeepEqual(admitted.Warnings, res.Warnings) {
					t.Errorf("the webhook's composition (Admit) differs from Compose's: %v", err)
				}
				return res
			}
			res, empty := compose(layer), compose(`{}`)
			merged := !configField(res.Composition.Config, name).IsZero()
			if name == "podPatch" { // patches apply in order, each its own entry
				merged = len(res.Composition.PodPatches) == 1
			}
			if !merged {
				t.Errorf("not merged: the composition's %s is empty", name)
			}
			if fields := res.Composition.Provenance.Fields(); len(fields) == 0 {
				t.Error("no provenance recorded")
			}
			changed := !reflect.DeepEqual(res.Pod, empty.Pod)
			switch {
			case row.offPod() && changed:
				t.Errorf("a field that is not rendered changed the pod: %v", res.Patch)
			case !row.offPod() && !changed:
				t.Error("not rendered: the pod is unchanged")
			}
			if row.lands != onPod {
				return
			}
			user := UserConfig(res.Pod, nil)
			if f := configField(user, name); f.IsZero() {
				t.Errorf("not read back: a pod carrying %s gives the user no value for it", name)
			}
		})
	}
}

// configField is the field of c with JSON name name.
func configField(c v1alpha1.Config, name string) reflect.Value {
	v := reflect.ValueOf(c)
	for i := range v.NumField() {
		if tag, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ","); tag == name {
			return v.Field(i)
		}
	}
	return reflect.Value{}
}

// TestEveryRegionLandsOnApps: every pod region a renderer touches is
// written back onto SparkApplications (projectedRegions), but the
// priority a class resolves to and a RuntimeClass's overhead, which the
// API server resolves for the operator's pods.
func TestEveryRegionLandsOnApps(t *testing.T) {
	for name, row := range podFields() {
		for _, r := range row.touches {
			if r != regionPriority && r != regionPreemption && r != regionOverhead && !slices.Contains(projectedRegions, r) {
				t.Errorf("field %s renders %s, which no SparkApplication carries: project it in projectPod", name, r)
			}
		}
	}
}

// TestEveryConfigFieldLandsOnApps composes, for every Config field, a
// layer that sets only that field onto the example SparkApplication: a
// field that lands on pods or on the job changes the app, a policy
// parameter or a pod patch (pods only) does not.
func TestEveryConfigFieldLandsOnApps(t *testing.T) {
	table := podFields()
	for _, field := range overlay.Fields() {
		name := field.Name
		layer, ok := sampleLayers[name]
		if !ok {
			continue // TestEveryConfigFieldIsHandled reports it
		}
		t.Run(name, func(t *testing.T) {
			snap := fixtures.SnapshotOf(t, map[string]string{"only-" + strings.ToLower(name): `{tier: ClusterOverrides, config: ` + layer + `}`},
				schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "spark-high"}, Value: 100})
			// The same layer name, so strata.dev/layers is the same.
			empty := fixtures.SnapshotOf(t, map[string]string{"only-" + strings.ToLower(name): `{tier: ClusterOverrides, config: {}}`})
			app := fixtures.App(t, "etl-report.yaml")
			res, err := ComposeApp(snap, cluster, app)
			if err != nil {
				t.Fatal(err)
			}
			base, err := ComposeApp(empty, cluster, app)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := res.App.Marshal()
			want, _ := base.App.Marshal()
			changed := string(got) != string(want)
			row := table[name]
			switch {
			case (row.lands == notOnPod || name == "podPatch") && changed:
				t.Errorf("%s changed the app, but does not land on it: %s", name, got)
			case row.lands != notOnPod && name != "podPatch" && !changed:
				t.Errorf("%s did not reach the app", name)
			}
		})
	}
}

// TestUserWritable holds UserWritable to the table: a field is the user's
// to write on a pod exactly when its row reads it back. The policies'
// settings are the layers' alone (policy caches them per target).
func TestUserWritable(t *testing.T) {
	table := podFields()
	for _, f := range overlay.Fields() {
		if got, want := UserWritable(f.Name), table[f.Name].user != nil; got != want {
			t.Errorf("UserWritable(%q) = %v, want %v", f.Name, got, want)
		}
	}
	for _, name := range []string{"limits", "isolation", "enforcement"} {
		if UserWritable(name) {
			t.Errorf("a pod carries the user's %s", name)
		}
	}
	if !UserWritable("labels") || UserWritable("no-such-field") {
		t.Error("labels are the user's to write, and a field that does not exist is nobody's")
	}
}
