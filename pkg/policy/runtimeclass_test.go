package policy

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/fixtures"
)

func sandboxClass() *nodev1.RuntimeClass {
	return &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "sandboxed"}, Handler: "runsc",
		Overhead: &nodev1.Overhead{PodFixed: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m")}},
		Scheduling: &nodev1.Scheduling{NodeSelector: map[string]string{"pool": "sandbox", "arch": "amd64"},
			Tolerations: []corev1.Toleration{{Key: "sandbox", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}}}}
}

// checkWithRuntimeClasses checks with the layer spec given and two RuntimeClasses
// of the same scheduling: sandboxClass, and one named "platform".
func checkWithRuntimeClasses(t *testing.T, spec string) *Check {
	t.Helper()
	in := fixtures.InputsOf(t, map[string]string{"rules": spec})
	platforms := sandboxClass()
	platforms.Name = "platform"
	in.RuntimeClasses = []nodev1.RuntimeClass{*sandboxClass(), *platforms}
	snap, err := overlay.Compile(in)
	if err != nil {
		t.Fatal(err)
	}
	return &Check{Engine: builtinEngine(t), Snapshot: snap, Cluster: mutate.Cluster{Name: "c", Pool: "p"}}
}

// TestRuntimeClassSchedulingIsNotTheTenants: what the RuntimeClass a
// tenant may name merged into its pod, the platform's, is not held to the
// tenant's rules; the same written without the class, or with a class the
// webhook does not know, is; so is what a class tenants may not name gave
// the pod (the platform's own class, say); and quota counts the class's
// overhead.
func TestRuntimeClassSchedulingIsNotTheTenants(t *testing.T) {
	c := checkWithRuntimeClasses(t, `{tier: ClusterOverrides, config: {limits: {maxPodCPU: "1"},
		isolation: {reservedNodeSelectors: [pool], allowedTolerations: [{key: spot}], allowedRuntimeClasses: [sandboxed]}}}`)
	sized := func(cpu string) *corev1.Pod {
		p := sparkPod("executor")
		p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse("1Gi")}
		return p
	}
	of := func(p *corev1.Pod, class string) *corev1.Pod {
		p.Spec.RuntimeClassName = &class
		admitted, note, err := AdmitRuntimeClass(c.Snapshot, p)
		if err != nil {
			t.Fatal(err)
		}
		if class != "unknown" && note != "" {
			t.Errorf("a known class: note %q", note)
		}
		return admitted
	}
	byHand := func(p *corev1.Pod) *corev1.Pod {
		p.Spec.NodeSelector = maps.Clone(sandboxClass().Scheduling.NodeSelector)
		p.Spec.Tolerations = sandboxClass().Scheduling.Tolerations
		return p
	}
	for _, tc := range []struct {
		name string
		pod  *corev1.Pod
		want string
	}{
		{"of the class", of(sized("500m"), "sandboxed"), ""},
		{"by hand", byHand(sized("500m")), "isolation/allowedTolerations,isolation/reservedNodeSelectors"},
		{"with a class the webhook does not know", byHand(of(sized("500m"), "unknown")), "isolation/allowedRuntimeClasses,isolation/allowedTolerations,isolation/reservedNodeSelectors"},
		{"of the class, and a toleration of its own", func() *corev1.Pod {
			p := of(sized("500m"), "sandboxed")
			p.Spec.Tolerations = append(p.Spec.Tolerations, corev1.Toleration{Key: "gpu", Operator: corev1.TolerationOpExists})
			return p
		}(), "isolation/allowedTolerations"},
		{"the class's overhead counts", of(sized("900m"), "sandboxed"), "quota/maxPodCPU"},
		{"of a class tenants may not name", of(sized("500m"), "platform"), "isolation/allowedRuntimeClasses,isolation/allowedTolerations,isolation/reservedNodeSelectors"},
	} {
		got, d := verdict(t, c, tc.pod, Request{})
		if got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
		if tc.name == "the class's overhead counts" && !strings.Contains(d.Violations[0].Message, "pod requests 1150m CPU") {
			t.Errorf("%s: %q", tc.name, d.Violations[0].Message)
		}
	}
	// Without allowedRuntimeClasses any class may be named, and what its
	// scheduling gave the pod is the tenant's.
	c = checkWithRuntimeClasses(t, `{tier: ClusterOverrides, config: {isolation: {reservedNodeSelectors: [pool], allowedTolerations: [{key: spot}]}}}`)
	if got, _ := verdict(t, c, of(sized("500m"), "sandboxed"), Request{}); got != "isolation/allowedTolerations,isolation/reservedNodeSelectors" {
		t.Errorf("a class without allowedRuntimeClasses in force: %q", got)
	}
}

// TestAppRuntimeClass: a SparkApplication's pod template that names a
// RuntimeClass is judged at submission as its pods will be: the class held
// to allowedRuntimeClasses, its scheduling the platform's when allowed.
func TestAppRuntimeClass(t *testing.T) {
	c := checkWithRuntimeClasses(t, `{tier: ClusterOverrides, config: {
		isolation: {reservedNodeSelectors: [pool], allowedTolerations: [{key: spot}], allowedRuntimeClasses: [sandboxed]}}}`)
	for class, want := range map[string][]string{
		"sandboxed": nil,
		"platform":  {"allowedRuntimeClasses", "allowedTolerations", "reservedNodeSelectors"},
	} {
		app := fixtures.App(t, "etl-report.yaml").App.DeepCopy()
		app.Spec.Driver.Annotations = nil // its IAM role: no allowlist here
		app.Spec.Executor.Template = &corev1.PodTemplateSpec{Spec: corev1.PodSpec{RuntimeClassName: &class}}
		_, d, err := c.App(context.Background(), app, Request{Operation: "CREATE"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, v := range d.Violations {
			if v.Policy == "isolation" && !slices.Contains(got, v.Check) {
				got = append(got, v.Check)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("an app whose executors name RuntimeClass %q: %q, want %q", class, got, want)
		}
	}
	// A pod the API server's plugin would refuse: the app is refused.
	app := fixtures.App(t, "etl-report.yaml").App.DeepCopy()
	class := "sandboxed"
	app.Spec.Executor.Template = &corev1.PodTemplateSpec{Spec: corev1.PodSpec{RuntimeClassName: &class, NodeSelector: map[string]string{"pool": "batch"}}}
	_, d, err := c.App(context.Background(), app, Request{Operation: "CREATE"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `isolation: SparkApplication "etl-report": executor pod: RuntimeClass "sandboxed": conflict: runtimeClass.scheduling.nodeSelector[pool] = sandbox; pod.spec.nodeSelector[pool] = batch`
	if len(d.Violations) != 1 || d.Violations[0].Message != want || d.Violations[0].Enforcement != v1alpha1.EnforcementDeny {
		t.Errorf("an app whose executors the API server would refuse: %+v, want %q", d.Violations, want)
	}
}

// TestLayerRuntimeClassIsThePlatforms: a class a layer gives the pod
// (runtimeClassName), an override's or a default's, is not the tenant's
// choice, whatever allowedRuntimeClasses says, and what its scheduling
// gives the pod is the platform's; quota counts its overhead. A tenant's
// pod that names the class a default would give it gains nothing by it;
// one that names the same class without the layer is held to the rules.
// A pod the webhook does not compose (no Spark role) must name the class
// the layers give it, and then what the class gives it is the
// platform's: dropping the label never leaves the sandbox.
func TestLayerRuntimeClassIsThePlatforms(t *testing.T) {
	iso := `isolation: {reservedNodeSelectors: [pool], allowedTolerations: [{key: spot}], allowedRuntimeClasses: [sandboxed]}`
	forced := checkWithRuntimeClasses(t, `{tier: ClusterOverrides, config: {runtimeClassName: platform, limits: {maxPodCPU: "1"}, `+iso+`}}`)
	open := checkWithRuntimeClasses(t, `{tier: ClusterOverrides, config: {limits: {maxPodCPU: "1"}, `+iso+`}}`)
	// A default gives the class to a pod that names none: the stored pod
	// then holds the default's value, which is still the platform's.
	byDefault := *open
	byDefault.Snapshot = fixtures.SnapshotOf(t, map[string]string{
		"rules":   `{tier: ClusterOverrides, config: {limits: {maxPodCPU: "1"}, ` + iso + `}}`,
		"sandbox": `{tier: ClusterDefaults, config: {runtimeClassName: platform}}`,
	}, *sandboxClass(), func() nodev1.RuntimeClass { rc := sandboxClass(); rc.Name = "platform"; return *rc }())
	sized := func(cpu string) *corev1.Pod {
		p := sparkPod("executor")
		p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse("1Gi")}
		return p
	}
	// named is p naming class, as the plugin and the webhook leave it.
	named := func(c *Check, p *corev1.Pod, class string) *corev1.Pod {
		p.Spec.RuntimeClassName = &class
		admitted, _, err := AdmitRuntimeClass(c.Snapshot, p)
		if err != nil {
			t.Fatal(err)
		}
		return composed(t, c, admitted)
	}
	// plain is p without its Spark role, naming class ("" none), as the
	// plugin leaves it: the webhook does not compose it.
	plain := func(c *Check, p *corev1.Pod, class string) *corev1.Pod {
		delete(p.Labels, v1alpha1.RoleLabel)
		if class == "" {
			return p
		}
		p.Spec.RuntimeClassName = &class
		admitted, _, err := AdmitRuntimeClass(c.Snapshot, p)
		if err != nil {
			t.Fatal(err)
		}
		return admitted
	}
	for _, tc := range []struct {
		name string
		c    *Check
		pod  *corev1.Pod
		want string
	}{
		{"a pod without a Spark role naming no class", forced, plain(forced, sized("500m"), ""), "isolation/runtimeClassName"},
		{"a pod without a Spark role naming another class", forced, plain(forced, sized("500m"), "sandboxed"), "isolation/runtimeClassName"},
		{"a pod without a Spark role naming the layer's class", forced, plain(forced, sized("500m"), "platform"), ""},
		{"a pod without a Spark role naming no class, under a default", &byDefault, plain(&byDefault, sized("500m"), ""), "isolation/runtimeClassName"},
		{"a pod without a Spark role naming a class of its own, under a default", &byDefault, plain(&byDefault, sized("500m"), "sandboxed"), ""},
		{"the layer's class", forced, composed(t, forced, sized("500m")), ""},
		{"the layer's class over the tenant's", forced, named(forced, sized("500m"), "sandboxed"), ""},
		{"its overhead counts", forced, composed(t, forced, sized("900m")), "quota/maxPodCPU"},
		{"a default's class", &byDefault, composed(t, &byDefault, sized("500m")), ""},
		// The pod it would have been given naming none: nothing gained.
		{"the default's class named by the tenant", &byDefault, named(&byDefault, sized("500m"), "platform"), ""},
		{"the same class named by the tenant", open, named(open, sized("500m"), "platform"),
			"isolation/allowedRuntimeClasses,isolation/allowedTolerations,isolation/reservedNodeSelectors"},
	} {
		if got, _ := verdict(t, tc.c, tc.pod, Request{}); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := composed(t, forced, sized("500m")); ptr.Deref(got.Spec.RuntimeClassName, "") != "platform" || got.Spec.Overhead.Cpu().MilliValue() != 250 {
		t.Errorf("the composed pod: class %v, overhead %v", got.Spec.RuntimeClassName, got.Spec.Overhead)
	}
}
