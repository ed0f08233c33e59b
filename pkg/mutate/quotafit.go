package mutate

import (
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	resourcev1 "k8s.io/api/resource/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	resourcehelper "k8s.io/component-helpers/resource"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// QuotaUsage is what pod counts against a ResourceQuota, as the pod
// evaluator counts a pod created (PodUsageFunc): the object, the pod, and
// its requests and limits (its containers', init containers as the
// scheduler counts them, pod-level resources, overhead) of cpu, memory,
// ephemeral storage and huge pages, each as its bare name, requests.<name>
// and limits.<name>, and of extended resources (and a DRA device class's)
// as requests.<name>. A container's limit without its request counts as
// requested, as the API server's defaults leave it.
func QuotaUsage(pod *corev1.Pod) corev1.ResourceList {
	one := resource.MustParse("1")
	out := corev1.ResourceList{"count/pods": one, corev1.ResourcePods: one}
	pod = withDefaultedRequests(pod)
	requests := resourcehelper.PodRequests(pod, resourcehelper.PodResourcesOptions{})
	limits := resourcehelper.PodLimits(pod, resourcehelper.PodResourcesOptions{})
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage} {
		if q, ok := requests[name]; ok {
			out[name], out[corev1.DefaultResourceRequestsPrefix+name] = q, q
		}
		if q, ok := limits[name]; ok {
			out[corev1.ResourceName("limits.")+name] = q
		}
	}
	for name, q := range requests {
		switch {
		case strings.HasPrefix(string(name), corev1.ResourceHugePagesPrefix):
			out[name], out[corev1.DefaultResourceRequestsPrefix+name] = q, q
		case isExtendedResourceName(name), strings.HasPrefix(string(name), resourcev1.ResourceDeviceClassPrefix):
			out[corev1.DefaultResourceRequestsPrefix+name] = q
		}
	}
	return out
}

// withDefaultedRequests is pod, or a copy of it whose containers and init
// containers request what they limit and do not request, as the API
// server's defaults leave a pod before admission.
func withDefaultedRequests(pod *corev1.Pod) *corev1.Pod {
	var out *corev1.Pod
	for _, list := range []*[]corev1.Container{&pod.Spec.InitContainers, &pod.Spec.Containers} {
		for i := range *list {
			r := &(*list)[i].Resources
			requests := defaultedRequests(r)
			if len(requests) == len(r.Requests) {
				continue
			}
			if out == nil {
				out = &corev1.Pod{ObjectMeta: pod.ObjectMeta, Spec: pod.Spec}
				out.Spec.InitContainers, out.Spec.Containers = slices.Clone(pod.Spec.InitContainers), slices.Clone(pod.Spec.Containers)
			}
			target := &out.Spec.Containers
			if list == &pod.Spec.InitContainers {
				target = &out.Spec.InitContainers
			}
			(*target)[i].Resources.Requests = requests
		}
	}
	if out == nil {
		return pod
	}
	return out
}

// QuotaUsage is what the claim counts against a ResourceQuota, as the
// evaluator of persistent volume claims counts one created: the object,
// the claim, and its storage, each also as its storage class's; false
// when its size is no quantity, and no claim is created.
func (claim SparkClaim) QuotaUsage() (corev1.ResourceList, bool) {
	size, err := claim.Storage()
	if err != nil {
		return nil, false // no claim is created
	}
	one := resource.MustParse("1")
	out := corev1.ResourceList{"count/persistentvolumeclaims": one, corev1.ResourcePersistentVolumeClaims: one, corev1.ResourceRequestsStorage: size}
	if c := claim.StorageClass; c != "" {
		out[corev1.ResourceName(c+".storageclass.storage.k8s.io/persistentvolumeclaims")] = one
		out[corev1.ResourceName(c+".storageclass.storage.k8s.io/requests.storage")] = size
	}
	return out, true
}

// claimInQuotaScopes reports whether a claim Spark creates is in every
// scope of q: a claim's only scope is its VolumeAttributesClass, which
// Spark's claims name none of.
func claimInQuotaScopes(q *corev1.ResourceQuota) bool {
	for _, r := range quotaScopeSelectors(q) {
		if !claimInScope(r) {
			return false
		}
	}
	return true
}

// outgrownQuotas says which of quotas the application whose pods are pods
// (by role, as the pod webhook stores them), with the claims Spark creates
// for each (by role), cannot fit in at its full size, its driver and
// executors of its executors, whatever else runs in the namespace: each
// quota whose hard limit of a resource is under what those of its pods
// and claims in its scopes use together, with the resources
// (`ResourceQuota "compute": limits.cpu 201 of 100`). Nothing when
// executors is unbounded (-1).
func outgrownQuotas(quotas []*corev1.ResourceQuota, pods map[v1alpha1.Role]*corev1.Pod, claims map[v1alpha1.Role][]SparkClaim, executors int64) []string {
	if executors < 0 {
		return nil
	}
	count := map[v1alpha1.Role]int64{v1alpha1.RoleDriver: 1, v1alpha1.RoleExecutor: executors}
	usage := map[v1alpha1.Role]corev1.ResourceList{}
	for role, pod := range pods {
		usage[role] = QuotaUsage(pod)
	}
	claimUsage := map[v1alpha1.Role][]corev1.ResourceList{}
	for role, list := range claims {
		for _, c := range list {
			if u, ok := c.QuotaUsage(); ok {
				claimUsage[role] = append(claimUsage[role], u)
			}
		}
	}
	var out []string
	for _, q := range quotas {
		hard := overlay.QuotaHard(q)
		claimed := claimInQuotaScopes(q)
		var over []string
		for _, name := range slices.Sorted(maps.Keys(hard)) {
			need := new(big.Rat)
			add := func(u corev1.ResourceList, n int64) {
				if v, ok := u[name]; ok {
					need.Add(need, new(big.Rat).Mul(ratOf(v), new(big.Rat).SetInt64(n)))
				}
			}
			for _, role := range Roles() {
				if pod := pods[role]; pod != nil && quotaScopesMatch(q, pod) {
					add(usage[role], count[role])
				}
				if claimed {
					for _, u := range claimUsage[role] {
						add(u, count[role])
					}
				}
			}
			if limit := hard[name]; need.Cmp(ratOf(limit)) > 0 {
				over = append(over, fmt.Sprintf("%s %s of %s", name, ratString(need, limit.Format), limit.String()))
			}
		}
		if len(over) > 0 {
			out = append(out, fmt.Sprintf("ResourceQuota %q: %s", q.Name, strings.Join(over, ", ")))
		}
	}
	return out
}

// ratOf is q exactly.
func ratOf(q resource.Quantity) *big.Rat {
	d := q.AsDec()
	r := new(big.Rat).SetInt(d.UnscaledBig())
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(int(d.Scale())))), nil)
	if d.Scale() > 0 {
		return r.Quo(r, new(big.Rat).SetInt(scale))
	}
	return r.Mul(r, new(big.Rat).SetInt(scale))
}

// ratString writes r as a quantity of format does, rounded up to a
// thousandth: "32Gi", "2500m"; in bare digits where a quantity cannot
// hold it.
func ratString(r *big.Rat, format resource.Format) string {
	milli := new(big.Rat).Mul(r, big.NewRat(1000, 1))
	n := new(big.Int).Quo(milli.Num(), milli.Denom())
	if new(big.Rat).SetInt(n).Cmp(milli) != 0 {
		n.Add(n, big.NewInt(1))
	}
	if !n.IsInt64() {
		return new(big.Int).Quo(n, big.NewInt(1000)).String()
	}
	if r.IsInt() {
		return resource.NewQuantity(n.Int64()/1000, format).String()
	}
	return resource.NewMilliQuantity(n.Int64(), format).String()
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
