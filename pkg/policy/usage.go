package policy

import (
	"fmt"
	"math"
	"math/bits"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	resourcehelper "k8s.io/component-helpers/resource"

	"github.com/strata-dev/strata/pkg/overlay/quantity"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// The largest requests Strata counts (see v1alpha1.MaxCountableCPUMilli).
const (
	MaxCountableCPUMilli    = v1alpha1.MaxCountableCPUMilli
	MaxCountableMemoryBytes = v1alpha1.MaxCountableMemoryBytes
)

var (
	maxCountableCPU    = resource.NewMilliQuantity(MaxCountableCPUMilli, resource.DecimalSI)
	maxCountableMemory = resource.NewQuantity(MaxCountableMemoryBytes, resource.BinarySI)
)

// Usage is what a set of pods requests.
type Usage struct {
	CPUMilli    int64 `json:"cpuMilli"`
	MemoryBytes int64 `json:"memoryBytes"`
	Pods        int64 `json:"pods"`
}

// PodRequests returns the pod's effective requests, as the scheduler and
// ResourceQuota count them (native sidecars and init containers included).
// The sums are taken on resource.Quantity, which does not overflow; a
// request beyond the countable bounds is clamped to the bound, so totals
// built from it never wrap (Countable says whether it was clamped).
func PodRequests(pod *corev1.Pod) Usage {
	return usageOf(podRequests(pod))
}

// usageOf is the Usage of one pod whose effective requests are req.
func usageOf(req corev1.ResourceList) Usage {
	return Usage{CPUMilli: clampMilli(req.Cpu()), MemoryBytes: clampValue(req.Memory()), Pods: 1}
}

// Countable returns, for each of the pod's effective requests that is
// too large to count, a sentence saying so; nil when every request is
// countable. A quantity out of quantity's bounds is named as written.
func Countable(pod *corev1.Pod) []string {
	return countable(pod, podRequests(pod))
}

// countable is Countable of pod, whose effective requests are req.
func countable(pod *corev1.Pod, req corev1.ResourceList) []string {
	var out []string
	// Each bound is a copy: printing a Quantity caches its text in it, and
	// admissions print these at once.
	for _, c := range []struct {
		name corev1.ResourceName
		what string
		max  resource.Quantity
	}{{corev1.ResourceCPU, "CPU", *maxCountableCPU}, {corev1.ResourceMemory, "memory", *maxCountableMemory}} {
		if amount := req[c.name]; amount.Cmp(c.max) > 0 {
			if huge, ok := unbounded(pod, c.name); ok {
				amount = huge
			}
			out = append(out, fmt.Sprintf("pod requests %s %s, more than Strata counts (at most %s)", &amount, c.what, &c.max))
		}
	}
	return out
}

// podRequests is the pod's effective requests (resourcehelper.PodRequests)
// with every quantity out of bounds clamped first (quantity.Clamp): a
// tenant's "1.5e999999999" would otherwise take minutes to add.
func podRequests(pod *corev1.Pod) corev1.ResourceList {
	return resourcehelper.PodRequests(boundedPod(pod), resourcehelper.PodResourcesOptions{})
}

// resourceLists calls f with each resource list of the pod that its
// requests are computed from, until f returns false.
func resourceLists(pod *corev1.Pod, f func(*corev1.ResourceList) bool) {
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for i := range cs {
			if !f(&cs[i].Resources.Requests) || !f(&cs[i].Resources.Limits) {
				return
			}
		}
	}
	if !f(&pod.Spec.Overhead) {
		return
	}
	if r := pod.Spec.Resources; r != nil {
		_ = f(&r.Requests) && f(&r.Limits)
	}
}

// boundedPod is pod when every quantity its requests are computed from is
// in bounds (quantity.Bounded); otherwise a copy with those lists clamped.
func boundedPod(pod *corev1.Pod) *corev1.Pod {
	bounded := true
	resourceLists(pod, func(l *corev1.ResourceList) bool {
		for _, q := range *l {
			if !quantity.Bounded(&q) {
				bounded = false
			}
		}
		return bounded
	})
	if bounded {
		return pod
	}
	out := *pod
	out.Spec.InitContainers = slices.Clone(pod.Spec.InitContainers)
	out.Spec.Containers = slices.Clone(pod.Spec.Containers)
	if pod.Spec.Resources != nil {
		r := *pod.Spec.Resources
		out.Spec.Resources = &r
	}
	resourceLists(&out, func(l *corev1.ResourceList) bool {
		*l, _ = quantity.Clamp(*l)
		return true
	})
	return &out
}

// unbounded is the first of the pod's quantities of the resource that is
// out of bounds, if any.
func unbounded(pod *corev1.Pod, name corev1.ResourceName) (q resource.Quantity, found bool) {
	resourceLists(pod, func(l *corev1.ResourceList) bool {
		if v, ok := (*l)[name]; ok && !quantity.Bounded(&v) {
			q, found = v, true
		}
		return !found
	})
	return q, found
}

func clampMilli(q *resource.Quantity) int64 {
	switch {
	case q.Sign() <= 0:
		return 0
	case !quantity.Bounded(q) || q.Cmp(*maxCountableCPU) > 0:
		return MaxCountableCPUMilli
	}
	return q.MilliValue()
}

func clampValue(q *resource.Quantity) int64 {
	switch {
	case q.Sign() <= 0:
		return 0
	case !quantity.Bounded(q) || q.Cmp(*maxCountableMemory) > 0:
		return MaxCountableMemoryBytes
	}
	return q.Value()
}

// plus returns u+v, each field saturating at math.MaxInt64.
func (u Usage) plus(v Usage) Usage {
	return Usage{CPUMilli: addSat(u.CPUMilli, v.CPUMilli), MemoryBytes: addSat(u.MemoryBytes, v.MemoryBytes), Pods: addSat(u.Pods, v.Pods)}
}

// minus returns u-v, each field floored at 0: a total is never negative.
func (u Usage) minus(v Usage) Usage {
	return Usage{CPUMilli: subFloor(u.CPUMilli, v.CPUMilli), MemoryBytes: subFloor(u.MemoryBytes, v.MemoryBytes), Pods: subFloor(u.Pods, v.Pods)}
}

func addSat(a, b int64) int64 {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

func subFloor(a, b int64) int64 {
	if b >= a {
		return 0
	}
	return a - b
}

// total is an exact running sum of non-negative int64 values, 128 bits
// wide, so adding and removing pods in any order gives back exactly the sum
// of what is there: a saturating sum would drift once it had saturated.
type total struct {
	hi int64
	lo uint64
}

func (t *total) add(v int64) {
	var carry uint64
	t.lo, carry = bits.Add64(t.lo, uint64(v), 0)
	t.hi += int64(carry)
}

func (t *total) sub(v int64) {
	var borrow uint64
	t.lo, borrow = bits.Sub64(t.lo, uint64(v), 0)
	t.hi -= int64(borrow)
}

// value is the sum, saturated to [0, math.MaxInt64].
func (t total) value() int64 {
	switch {
	case t.hi < 0:
		return 0
	case t.hi > 0 || t.lo > math.MaxInt64:
		return math.MaxInt64
	}
	return int64(t.lo)
}

func (t total) zero() bool { return t.hi == 0 && t.lo == 0 }

// usageTotal is the exact running Usage of a namespace.
type usageTotal struct{ cpu, memory, pods total }

func (u *usageTotal) add(v Usage) {
	u.cpu.add(v.CPUMilli)
	u.memory.add(v.MemoryBytes)
	u.pods.add(v.Pods)
}
func (u *usageTotal) sub(v Usage) {
	u.cpu.sub(v.CPUMilli)
	u.memory.sub(v.MemoryBytes)
	u.pods.sub(v.Pods)
}
func (u *usageTotal) zero() bool { return u.cpu.zero() && u.memory.zero() && u.pods.zero() }
func (u *usageTotal) usage() Usage {
	return Usage{CPUMilli: u.cpu.value(), MemoryBytes: u.memory.value(), Pods: u.pods.value()}
}
