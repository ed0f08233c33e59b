package mutate

import (
	"reflect"
	"strings"
	"testing"

	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// What a Config field does, for TestEveryConfigFieldIsHandled.
type fieldKind int

const (
	// onPod: rendered onto the pod, and read back from a pod a user wrote.
	onPod fieldKind = iota
	// onPodByLayer: rendered onto the pod; a user cannot write it on a pod
	// (or writes it in another form, such as the IAM role's annotation).
	onPodByLayer
	// notOnPod: composed and explained, but not rendered on a pod (policy
	// parameters; Spark configuration carried for SparkApplications).
	notOnPod
)

// everyField has, for every field of v1alpha1.Config, a layer config that
// sets it and what it does. A field added to Config without a row here
// fails the test, so no new field can silently miss the merge, the
// provenance, the rendering or the reading back of the user's value.
var everyField = map[string]struct {
	layer string
	kind  fieldKind
}{
	"Labels":             {`{labels: {team: etl}}`, onPod},
	"Annotations":        {`{annotations: {owner: etl}}`, onPod},
	"NodeSelector":       {`{nodeSelector: {pool: batch}}`, onPod},
	"PriorityClassName":  {`{priorityClassName: spark-high}`, onPod},
	"SchedulerName":      {`{schedulerName: volcano}`, onPod},
	"ServiceAccountName": {`{serviceAccountName: spark}`, onPod},
	"Tolerations":        {`{tolerations: [{key: gpu, operator: Exists, effect: NoSchedule}]}`, onPod},
	"SparkConf":          {`{sparkConf: {spark.executor.memory: 4g}}`, notOnPod},
	"Sidecars":           {`{sidecars: [{name: log-shipper, image: fluent-bit:3}]}`, onPod},
	"SidecarMode":        {`{sidecarMode: container, sidecars: [{name: log-shipper, image: fluent-bit:3}]}`, onPodByLayer},
	"InitContainers":     {`{initContainers: [{name: warmup, image: busybox}]}`, onPod},
	"Env":                {`{env: [{name: SPARK_LOG_DIR, value: /logs}]}`, onPod},
	"EnvFrom":            {`{envFrom: [{configMapRef: {name: spark-env}}]}`, onPod},
	"Volumes":            {`{volumes: [{name: logs, emptyDir: {}}]}`, onPod},
	"VolumeMounts":       {`{volumeMounts: [{name: local, mountPath: /logs}]}`, onPod},
	"Secrets":            {`{secrets: [{secretName: token, mountPath: /secrets/token}]}`, onPodByLayer},
	"IAM":                {`{iam: {role: "arn:aws:iam::111111111111:role/etl"}}`, onPodByLayer},
	"ImageMirrors":       {`{imageMirrors: [{from: docker.io, to: mirror.internal}]}`, onPodByLayer},
	"PodPatch":           {`{podPatch: {spec: {dnsPolicy: Default}}}`, onPodByLayer},
	"Limits":             {`{limits: {maxPodCPU: "4"}}`, notOnPod},
	"Isolation":          {`{isolation: {allowedRegistries: [mirror.internal]}}`, notOnPod},
	"Enforcement":        {`{enforcement: {quota: warn}}`, notOnPod},
}

// TestEveryConfigFieldIsHandled composes, for every Config field, a layer
// that sets only that field, and checks it is merged into the composition,
// has provenance, changes the pod (when it is rendered) and is read back
// as the user's value from a pod that carries it (when users can set it).
func TestEveryConfigFieldIsHandled(t *testing.T) {
	typ := reflect.TypeFor[v1alpha1.Config]()
	for i := range typ.NumField() {
		name := typ.Field(i).Name
		row, ok := everyField[name]
		if !ok {
			t.Errorf("Config.%s is not in everyField: add a row, and make sure it is merged, rendered, explained and read back", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			compose := func(config string) *Result {
				t.Helper()
				var l v1alpha1.Layer
				if err := yaml.UnmarshalStrict([]byte(`{tier: ClusterOverrides, config: `+config+`}`), &l.Spec); err != nil {
					t.Fatal(err)
				}
				l.Name = "only-" + strings.ToLower(name)
				snap, err := overlay.Compile(overlay.Inputs{Layers: []overlay.LayerSource{{Layer: l}},
					PriorityClasses: []schedulingv1.PriorityClass{{ObjectMeta: metav1.ObjectMeta{Name: "spark-high"}, Value: 100}}})
				if err != nil {
					t.Fatal(err)
				}
				res, err := Compose(snap, cluster, executorPod())
				if err != nil {
					t.Fatal(err)
				}
				return res
			}
			res, empty := compose(row.layer), compose(`{}`)
			merged := !reflect.ValueOf(res.Composition.Config).FieldByName(name).IsZero()
			if name == "PodPatch" { // patches apply in order, each its own entry
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
			case row.kind == notOnPod && changed:
				t.Errorf("a field that is not rendered changed the pod: %v", res.Patch)
			case row.kind != notOnPod && !changed:
				t.Error("not rendered: the pod is unchanged")
			}
			if row.kind != onPod {
				return
			}
			user := UserConfig(res.Pod)
			if f := reflect.ValueOf(user).FieldByName(name); f.IsZero() {
				t.Errorf("not read back: a pod carrying %s gives the user no value for it", name)
			}
		})
	}
}
