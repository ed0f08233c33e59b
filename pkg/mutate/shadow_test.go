package mutate

import (
	"reflect"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/strata-dev/strata/test/fixtures"
)

// TestShadowLayers: a Shadow layer changes nothing of a composition, and
// ShadowOf names every field it would change, with the layer; a pod no
// Shadow layer matches has none; a broken Shadow layer blocks nothing.
func TestShadowLayers(t *testing.T) {
	enforced := map[string]string{
		"team":     `{tier: NamespaceOverrides, match: {namespaces: [etl]}, config: {labels: {team: etl}}}`,
		"defaults": `{tier: ClusterDefaults, config: {labels: {owner: platform}}}`,
	}
	withShadow := map[string]string{
		"team":     enforced["team"],
		"defaults": enforced["defaults"],
		"v2": `{tier: ClusterOverrides, mode: Shadow, match: {roles: [executor]}, config: {labels: {team: shadow, tier: gold},
			sidecars: [{name: log-shipper-v2, image: fluent/fluent-bit:4.0}], priorityClassName: spark-high}}`,
	}
	high := schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "spark-high"}, Value: 100}
	without, with := fixtures.SnapshotOf(t, enforced, high), fixtures.SnapshotOf(t, withShadow, high)
	pod := sparkPod("executor")
	want, err := Compose(without, cluster, pod)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Compose(with, cluster, pod)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Pod, want.Pod) || !reflect.DeepEqual(got.Patch, want.Patch) {
		t.Fatalf("a Shadow layer changed the composition:\n%v\n%v", got.Patch, want.Patch)
	}
	changes, err := ShadowOf(with, cluster, pod, got)
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]string{}
	for _, c := range changes {
		fields[c.Field] = c.Layer
	}
	// team stays etl: a NamespaceOverride wins over the Shadow
	// ClusterOverride, so it is not a change.
	for _, f := range []string{"metadata.labels.tier", "spec.sidecars[log-shipper-v2]", "spec.priorityClassName"} {
		if fields[f] != "v2" {
			t.Errorf("%s: layer %q, want v2 (changes %+v)", f, fields[f], changes)
		}
	}
	if _, ok := fields["metadata.labels.team"]; ok {
		t.Errorf("team is reported though the enforced override keeps it: %+v", changes)
	}
	// The webhook's composition (Admit) keeps too little provenance to
	// compare with: ShadowOf composes the pod again, and finds the same.
	admitted, err := Admit(with, cluster, pod)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := ShadowOf(with, cluster, pod, admitted); err != nil || !reflect.DeepEqual(again, changes) {
		t.Errorf("ShadowOf Admit's composition: %v %+v, of Compose's %+v", err, again, changes)
	}
	driver := sparkPod("driver")
	res, err := Compose(with, cluster, driver)
	if err != nil {
		t.Fatal(err)
	}
	if changes, err := ShadowOf(with, cluster, driver, res); err != nil || changes != nil {
		t.Errorf("a driver, which no Shadow layer matches: %v %+v", err, changes)
	}
}

// TestShadowChangesNameTheirLayer: with two Shadow layers, each change is
// named for the layer that makes it, with the value now and the value it
// would have; a value the enforced layers give that a Shadow layer would
// replace is a change too.
func TestShadowChangesNameTheirLayer(t *testing.T) {
	snap := fixtures.SnapshotOf(t, map[string]string{
		"defaults": `{tier: ClusterDefaults, config: {labels: {owner: platform}}}`,
		"v2":       `{tier: ClusterDefaults, mode: Shadow, config: {labels: {tier: gold}}}`,
		"v3":       `{tier: ClusterOverrides, mode: Shadow, config: {labels: {owner: data}}}`,
	})
	pod := sparkPod("executor")
	res, err := Compose(snap, cluster, pod)
	if err != nil {
		t.Fatal(err)
	}
	changes, err := ShadowOf(snap, cluster, pod, res)
	if err != nil {
		t.Fatal(err)
	}
	text := func(s *string) string {
		if s == nil {
			return "(unset)"
		}
		return *s
	}
	got := map[string]string{}
	for _, c := range changes {
		got[c.Field] = c.Layer + ": " + text(c.Now) + " -> " + text(c.Shadow)
	}
	want := map[string]string{
		"metadata.labels.tier":  `v2: (unset) -> "gold"`,
		"metadata.labels.owner": `v3: "platform" -> "data"`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("changes %v, want %v", got, want)
	}
}

// TestShadowChangesThePod: a Shadow layer is reported only for what it
// would change of the pod: not a sidecar mode of a pod without sidecars
// (its containers would be the same), nor the value of an env var IRSA's
// own value replaces (the pod's value stays; where it stands in the env
// would change, and is reported as such), while a label is.
func TestShadowChangesThePod(t *testing.T) {
	irsa := `{tier: NamespaceOverrides, config: {iam: {role: "arn:aws:iam::111111111111:role/etl", mode: irsa}}}`
	for _, tc := range []struct {
		name, shadow string
		want         []string
	}{
		{"sidecar mode alone", `{tier: ClusterOverrides, mode: Shadow, config: {sidecarMode: native}}`, nil},
		{"an env var IRSA sets", `{tier: ClusterOverrides, mode: Shadow, config: {env: [{name: AWS_ROLE_ARN, value: x}]}}`,
			[]string{"spark.env (order)"}}, // its value stays; it moves before AWS_STS_REGIONAL_ENDPOINTS
		{"and a label", `{tier: ClusterOverrides, mode: Shadow, config: {sidecarMode: native, labels: {tier: gold}}}`,
			[]string{"metadata.labels.tier"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap := fixtures.SnapshotOf(t, map[string]string{"irsa": irsa, "shadow": tc.shadow})
			pod := sparkPod("executor")
			res, err := Admit(snap, cluster, pod)
			if err != nil {
				t.Fatal(err)
			}
			changes, err := ShadowOf(snap, cluster, pod, res)
			if err != nil {
				t.Fatal(err)
			}
			var fields []string
			for _, c := range changes {
				fields = append(fields, c.Field)
			}
			if !reflect.DeepEqual(fields, tc.want) {
				t.Errorf("changes %v, want %v", fields, tc.want)
			}
		})
	}
}

// TestOrderChanges: a list whose order means something (the Spark
// container's env and envFrom, the init containers) is reported when the
// elements both compositions hold stand in another order; one only added
// to or taken from is not, nor a list whose order means nothing.
func TestOrderChanges(t *testing.T) {
	base := fixtures.Pod(t, "executor.yaml")
	base.Spec.Containers[0].EnvFrom = []corev1.EnvFromSource{
		{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "a"}}},
		{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "b"}}}}
	base.Spec.InitContainers = []corev1.Container{{Name: "i1"}, {Name: "i2"}}
	for _, tc := range []struct {
		name   string
		change func(*corev1.Pod)
		want   []string
	}{
		{"nothing", func(*corev1.Pod) {}, nil},
		{"envFrom swapped", func(p *corev1.Pod) { slices.Reverse(p.Spec.Containers[0].EnvFrom) }, []string{"spark.envFrom (order)"}},
		{"env moved", func(p *corev1.Pod) {
			env := p.Spec.Containers[0].Env
			p.Spec.Containers[0].Env = append(env[1:len(env):len(env)], env[0])
		}, []string{"spark.env (order)"}},
		{"init containers swapped", func(p *corev1.Pod) { slices.Reverse(p.Spec.InitContainers) }, []string{"spec.initContainers (order)"}},
		{"one added, one taken", func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "i1"}, {Name: "i0"}}
			p.Spec.Containers[0].Env = append(p.Spec.Containers[0].Env, corev1.EnvVar{Name: "NEW"})
		}, nil},
		{"volumes swapped", func(p *corev1.Pod) { slices.Reverse(p.Spec.Volumes) }, nil},
	} {
		after := base.DeepCopy()
		tc.change(after)
		var got []string
		for _, o := range OrderChanges(base, after, "executor") {
			got = append(got, o.Field)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
