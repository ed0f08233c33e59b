package policy

import (
	"context"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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

// TestWithRuntimeClass holds the mirror to the API server's RuntimeClass
// plugin (plugin/pkg/admission/runtimeclass, its tests' cases).
func TestWithRuntimeClass(t *testing.T) {
	seconds := func(n int64) *int64 { return &n }
	tol := func(key, op, value string, effect corev1.TaintEffect, s *int64) corev1.Toleration {
		return corev1.Toleration{Key: key, Operator: corev1.TolerationOperator(op), Value: value, Effect: effect, TolerationSeconds: s}
	}
	for _, tc := range []struct {
		name    string
		pod     func(*corev1.Pod)
		rc      func(*nodev1.RuntimeClass)
		want    func(*corev1.Pod)
		wantErr string
	}{
		{name: "no class", rc: func(rc *nodev1.RuntimeClass) { rc.Overhead, rc.Scheduling = nil, nil },
			want: func(p *corev1.Pod) { p.Spec.Overhead, p.Spec.NodeSelector, p.Spec.Tolerations = nil, nil, nil }},
		{name: "merged"},
		{name: "the pod's own kept first",
			pod: func(p *corev1.Pod) {
				p.Spec.NodeSelector = map[string]string{"zone": "a", "pool": "sandbox"}
				p.Spec.Tolerations = []corev1.Toleration{tol("spot", "Exists", "", "", nil)}
				p.Spec.Overhead = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("0.25")}
			},
			want: func(p *corev1.Pod) {
				p.Spec.NodeSelector = map[string]string{"zone": "a", "pool": "sandbox", "arch": "amd64"}
				p.Spec.Tolerations = []corev1.Toleration{tol("spot", "Exists", "", "", nil), tol("sandbox", "Exists", "", corev1.TaintEffectNoSchedule, nil)}
			}},
		{name: "a toleration the class's covers is dropped",
			pod: func(p *corev1.Pod) {
				p.Spec.Tolerations = []corev1.Toleration{tol("sandbox", "Equal", "yes", corev1.TaintEffectNoSchedule, nil)}
			},
			want: func(p *corev1.Pod) {
				p.Spec.Tolerations = []corev1.Toleration{tol("sandbox", "Exists", "", corev1.TaintEffectNoSchedule, nil)}
			}},
		{name: "the class's toleration a pod's covers is dropped",
			pod:  func(p *corev1.Pod) { p.Spec.Tolerations = []corev1.Toleration{tol("", "Exists", "", "", nil)} },
			want: func(p *corev1.Pod) { p.Spec.Tolerations = []corev1.Toleration{tol("", "Exists", "", "", nil)} }},
		{name: "a shorter NoExecute is covered, a longer is not",
			pod: func(p *corev1.Pod) {
				p.Spec.Tolerations = []corev1.Toleration{tol("evict", "Exists", "", corev1.TaintEffectNoExecute, seconds(10)),
					tol("evict", "Exists", "", corev1.TaintEffectNoExecute, seconds(100))}
			},
			rc: func(rc *nodev1.RuntimeClass) {
				rc.Scheduling.Tolerations = []corev1.Toleration{tol("evict", "Exists", "", corev1.TaintEffectNoExecute, seconds(50))}
			},
			want: func(p *corev1.Pod) {
				p.Spec.Tolerations = []corev1.Toleration{tol("evict", "Exists", "", corev1.TaintEffectNoExecute, seconds(100))}
			}},
		{name: "a node selector of another value", pod: func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"pool": "batch"} },
			wantErr: "conflict: runtimeClass.scheduling.nodeSelector[pool] = sandbox; pod.spec.nodeSelector[pool] = batch"},
		{name: "another overhead", pod: func(p *corev1.Pod) {
			p.Spec.Overhead = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}
		},
			wantErr: "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod, rc := sparkPod("executor"), sandboxClass()
			// What each case wants, from a pod that has only the class's.
			want := pod.DeepCopy()
			want.Spec.Overhead = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m")}
			want.Spec.NodeSelector = map[string]string{"pool": "sandbox", "arch": "amd64"}
			want.Spec.Tolerations = []corev1.Toleration{tol("sandbox", "Exists", "", corev1.TaintEffectNoSchedule, nil)}
			if tc.pod != nil {
				tc.pod(pod)
			}
			if tc.rc != nil {
				tc.rc(rc)
			}
			before := pod.DeepCopy()
			got, err := WithRuntimeClass(pod, rc)
			if !reflect.DeepEqual(pod, before) {
				t.Error("the pod given was changed")
			}
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.want != nil {
				tc.want(want)
			}
			if !equality.Semantic.DeepEqual(got.Spec, want.Spec) {
				t.Errorf("got\n%+v\nwant\n%+v", got.Spec, want.Spec)
			}
			again, err := WithRuntimeClass(got, rc)
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Errorf("admitting twice changed the pod (%v)", err)
			}
		})
	}
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

// TestSameTolerationIsSemanticEquality: sameToleration compares every
// field of a toleration; a field Kubernetes adds fails here until it does.
func TestSameTolerationIsSemanticEquality(t *testing.T) {
	if n := reflect.TypeFor[corev1.Toleration]().NumField(); n != 5 {
		t.Fatalf("corev1.Toleration has %d fields; sameToleration compares 5", n)
	}
	ten, eleven, ten2 := int64(10), int64(11), int64(10)
	base := corev1.Toleration{Key: "k", Operator: corev1.TolerationOpEqual, Value: "v", Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &ten}
	for _, edit := range []func(*corev1.Toleration){
		func(x *corev1.Toleration) {},
		func(x *corev1.Toleration) { x.TolerationSeconds = &ten2 },
		func(x *corev1.Toleration) { x.Key = "other" },
		func(x *corev1.Toleration) { x.Operator = corev1.TolerationOpExists },
		func(x *corev1.Toleration) { x.Value = "other" },
		func(x *corev1.Toleration) { x.Effect = corev1.TaintEffectNoSchedule },
		func(x *corev1.Toleration) { x.TolerationSeconds = &eleven },
		func(x *corev1.Toleration) { x.TolerationSeconds = nil },
	} {
		other := base
		edit(&other)
		if got, want := sameToleration(&base, &other), equality.Semantic.DeepEqual(&base, &other); got != want {
			t.Errorf("%+v against %+v: %v, want %v", base, other, got, want)
		}
	}
}

// BenchmarkWithRuntimeClass merges the most tolerations a pod may hold
// (mutate.MaxTolerations), all of one key, with a class's: the merge
// compares each pair.
func BenchmarkWithRuntimeClass(b *testing.B) {
	pod, rc := sparkPod("executor"), sandboxClass()
	for i := range mutate.MaxTolerations {
		pod.Spec.Tolerations = append(pod.Spec.Tolerations, corev1.Toleration{Key: "sandbox", Operator: corev1.TolerationOpEqual,
			Value: strconv.Itoa(i), Effect: corev1.TaintEffectNoExecute})
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := WithRuntimeClass(pod, rc); err != nil {
			b.Fatal(err)
		}
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
