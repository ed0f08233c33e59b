package mutate

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

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
		if w := claimWarning(ranges, out.Conf, role, ns); w != "" {
			res := out.Role(role)
			res.Warnings = append(res.Warnings, w)
		}
	}
	allQuotas := snap.ResourceQuotas(ns)
	quotas := constraining(allQuotas)
	if len(ranges) == 0 && len(allQuotas) == 0 {
		return nil
	}
	pods := map[v1alpha1.Role]*corev1.Pod{}
	for _, role := range Roles() {
		launched, err := LaunchedPod(&out.App.App, role)
		if err != nil {
			return nil //nolint:nilerr // the validating webhook refuses the size
		}
		launched.Namespace = ns
		res, err := Admit(snap, cluster, LimitPod(ranges, launched))
		if err != nil {
			return err
		}
		pod := LimitPod(ranges, res.Pod)
		pods[role] = pod
		var reasons []string
		for _, r := range LimitRefusals(ranges, pod) {
			reasons = append(reasons, r.String())
		}
		for _, e := range InvalidRequests(pod) {
			reasons = append(reasons, e.Error())
		}
		for _, r := range QuotaRefusals(quotas, pod) {
			reasons = append(reasons, r.String())
		}
		if len(reasons) > 0 {
			res := out.Role(role)
			res.Warnings = append(res.Warnings, fmt.Sprintf("the pod it launches: The API server will refuse the pod for its resources in namespace %q: %s",
				ns, strings.Join(slices.Compact(reasons), "; ")))
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
	if outgrown := outgrownQuotas(allQuotas, pods, claims, size.Executors); len(outgrown) > 0 {
		res := out.Role(v1alpha1.RoleExecutor)
		res.Warnings = append(res.Warnings, fmt.Sprintf("the pods it launches: At its full size (its driver and %d executors) the application needs more than the ResourceQuotas of namespace %q hold, whatever else runs there: %s; the API server will refuse the pods past them",
			size.Executors, ns, strings.Join(outgrown, "; ")))
	}
	return nil
}
