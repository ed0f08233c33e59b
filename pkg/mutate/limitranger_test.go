package mutate

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/strata-dev/strata/pkg/overlay/quantity"
)

// resources reads "cpu=1,memory=2Gi" pairs into a ResourceList.
func resources(pairs ...string) corev1.ResourceList {
	out := corev1.ResourceList{}
	for i := 0; i+1 < len(pairs); i += 2 {
		out[corev1.ResourceName(pairs[i])] = resource.MustParse(pairs[i+1])
	}
	return out
}

// limitRange is a LimitRange of the named items.
func limitRange(name string, items ...corev1.LimitRangeItem) *corev1.LimitRange {
	return &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "etl"}, Spec: corev1.LimitRangeSpec{Limits: items}}
}

// TestLimitPod holds LimitPod to the API server's LimitRanger plugin,
// case by case: the requests and limits it gives each container, and the
// annotation saying so.
func TestLimitPod(t *testing.T) {
	defaults := limitRange("defaults", corev1.LimitRangeItem{Type: corev1.LimitTypeContainer,
		Default: resources("cpu", "2", "memory", "4Gi"), DefaultRequest: resources("cpu", "500m", "memory", "1Gi")})
	pod := func(containers ...corev1.Container) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "etl"}, Spec: corev1.PodSpec{Containers: containers}}
	}
	for _, tc := range []struct {
		name       string
		ranges     []*corev1.LimitRange
		pod        *corev1.Pod
		want       []corev1.ResourceRequirements // of each container, then each init container
		annotation string                        // "" for none
	}{
		{name: "no LimitRange", pod: pod(corev1.Container{Name: "c"}), want: []corev1.ResourceRequirements{{}}},
		{name: "a Pod item gives nothing", ranges: []*corev1.LimitRange{limitRange("pod", corev1.LimitRangeItem{Type: corev1.LimitTypePod, Max: resources("cpu", "4")})},
			pod: pod(corev1.Container{Name: "c"}), want: []corev1.ResourceRequirements{{}}},
		{name: "a container without resources", ranges: []*corev1.LimitRange{defaults}, pod: pod(corev1.Container{Name: "c"}),
			want:       []corev1.ResourceRequirements{{Requests: resources("cpu", "500m", "memory", "1Gi"), Limits: resources("cpu", "2", "memory", "4Gi")}},
			annotation: "LimitRanger plugin set: cpu, memory request for container c; cpu, memory limit for container c"},
		{name: "its own request kept", ranges: []*corev1.LimitRange{defaults},
			pod:        pod(corev1.Container{Name: "c", Resources: corev1.ResourceRequirements{Requests: resources("cpu", "3")}}),
			want:       []corev1.ResourceRequirements{{Requests: resources("cpu", "3", "memory", "1Gi"), Limits: resources("cpu", "2", "memory", "4Gi")}},
			annotation: "LimitRanger plugin set: memory request for container c; cpu, memory limit for container c"},
		{name: "a limit is its request (the API server's defaults)", ranges: []*corev1.LimitRange{defaults},
			pod:        pod(corev1.Container{Name: "c", Resources: corev1.ResourceRequirements{Limits: resources("memory", "8Gi")}}),
			want:       []corev1.ResourceRequirements{{Requests: resources("cpu", "500m"), Limits: resources("cpu", "2", "memory", "8Gi")}},
			annotation: "LimitRanger plugin set: cpu request for container c; cpu limit for container c"},
		{name: "nothing to give", ranges: []*corev1.LimitRange{defaults},
			pod:  pod(corev1.Container{Name: "c", Resources: corev1.ResourceRequirements{Requests: resources("cpu", "1", "memory", "1Gi"), Limits: resources("cpu", "1", "memory", "1Gi")}}),
			want: []corev1.ResourceRequirements{{Requests: resources("cpu", "1", "memory", "1Gi"), Limits: resources("cpu", "1", "memory", "1Gi")}}},
		{name: "init containers too", ranges: []*corev1.LimitRange{limitRange("cpu", corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, DefaultRequest: resources("cpu", "100m")})},
			pod: func() *corev1.Pod {
				p := pod(corev1.Container{Name: "c"})
				p.Spec.InitContainers = []corev1.Container{{Name: "i"}}
				return p
			}(),
			want:       []corev1.ResourceRequirements{{Requests: resources("cpu", "100m")}, {Requests: resources("cpu", "100m")}},
			annotation: "LimitRanger plugin set: cpu request for container c; cpu request for init container i"},
		{name: "the first LimitRange gives a resource; the last to set anything names it",
			ranges: []*corev1.LimitRange{
				limitRange("a", corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, DefaultRequest: resources("cpu", "100m")}),
				limitRange("b", corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, DefaultRequest: resources("cpu", "900m", "memory", "1Gi")}),
			},
			pod:        pod(corev1.Container{Name: "c"}),
			want:       []corev1.ResourceRequirements{{Requests: resources("cpu", "100m", "memory", "1Gi")}},
			annotation: "LimitRanger plugin set: memory request for container c"},
		{name: "a later item of a LimitRange wins", ranges: []*corev1.LimitRange{limitRange("two",
			corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Default: resources("cpu", "1")},
			corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Default: resources("cpu", "3")})},
			pod:        pod(corev1.Container{Name: "c"}),
			want:       []corev1.ResourceRequirements{{Limits: resources("cpu", "3")}},
			annotation: "LimitRanger plugin set: cpu limit for container c"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.pod.DeepCopy()
			out := LimitPod(tc.ranges, tc.pod)
			if !reflect.DeepEqual(tc.pod, before) {
				t.Fatal("LimitPod changed the pod it was given")
			}
			var got []corev1.ResourceRequirements
			for _, c := range slices.Concat(out.Spec.Containers, out.Spec.InitContainers) {
				r := c.Resources
				if len(r.Requests) == 0 {
					r.Requests = nil
				}
				if len(r.Limits) == 0 {
					r.Limits = nil
				}
				got = append(got, r)
			}
			if !equalResources(got, tc.want) {
				t.Errorf("resources:\n got %v\nwant %v", got, tc.want)
			}
			if a := out.Annotations[LimitRangerAnnotation]; a != tc.annotation {
				t.Errorf("annotation %q, want %q", a, tc.annotation)
			}
			if tc.annotation == "" && out != tc.pod {
				t.Error("a pod given nothing was copied")
			}
			// Apply twice: the plugin gives a pod nothing more.
			if again := LimitPod(tc.ranges, out); !reflect.DeepEqual(again.Spec, out.Spec) {
				t.Errorf("applied twice:\n got %v\nwant %v", again.Spec.Containers, out.Spec.Containers)
			}
		})
	}
}

// equalResources compares requirements by quantity, not by a quantity's
// spelling.
func equalResources(a, b []corev1.ResourceRequirements) bool {
	same := func(x, y corev1.ResourceList) bool {
		if len(x) != len(y) {
			return false
		}
		for k, q := range x {
			if o, ok := y[k]; !ok || q.Cmp(o) != 0 {
				return false
			}
		}
		return true
	}
	return slices.EqualFunc(a, b, func(x, y corev1.ResourceRequirements) bool {
		return same(x.Requests, y.Requests) && same(x.Limits, y.Limits)
	})
}

// TestLimitRefusals holds LimitRefusals to the LimitRanger plugin's
// validation, in its words, bound by bound.
func TestLimitRefusals(t *testing.T) {
	container := func(requests, limits corev1.ResourceList) corev1.Container {
		return corev1.Container{Name: "c", Resources: corev1.ResourceRequirements{Requests: requests, Limits: limits}}
	}
	always := corev1.ContainerRestartPolicyAlways
	for _, tc := range []struct {
		name string
		item corev1.LimitRangeItem
		pod  corev1.PodSpec
		want []string
	}{
		{name: "within the bounds", item: corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Min: resources("cpu", "100m"), Max: resources("cpu", "2"),
			MaxLimitRequestRatio: resources("cpu", "4")},
			pod: corev1.PodSpec{Containers: []corev1.Container{container(resources("cpu", "500m"), resources("cpu", "2"))}}},
		{name: "no request under a minimum", item: corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Min: resources("cpu", "100m")},
			pod:  corev1.PodSpec{Containers: []corev1.Container{container(nil, nil)}},
			want: []string{`LimitRange "lr": container "c": minimum cpu usage per Container is 100m.  No request is specified`}},
		{name: "a limit is its request", item: corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Min: resources("cpu", "100m")},
			pod: corev1.PodSpec{Containers: []corev1.Container{container(nil, resources("cpu", "1"))}}},
		{name: "a request below the minimum", item: corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Min: resources("memory", "1Gi")},
			pod:  corev1.PodSpec{Containers: []corev1.Container{container(resources("memory", "512Mi"), nil)}},
			want: []string{`LimitRange "lr": container "c": minimum memory usage per Container is 1Gi, but request is 512Mi`}},
		{name: "no limit under a maximum", item: corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Max: resources("memory", "8Gi")},
			pod:  corev1.PodSpec{Containers: []corev1.Container{container(resources("memory", "1Gi"), nil)}},
			want: []string{`LimitRange "lr": container "c": maximum memory usage per Container is 8Gi.  No limit is specified`}},
		{name: "a limit above the maximum", item: corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Max: resources("memory", "8Gi")},
			pod:  corev1.PodSpec{Containers: []corev1.Container{container(nil, resources("memory", "16Gi"))}},
			want: []string{`LimitRange "lr": container "c": maximum memory usage per Container is 8Gi, but limit is 16Gi`}},
		{name: "a ratio above the maximum", item: corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, MaxLimitRequestRatio: resources("cpu", "2")},
			pod:  corev1.PodSpec{Containers: []corev1.Container{container(resources("cpu", "500m"), resources("cpu", "2"))}},
			want: []string{`LimitRange "lr": container "c": cpu max limit to request ratio per Container is 2, but provided ratio is 4.000000`}},
		{name: "a ratio without a limit", item: corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, MaxLimitRequestRatio: resources("cpu", "2")},
			pod:  corev1.PodSpec{Containers: []corev1.Container{container(resources("cpu", "500m"), nil)}},
			want: []string{`LimitRange "lr": container "c": cpu max limit to request ratio per Container is 2, but no limit is specified or limit is 0`}},
		{name: "init containers are bounded too", item: corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Min: resources("cpu", "100m")},
			pod: corev1.PodSpec{Containers: []corev1.Container{container(resources("cpu", "1"), nil)},
				InitContainers: []corev1.Container{{Name: "i"}}},
			want: []string{`LimitRange "lr": container "i": minimum cpu usage per Container is 100m.  No request is specified`}},
		{name: "every resource, in name order", item: corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Min: resources("memory", "1Gi", "cpu", "1")},
			pod: corev1.PodSpec{Containers: []corev1.Container{container(nil, nil)}},
			want: []string{`LimitRange "lr": container "c": minimum cpu usage per Container is 1.  No request is specified`,
				`LimitRange "lr": container "c": minimum memory usage per Container is 1Gi.  No request is specified`}},
		{name: "a pod's containers and sidecars, summed", item: corev1.LimitRangeItem{Type: corev1.LimitTypePod, Max: resources("cpu", "3")},
			pod: corev1.PodSpec{
				Containers: []corev1.Container{container(resources("cpu", "1"), resources("cpu", "2")), {Name: "d", Resources: corev1.ResourceRequirements{Limits: resources("cpu", "1")}}},
				InitContainers: []corev1.Container{{Name: "sidecar", RestartPolicy: &always, Resources: corev1.ResourceRequirements{Limits: resources("cpu", "500m")}},
					{Name: "init", Resources: corev1.ResourceRequirements{Limits: resources("cpu", "3")}}}},
			want: []string{`LimitRange "lr": maximum cpu usage per Pod is 3, but limit is 3500m`}},
		{name: "an init container larger than the rest", item: corev1.LimitRangeItem{Type: corev1.LimitTypePod, Max: resources("cpu", "3")},
			pod: corev1.PodSpec{Containers: []corev1.Container{container(nil, resources("cpu", "1"))},
				InitContainers: []corev1.Container{{Name: "init", Resources: corev1.ResourceRequirements{Limits: resources("cpu", "4")}}}},
			want: []string{`LimitRange "lr": maximum cpu usage per Pod is 3, but limit is 4`}},
		{name: "the pod's own resources", item: corev1.LimitRangeItem{Type: corev1.LimitTypePod, Max: resources("cpu", "3")},
			pod: corev1.PodSpec{Containers: []corev1.Container{container(nil, resources("cpu", "1"))},
				Resources: &corev1.ResourceRequirements{Limits: resources("cpu", "5")}},
			want: []string{`LimitRange "lr": maximum cpu usage per Pod is 3, but limit is 5`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := &corev1.Pod{Spec: tc.pod}
			var got []string
			for _, r := range LimitRefusals([]*corev1.LimitRange{limitRange("lr", tc.item)}, pod) {
				got = append(got, r.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("refusals:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// FuzzLimitRanger runs the LimitRanger plugin's prediction on a pod and a
// LimitRange of arbitrary JSON, as the composer decodes them (quantities
// bounded first): it must never panic, give a pod what it gives once
// (applied twice, nothing more), and judge what it gave without error.
func FuzzLimitRanger(f *testing.F) {
	f.Add([]byte(`{"spec":{"limits":[{"type":"Container","default":{"cpu":"1"},"defaultRequest":{"memory":"1Gi"},"min":{"cpu":"100m"},"max":{"memory":"8Gi"},"maxLimitRequestRatio":{"cpu":"4"}},{"type":"Pod","max":{"cpu":"4"}}]}}`),
		[]byte(`{"spec":{"containers":[{"name":"c","resources":{"limits":{"memory":"2Gi"}}}],"initContainers":[{"name":"s","restartPolicy":"Always"}]}}`))
	f.Add([]byte(`{"spec":{"limits":[{"type":"Container","maxLimitRequestRatio":{"cpu":"9223372036854775807"}}]}}`),
		[]byte(`{"spec":{"containers":[{"name":"c","resources":{"requests":{"cpu":"1m"},"limits":{"cpu":"9223372036854775807"}}}]}}`))
	f.Fuzz(func(t *testing.T, rangeJSON, podJSON []byte) {
		var lr corev1.LimitRange
		var pod corev1.Pod
		for _, d := range []struct {
			data []byte
			into any
		}{{rangeJSON, &lr}, {podJSON, &pod}} {
			if quantity.CheckJSON(d.data, reflect.TypeOf(d.into).Elem()) != nil || json.Unmarshal(d.data, d.into) != nil {
				return
			}
		}
		ranges := []*corev1.LimitRange{&lr}
		once := LimitPod(ranges, &pod)
		if twice := LimitPod(ranges, once); !reflect.DeepEqual(twice.Spec, once.Spec) {
			t.Fatalf("applied twice:\n%v\nonce:\n%v", twice.Spec, once.Spec)
		}
		for _, r := range LimitRefusals(ranges, once) {
			if r.Reason == "" {
				t.Fatalf("a refusal without a reason: %+v", r)
			}
		}
	})
}

// TestInvalidRequests holds InvalidRequests to the API server's
// validation of a container's requests against its limits, in its words.
func TestInvalidRequests(t *testing.T) {
	c := func(requests, limits corev1.ResourceList) corev1.Container {
		return corev1.Container{Name: "c", Resources: corev1.ResourceRequirements{Requests: requests, Limits: limits}}
	}
	for _, tc := range []struct {
		name string
		spec corev1.PodSpec
		want []string
	}{
		{name: "a request under its limit", spec: corev1.PodSpec{Containers: []corev1.Container{c(resources("cpu", "1"), resources("cpu", "2"))}}},
		{name: "a request without a limit", spec: corev1.PodSpec{Containers: []corev1.Container{c(resources("cpu", "8"), nil)}}},
		{name: "a request above its limit", spec: corev1.PodSpec{Containers: []corev1.Container{c(resources("cpu", "1"), resources("cpu", "500m"))}},
			want: []string{`spec.containers[0].resources.requests: Invalid value: "1": must be less than or equal to cpu limit of 500m`}},
		{name: "an init container's", spec: corev1.PodSpec{Containers: []corev1.Container{c(nil, nil)},
			InitContainers: []corev1.Container{c(nil, nil), c(resources("memory", "2Gi"), resources("memory", "1Gi"))}},
			want: []string{`spec.initContainers[1].resources.requests: Invalid value: "2Gi": must be less than or equal to memory limit of 1Gi`}},
		{name: "an extended resource is not overcommitted", spec: corev1.PodSpec{Containers: []corev1.Container{c(resources("nvidia.com/gpu", "1"), resources("nvidia.com/gpu", "2"))}},
			want: []string{`spec.containers[0].resources.requests: Invalid value: "1": must be equal to nvidia.com/gpu limit of 2`}},
		{name: "nor huge pages", spec: corev1.PodSpec{Containers: []corev1.Container{c(resources("hugepages-2Mi", "2Mi"), resources("hugepages-2Mi", "4Mi"))}},
			want: []string{`spec.containers[0].resources.requests: Invalid value: "2Mi": must be equal to hugepages-2Mi limit of 4Mi`}},
		{name: "a kubernetes.io resource is native", spec: corev1.PodSpec{Containers: []corev1.Container{c(resources("kubernetes.io/batteries", "1"), resources("kubernetes.io/batteries", "2"))}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, e := range InvalidRequests(&corev1.Pod{Spec: tc.spec}) {
				got = append(got, e.Error())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}
