package mutate

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	jsonpatchv5 "github.com/evanphx/json-patch/v5"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

func str(s string) *string { return &s }

func sparkPod(role string) *corev1.Pod {
	return &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "etl", Labels: map[string]string{v1alpha1.RoleLabel: role, "team": "analytics"}},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "spark-kubernetes-" + role, Image: "apache/spark:3.5.3"}},
			Tolerations: []corev1.Toleration{
				{Key: "mine", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
			},
		},
	}
}

func testSnapshot(t *testing.T) *overlay.Snapshot {
	t.Helper()
	mk := func(name string, tier v1alpha1.Tier, c, d *v1alpha1.Config) overlay.LayerSource {
		l := v1alpha1.Layer{Spec: v1alpha1.LayerSpec{Tier: tier, Config: c, Driver: d}}
		l.Name = name
		return overlay.LayerSource{Layer: l}
	}
	never := corev1.PreemptNever
	snap, err := overlay.Compile(overlay.Inputs{
		Layers: []overlay.LayerSource{
			mk("pool", v1alpha1.PoolDefaults, &v1alpha1.Config{
				Labels:             map[string]string{"pool": "batch", "team": "default-team"},
				NodeSelector:       map[string]string{"pool": "batch"},
				ServiceAccountName: str("spark"),
				SchedulerName:      str("volcano"),
				Tolerations: []corev1.Toleration{
					{Key: "pool", Operator: corev1.TolerationOpEqual, Value: "batch", Effect: corev1.TaintEffectNoSchedule},
					{Key: "mine", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule, Value: ""},
				},
			}, &v1alpha1.Config{PriorityClassName: str("spark-driver")}),
			mk("ns", v1alpha1.NamespaceOverrides, &v1alpha1.Config{
				Labels:      map[string]string{"team": "etl"},
				Annotations: map[string]string{"cost": "etl"},
			}, nil),
		},
		PriorityClasses: []schedulingv1.PriorityClass{
			{ObjectMeta: metav1.ObjectMeta{Name: "spark-driver"}, Value: 1000, PreemptionPolicy: &never},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

var cluster = Cluster{Name: "c", Pool: "p"}

func TestUserConfigTreatsAPIServerDefaultsAsUnset(t *testing.T) {
	secs := int64(defaultTolerationSeconds)
	pod := sparkPod("driver")
	pod.Annotations = map[string]string{v1alpha1.LayersAnnotation: "x"}
	pod.Spec.SchedulerName = corev1.DefaultSchedulerName
	pod.Spec.ServiceAccountName = "default"
	pod.Spec.DeprecatedServiceAccount = "default"
	pod.Spec.NodeSelector = map[string]string{}
	pod.Spec.Tolerations = append(pod.Spec.Tolerations,
		corev1.Toleration{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &secs},
		corev1.Toleration{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &secs},
	)
	c := UserConfig(pod, nil)
	if c.SchedulerName != nil || c.ServiceAccountName != nil || c.PriorityClassName != nil {
		t.Errorf("defaulted scalars not unset: %+v", c)
	}
	if c.Annotations != nil || c.NodeSelector != nil {
		t.Errorf("empty or Strata-owned maps not unset: annotations %v nodeSelector %v", c.Annotations, c.NodeSelector)
	}
	if len(c.Tolerations) != 1 || c.Tolerations[0].Key != "mine" {
		t.Errorf("tolerations = %v, want only the user's", c.Tolerations)
	}
	pod.Spec.ServiceAccountName = ""
	pod.Spec.DeprecatedServiceAccount = "legacy"
	if c := UserConfig(pod, nil); c.ServiceAccountName == nil || *c.ServiceAccountName != "legacy" {
		t.Errorf("deprecated serviceAccount not read: %v", c.ServiceAccountName)
	}
}

func TestComposeRendersEveryField(t *testing.T) {
	pod := sparkPod("driver")
	res, err := Compose(testSnapshot(t), cluster, pod)
	if err != nil {
		t.Fatal(err)
	}
	got := res.Pod
	if want := map[string]string{v1alpha1.RoleLabel: "driver", "team": "etl", "pool": "batch"}; !reflect.DeepEqual(got.Labels, want) {
		t.Errorf("labels = %v, want %v", got.Labels, want)
	}
	if want := map[string]string{"cost": "etl", v1alpha1.LayersAnnotation: "pool,ns"}; !reflect.DeepEqual(got.Annotations, want) {
		t.Errorf("annotations = %v, want %v", got.Annotations, want)
	}
	if got.Spec.ServiceAccountName != "spark" || got.Spec.SchedulerName != "volcano" || got.Spec.PriorityClassName != "spark-driver" {
		t.Errorf("scalars = %q %q %q", got.Spec.ServiceAccountName, got.Spec.SchedulerName, got.Spec.PriorityClassName)
	}
	if got.Spec.Priority == nil || *got.Spec.Priority != 1000 || got.Spec.PreemptionPolicy == nil || *got.Spec.PreemptionPolicy != corev1.PreemptNever {
		t.Errorf("priority = %v %v, want 1000 Never", got.Spec.Priority, got.Spec.PreemptionPolicy)
	}
	// The user's own toleration keeps its place and value; the default one with a new key is appended.
	if len(got.Spec.Tolerations) != 2 || got.Spec.Tolerations[0].Key != "mine" || got.Spec.Tolerations[1].Key != "pool" {
		t.Errorf("tolerations = %v", got.Spec.Tolerations)
	}
	if want := []string{`metadata.labels.team "analytics" overridden by NamespaceOverrides layer "ns"`}; !reflect.DeepEqual(res.Warnings, want) {
		t.Errorf("warnings = %q, want %q", res.Warnings, want)
	}
	if pod.Labels["team"] != "analytics" || pod.Spec.Priority != nil {
		t.Error("Compose modified its input pod")
	}
}

// TestOverriddenElementsAreWarnedOf: an element of the Spark container's
// env or volume mounts the user set and an override replaces with another
// is warned of; one the override gives exactly as the user did is not.
func TestOverriddenElementsAreWarnedOf(t *testing.T) {
	snap := snapshotOf(t, map[string]string{
		"co": `{tier: ClusterOverrides, config: {env: [{name: LOG_LEVEL, value: warn}, {name: TZ, value: UTC}],
			volumeMounts: [{name: data, mountPath: /data, readOnly: true}]}}`,
	})
	pod := sparkPod("executor")
	pod.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
	pod.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "LOG_LEVEL", Value: "debug"}, {Name: "TZ", Value: "UTC"}}
	pod.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}
	res, err := Compose(snap, cluster, pod)
	if err != nil {
		t.Fatal(err)
	}
	warned := strings.Join(res.Warnings, "\n")
	for _, want := range []string{`spark.env[LOG_LEVEL] "debug" overridden by ClusterOverrides layer "co"`,
		`spark.volumeMounts[/data] {"name":"data","mountPath":"/data"} overridden by ClusterOverrides layer "co"`} {
		if !strings.Contains(warned, want) {
			t.Errorf("warnings %q, want one holding %s", res.Warnings, want)
		}
	}
	if strings.Contains(warned, "TZ") || len(res.Warnings) != 2 {
		t.Errorf("warnings %q, want the two overrides that change a value", res.Warnings)
	}
}

// TestComposeTwiceChangesNothing is the "apply twice" test: composing a
// composed pod yields the same pod and an empty patch.
func TestComposeTwiceChangesNothing(t *testing.T) {
	snap := testSnapshot(t)
	for _, role := range []string{"driver", "executor"} {
		first, err := Compose(snap, cluster, sparkPod(role))
		if err != nil {
			t.Fatal(err)
		}
		if len(first.Patch) == 0 {
			t.Fatalf("%s: first pass produced no patch", role)
		}
		second, err := Compose(snap, cluster, first.Pod)
		if err != nil {
			t.Fatal(err)
		}
		if len(second.Patch) != 0 {
			t.Errorf("%s: second pass patch = %v, want empty", role, second.Patch)
		}
		if !reflect.DeepEqual(first.Pod, second.Pod) {
			t.Errorf("%s: second pass changed the pod", role)
		}
		if len(second.Warnings) != 0 {
			t.Errorf("%s: second pass warned: %v", role, second.Warnings)
		}
	}
}

func TestRenderersAreIdempotent(t *testing.T) {
	snap := testSnapshot(t)
	pod := sparkPod("driver")
	res := snap.Compose(overlay.Target{Namespace: "etl", Role: v1alpha1.RoleDriver}, UserConfig(pod, snap))
	renderers := map[string]func(*corev1.Pod){
		"metadata":    func(p *corev1.Pod) { renderMetadata(p, &res.Config, res.Layers) },
		"scheduling":  func(p *corev1.Pod) { renderScheduling(p, &res.Config) },
		"tolerations": func(p *corev1.Pod) { renderTolerations(p, &res.Config) },
	}
	for name, render := range renderers {
		once := pod.DeepCopy()
		render(once)
		twice := once.DeepCopy()
		render(twice)
		if !reflect.DeepEqual(once, twice) {
			t.Errorf("%s: rendering twice differs from rendering once", name)
		}
		if reflect.DeepEqual(once, pod) {
			t.Errorf("%s: rendering changed nothing; the test proves nothing", name)
		}
	}
}

func TestNonSparkPodUntouched(t *testing.T) {
	for _, role := range []string{"", "Driver", "shuffle", "Connect-Server", "connect-server "} {
		pod := sparkPod("driver")
		pod.Labels[v1alpha1.RoleLabel] = role
		if role == "" {
			delete(pod.Labels, v1alpha1.RoleLabel)
		}
		res, err := Compose(testSnapshot(t), cluster, pod)
		if err != nil {
			t.Fatal(err)
		}
		if res.Spark || len(res.Patch) != 0 || !reflect.DeepEqual(res.Pod, pod) {
			t.Errorf("role %q: pod changed: spark=%v patch=%v", role, res.Spark, res.Patch)
		}
	}
}

// TestConnectServerIsADriver: the Spark Operator's SparkConnect server
// (spark-role: connect-server) runs the Spark driver; it is composed as a
// driver is, its label left as it is.
func TestConnectServerIsADriver(t *testing.T) {
	driver := sparkPod("driver")
	server := sparkPod("driver")
	server.Labels[v1alpha1.RoleLabel] = v1alpha1.ConnectServerRoleValue
	if role, spark := SparkRole(server); role != v1alpha1.RoleDriver || !spark {
		t.Fatalf("SparkRole(connect-server) = %q, %v; want driver", role, spark)
	}
	want, err := Compose(testSnapshot(t), cluster, driver)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Compose(testSnapshot(t), cluster, server)
	if err != nil {
		t.Fatal(err)
	}
	if got.Pod.Labels[v1alpha1.RoleLabel] != v1alpha1.ConnectServerRoleValue {
		t.Errorf("spark-role = %q, want it left as connect-server", got.Pod.Labels[v1alpha1.RoleLabel])
	}
	got.Pod.Labels[v1alpha1.RoleLabel] = "driver"
	if !reflect.DeepEqual(got.Pod, want.Pod) || got.Pod.Spec.PriorityClassName != "spark-driver" {
		t.Errorf("the connect server composed unlike a driver:\n%+v\n%+v", got.Pod.Spec, want.Pod.Spec)
	}
}

// TestUnknownPriorityClassIsAnError: a class a layer names that the
// cluster lacks is an error, and not an InvalidCompositionError: the
// cluster may be given the class (a GitOps sync applies Layers before
// PriorityClasses), so the webhook answers 500, which clients retry.
func TestUnknownPriorityClassIsAnError(t *testing.T) {
	l := v1alpha1.Layer{Spec: v1alpha1.LayerSpec{Tier: v1alpha1.ClusterOverrides, Config: &v1alpha1.Config{PriorityClassName: str("missing")}}}
	l.Name = "co"
	snap, err := overlay.Compile(overlay.Inputs{Layers: []overlay.LayerSource{{Layer: l}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Compose(snap, cluster, sparkPod("driver"))
	want := `Pod "etl/p" (priority class set by ClusterOverrides layer "co"): spec.priorityClassName: PriorityClass "missing" not found`
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %s", err, want)
	}
	if IsInvalidComposition(err) {
		t.Errorf("%v is an InvalidCompositionError", err)
	}
}

// TestPriorityClassNotInTheInputsIsANote: where the inputs may lack some
// of the cluster's classes (a dry run), a class they do not hold is a
// note, with the priority left for the webhook to resolve; a pod whose
// class is held gets no note.
func TestPriorityClassNotInTheInputsIsANote(t *testing.T) {
	class := schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "held"}, Value: 5}
	for name, want := range map[string]string{
		"missing": `spec.priorityClassName: PriorityClass "missing" is not in the inputs`,
		"held":    "",
	} {
		l := v1alpha1.Layer{Spec: v1alpha1.LayerSpec{Tier: v1alpha1.ClusterOverrides, Config: &v1alpha1.Config{PriorityClassName: str(name)}}}
		l.Name = "co"
		snap, err := overlay.Compile(overlay.Inputs{Layers: []overlay.LayerSource{{Layer: l}},
			PriorityClasses: []schedulingv1.PriorityClass{class}, PriorityClassesPartial: true})
		if err != nil {
			t.Fatal(err)
		}
		res, err := Compose(snap, cluster, sparkPod("driver"))
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case want == "" && len(res.Notes) != 0:
			t.Errorf("%s: notes %q, want none", name, res.Notes)
		case want != "" && (len(res.Notes) != 1 || !strings.HasPrefix(res.Notes[0], want) || res.Pod.Spec.Priority != nil):
			t.Errorf("%s: notes %q, priority %v; want one note starting %q and no priority", name, res.Notes, res.Pod.Spec.Priority, want)
		}
	}
}

func TestClearedPriorityClassFallsBackToGlobalDefault(t *testing.T) {
	l := v1alpha1.Layer{Spec: v1alpha1.LayerSpec{Tier: v1alpha1.ClusterOverrides, Config: &v1alpha1.Config{PriorityClassName: str("")}}}
	l.Name = "co"
	for _, tc := range []struct {
		classes []schedulingv1.PriorityClass
		want    int32
	}{
		{nil, 0},
		{[]schedulingv1.PriorityClass{{ObjectMeta: metav1.ObjectMeta{Name: "d"}, Value: 7, GlobalDefault: true}}, 7},
	} {
		snap, err := overlay.Compile(overlay.Inputs{Layers: []overlay.LayerSource{{Layer: l}}, PriorityClasses: tc.classes})
		if err != nil {
			t.Fatal(err)
		}
		pod := sparkPod("driver")
		pod.Spec.PriorityClassName = "old"
		pod.Spec.Priority = ptrTo(int32(99))
		res, err := Compose(snap, cluster, pod)
		if err != nil {
			t.Fatal(err)
		}
		if res.Pod.Spec.PriorityClassName != "" || *res.Pod.Spec.Priority != tc.want {
			t.Errorf("class %q priority %d, want \"\" %d", res.Pod.Spec.PriorityClassName, *res.Pod.Spec.Priority, tc.want)
		}
	}
}

// TestPatchTurnsInputIntoOutput applies each patch with an independent JSON
// Patch implementation and checks it yields exactly the composed pod.
func TestPatchTurnsInputIntoOutput(t *testing.T) {
	snap := testSnapshot(t)
	pods := []*corev1.Pod{sparkPod("driver"), sparkPod("executor")}
	noLabels := sparkPod("executor")
	noLabels.Spec.Tolerations = nil
	pods = append(pods, noLabels)
	for _, pod := range pods {
		res, err := Compose(snap, cluster, pod)
		if err != nil {
			t.Fatal(err)
		}
		assertPatchApplies(t, pod, res)
	}
}

func assertPatchApplies(t *testing.T, pod *corev1.Pod, res *Result) {
	t.Helper()
	in, _ := json.Marshal(pod)
	want, _ := json.Marshal(res.Pod)
	ops, _ := json.Marshal(res.Patch)
	patch, err := jsonpatchv5.DecodePatch(ops)
	if err != nil {
		t.Fatalf("patch does not decode: %v\n%s", err, ops)
	}
	got, err := patch.Apply(in)
	if err != nil {
		t.Fatalf("patch does not apply: %v\n%s", err, ops)
	}
	if !jsonpatchv5.Equal(got, want) {
		t.Fatalf("patched input differs from composed pod:\n got %s\nwant %s", got, want)
	}
}

func TestPatchIsDeterministic(t *testing.T) {
	snap := testSnapshot(t)
	first, err := Compose(snap, cluster, sparkPod("driver"))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(first.Patch)
	for range 50 {
		again, _ := Compose(snap, cluster, sparkPod("driver"))
		if got, _ := json.Marshal(again.Patch); string(got) != string(want) {
			t.Fatalf("patch differs between runs:\n%s\n%s", got, want)
		}
	}
	if !strings.Contains(string(want), `"op":"add","path":"/metadata/annotations"`) {
		t.Errorf("unexpected patch: %s", want)
	}
}

func TestPatchOrdersArrayOperations(t *testing.T) {
	before := sparkPod("driver")
	after := before.DeepCopy()
	for i := range 12 {
		after.Spec.Tolerations = append(after.Spec.Tolerations, corev1.Toleration{Key: "k" + string(rune('a'+i)), Operator: corev1.TolerationOpExists})
	}
	after.Labels["z"], after.Labels["a"] = "1", "2"
	ops, err := Patch(before, after)
	if err != nil {
		t.Fatal(err)
	}
	res := &Result{Pod: after, Patch: ops}
	assertPatchApplies(t, before, res)
	// And the reverse: removals must come from the end.
	ops, err = Patch(after, before)
	if err != nil {
		t.Fatal(err)
	}
	assertPatchApplies(t, after, &Result{Pod: before, Patch: ops})
}

// TestSparkContainer: a pod's Spark container is the one named for its
// role, whatever else is named for the other role, else the first named
// for either role, else the first with Spark's argument for the role and
// the variable Spark sets in its own container of the role (a pod
// template's container named otherwise,
// which Spark appends after the template's others), else the first. A
// SparkConnect server's is the named one, else the first, as the operator
// picks it.
func TestSparkContainer(t *testing.T) {
	const execID, bind = v1alpha1.SparkExecutorIDVariable, v1alpha1.SparkDriverBindAddressVariable
	for _, c := range []struct {
		role      v1alpha1.Role
		label     string
		names     []string
		markers   map[string]string // container name: the variable it has, with Spark's argument for the role
		variables map[string]string // container name: the variable alone
		want      int
	}{
		{role: v1alpha1.RoleExecutor, names: []string{driverContainer, executorContainer}, want: 1},
		{role: v1alpha1.RoleDriver, names: []string{executorContainer, driverContainer}, want: 1},
		{role: v1alpha1.RoleExecutor, names: []string{"sidecar", driverContainer}, want: 1},
		{role: v1alpha1.RoleDriver, names: []string{"sidecar", executorContainer}, want: 1},
		{role: v1alpha1.RoleExecutor, names: []string{"main", "other"}, want: 0},
		{role: v1alpha1.RoleDriver, want: -1},
		// A template's Spark container named otherwise, appended last.
		{role: v1alpha1.RoleExecutor, names: []string{"log-shipper", "main"}, markers: map[string]string{"main": execID}, want: 1},
		{role: v1alpha1.RoleDriver, names: []string{"log-shipper", "proxy", "main"}, markers: map[string]string{"main": bind}, want: 2},
		// Only the role's own variable counts.
		{role: v1alpha1.RoleExecutor, names: []string{"log-shipper", "main"}, markers: map[string]string{"main": bind}, want: 0},
		{role: v1alpha1.RoleDriver, names: []string{"log-shipper", "main"}, markers: map[string]string{"main": execID}, want: 0},
		// A name wins over the variable; of two with it, the first.
		{role: v1alpha1.RoleExecutor, names: []string{"a", executorContainer}, markers: map[string]string{"a": execID}, want: 1},
		{role: v1alpha1.RoleExecutor, names: []string{"a", "b", "c"}, markers: map[string]string{"b": execID, "c": execID}, want: 1},
		// A sidecar that copies Spark's variable, not its arguments.
		{role: v1alpha1.RoleExecutor, names: []string{"log-shipper", "main"}, variables: map[string]string{"log-shipper": execID}, markers: map[string]string{"main": execID}, want: 1},
		{role: v1alpha1.RoleDriver, names: []string{"a", "b"}, variables: map[string]string{"b": bind}, want: 0},
		// The operator starts a SparkConnect server: no variable counts.
		{role: v1alpha1.RoleDriver, label: v1alpha1.ConnectServerRoleValue, names: []string{"a", "b"}, markers: map[string]string{"b": bind}, want: 0},
	} {
		pod := &corev1.Pod{}
		pod.Labels = map[string]string{v1alpha1.RoleLabel: string(c.role)}
		if c.label != "" {
			pod.Labels[v1alpha1.RoleLabel] = c.label
		}
		for _, n := range c.names {
			ct := corev1.Container{Name: n, Env: []corev1.EnvVar{{Name: "SPARK_USER", Value: "spark"}}}
			if v, ok := c.markers[n]; ok {
				ct.Env = append(ct.Env, corev1.EnvVar{Name: v, Value: "1"})
				ct.Args = []string{string(c.role)}
			}
			if v, ok := c.variables[n]; ok { // the variable alone, not Spark's arguments
				ct.Env = append(ct.Env, corev1.EnvVar{Name: v, Value: "1"})
			}
			pod.Spec.Containers = append(pod.Spec.Containers, ct)
		}
		if got := sparkContainer(pod, c.role); got != c.want {
			t.Errorf("the %s's Spark container among %q (variables %v): %d, want %d", c.role, c.names, c.markers, got, c.want)
		}
	}
}

// TestNoLayerLeavesNoTrace: a Spark pod no layer matches is left as it
// is, without Strata's annotation; one that carries it from an earlier
// composition loses it.
func TestNoLayerLeavesNoTrace(t *testing.T) {
	snap := snapshotOf(t, map[string]string{"other": `{tier: ClusterOverrides, match: {namespaces: [web]}, config: {labels: {a: b}}}`})
	res, err := Compose(snap, cluster, sparkPod("executor"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Patch) != 0 || res.Pod.Annotations != nil {
		t.Errorf("patch %v, annotations %v; want none", res.Patch, res.Pod.Annotations)
	}
	pod := sparkPod("executor")
	pod.Annotations = map[string]string{v1alpha1.LayersAnnotation: "gone"}
	if res, err = Compose(snap, cluster, pod); err != nil {
		t.Fatal(err)
	}
	if res.Pod.Annotations != nil || len(res.Patch) != 1 || res.Patch[0].Operation != "remove" {
		t.Errorf("patch %v, annotations %v; want Strata's annotation removed", res.Patch, res.Pod.Annotations)
	}
}

// TestGlobalDefaultClassIsUnset: a pod reaches the webhook with the
// cluster's globalDefault PriorityClass when it names none (the Priority
// admission plugin writes it, and its priority, before any webhook), so a
// layer's default class applies over it, with the class's priority; a
// class that is not the global default stays the user's, and with no
// layer's class the pod keeps the global default. Composing the result
// again changes nothing.
func TestGlobalDefaultClassIsUnset(t *testing.T) {
	defaults := func(class *string) overlay.LayerSource {
		l := v1alpha1.Layer{Spec: v1alpha1.LayerSpec{Tier: v1alpha1.PoolDefaults, Config: &v1alpha1.Config{Labels: map[string]string{"pool": "batch"}},
			Driver: &v1alpha1.Config{PriorityClassName: class}}}
		l.Name = "pool"
		return overlay.LayerSource{Layer: l}
	}
	classes := []schedulingv1.PriorityClass{
		{ObjectMeta: metav1.ObjectMeta{Name: "cluster-default"}, Value: 5, GlobalDefault: true},
		{ObjectMeta: metav1.ObjectMeta{Name: "spark-driver"}, Value: 1000},
		{ObjectMeta: metav1.ObjectMeta{Name: "team-class"}, Value: 300},
	}
	for _, tc := range []struct {
		name         string
		layerClass   *string
		podClass     string
		want         string
		wantPriority int32
	}{
		{"the global default, written by the API server", str("spark-driver"), "cluster-default", "spark-driver", 1000},
		{"a class the user named", str("spark-driver"), "team-class", "team-class", 300},
		{"no class from the layers", nil, "cluster-default", "cluster-default", 5},
	} {
		snap, err := overlay.Compile(overlay.Inputs{Layers: []overlay.LayerSource{defaults(tc.layerClass)}, PriorityClasses: classes})
		if err != nil {
			t.Fatal(err)
		}
		pod := sparkPod("driver")
		pod.Spec.PriorityClassName = tc.podClass
		for _, pc := range classes {
			if pc.Name == tc.podClass {
				pod.Spec.Priority = ptrTo(pc.Value)
			}
		}
		res, err := Compose(snap, cluster, pod)
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Pod.Spec.PriorityClassName; got != tc.want || res.Pod.Spec.Priority == nil || *res.Pod.Spec.Priority != tc.wantPriority {
			t.Errorf("%s: class %q priority %v, want %q %d", tc.name, got, res.Pod.Spec.Priority, tc.want, tc.wantPriority)
		}
		for _, w := range res.Warnings {
			if strings.Contains(w, "priorityClassName") {
				t.Errorf("%s: warned %q: the API server's default is not the user's value", tc.name, w)
			}
		}
		again, err := Compose(snap, cluster, res.Pod)
		if err != nil {
			t.Fatal(err)
		}
		if len(again.Patch) != 0 {
			t.Errorf("%s: composing twice patched %v", tc.name, again.Patch)
		}
	}
}
