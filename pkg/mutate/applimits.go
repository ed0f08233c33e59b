package mutate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/strata-dev/strata/pkg/overlay"
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
// claim it refuses is a pod never created.
func launchedLimitWarnings(snap *overlay.Snapshot, cluster Cluster, out *AppResult) error {
	ns := out.App.App.Namespace
	ranges := snap.LimitRanges(ns)
	for _, role := range Roles() {
		if w := claimWarning(ranges, out.Conf, role, ns); w != "" {
			res := out.Role(role)
			res.Warnings = append(res.Warnings, w)
		}
	}
	quotas := constraining(snap.ResourceQuotas(ns))
	if len(ranges) == 0 && len(quotas) == 0 {
		return nil
	}
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
	return nil
}
