package mutate

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1alpha1"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// launchedLimitWarnings adds to each role of out the warning that the
// namespace's LimitRanges or ResourceQuotas will have the API server
// refuse the pod the application launches of it: the pod the composed
// application launches, given the LimitRanges' defaults (LimitPod) and
// composed as the pod webhook composes it, then given them again, as the
// API server's second round of admission plugins gives what the webhook
// added, judged by LimitRefusals, InvalidRequests and QuotaRefusals. The API server refuses that pod to
// the Spark Operator or the driver, whose application then fails or never
// gets executors; the application's creation is where its user can be
// told, of its own sizes as of what the layers add. A size Spark would
// not accept launches nothing, and is the validating webhook's to refuse.
// So are the PersistentVolumeClaims Spark creates for the role's pods
// (SparkClaims of the composed configuration), which LimitRanger judges
// by the LimitRanges' PersistentVolumeClaim items (ClaimRefusals): a
// claim it refuses is a pod never created. And an application whose
// driver and executors, at its full size, need more than a ResourceQuota
// of the namespace holds (outgrownQuotas) is warned that the API server
// will refuse its pods past it, whatever else runs there.
func launchedLimitWarnings(snap *overlay.Snapshot, cluster Cluster, out *AppResult) error {
	ns := out.App.App.Namespace
	ranges := snap.LimitRanges(ns)
	for _, role := range Roles() {
		if w := claimWarning(snap, out.Conf, role, ns); w != "" {
			res := out.Role(role)
			res.Warnings = append(res.Warnings, w)
		}
	}
	allQuotas := snap.ResourceQuotas(ns)
	if len(ranges) == 0 && len(allQuotas) == 0 && len(snap.LimitedResources()) == 0 {
		return nil
	}
	pods := map[v1alpha1.Role]*corev1.Pod{}
	for _, role := range Roles() {
		launched, err := LaunchedPod(&out.App.App, role)
		if err != nil {
			return nil //nolint:nilerr // the validating webhook refuses the size
		}
		launched.Namespace = ns
		pod, w, err := launchedBoundWarning(snap, cluster, ranges, allQuotas, launched)
		if err != nil {
			return err
		}
		pods[role] = pod
		if w != "" {
			res := out.Role(role)
			res.Warnings = append(res.Warnings, "the pod it launches: "+w)
		}
	}
	size, err := SizeOf(&out.App.App.Spec)
	if err != nil {
		return nil //nolint:nilerr // the validating webhook refuses the size
	}
	claims := map[v1alpha1.Role][]SparkClaim{}
	for _, role := range Roles() {
		claims[role] = SparkClaims(out.Conf, role)
	}
	if w := outgrownWarning(allQuotas, pods, claims, size.Executors, "driver", ns); w != "" {
		res := out.Role(v1alpha1.RoleExecutor)
		res.Warnings = append(res.Warnings, "the pods it launches: "+w)
	}
	return nil
}

// launchedBoundWarning is the pod launched as the API server stores it in
// a namespace of ranges and quotas (given the LimitRanges' defaults,
// composed as the pod webhook composes it, given them again on the API
// server's second round of plugins), and the warning that the API server
// will refuse it (LimitRefusals, InvalidRequests, QuotaRefusals and
// UncoveredRefusals, as snap's LimitedResources configure the
// ResourceQuota admission); "" when it will not.
func launchedBoundWarning(snap *overlay.Snapshot, cluster Cluster, ranges []*corev1.LimitRange, quotas []*corev1.ResourceQuota, launched *corev1.Pod) (*corev1.Pod, string, error) {
	res, err := Admit(snap, cluster, LimitPod(ranges, launched))
	if err != nil {
		return nil, "", err
	}
	pod := LimitPod(ranges, res.Pod)
	var reasons []string
	for _, r := range LimitRefusals(ranges, pod) {
		reasons = append(reasons, r.String())
	}
	for _, e := range InvalidRequests(pod) {
		reasons = append(reasons, e.Error())
	}
	if limited := snap.LimitedResources(); !PodQuotaUnjudged(limited) {
		for _, r := range slices.Concat(QuotaRefusals(quotas, pod), UncoveredRefusals(limited, quotas, pod)) {
			reasons = append(reasons, r.String())
		}
	}
	if len(reasons) == 0 {
		return pod, "", nil
	}
	return pod, fmt.Sprintf("The API server will refuse the pod for its resources in namespace %q: %s", launched.Namespace, strings.Join(slices.Compact(reasons), "; ")), nil
}

// outgrownWarning is the warning that at its full size (its first pod,
// named so, and executors of its executors) an application needs more
// than quotas hold (outgrownQuotas); "" when it fits.
func outgrownWarning(quotas []*corev1.ResourceQuota, pods map[v1alpha1.Role]*corev1.Pod, claims map[v1alpha1.Role][]SparkClaim, executors int64, first, namespace string) string {
	outgrown := outgrownQuotas(quotas, pods, claims, executors)
	if len(outgrown) == 0 {
		return ""
	}
	return fmt.Sprintf("At its full size (its %s and %d executors) the application needs more than the ResourceQuotas of namespace %q hold, whatever else runs there: %s; the API server will refuse the pods past them",
		first, executors, namespace, strings.Join(outgrown, "; "))
}

// connectBoundWarnings are the warnings that the LimitRanges and
// ResourceQuotas of its namespace will have the API server refuse the
// pods a SparkConnect launches (in, as written; composed, as the webhook
// composes it), of each as launchedLimitWarnings warns an application's,
// and that at its full size (its server and its executors, with the
// claims Spark creates for the executors: the server is a driver in
// client mode, whose pod the operator creates) it outgrows a quota.
func connectBoundWarnings(snap *overlay.Snapshot, cluster Cluster, in, composed *sparkv1alpha1.SparkConnect, conf map[string]string) ([]string, error) {
	ns := in.Metadata.Namespace
	ranges, allQuotas := snap.LimitRanges(ns), snap.ResourceQuotas(ns)
	if len(ranges) == 0 && len(allQuotas) == 0 && len(snap.LimitedResources()) == 0 {
		return nil, nil
	}
	var out []string
	pods := map[v1alpha1.Role]*corev1.Pod{}
	for _, role := range Roles() {
		_, launched, ok := connectPods(in, composed, role)
		if !ok {
			return nil, nil // the validating webhook refuses the size
		}
		launched.Namespace = ns
		pod, w, err := launchedBoundWarning(snap, cluster, ranges, allQuotas, launched)
		if err != nil {
			return nil, err
		}
		pods[role] = pod
		if w != "" {
			out = append(out, connectPodName(role)+": "+w)
		}
	}
	size, err := SizeOf(&ConnectApp(composed).Spec)
	if err != nil {
		return out, nil //nolint:nilerr // the validating webhook refuses the size
	}
	claims := map[v1alpha1.Role][]SparkClaim{v1alpha1.RoleExecutor: SparkClaims(conf, v1alpha1.RoleExecutor)}
	if w := outgrownWarning(allQuotas, pods, claims, size.Executors, "server", ns); w != "" {
		out = append(out, "its pods: "+w)
	}
	return out, nil
}
