package mutate

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The API server's LimitRanger admission plugin is on by default. Before
// any webhook it gives each container of a pod created in a namespace
// with LimitRanges the default requests and limits of their Container
// items; after the webhooks it refuses the pod where a container, or the
// pod as a whole, is outside their bounds: a sidecar a layer injects
// without requests, say, in a namespace whose LimitRange sets a minimum.
// The API server runs it; the composer predicts it (LimitPod,
// LimitRefusals) from the LimitRanges it is given, so that its dry run
// judges the pod the webhook will be sent, and refuses what the API
// server will, and the webhook warns of what it will refuse (of a Layer,
// a LimitRange and an application). This follows the plugin of
// Kubernetes 1.37 (plugin/pkg/admission/limitranger), which Strata cannot
// import: k8s.io/kubernetes is not a library module.

// LimitRangerAnnotation is the annotation in which LimitRanger says what
// it set of a pod's containers.
const LimitRangerAnnotation = "kubernetes.io/limit-ranger"

// LimitPod returns pod as the LimitRanger plugin leaves its creation
// before any webhook, with ranges, its namespace's LimitRanges in the
// order the plugin reads them: for each LimitRange in turn, each container
// and init container is given its Container items' default limit of each
// resource it does not limit, and their default request of each resource
// it neither requests nor limits (the API server's defaults, before any
// plugin, copy a limit to a missing request), and LimitRangerAnnotation
// says what the last LimitRange to set anything set. pod itself is
// returned when ranges give it nothing; it is never changed.
func LimitPod(ranges []*corev1.LimitRange, pod *corev1.Pod) *corev1.Pod {
	var (
		out     *corev1.Pod
		changed bool
	)
	for _, lr := range ranges {
		limits, requests := containerDefaults(lr)
		if len(limits) == 0 && len(requests) == 0 {
			continue
		}
		if out == nil {
			out = pod.DeepCopy()
		}
		var set []string
		for _, list := range []struct {
			what       string
			containers []corev1.Container
		}{{"container", out.Spec.Containers}, {"init container", out.Spec.InitContainers}} {
			for i := range list.containers {
				set = withContainerDefaults(set, list.what, &list.containers[i], &pod.Spec, limits, requests)
			}
		}
		if len(set) > 0 {
			changed = true
			if out.Annotations == nil {
				out.Annotations = map[string]string{}
			}
			out.Annotations[LimitRangerAnnotation] = "LimitRanger plugin set: " + strings.Join(set, "; ")
		}
	}
	if !changed {
		return pod
	}
	return out
}

// containerDefaults are the default limits and requests of lr's Container
// items, a later item's winning.
func containerDefaults(lr *corev1.LimitRange) (limits, requests corev1.ResourceList) {
	for i := range lr.Spec.Limits {
		item := &lr.Spec.Limits[i]
		if item.Type != corev1.LimitTypeContainer {
			continue
		}
		for _, d := range []struct {
			from corev1.ResourceList
			to   *corev1.ResourceList
		}{{item.Default, &limits}, {item.DefaultRequest, &requests}} {
			for name, q := range d.from {
				if *d.to == nil {
					*d.to = corev1.ResourceList{}
				}
				(*d.to)[name] = q.DeepCopy()
			}
		}
	}
	return limits, requests
}

// withContainerDefaults gives c the limits and requests it lacks, and
// appends to set what it gave, in the plugin's words: "cpu, memory request
// for container spark-kubernetes-executor". spec is the pod as written,
// whose limits the API server's defaults copy to missing requests.
func withContainerDefaults(set []string, what string, c *corev1.Container, spec *corev1.PodSpec, limits, requests corev1.ResourceList) []string {
	written := writtenLimits(spec, c.Name)
	r := &c.Resources
	var setRequests, setLimits []string
	for _, name := range sortedResourceNames(limits) {
		if _, ok := r.Limits[name]; !ok {
			if r.Limits == nil {
				r.Limits = corev1.ResourceList{}
			}
			r.Limits[name] = limits[name].DeepCopy()
			setLimits = append(setLimits, string(name))
		}
	}
	for _, name := range sortedResourceNames(requests) {
		_, requested := r.Requests[name]
		if _, limited := written[name]; requested || limited {
			continue
		}
		if r.Requests == nil {
			r.Requests = corev1.ResourceList{}
		}
		r.Requests[name] = requests[name].DeepCopy()
		setRequests = append(setRequests, string(name))
	}
	if len(setRequests) > 0 {
		set = append(set, fmt.Sprintf("%s request for %s %s", strings.Join(setRequests, ", "), what, c.Name))
	}
	if len(setLimits) > 0 {
		set = append(set, fmt.Sprintf("%s limit for %s %s", strings.Join(setLimits, ", "), what, c.Name))
	}
	return set
}

// writtenLimits are the limits the container of that name was written
// with in spec (container names are unique in a pod).
func writtenLimits(spec *corev1.PodSpec, name string) corev1.ResourceList {
	for _, list := range [][]corev1.Container{spec.Containers, spec.InitContainers} {
		for i := range list {
			if list[i].Name == name {
				return list[i].Resources.Limits
			}
		}
	}
	return nil
}

// LimitRefusal is one reason the LimitRanger plugin refuses a pod.
type LimitRefusal struct {
	// LimitRange is the name of the LimitRange whose bound the pod breaks.
	LimitRange string
	// Container is the container that breaks it ("" for the pod as a
	// whole, a Pod item's bound).
	Container string
	// Reason is the plugin's words: "maximum memory usage per Container
	// is 8Gi, but limit is 16Gi".
	Reason string
}

func (r LimitRefusal) String() string {
	if r.Container == "" {
		return fmt.Sprintf("LimitRange %q: %s", r.LimitRange, r.Reason)
	}
	return fmt.Sprintf("LimitRange %q: container %q: %s", r.LimitRange, r.Container, r.Reason)
}

// LimitRefusals returns the reasons the LimitRanger plugin refuses the
// creation of pod, as the mutating webhooks leave it, in a namespace of
// ranges; nil when it admits it. The plugin judges each container and
// init container by the min, max and maxLimitRequestRatio of each
// Container item, and the pod's requests and limits (its containers',
// with init containers as the scheduler counts them, and the pod's own
// cpu and memory where it sets them) by each Pod item's. It names only
// the first LimitRange the pod breaks; every reason of every LimitRange is
// returned here, each bound's in resource name order. A limit without its
// request is judged as requested too, as the API server's defaults leave
// it.
func LimitRefusals(ranges []*corev1.LimitRange, pod *corev1.Pod) []LimitRefusal {
	var out []LimitRefusal
	for _, lr := range ranges {
		for i := range lr.Spec.Limits {
			item := &lr.Spec.Limits[i]
			switch item.Type {
			case corev1.LimitTypeContainer:
				for _, list := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
					for j := range list {
						r := &list[j].Resources
						for _, reason := range boundReasons(item, defaultedRequests(r), r.Limits) {
							out = append(out, LimitRefusal{LimitRange: lr.Name, Container: list[j].Name, Reason: reason})
						}
					}
				}
			case corev1.LimitTypePod:
				requests, limits := podResources(pod)
				for _, reason := range boundReasons(item, requests, limits) {
					out = append(out, LimitRefusal{LimitRange: lr.Name, Reason: reason})
				}
			}
		}
	}
	return out
}

// InvalidRequests are the API server's validation errors of pod's
// requests against its limits, which it checks after the mutating
// webhooks, before any validating one: a request above its limit, or, of
// a resource that cannot be overcommitted (an extended resource, huge
// pages), a request other than its limit. A LimitRange's default limit
// under what a container requests makes the pod invalid so. Each error is
// the API server's, in resource name order.
func InvalidRequests(pod *corev1.Pod) field.ErrorList {
	var errs field.ErrorList
	for _, list := range []struct {
		path       *field.Path
		containers []corev1.Container
	}{{field.NewPath("spec", "initContainers"), pod.Spec.InitContainers}, {field.NewPath("spec", "containers"), pod.Spec.Containers}} {
		for i := range list.containers {
			errs = append(errs, invalidRequests(&list.containers[i], list.path.Index(i))...)
		}
	}
	return errs
}

// invalidRequests is InvalidRequests of one container, at its path.
func invalidRequests(c *corev1.Container, at *field.Path) field.ErrorList {
	var errs field.ErrorList
	r := &c.Resources
	at = at.Child("resources", "requests")
	for _, name := range sortedResourceNames(r.Requests) {
		req := r.Requests[name]
		lim, ok := r.Limits[name]
		switch {
		case !ok:
		case req.Cmp(lim) != 0 && !overcommitAllowed(name):
			errs = append(errs, field.Invalid(at, req.String(), fmt.Sprintf("must be equal to %s limit of %s", name, lim.String())))
		case req.Cmp(lim) > 0:
			errs = append(errs, field.Invalid(at, req.String(), fmt.Sprintf("must be less than or equal to %s limit of %s", name, lim.String())))
		}
	}
	return errs
}

// overcommitAllowed reports whether a container may request less of name
// than it limits: a native resource (no domain, or kubernetes.io's) other
// than huge pages.
func overcommitAllowed(name corev1.ResourceName) bool {
	n := string(name)
	native := !strings.Contains(n, "/") || strings.Contains(n, corev1.ResourceDefaultNamespacePrefix)
	return native && !strings.HasPrefix(n, corev1.ResourceHugePagesPrefix)
}

// boundReasons are the reasons requests and limits break item's min, max
// and maxLimitRequestRatio, each in resource name order.
func boundReasons(item *corev1.LimitRangeItem, requests, limits corev1.ResourceList) []string {
	var out []string
	kind := string(item.Type)
	for _, name := range sortedResourceNames(item.Min) {
		o := observe(name, item.Min[name], requests, limits)
		switch {
		case !o.requested:
			out = append(out, fmt.Sprintf("minimum %s usage per %s is %s.  No request is specified", name, kind, o.bound.String()))
		case o.r < o.b:
			out = append(out, fmt.Sprintf("minimum %s usage per %s is %s, but request is %s", name, kind, o.bound.String(), o.req.String()))
		case o.limited && o.l < o.b:
			out = append(out, fmt.Sprintf("minimum %s usage per %s is %s, but limit is %s", name, kind, o.bound.String(), o.lim.String()))
		}
	}
	for _, name := range sortedResourceNames(item.Max) {
		o := observe(name, item.Max[name], requests, limits)
		switch {
		case !o.limited:
			out = append(out, fmt.Sprintf("maximum %s usage per %s is %s.  No limit is specified", name, kind, o.bound.String()))
		case o.l > o.b:
			out = append(out, fmt.Sprintf("maximum %s usage per %s is %s, but limit is %s", name, kind, o.bound.String(), o.lim.String()))
		case o.requested && o.r > o.b:
			out = append(out, fmt.Sprintf("maximum %s usage per %s is %s, but request is %s", name, kind, o.bound.String(), o.req.String()))
		}
	}
	for _, name := range sortedResourceNames(item.MaxLimitRequestRatio) {
		o := observe(name, item.MaxLimitRequestRatio[name], requests, limits)
		switch {
		case !o.requested || o.r == 0:
			out = append(out, fmt.Sprintf("%s max limit to request ratio per %s is %s, but no request is specified or request is 0", name, kind, o.bound.String()))
		case !o.limited || o.l == 0:
			out = append(out, fmt.Sprintf("%s max limit to request ratio per %s is %s, but no limit is specified or limit is 0", name, kind, o.bound.String()))
		default:
			ratio := float64(o.l) / float64(o.r)
			observed, most := ratio, float64(o.bound.Value())
			if o.bound.Value() <= resource.MaxMilliValue {
				observed, most = ratio*1000, float64(o.bound.MilliValue())
			}
			if observed > most {
				out = append(out, fmt.Sprintf("%s max limit to request ratio per %s is %s, but provided ratio is %f", name, kind, o.bound.String(), ratio))
			}
		}
	}
	return out
}

// observation is a resource's request and limit against a bound: as
// written, and r, l and b at one precision, as the plugin compares them
// (thousandths where none of them would overflow in thousandths, else
// units; a missing quantity is 0).
type observation struct {
	req, lim, bound    resource.Quantity
	requested, limited bool
	r, l, b            int64
}

func observe(name corev1.ResourceName, bound resource.Quantity, requests, limits corev1.ResourceList) observation {
	o := observation{bound: bound}
	o.req, o.requested = requests[name]
	o.lim, o.limited = limits[name]
	o.r, o.l, o.b = o.req.Value(), o.lim.Value(), bound.Value()
	if o.r <= resource.MaxMilliValue && o.l <= resource.MaxMilliValue && o.b <= resource.MaxMilliValue {
		o.r, o.l, o.b = o.req.MilliValue(), o.lim.MilliValue(), bound.MilliValue()
	}
	return o
}

// podResources are the requests and limits of pod as the plugin judges a
// Pod item's bounds: its containers' summed, each init container's on top
// of the sidecars started before it (the largest of those, if larger),
// and the pod's own cpu and memory where it sets them (pod-level
// resources, on by default since Kubernetes 1.34). A pod's overhead is
// not counted.
func podResources(pod *corev1.Pod) (requests, limits corev1.ResourceList) {
	sum := func(of func(*corev1.ResourceRequirements) corev1.ResourceList, level corev1.ResourceList) corev1.ResourceList {
		total := corev1.ResourceList{}
		for i := range pod.Spec.Containers {
			addResources(total, of(&pod.Spec.Containers[i].Resources))
		}
		sidecars, initMost := corev1.ResourceList{}, corev1.ResourceList{}
		for i := range pod.Spec.InitContainers {
			c := &pod.Spec.InitContainers[i]
			own := of(&c.Resources)
			var at corev1.ResourceList
			if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
				addResources(total, own)
				addResources(sidecars, own)
				at = sidecars
			} else {
				at = corev1.ResourceList{}
				addResources(at, own)
				addResources(at, sidecars)
			}
			maxResources(initMost, at)
		}
		maxResources(total, initMost)
		for name, q := range level {
			if name == corev1.ResourceCPU || name == corev1.ResourceMemory {
				total[name] = q.DeepCopy()
			}
		}
		return total
	}
	var levelRequests, levelLimits corev1.ResourceList
	if r := pod.Spec.Resources; r != nil {
		levelRequests, levelLimits = r.Requests, r.Limits
	}
	requests = sum(defaultedRequests, levelRequests)
	limits = sum(func(r *corev1.ResourceRequirements) corev1.ResourceList { return r.Limits }, levelLimits)
	return requests, limits
}

// defaultedRequests are r's requests as the API server's defaults leave
// them: a limit without its request is requested too.
func defaultedRequests(r *corev1.ResourceRequirements) corev1.ResourceList {
	out, copied := r.Requests, false
	for name, q := range r.Limits {
		if _, ok := r.Requests[name]; ok {
			continue
		}
		if !copied {
			out, copied = corev1.ResourceList{}, true
			maps.Copy(out, r.Requests)
		}
		out[name] = q
	}
	return out
}

// addResources adds add to list.
func addResources(list, add corev1.ResourceList) {
	for name, q := range add {
		if v, ok := list[name]; ok {
			v.Add(q)
			list[name] = v
			continue
		}
		list[name] = q.DeepCopy()
	}
}

// maxResources sets each resource of list to the larger of its and
// other's.
func maxResources(list, other corev1.ResourceList) {
	for name, q := range other {
		if v, ok := list[name]; !ok || q.Cmp(v) > 0 {
			list[name] = q.DeepCopy()
		}
	}
}

// sortedResourceNames are l's resource names in order.
func sortedResourceNames(l corev1.ResourceList) []corev1.ResourceName {
	names := make([]corev1.ResourceName, 0, len(l))
	for name := range l {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
