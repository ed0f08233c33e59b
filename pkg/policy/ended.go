package policy

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// endedPodCheck is quota's built-in check of who ends a pod.
const endedPodCheck = "endedPod"

// endsPods reports whether user may end a pod through its status: the
// kubelets (system:node:NAME; the API server's NodeRestriction keeps each
// to its own pods), and the cluster's controllers, which run as
// system:kube-controller-manager or as service accounts of kube-system
// (the pod garbage collector marks a pod whose node is gone Failed).
// Nobody else's word that a pod is over is taken. The pod status webhook's
// matchConditions leave the same writers out (TestEndsPodsIsTheManifests).
func endsPods(user string) bool {
	return strings.HasPrefix(user, "system:node:") || user == "system:kube-controller-manager" ||
		strings.HasPrefix(user, "system:serviceaccount:kube-system:")
}

// endedPod is the violation of a status update that ends pod (phase
// Succeeded or Failed, from a phase that was neither) written by someone
// endsPods does not name, one per enforcement of quota among views; none
// otherwise. Quota stops counting a pod that has ended, as the scheduler
// and ResourceQuota do, so a tenant allowed to write its pods' status
// could otherwise end them on paper while they run, and start others in
// their place. The kubelet would write the phase back on its next status
// sync; a tenant writing it again and again keeps its pods uncounted.
func endedPod(pod *corev1.Pod, req Request, views []*Input) []Violation {
	if req.SubResource != "status" || req.Old == nil || !ended(pod.Status.Phase) || ended(req.Old.Status.Phase) ||
		endsPods(req.UserInfo.Username) {
		return nil
	}
	msg := fmt.Sprintf("%s: pod %q: status.phase %s written by %q: only the pod's node and the cluster's controllers end a pod, which quota stops counting",
		quotaPolicy, pod.Name, pod.Status.Phase, req.UserInfo.Username)
	var out []Violation
	for _, in := range views {
		v := Violation{Policy: quotaPolicy, Check: endedPodCheck, Message: msg, Enforcement: in.enforcement(quotaPolicy)}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func ended(phase corev1.PodPhase) bool {
	return phase == corev1.PodSucceeded || phase == corev1.PodFailed
}
