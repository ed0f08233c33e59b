package policy

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/test/fixtures"
)

// TestNamespacePlacementIsNotTheTenants: what the PodNodeSelector and
// PodTolerationRestriction plugins give a pod from its namespace's
// annotations is the platform's while the shipped policy keeps them to
// platform admins; anything else the pod selects or tolerates is still
// judged as the tenant's, and so is all of it in a namespace without those
// annotations, with ones the plugins cannot read, or without the policy.
func TestNamespacePlacementIsNotTheTenants(t *testing.T) {
	in := fixtures.InputsOf(t, map[string]string{"rules": `{tier: ClusterOverrides, config: {
		isolation: {reservedNodeSelectors: [pool], allowedTolerations: [{key: spot}]}}}`})
	placed := map[string]string{
		overlay.NamespaceNodeSelectorAnnotation: "pool=core, zone=a",
		overlay.NamespaceTolerationsAnnotation:  `[{"key":"core","operator":"Exists","effect":"NoSchedule"},{"key":"slow","operator":"Exists","effect":"NoExecute","tolerationSeconds":60}]`,
	}
	unreadable := map[string]string{
		overlay.NamespaceNodeSelectorAnnotation: "pool=core,=a",
		overlay.NamespaceTolerationsAnnotation:  `{"key":"core","operator":"Exists","effect":"NoSchedule"}`,
	}
	for name, annotations := range map[string]map[string]string{"etl": placed, "bare": nil, "unreadable": unreadable} {
		in.Namespaces = append(in.Namespaces, corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: annotations}})
	}
	unguarded, err := overlay.Compile(in)
	if err != nil {
		t.Fatal(err)
	}
	fixtures.NamespaceGuard(t, &in)
	snap, err := overlay.Compile(in)
	if err != nil {
		t.Fatal(err)
	}
	if !snap.NamespacePlacementGuarded() || unguarded.NamespacePlacementGuarded() {
		t.Fatalf("guarded: %v with the shipped namespace guard, %v without", snap.NamespacePlacementGuarded(), unguarded.NamespacePlacementGuarded())
	}
	c := &Check{Engine: builtinEngine(t), Snapshot: snap, Cluster: mutate.Cluster{Name: "c", Pool: "p"}}

	sixty, forever := int64(60), (*int64)(nil)
	tol := func(key string, effect corev1.TaintEffect, seconds *int64) corev1.Toleration {
		return corev1.Toleration{Key: key, Operator: corev1.TolerationOpExists, Effect: effect, TolerationSeconds: seconds}
	}
	memoryPressure := tol(corev1.TaintNodeMemoryPressure, corev1.TaintEffectNoSchedule, nil)
	// pod is an executor in namespace ns, as the plugins leave it: with
	// the namespace's node selector and tolerations, and, unless
	// bestEffort, a memory request and the memory-pressure toleration.
	pod := func(ns string, bestEffort bool, edit func(*corev1.Pod)) *corev1.Pod {
		p := sparkPod("executor")
		p.Namespace = ns
		p.Spec.NodeSelector = map[string]string{"pool": "core", "zone": "a"}
		p.Spec.Tolerations = []corev1.Toleration{tol("core", corev1.TaintEffectNoSchedule, nil), tol("slow", corev1.TaintEffectNoExecute, &sixty)}
		if !bestEffort {
			p.Spec.Containers[0].Resources.Limits = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")}
			p.Spec.Tolerations = append(p.Spec.Tolerations, memoryPressure)
		}
		if edit != nil {
			edit(p)
		}
		return p
	}
	// Without the namespace's placement, both its tolerations and its
	// reserved key are the tenant's; the memory-pressure toleration never is.
	const all = "isolation/allowedTolerations,isolation/allowedTolerations,isolation/reservedNodeSelectors"
	for _, tc := range []struct {
		name string
		pod  *corev1.Pod
		want string
	}{
		{"as the plugins leave it", pod("etl", false, nil), ""},
		{"a BestEffort pod as the plugins leave it", pod("etl", true, nil), ""},
		{"another value of the namespace's key", pod("etl", false, func(p *corev1.Pod) { p.Spec.NodeSelector["pool"] = "gpu" }), "isolation/reservedNodeSelectors"},
		{"the namespace's toleration for longer", pod("etl", false, func(p *corev1.Pod) { p.Spec.Tolerations[1].TolerationSeconds = forever }), "isolation/allowedTolerations"},
		{"the namespace's toleration for another effect", pod("etl", false, func(p *corev1.Pod) { p.Spec.Tolerations[0].Effect = corev1.TaintEffectNoExecute }), "isolation/allowedTolerations"},
		{"a toleration of its own", pod("etl", false, func(p *corev1.Pod) {
			p.Spec.Tolerations = append(p.Spec.Tolerations, tol("gpu", corev1.TaintEffectNoSchedule, nil))
		}), "isolation/allowedTolerations"},
		{"the memory-pressure toleration on a BestEffort pod", pod("etl", true, func(p *corev1.Pod) { p.Spec.Tolerations = append(p.Spec.Tolerations, memoryPressure) }),
			"isolation/allowedTolerations"},
		{"the memory-pressure toleration for a while", pod("etl", false, func(p *corev1.Pod) {
			p.Spec.Tolerations[2].Effect, p.Spec.Tolerations[2].TolerationSeconds = corev1.TaintEffectNoExecute, &sixty
		}), "isolation/allowedTolerations"},
		{"in a namespace without the annotations", pod("bare", false, nil), all},
		{"in a namespace whose annotations the plugins cannot read", pod("unreadable", false, nil), all},
		{"in a namespace the webhook does not know", pod("unknown", false, nil), all},
	} {
		if got, _ := verdict(t, c, tc.pod, Request{}); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	// Without the policy that keeps the annotations to platform admins, a
	// tenant may have written them: what they give is the tenant's.
	c.Snapshot = unguarded
	if got, _ := verdict(t, c, pod("etl", false, nil), Request{}); got != all {
		t.Errorf("as the plugins leave it, the namespace's annotations unguarded: %q, want %q", got, all)
	}
}

// TestClusterPlacementIsNotTheTenants: the cluster's default node selector
// and tolerations of the plugins' configuration are the platform's in
// every namespace they give, whether or not the namespaces' annotations
// are kept to platform admins; a namespace's own annotation replaces the
// default it names, and what the default would have given is then the
// tenant's there.
func TestClusterPlacementIsNotTheTenants(t *testing.T) {
	in := fixtures.InputsOf(t, map[string]string{"rules": `{tier: ClusterOverrides, config: {
		isolation: {reservedNodeSelectors: [pool], allowedTolerations: [{key: spot}]}}}`})
	core := corev1.Toleration{Key: "core", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}
	in.ClusterPlacement = overlay.ClusterPlacement{NodeSelector: map[string]string{"pool": "core"}, Tolerations: []corev1.Toleration{core}}
	for name, annotations := range map[string]map[string]string{
		"bare":           nil,
		"own-selector":   {overlay.NamespaceNodeSelectorAnnotation: "zone=a"},
		"no-tolerations": {overlay.NamespaceTolerationsAnnotation: "[]"},
	} {
		in.Namespaces = append(in.Namespaces, corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: annotations}})
	}
	unguarded, err := overlay.Compile(in)
	if err != nil {
		t.Fatal(err)
	}
	fixtures.NamespaceGuard(t, &in)
	guarded, err := overlay.Compile(in)
	if err != nil {
		t.Fatal(err)
	}
	// pod is an executor as the plugins leave it in a namespace without
	// annotations: with the cluster's node selector and toleration.
	pod := func(ns string) *corev1.Pod {
		p := sparkPod("executor")
		p.Namespace = ns
		p.Spec.NodeSelector = map[string]string{"pool": "core"}
		p.Spec.Tolerations = []corev1.Toleration{core}
		return p
	}
	for _, snap := range []*overlay.Snapshot{guarded, unguarded} {
		c := &Check{Engine: builtinEngine(t), Snapshot: snap, Cluster: mutate.Cluster{Name: "c", Pool: "p"}}
		for _, tc := range []struct {
			namespace, want string
		}{
			{"bare", ""},
			{"unknown", ""},
			{"own-selector", "isolation/reservedNodeSelectors"},
			{"no-tolerations", "isolation/allowedTolerations"},
		} {
			if got, _ := verdict(t, c, pod(tc.namespace), Request{}); got != tc.want {
				t.Errorf("guarded %v, in %s: %q, want %q", snap.NamespacePlacementGuarded(), tc.namespace, got, tc.want)
			}
		}
	}
}

// TestBestEffort holds mutate.BestEffort to the API server's QoS classes.
func TestBestEffort(t *testing.T) {
	q := resource.MustParse
	for _, tc := range []struct {
		name string
		edit func(*corev1.Pod)
		want bool
	}{
		{"no resources", func(*corev1.Pod) {}, true},
		{"zero requests", func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: q("0"), corev1.ResourceMemory: q("0")}
		}, true},
		{"another resource only", func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources.Limits = corev1.ResourceList{"nvidia.com/gpu": q("1")}
		}, true},
		{"a CPU request", func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: q("1m")}
		}, false},
		{"a memory limit on an init container", func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "i", Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: q("1Mi")}}}}
		}, false},
		{"the pod's own requests", func(p *corev1.Pod) {
			p.Spec.Resources = &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceMemory: q("1Gi")}}
		}, false},
	} {
		p := sparkPod("executor")
		tc.edit(p)
		if got := mutate.BestEffort(p); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestCheckPredictsPlacement: with Check.Placement, a pod is refused as
// the API server's placement plugins refuse it after the mutating
// webhooks (a node selector against the namespace's, a toleration outside
// its whitelist), PodTolerationRestriction on an update too, and an
// application by the pods it launches; without it nothing changes.
func TestCheckPredictsPlacement(t *testing.T) {
	in := fixtures.InputsOf(t, map[string]string{"batch": `{tier: NamespaceOverrides, match: {namespaces: [etl]}, config: {nodeSelector: {pool: batch}}}`})
	in.Namespaces = []corev1.Namespace{{ObjectMeta: metav1.ObjectMeta{Name: "etl", Annotations: map[string]string{
		overlay.NamespaceNodeSelectorAnnotation:              "pool=gpu",
		"scheduler.alpha.kubernetes.io/tolerationsWhitelist": `[{"key":"gpu","operator":"Exists"}]`,
	}}}}
	snap, err := overlay.Compile(in)
	if err != nil {
		t.Fatal(err)
	}
	cluster := mutate.Cluster{Name: "prod-a", Pool: "batch"}
	both := mutate.PlacementPlugins{PodNodeSelector: true, PodTolerationRestriction: true}
	placement := func(d Decision) []string {
		var out []string
		for _, v := range d.Violations {
			if v.Policy == PodNodeSelectorPolicy || v.Policy == PodTolerationRestrictionPolicy {
				out = append(out, v.Message)
			}
		}
		return out
	}
	pod := sparkPod("executor")
	pod.Spec.NodeSelector = map[string]string{"pool": "batch"}
	pod.Spec.Tolerations = []corev1.Toleration{{Key: "gpu", Operator: corev1.TolerationOpExists}, {Key: "spot", Operator: corev1.TolerationOpExists}}
	const (
		selector = "pod-node-selector: pod node label selector conflicts with its namespace node label selector: pool=batch against the namespace's pool=gpu (the API server's PodNodeSelector admission refuses the pod after the mutating webhooks, before any validating webhook)"
		spot     = `pod-toleration-restriction: pod tolerations (possibly merged with namespace default tolerations) conflict with its namespace whitelist: "spot op=Exists" not covered (the API server's PodTolerationRestriction admission refuses the pod after the mutating webhooks, before any validating webhook)`
	)
	for _, tc := range []struct {
		name string
		pp   mutate.PlacementPlugins
		req  Request
		want []string
	}{
		{"not predicted", mutate.PlacementPlugins{}, Request{Operation: "CREATE"}, nil},
		{"created", both, Request{Operation: "CREATE"}, []string{selector, spot}},
		{"PodNodeSelector alone", mutate.PlacementPlugins{PodNodeSelector: true}, Request{Operation: "CREATE"}, []string{selector}},
		{"updated: tolerations only", both, Request{Operation: "UPDATE", Old: pod}, []string{spot}},
	} {
		c := &Check{Engine: builtinEngine(t), Snapshot: snap, Cluster: cluster, Placement: tc.pp}
		_, d, err := c.Pod(context.Background(), pod, tc.req, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := placement(d); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
		if len(tc.want) > 0 && d.Allowed() {
			t.Errorf("%s: allowed", tc.name)
		}
	}

	// The example application's pods get the override's pool.
	app, err := mutate.ComposeApp(snap, cluster, fixtures.App(t, "etl-report.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c := &Check{Engine: builtinEngine(t), Snapshot: snap, Cluster: cluster, Placement: both}
	_, d, err := c.App(context.Background(), OperatorDefaults(&app.App.App), Request{Operation: "CREATE", Namespace: "etl"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(placement(d), "\n")
	for _, role := range []string{"driver", "executor"} {
		want := fmt.Sprintf(`pod-node-selector: SparkApplication "etl-report": %s pod: pod node label selector conflicts with its namespace node label selector: pool=batch against the namespace's pool=gpu (the API server's PodNodeSelector admission)`, role)
		if !strings.Contains(got, want) {
			t.Errorf("the application's violations:\n%s\nwant %q", got, want)
		}
	}
}

// TestUnreadableDefaultTolerationsOnUpdate: PodTolerationRestriction
// reads a namespace's default tolerations on a pod's creation only, so
// one it cannot read refuses creations, not updates.
func TestUnreadableDefaultTolerationsOnUpdate(t *testing.T) {
	in := fixtures.InputsOf(t, map[string]string{"none": `{tier: ClusterDefaults, config: {}}`})
	in.Namespaces = []corev1.Namespace{{ObjectMeta: metav1.ObjectMeta{Name: "etl", Annotations: map[string]string{overlay.NamespaceTolerationsAnnotation: "{"}}}}
	snap, err := overlay.Compile(in)
	if err != nil {
		t.Fatal(err)
	}
	c := &Check{Engine: builtinEngine(t), Snapshot: snap, Cluster: mutate.Cluster{Name: "prod-a", Pool: "batch"},
		Placement: mutate.PlacementPlugins{PodTolerationRestriction: true}}
	pod := sparkPod("executor")
	refused := func(req Request) bool {
		_, d, err := c.Pod(context.Background(), pod, req, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range d.Violations {
			if v.Policy == PodTolerationRestrictionPolicy && strings.Contains(v.Message, "annotation scheduler.alpha.kubernetes.io/defaultTolerations") {
				return true
			}
		}
		return false
	}
	if !refused(Request{Operation: "CREATE"}) {
		t.Errorf("a creation is not refused")
	}
	if refused(Request{Operation: "UPDATE", Old: pod}) {
		t.Errorf("an update is refused")
	}
}
