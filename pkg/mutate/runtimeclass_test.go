package mutate

import (
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
	"k8s.io/utils/ptr"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/test/fixtures"
)

// sampleRuntimeClass is the class sampleLayers' runtimeClassName names:
// with an overhead, a node selector and a toleration, on keys no example
// pod uses.
func sampleRuntimeClass() nodev1.RuntimeClass {
	return nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "gvisor"}, Handler: "runsc",
		Overhead: &nodev1.Overhead{PodFixed: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi")}},
		Scheduling: &nodev1.Scheduling{NodeSelector: map[string]string{"sandbox.strata.dev/runtime": "gvisor"},
			Tolerations: []corev1.Toleration{{Key: "sandbox.strata.dev/runtime", Operator: corev1.TolerationOpEqual, Value: "gvisor", Effect: corev1.TaintEffectNoSchedule}}}}
}

// sandboxRuntimeClass is a class with an overhead, node selectors and a
// toleration.
func sandboxRuntimeClass() *nodev1.RuntimeClass {
	return &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "sandboxed"}, Handler: "runsc",
		Overhead: &nodev1.Overhead{PodFixed: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m")}},
		Scheduling: &nodev1.Scheduling{NodeSelector: map[string]string{"pool": "sandbox", "arch": "amd64"},
			Tolerations: []corev1.Toleration{{Key: "sandbox", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}}}}
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
			pod, rc := sparkPod("executor"), sandboxRuntimeClass()
			pod.Spec.Tolerations = nil
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

// TestSameTolerationIsSemanticEquality: SameToleration compares every
// field of a toleration; a field Kubernetes adds fails here until it does.
func TestSameTolerationIsSemanticEquality(t *testing.T) {
	if n := reflect.TypeFor[corev1.Toleration]().NumField(); n != 5 {
		t.Fatalf("corev1.Toleration has %d fields; SameToleration compares 5", n)
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
		if got, want := SameToleration(&base, &other), equality.Semantic.DeepEqual(&base, &other); got != want {
			t.Errorf("%+v against %+v: %v, want %v", base, other, got, want)
		}
	}
}

// BenchmarkWithRuntimeClass merges the most tolerations a pod may hold
// (MaxTolerations), all of one key, with a class's: the merge
// compares each pair.
func BenchmarkWithRuntimeClass(b *testing.B) {
	pod, rc := sparkPod("executor"), sandboxRuntimeClass()
	pod.Spec.Tolerations = nil
	for i := range MaxTolerations {
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

// TestLayerRuntimeClass: a layer's RuntimeClass gives the pod what the API
// server's RuntimeClass plugin gives a pod of the class, having taken back
// what the class the pod arrived with gave it; "" names no class; a
// default leaves the tenant's class; a class a pod patch sets is given
// what it gives the same way; a layer's override of a node selector the
// class the pod keeps sets is refused, naming the layer, as the API
// server's plugin, run again, would refuse it; composing again changes
// nothing.
func TestLayerRuntimeClass(t *testing.T) {
	gvisor := sampleRuntimeClass()
	sandboxed := *sandboxRuntimeClass()
	sel := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	gvisorSel := "sandbox.strata.dev/runtime"
	gvisorTol := gvisor.Scheduling.Tolerations[0]
	sandboxTol := sandboxed.Scheduling.Tolerations[0]
	mine := corev1.Toleration{Key: "mine", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}
	// arrived is an executor as the API server's plugin leaves it when it
	// names class (nil: none), with a node selector and toleration of its own.
	arrived := func(t *testing.T, class *nodev1.RuntimeClass) *corev1.Pod {
		pod := executorPod()
		pod.Spec.NodeSelector = sel("zone", "a")
		pod.Spec.Tolerations = []corev1.Toleration{mine}
		if class == nil {
			return pod
		}
		pod.Spec.RuntimeClassName = new(class.Name)
		out, err := WithRuntimeClass(pod, class)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		layer string
		// also is a second layer, "d".
		also    string
		from    *nodev1.RuntimeClass
		partial bool
		// want: the class, overhead, node selector and tolerations.
		class    *string
		overhead corev1.ResourceList
		selector map[string]string
		toles    []corev1.Toleration
		wantErr  string
		// missing: the error is of a class the cluster lacks, which it
		// may yet be given, not an InvalidCompositionError.
		missing   bool
		wantNote  string
		wantWarns []string
	}{
		{name: "a pod of no class gets the layer's, with what it gives", layer: `{tier: ClusterOverrides, config: {runtimeClassName: gvisor}}`,
			class: new("gvisor"), overhead: gvisor.Overhead.PodFixed, selector: sel("zone", "a", gvisorSel, "gvisor"), toles: []corev1.Toleration{mine, gvisorTol}},
		{name: "the class the pod arrived with gives back what it gave", layer: `{tier: ClusterOverrides, config: {runtimeClassName: gvisor}}`, from: &sandboxed,
			class: new("gvisor"), overhead: gvisor.Overhead.PodFixed, selector: sel("zone", "a", gvisorSel, "gvisor"), toles: []corev1.Toleration{mine, gvisorTol},
			wantWarns: []string{`spec.runtimeClassName "sandboxed" overridden by ClusterOverrides layer "l"`}},
		{name: "what a layer gives as well as the old class stays", from: &sandboxed,
			layer: `{tier: ClusterOverrides, config: {runtimeClassName: gvisor, nodeSelector: {pool: sandbox}, tolerations: [{key: sandbox, operator: Exists, effect: NoSchedule}]}}`,
			class: new("gvisor"), overhead: gvisor.Overhead.PodFixed, selector: sel("zone", "a", "pool", "sandbox", gvisorSel, "gvisor"),
			toles:     []corev1.Toleration{mine, sandboxTol, gvisorTol},
			wantWarns: []string{`spec.runtimeClassName "sandboxed" overridden by ClusterOverrides layer "l"`}},
		{name: "a default's value the old class gave as well stays", from: &sandboxed,
			layer: `{tier: ClusterOverrides, config: {runtimeClassName: gvisor}}`,
			also:  `{tier: ClusterDefaults, config: {nodeSelector: {pool: sandbox}, tolerations: [{key: sandbox, operator: Exists, effect: NoSchedule}]}}`,
			class: new("gvisor"), overhead: gvisor.Overhead.PodFixed, selector: sel("zone", "a", "pool", "sandbox", gvisorSel, "gvisor"),
			toles:     []corev1.Toleration{mine, sandboxTol, gvisorTol},
			wantWarns: []string{`spec.runtimeClassName "sandboxed" overridden by ClusterOverrides layer "l"`}},
		{name: "a default fills a key the old class held", from: &sandboxed,
			layer: `{tier: ClusterOverrides, config: {runtimeClassName: gvisor}}`,
			also:  `{tier: ClusterDefaults, config: {nodeSelector: {pool: general}}}`,
			class: new("gvisor"), overhead: gvisor.Overhead.PodFixed, selector: sel("zone", "a", "pool", "general", gvisorSel, "gvisor"),
			toles:     []corev1.Toleration{mine, gvisorTol},
			wantWarns: []string{`spec.runtimeClassName "sandboxed" overridden by ClusterOverrides layer "l"`}},
		{name: "a default the new class gives another value is the plugin's refusal", from: &sandboxed,
			layer:   `{tier: ClusterOverrides, config: {runtimeClassName: gvisor}}`,
			also:    `{tier: ClusterDefaults, config: {nodeSelector: {sandbox.strata.dev/runtime: sandboxed}}}`,
			wantErr: `conflict: runtimeClass.scheduling.nodeSelector[sandbox.strata.dev/runtime] = gvisor; pod.spec.nodeSelector[sandbox.strata.dev/runtime] = sandboxed`},
		{name: "an empty name is no class", layer: `{tier: ClusterOverrides, config: {runtimeClassName: ""}}`, from: &sandboxed,
			selector: sel("zone", "a"), toles: []corev1.Toleration{mine},
			wantWarns: []string{`spec.runtimeClassName "sandboxed" overridden by ClusterOverrides layer "l"`}},
		{name: "a default leaves the tenant's class", layer: `{tier: ClusterDefaults, config: {runtimeClassName: gvisor}}`, from: &sandboxed,
			class: new("sandboxed"), overhead: sandboxed.Overhead.PodFixed, selector: sel("zone", "a", "pool", "sandbox", "arch", "amd64"),
			toles: []corev1.Toleration{mine, sandboxTol}},
		{name: "a default gives a pod of no class its class", layer: `{tier: ClusterDefaults, config: {runtimeClassName: gvisor}}`,
			class: new("gvisor"), overhead: gvisor.Overhead.PodFixed, selector: sel("zone", "a", gvisorSel, "gvisor"), toles: []corev1.Toleration{mine, gvisorTol}},
		{name: "a pod patch's class gets what it gives", layer: `{tier: ClusterOverrides, config: {podPatch: {spec: {runtimeClassName: gvisor}}}}`, from: &sandboxed,
			class: new("gvisor"), overhead: gvisor.Overhead.PodFixed, selector: sel("zone", "a", gvisorSel, "gvisor"), toles: []corev1.Toleration{mine, gvisorTol},
			wantWarns: []string{`spec.runtimeClassName "sandboxed" overridden by ClusterOverrides layer "l"`}},
		{name: "an override of a node selector the kept class sets", layer: `{tier: ClusterOverrides, config: {nodeSelector: {pool: batch}}}`, from: &sandboxed,
			wantErr: `spec.runtimeClassName: RuntimeClass "sandboxed": conflict: runtimeClass.scheduling.nodeSelector[pool] = sandbox; pod.spec.nodeSelector[pool] = batch, set by ClusterOverrides layer "l"`},
		{name: "a default of a node selector the kept class sets", layer: `{tier: ClusterDefaults, config: {nodeSelector: {pool: batch}}}`, from: &sandboxed,
			class: new("sandboxed"), overhead: sandboxed.Overhead.PodFixed, selector: sel("zone", "a", "pool", "sandbox", "arch", "amd64"),
			toles: []corev1.Toleration{mine, sandboxTol}},
		{name: "a class that does not exist", layer: `{tier: ClusterOverrides, config: {runtimeClassName: kata}}`,
			wantErr: `Pod "etl/exec-1": spec.runtimeClassName: RuntimeClass "kata" not found`, missing: true},
		{name: "a class a dry run does not hold is left to the webhook", layer: `{tier: ClusterOverrides, config: {runtimeClassName: kata}}`, partial: true,
			class: new("kata"), selector: sel("zone", "a"), toles: []corev1.Toleration{mine},
			wantNote: `spec.runtimeClassName: RuntimeClass "kata" is not in the inputs`},
		{name: "a node selector the class gives another value", layer: `{tier: ClusterOverrides, config: {runtimeClassName: gvisor, nodeSelector: {sandbox.strata.dev/runtime: kata}}}`,
			wantErr: `spec.runtimeClassName: RuntimeClass "gvisor": conflict: runtimeClass.scheduling.nodeSelector[sandbox.strata.dev/runtime] = gvisor; pod.spec.nodeSelector[sandbox.strata.dev/runtime] = kata`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			layers := map[string]string{"l": tc.layer}
			if tc.also != "" {
				layers["d"] = tc.also
			}
			in := fixtures.InputsOf(t, layers)
			in.RuntimeClasses = []nodev1.RuntimeClass{gvisor, sandboxed}
			in.PriorityClassesPartial = tc.partial
			snap, err := overlay.Compile(in)
			if err != nil {
				t.Fatal(err)
			}
			pod := arrived(t, tc.from)
			if tc.wantErr != "" {
				_, err := Compose(snap, cluster, pod)
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				if IsInvalidComposition(err) == tc.missing {
					t.Errorf("an InvalidCompositionError: %v, want %v", IsInvalidComposition(err), !tc.missing)
				}
				return
			}
			res := composeOK(t, snap, pod)
			got := res.Pod.Spec
			if !sameClass(got.RuntimeClassName, tc.class) {
				t.Errorf("class %v, want %v", ptr.Deref(got.RuntimeClassName, "<none>"), ptr.Deref(tc.class, "<none>"))
			}
			if !equality.Semantic.DeepEqual(got.Overhead, tc.overhead) {
				t.Errorf("overhead %v, want %v", got.Overhead, tc.overhead)
			}
			if !reflect.DeepEqual(got.NodeSelector, tc.selector) {
				t.Errorf("node selector %v, want %v", got.NodeSelector, tc.selector)
			}
			if !reflect.DeepEqual(got.Tolerations, tc.toles) {
				t.Errorf("tolerations %v, want %v", got.Tolerations, tc.toles)
			}
			if note := strings.Join(res.Notes, "\n"); (tc.wantNote == "") != (note == "") || !strings.Contains(note, tc.wantNote) {
				t.Errorf("notes %q, want %q", res.Notes, tc.wantNote)
			}
			if !reflect.DeepEqual(res.Warnings, tc.wantWarns) {
				t.Errorf("warnings %q, want %q", res.Warnings, tc.wantWarns)
			}
			admitted, err := Admit(snap, cluster, pod)
			if err != nil || !reflect.DeepEqual(admitted.Patch, res.Patch) {
				t.Errorf("Admit's patch differs from Compose's (%v)", err)
			}
		})
	}
}

// TestAppRuntimeClass: a layer's class lands in the role's pod template of
// a SparkApplication (the section has no field of its own), replacing the
// class the template names when an override; a default leaves the
// template's. The app composed again changes nothing.
func TestAppRuntimeClass(t *testing.T) {
	for _, tc := range []struct {
		name, layer, template string
		want                  string
	}{
		{"no template", `{tier: ClusterOverrides, executor: {runtimeClassName: gvisor}}`, "", "gvisor"},
		{"an override over the template's", `{tier: ClusterOverrides, executor: {runtimeClassName: gvisor}}`, "sandboxed", "gvisor"},
		{"a default under the template's", `{tier: ClusterDefaults, executor: {runtimeClassName: gvisor}}`, "sandboxed", "sandboxed"},
		{"none by an override", `{tier: ClusterOverrides, executor: {runtimeClassName: ""}}`, "sandboxed", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap := fixtures.SnapshotOf(t, map[string]string{"l": tc.layer}, sampleRuntimeClass(), *sandboxRuntimeClass())
			app := fixtures.App(t, "etl-report.yaml").App.DeepCopy()
			if tc.template != "" {
				app.Spec.Executor.Template = &corev1.PodTemplateSpec{Spec: corev1.PodSpec{RuntimeClassName: new(tc.template)}}
			}
			in, err := sparkv1beta2.FromApp(app)
			if err != nil {
				t.Fatal(err)
			}
			res, err := ComposeApp(snap, cluster, in)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if tpl := res.App.App.Spec.Executor.Template; tpl != nil && tpl.Spec.RuntimeClassName != nil {
				got = *tpl.Spec.RuntimeClassName
			}
			if got != tc.want {
				t.Errorf("the executors' template names %q, want %q", got, tc.want)
			}
			if d := res.App.App.Spec.Driver.Template; d != nil && d.Spec.RuntimeClassName != nil {
				t.Errorf("the driver's template names %q: the layer is the executors'", *d.Spec.RuntimeClassName)
			}
			again, err := ComposeApp(snap, cluster, res.App)
			if err != nil || len(again.Patch) != 0 {
				t.Errorf("composing again: %v, %v", again.Patch, err)
			}
		})
	}
}

// TestShadowRuntimeClass: a Shadow layer's class is reported as the
// change it would make, without changing the pod.
func TestShadowRuntimeClass(t *testing.T) {
	snap := fixtures.SnapshotOf(t, map[string]string{"sandbox": `{tier: ClusterOverrides, mode: Shadow, config: {runtimeClassName: gvisor}}`},
		sampleRuntimeClass())
	pod := executorPod()
	res, err := Admit(snap, cluster, pod)
	if err != nil {
		t.Fatal(err)
	}
	if res.Pod.Spec.RuntimeClassName != nil || len(res.Patch) != 0 {
		t.Fatalf("a Shadow layer changed the pod: %v", res.Patch)
	}
	changes, err := ShadowOf(snap, cluster, pod, res)
	if err != nil {
		t.Fatal(err)
	}
	want := ShadowChange{Layer: "sandbox", Field: overlay.PathRuntimeClassName, Shadow: new(`"gvisor"`)}
	if !slices.ContainsFunc(changes, func(c ShadowChange) bool { return reflect.DeepEqual(c, want) }) {
		t.Errorf("changes %+v, want one of %+v", changes, want)
	}
}
