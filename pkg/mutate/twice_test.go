package mutate

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/test/fixtures"
)

// composeTwice composes pod, then the composed pod again, which must give
// no patch: what TestRandomLayersAndPods found wanting in each case below.
func composeTwice(t *testing.T, snap *overlay.Snapshot, pod *corev1.Pod) *Result {
	t.Helper()
	first, err := Compose(snap, prodA, pod)
	if err != nil {
		t.Fatal(err)
	}
	second, err := Compose(snap, prodA, first.Pod)
	if err != nil {
		t.Fatal(err)
	}
	if len(second.Patch) != 0 {
		p, _ := EncodePatch(second.Patch)
		t.Errorf("the composed pod composed again patched: %s", p)
	}
	return first
}

func envOf(pod *corev1.Pod, name string) []string {
	var out []string
	for _, e := range pod.Spec.Containers[0].Env {
		if e.Name == name {
			out = append(out, e.Value)
		}
	}
	return out
}

// TestTwoSecretsAtOnePath: two layers that each mount a Secret at one path
// give it the higher layer's, and a pod composed again keeps it (it got
// the lower layer's the first time, the higher's the second).
func TestTwoSecretsAtOnePath(t *testing.T) {
	snap := fixtures.SnapshotOf(t, map[string]string{
		"cluster": `{tier: ClusterOverrides, config: {secrets: [{secretName: tier, mountPath: /etc/x}]}}`,
		"tenant":  `{tier: NamespaceOverrides, config: {secrets: [{secretName: team, mountPath: /etc/x}]}}`,
	})
	res := composeTwice(t, snap, fixtures.Pod(t, "executor.yaml"))
	var at []string
	for _, m := range res.Pod.Spec.Containers[0].VolumeMounts {
		if m.MountPath == "/etc/x" {
			at = append(at, m.Name)
		}
	}
	if !slices.Equal(at, []string{"strata-secret-team"}) {
		t.Errorf("mounted at /etc/x: %v, want the NamespaceOverrides layer's strata-secret-team alone", at)
	}
}

// TestEnvWrittenTwice: an env var a pod gives twice has the last value (the
// one in effect). A pod whose last is already the composed value is left
// as written (the operator appends a section's env after Spark's own);
// one whose last is not gets the composed value once, so no copy of the
// name is left for a tenant to override a layer with.
func TestEnvWrittenTwice(t *testing.T) {
	for _, tc := range []struct {
		name, layer string
		values      []string // SPARK_USER, in order
		want        []string
		warning     string
	}{
		{"override already in effect", "ClusterOverrides", []string{"etl-bot", "platform"}, []string{"etl-bot", "platform"}, ""},
		{"override of the last", "ClusterOverrides", []string{"platform", "evil"}, []string{"platform"}, `spark.env[SPARK_USER] "evil" overridden`},
		{"default under the user's last", "ClusterDefaults", []string{"etl-bot", "mine"}, []string{"etl-bot", "mine"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap := fixtures.SnapshotOf(t, map[string]string{"l": `{tier: ` + tc.layer + `, config: {env: [{name: SPARK_USER, value: platform}]}}`})
			pod := fixtures.Pod(t, "executor.yaml")
			env := &pod.Spec.Containers[0].Env
			*env = slices.DeleteFunc(*env, func(e corev1.EnvVar) bool { return e.Name == "SPARK_USER" })
			*env = append([]corev1.EnvVar{{Name: "SPARK_USER", Value: tc.values[0]}}, *env...)
			*env = append(*env, corev1.EnvVar{Name: "SPARK_USER", Value: tc.values[1]})
			res := composeTwice(t, snap, pod)
			if got := envOf(res.Pod, "SPARK_USER"); !slices.Equal(got, tc.want) {
				t.Errorf("SPARK_USER %q, want %q", got, tc.want)
			}
			warned := strings.Join(res.Warnings, "\n")
			if (tc.warning == "") != (warned == "") || !strings.Contains(warned, tc.warning) {
				t.Errorf("warnings %q, want %q", res.Warnings, tc.warning)
			}
		})
	}
}

// TestPodPatchWritesBackNoOverride: a value a layer's pod patch writes
// over a layer's typed value is not the user's when the pod comes back (a
// reinvocation): no warning claims a layer overrode it.
func TestPodPatchWritesBackNoOverride(t *testing.T) {
	snap := fixtures.SnapshotOf(t, map[string]string{"l": `{tier: NamespaceOverrides, config: {
  annotations: {owner: typed}, nodeSelector: {pool: typed}, schedulerName: typed,
  podPatch: {metadata: {annotations: {owner: patched}}, spec: {nodeSelector: {pool: patched}, schedulerName: patched}}}}`})
	first := composeTwice(t, snap, fixtures.Pod(t, "executor.yaml"))
	if first.Pod.Annotations["owner"] != "patched" || first.Pod.Spec.NodeSelector["pool"] != "patched" || first.Pod.Spec.SchedulerName != "patched" {
		t.Fatalf("the pod patch did not apply last: %v %v %q", first.Pod.Annotations, first.Pod.Spec.NodeSelector, first.Pod.Spec.SchedulerName)
	}
	again, err := Compose(snap, prodA, first.Pod)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Warnings) != 0 {
		t.Errorf("a pod composed again warned of the pod patch's own values: %q", again.Warnings)
	}
	// A value of the user's that stays overridden is still reported.
	pod := fixtures.Pod(t, "executor.yaml")
	pod.Spec.NodeSelector = map[string]string{"pool": "mine"}
	res, err := Compose(snap, prodA, pod)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(res.Warnings, `spec.nodeSelector.pool "mine" overridden by NamespaceOverrides layer "l"`) {
		t.Errorf("warnings %q, want the user's pool overridden", res.Warnings)
	}
}

// TestLaunchedPodEnvOrder: a launched pod's Spark container has Spark's
// own env first and the section's after it, as the operator appends it,
// so the section's value of a name both give is the one in effect; an app
// whose layers set such a name launches pods that compose to nothing.
func TestLaunchedPodEnvOrder(t *testing.T) {
	snap := fixtures.SnapshotOf(t, map[string]string{"l": `{tier: ClusterOverrides, config: {env: [{name: SPARK_USER, value: platform}]}}`})
	res, err := ComposeApp(snap, prodA, fixtures.App(t, "etl-report.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range Roles() {
		pod, got := composeLaunched(t, snap, prodA, res, role)
		if env := envOf(pod, "SPARK_USER"); !slices.Equal(env, []string{"spark", "platform"}) {
			t.Errorf("%s: SPARK_USER %q, want Spark's then the section's", role, env)
		}
		if len(got.Patch) != 0 {
			p, _ := EncodePatch(got.Patch)
			t.Errorf("%s: the launched pod patched: %s", role, p)
		}
	}
}

// TestVolumeBothRolesSet: a volume the driver's and the executors' layers
// set differently is refused whatever the user wrote of it (the user's
// value equal to one role's no longer hides the conflict until the app is
// composed again); one only a role's layers set is the application's.
func TestVolumeBothRolesSet(t *testing.T) {
	snap := fixtures.SnapshotOf(t, map[string]string{"l": `{tier: ClusterOverrides, config: {volumes: [{name: cfg, emptyDir: {}}]},
  executor: {volumes: [{name: cfg, configMap: {name: a}}], volumeMounts: [{name: cfg, mountPath: /etc/cfg}]}}`})
	for _, user := range []*corev1.Volume{nil,
		{Name: "cfg", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "a"}}}}} {
		app := fixtures.App(t, "etl-report.yaml").App
		if user != nil {
			app.Spec.Volumes = []corev1.Volume{*user}
		}
		obj, err := sparkv1beta2.FromApp(&app)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ComposeApp(snap, prodA, obj); err == nil || !strings.Contains(err.Error(), "spec.volumes[cfg]: the driver's and the executors' layers define it differently") ||
			!IsInvalidComposition(err) {
			t.Errorf("user's volume %v: %v, want the conflict, an InvalidCompositionError", user, err)
		}
	}
	snap = fixtures.SnapshotOf(t, map[string]string{"l": `{tier: ClusterOverrides, executor: {volumes: [{name: cfg, configMap: {name: a}}]}}`})
	app := fixtures.App(t, "etl-report.yaml").App
	app.Spec.Volumes = []corev1.Volume{{Name: "cfg", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
	res := composeTypedApp(t, snap, prodA, &app)
	if v := res.App.App.Spec.Volumes; len(v) != 1 || v[0].ConfigMap == nil {
		t.Errorf("volumes %+v, want the executors' layer's cfg", v)
	}
}

// TestRenderedValuesAreExplained: a value a layer's Secret, IRSA or pod
// patch puts where the user's was (or a user's value a pod patch removes:
// a strategic merge patch replaces tolerations whole) is explained as
// theirs, and the user's value so replaced is warned of, as any value a
// layer overrides.
func TestRenderedValuesAreExplained(t *testing.T) {
	for _, tc := range []struct {
		name, layer string
		user        func(*corev1.Pod)
		key         overlay.Key
		value, by   string
		warning     string
	}{
		{"a Secret's mount", `{tier: ClusterOverrides, config: {secrets: [{secretName: team, mountPath: /data}]}}`,
			func(p *corev1.Pod) {
				p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
				p.Spec.Containers[0].VolumeMounts = append(p.Spec.Containers[0].VolumeMounts, corev1.VolumeMount{Name: "data", MountPath: "/data"})
			},
			overlay.ElementKey(overlay.PathVolumeMounts, "/data"), `{"name":"strata-secret-team","readOnly":true,"mountPath":"/data"}`,
			"strata (from secrets[team@/data])",
			`spark.volumeMounts[/data] {"name":"data","mountPath":"/data"} overridden by strata (from secrets[team@/data])`},
		{"IRSA's role", `{tier: ClusterOverrides, config: {iam: {role: "arn:aws:iam::111111111111:role/etl", mode: irsa}}}`,
			func(p *corev1.Pod) {
				p.Spec.Containers[0].Env = append(p.Spec.Containers[0].Env, corev1.EnvVar{Name: "AWS_ROLE_ARN", Value: "arn:aws:iam::999999999999:role/mine"})
			},
			overlay.ElementKey(overlay.PathEnv, "AWS_ROLE_ARN"), `"arn:aws:iam::111111111111:role/etl"`, "strata (from iam.role)",
			`spark.env[AWS_ROLE_ARN] "arn:aws:iam::999999999999:role/mine" overridden by strata (from iam.role)`},
		{"a pod patch's list", `{tier: NamespaceOverrides, config: {podPatch: {spec: {tolerations: [{key: dedicated, operator: Exists}]}}}}`,
			func(p *corev1.Pod) {
				p.Spec.Tolerations = []corev1.Toleration{{Key: "gpu", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}}
			},
			overlay.ElementKey(overlay.PathTolerations, "gpu/NoSchedule"), removedByPatch, `NamespaceOverrides layer "l"`,
			`spec.tolerations[gpu/NoSchedule] gpu:NoSchedule op=Exists overridden by NamespaceOverrides layer "l"`},
		{"a pod patch", `{tier: NamespaceOverrides, config: {podPatch: {metadata: {labels: {team: patched}}}}}`,
			func(p *corev1.Pod) { p.Labels["team"] = "mine" },
			overlay.MapKey(overlay.PathLabels, "team"), `"patched"`, `NamespaceOverrides layer "l"`,
			`metadata.labels.team "mine" overridden by NamespaceOverrides layer "l"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap := fixtures.SnapshotOf(t, map[string]string{"l": tc.layer})
			pod := fixtures.Pod(t, "executor.yaml")
			tc.user(pod)
			res, err := Compose(snap, prodA, pod)
			if err != nil {
				t.Fatal(err)
			}
			f, ok := res.Composition.Provenance.Lookup(tc.key)
			if !ok || f.Value != tc.value || f.Winner.String() != tc.by {
				t.Errorf("explained %s = %s by %s, want %s by %s", tc.key, f.Value, f.Winner, tc.value, tc.by)
			}
			if !slices.Contains(res.Warnings, tc.warning) {
				t.Errorf("warnings %q, want %s", res.Warnings, tc.warning)
			}
			admitted, err := Admit(snap, prodA, pod)
			if err != nil || !slices.Equal(admitted.Warnings, res.Warnings) {
				t.Errorf("Admit warned %q (%v), Compose %q", admitted.Warnings, err, res.Warnings)
			}
		})
	}
}

// TestPodValuesCoverEveryExplainedField: what a pod patch sets is found
// by podValuesOf, which must know every field whose value a pod row finds
// on a pod (podField.current): a field added to the table without it
// would have a pod patch's value taken for the tenant's.
func TestPodValuesCoverEveryExplainedField(t *testing.T) {
	pod := fixtures.Pod(t, "executor.yaml")
	pod.Annotations = map[string]string{"a": "b"}
	pod.Spec.NodeSelector = map[string]string{"pool": "batch"}
	pod.Spec.PriorityClassName, pod.Spec.SchedulerName, pod.Spec.ServiceAccountName = "pc", "sched", "sa"
	pod.Spec.RuntimeClassName = new("sandboxed")
	pod.Spec.Tolerations = []corev1.Toleration{{Key: "k", Operator: corev1.TolerationOpExists}}
	pod.Spec.Containers[0].EnvFrom = []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "c"}}}}
	pod.Spec.InitContainers = []corev1.Container{{Name: "i"}}
	found := map[string]bool{}
	for k := range podValuesOf(pod, "executor") {
		found[k.Root] = true
	}
	for _, row := range podTable() {
		if row.current == nil {
			continue
		}
		if row.field.Path == overlay.PathSidecars || row.field.Path == overlay.PathInitContainers {
			continue // containers are rendered with what the platform adds, each part explained apart
		}
		if !found[row.field.Path] {
			t.Errorf("%s: a pod row finds its values on a pod, podValuesOf does not", row.field.Path)
		}
	}
}

// TestPatchedEmptyIsTheMerge: a pod patch decoded as it is, when it
// deletes nothing and holds no directive, is what strategic merge gives on
// an empty pod; one that does is merged.
func TestPatchedEmptyIsTheMerge(t *testing.T) {
	for _, patch := range []string{
		`{"metadata":{"labels":{"a":"b"},"annotations":{"c":"d"}},"spec":{"nodeSelector":{"pool":"x"},"priorityClassName":"p"}}`,
		`{"spec":{"tolerations":[{"key":"k","operator":"Exists"},{"key":"k","operator":"Exists","effect":"NoSchedule"}]}}`,
		`{"spec":{"containers":[{"name":"spark-kubernetes-executor","env":[{"name":"A","value":"1"}],"volumeMounts":[{"name":"v","mountPath":"/v"}]}],"volumes":[{"name":"v","emptyDir":{}}]}}`,
		`{"spec":{"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"pool","operator":"In","values":["a"]}]}]}}}}}`,
		`{"metadata":{"labels":{"team":null,"x":"y"}}}`,
		`{"metadata":{"labels":{"$patch":"replace","a":"b"}}}`,
	} {
		p := overlay.PodPatch{Patch: []byte(patch)}
		got, ok := patchedEmpty(p)
		want := &corev1.Pod{}
		if err := applyPodPatches(want, []overlay.PodPatch{p}); !ok || err != nil {
			t.Fatalf("%s: %v %v", patch, ok, err)
		}
		if g, w := overlay.RenderJSON(got), overlay.RenderJSON(want); g != w {
			t.Errorf("%s:\ndecoded %s\nmerged  %s", patch, g, w)
		}
	}
}
