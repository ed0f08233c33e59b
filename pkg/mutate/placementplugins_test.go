package mutate

import (
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/strata-dev/strata/pkg/overlay"
)

// TestPlacePod holds PlacePod to the API server's PodNodeSelector,
// DefaultTolerationSeconds and PodTolerationRestriction plugins, case by
// case: what they give a new pod, and what they refuse.
func TestPlacePod(t *testing.T) {
	secs := int64(300)
	notReady := corev1.Toleration{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &secs}
	unreachable := corev1.Toleration{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &secs}
	memory := corev1.Toleration{Key: corev1.TaintNodeMemoryPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}
	gpu := corev1.Toleration{Key: "node.strata.dev/gpu", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}
	spot := corev1.Toleration{Key: "node.strata.dev/spot", Operator: corev1.TolerationOpExists}
	everything := corev1.Toleration{Operator: corev1.TolerationOpExists}
	both := PlacementPlugins{PodNodeSelector: true, PodTolerationRestriction: true}
	pinned := overlay.NamespacePlacement{NodeSelector: map[string]string{"pool": "gpu"}, Tolerations: []corev1.Toleration{gpu}}
	burstable := func(edit func(*corev1.Pod)) *corev1.Pod {
		p := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c",
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}}}}}}
		if edit != nil {
			edit(p)
		}
		return p
	}
	for _, tc := range []struct {
		name      string
		p         overlay.NamespacePlacement
		pp        PlacementPlugins
		pod       *corev1.Pod
		selector  map[string]string
		tols      []corev1.Toleration
		refusal   string // a part of the joined refusals; "" for none
		unchanged bool
	}{
		{name: "no plugin", p: pinned, pod: burstable(nil), unchanged: true},
		{name: "the namespace's placement", p: pinned, pp: both, pod: burstable(nil),
			selector: map[string]string{"pool": "gpu"}, tols: []corev1.Toleration{notReady, unreachable, gpu, memory}},
		{name: "PodNodeSelector alone", p: pinned, pp: PlacementPlugins{PodNodeSelector: true}, pod: burstable(nil),
			selector: map[string]string{"pool": "gpu"}},
		{name: "PodTolerationRestriction alone", p: pinned, pp: PlacementPlugins{PodTolerationRestriction: true}, pod: burstable(nil),
			tols: []corev1.Toleration{notReady, unreachable, gpu, memory}},
		{name: "a BestEffort pod has no memory-pressure toleration", p: pinned, pp: both, pod: &corev1.Pod{},
			selector: map[string]string{"pool": "gpu"}, tols: []corev1.Toleration{notReady, unreachable, gpu}},
		{name: "the pod's own keys kept", p: pinned, pp: both, pod: burstable(func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"zone": "a", "pool": "gpu"} }),
			selector: map[string]string{"pool": "gpu", "zone": "a"}, tols: []corev1.Toleration{notReady, unreachable, gpu, memory}},
		{name: "a toleration of every taint covers the rest", p: pinned, pp: both, pod: burstable(func(p *corev1.Pod) { p.Spec.Tolerations = []corev1.Toleration{everything} }),
			selector: map[string]string{"pool": "gpu"}, tols: []corev1.Toleration{everything}},
		{name: "a conflicting pool", p: pinned, pp: both, pod: burstable(func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"pool": "cpu"} }),
			refusal: "PodNodeSelector: pod node label selector conflicts with its namespace node label selector: pool=cpu against the namespace's pool=gpu"},
		{name: "outside the selector whitelist", p: overlay.NamespacePlacement{NodeSelectorWhitelist: map[string]string{"pool": "gpu"}}, pp: both,
			pod:     burstable(func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"pool": "cpu"} }),
			refusal: "PodNodeSelector: pod node label selector labels conflict with its namespace whitelist: pool=cpu not in pool=gpu"},
		{name: "the API server's own tolerations judged by the whitelist", p: overlay.NamespacePlacement{TolerationsWhitelist: []corev1.Toleration{gpu}},
			pp: both, pod: burstable(nil),
			refusal: `PodTolerationRestriction: pod tolerations (possibly merged with namespace default tolerations) conflict with its namespace whitelist: "node.kubernetes.io/not-ready:NoExecute op=Exists for 300s", "node.kubernetes.io/unreachable:NoExecute op=Exists for 300s", "node.kubernetes.io/memory-pressure:NoSchedule op=Exists" not covered`},
		{name: "the cluster's whitelist", p: overlay.NamespacePlacement{TolerationsWhitelist: []corev1.Toleration{everything, gpu}[1:], ClusterWhitelist: true},
			pp: both, pod: &corev1.Pod{}, refusal: `conflict with its cluster whitelist: "node.kubernetes.io/not-ready:NoExecute`},
		{name: "a whitelist annotation the plugin cannot read", p: overlay.NamespacePlacement{UnreadableWhitelist: "annotation scheduler.alpha.kubernetes.io/tolerationsWhitelist: unexpected end of JSON input"},
			pp: both, pod: burstable(nil), refusal: "PodTolerationRestriction: the namespace's annotation scheduler.alpha.kubernetes.io/tolerationsWhitelist: unexpected end of JSON input"},
		{name: "a whitelist of every taint", p: overlay.NamespacePlacement{TolerationsWhitelist: []corev1.Toleration{everything}}, pp: both,
			pod: burstable(func(p *corev1.Pod) { p.Spec.Tolerations = []corev1.Toleration{spot} }), tols: []corev1.Toleration{spot, notReady, unreachable, memory}},
		{name: "an annotation the plugin cannot read", p: overlay.NamespacePlacement{UnreadableTolerations: "annotation scheduler.alpha.kubernetes.io/defaultTolerations: unexpected end of JSON input"},
			pp: both, pod: burstable(nil), refusal: "PodTolerationRestriction: the namespace's annotation scheduler.alpha.kubernetes.io/defaultTolerations: unexpected end of JSON input"},
		{name: "an annotation unread without its plugin", p: overlay.NamespacePlacement{UnreadableTolerations: "annotation scheduler.alpha.kubernetes.io/defaultTolerations: unexpected end of JSON input"},
			pp: PlacementPlugins{PodNodeSelector: true}, pod: burstable(nil)},
		{name: "the whitelist unread without its plugin", p: overlay.NamespacePlacement{TolerationsWhitelist: []corev1.Toleration{gpu}},
			pp: PlacementPlugins{PodNodeSelector: true}, pod: burstable(func(p *corev1.Pod) { p.Spec.Tolerations = []corev1.Toleration{spot} }),
			tols: []corev1.Toleration{spot}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.pod.DeepCopy()
			got, refusals := PlacePod(tc.p, tc.pod, tc.pp)
			if !reflect.DeepEqual(tc.pod, before) {
				t.Errorf("the pod given was changed")
			}
			var texts []string
			for _, r := range refusals {
				texts = append(texts, r.String())
			}
			if joined := strings.Join(texts, "; "); (tc.refusal == "") != (joined == "") || !strings.Contains(joined, tc.refusal) {
				t.Fatalf("refusals %q, want %q", joined, tc.refusal)
			}
			if tc.refusal != "" {
				return
			}
			if tc.unchanged {
				if got != tc.pod {
					t.Errorf("without a plugin, the pod is returned as it is")
				}
				return
			}
			if !reflect.DeepEqual(got.Spec.NodeSelector, tc.selector) && (len(got.Spec.NodeSelector) > 0 || len(tc.selector) > 0) {
				t.Errorf("node selector %v, want %v", got.Spec.NodeSelector, tc.selector)
			}
			if !reflect.DeepEqual(got.Spec.Tolerations, tc.tols) && (len(got.Spec.Tolerations) > 0 || len(tc.tols) > 0) {
				t.Errorf("tolerations\n%v\nwant\n%v", got.Spec.Tolerations, tc.tols)
			}
			// Placing twice changes nothing: the webhook's pod is the API
			// server's.
			again, refusals := PlacePod(tc.p, got, tc.pp)
			if len(refusals) > 0 || !reflect.DeepEqual(again, got) {
				t.Errorf("placed again: %v, refusals %v", again.Spec, refusals)
			}
		})
	}
}

func TestParsePlacementPlugins(t *testing.T) {
	pp, err := ParsePlacementPlugins([]string{"PodTolerationRestriction", " PodNodeSelector"})
	if err != nil || pp != (PlacementPlugins{PodNodeSelector: true, PodTolerationRestriction: true}) {
		t.Errorf("both: %+v, %v", pp, err)
	}
	if pp, err := ParsePlacementPlugins(nil); err != nil || pp.Any() {
		t.Errorf("none: %+v, %v", pp, err)
	}
	for _, name := range []string{"NodeRestriction", "podnodeselector", ""} {
		if _, err := ParsePlacementPlugins([]string{name}); err == nil || !strings.Contains(err.Error(), "known: PodNodeSelector, PodTolerationRestriction") {
			t.Errorf("%q: %v, want an error naming the known plugins", name, err)
		}
	}
}

// TestExtendedResourceTolerations holds PlacePod's ExtendedResourceToleration
// to the API server's plugin: a toleration of each extended resource a
// container or init container requests (a limit alone requests it, by the
// API server's defaults), in name order, none for a native
// or kubernetes.io resource, one of the pod's alike replaced.
func TestExtendedResourceTolerations(t *testing.T) {
	q := resource.MustParse
	exists := func(key string) corev1.Toleration {
		return corev1.Toleration{Key: key, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}
	}
	secs := int64(60)
	ownGPU := exists("nvidia.com/gpu")
	ownGPU.TolerationSeconds = &secs
	pod := &corev1.Pod{Spec: corev1.PodSpec{
		InitContainers: []corev1.Container{{Name: "i", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{"example.com/fpga": q("1")}}}},
		Containers: []corev1.Container{{Name: "c", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
			"nvidia.com/gpu": q("1"), corev1.ResourceCPU: q("1"), "hugepages-2Mi": q("2Mi"), "example.kubernetes.io/thing": q("1"), "requests.example.com/x": q("1")},
			Limits: corev1.ResourceList{"amd.com/gpu": q("1")}}}},
		Tolerations: []corev1.Toleration{ownGPU, exists("spot")},
	}}
	got, refusals := PlacePod(overlay.NamespacePlacement{}, pod, PlacementPlugins{ExtendedResourceToleration: true})
	if len(refusals) > 0 {
		t.Fatalf("refusals %v", refusals)
	}
	// The pod's own toleration of the GPU has the same key, effect,
	// operator and value: replaced where it stands.
	want := []corev1.Toleration{exists("nvidia.com/gpu"), exists("spot"), exists("amd.com/gpu"), exists("example.com/fpga")}
	if !reflect.DeepEqual(got.Spec.Tolerations, want) {
		t.Errorf("tolerations\n%v\nwant\n%v", got.Spec.Tolerations, want)
	}
	if again, _ := PlacePod(overlay.NamespacePlacement{}, got, PlacementPlugins{ExtendedResourceToleration: true}); !reflect.DeepEqual(again, got) {
		t.Errorf("placed twice: %v", again.Spec.Tolerations)
	}
	if len(pod.Spec.Tolerations) != 2 || pod.Spec.Tolerations[0].TolerationSeconds == nil {
		t.Errorf("the pod given was changed: %v", pod.Spec.Tolerations)
	}
	// The whitelist of PodTolerationRestriction judges them too.
	_, refusals = PlacePod(overlay.NamespacePlacement{TolerationsWhitelist: []corev1.Toleration{{Operator: corev1.TolerationOpExists, Key: "spot"}}}, pod,
		PlacementPlugins{ExtendedResourceToleration: true})
	if len(refusals) > 0 {
		t.Errorf("without PodTolerationRestriction, refusals %v", refusals)
	}
}
