package policy

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	psaapi "k8s.io/pod-security-admission/api"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// PodSecurityPolicy names the violation withPodSecurity adds: the API
// server's PodSecurity admission's, not one of Strata's policies.
const PodSecurityPolicy = "pod-security"

// withPodSecurity is d with the refusal of the API server's PodSecurity
// admission plugin added, when the Pod Security Standards level that
// pod's namespace enforces (its pod-security.kubernetes.io/enforce label,
// else the default of the plugin's configuration, from snap) refuses the
// pod on a CREATE, unless that configuration exempts its namespace, its
// RuntimeClass or the request's user: the composer's prediction of
// what the API server will say, since the plugin judges every pod after
// the mutating webhooks and before Strata's validating one, which never
// sees a pod it refuses. The webhook does not call it: the plugin refuses
// what it refuses itself. An UPDATE (req.Old the stored pod) is judged as
// the plugin judges one: whole, where it is significant to the plugin
// (podSecurityJudgesUpdate), and not through a subresource it ignores.
// The violation is always deny, in the plugin's words.
func withPodSecurity(d Decision, snap *overlay.Snapshot, pod *corev1.Pod, req Request) (Decision, error) {
	switch {
	case req.Old != nil:
		if !podSecurityJudgesUpdate(pod, req.Old, req.SubResource) {
			return d, nil
		}
	case req.Operation != "" && req.Operation != "CREATE":
		return d, nil // without the stored pod
	}
	ns := req.Namespace
	if ns == "" {
		ns = pod.Namespace
	}
	lv, enforced := mutate.PodSecurityEnforced(snap.PodSecurity(), ns, snap.NamespaceLabels(ns))
	if !enforced || mutate.PodSecurityExempts(snap.PodSecurity(), pod.Spec.RuntimeClassName, req.UserInfo.Username) {
		return d, nil
	}
	denial, err := mutate.PodSecurityDenial(lv, pod)
	if err != nil || denial == "" {
		return d, err
	}
	by := fmt.Sprintf("by the %s label of namespace %q", psaapi.EnforceLevelLabel, ns)
	if _, labelled := snap.NamespaceLabels(ns)[psaapi.EnforceLevelLabel]; !labelled {
		by = fmt.Sprintf("by its configuration's default level, namespace %q having no %s label", ns, psaapi.EnforceLevelLabel)
	}
	d.Violations = append(slices.Clone(d.Violations), Violation{Policy: PodSecurityPolicy, Enforcement: v1alpha1.EnforcementDeny,
		Message: fmt.Sprintf("%s: %s (the API server's PodSecurity admission, %s, refuses the pod before any validating webhook, unless its configuration exempts it)",
			PodSecurityPolicy, denial, by)})
	sortViolations(d.Violations)
	return d, nil
}

// launchedPodSecurity is vs with the PodSecurity admission's refusal of
// the pod of role an application (of kind) launches added, named as the
// application's (`pod-security: SparkApplication "etl-report": driver pod:
// violates PodSecurity ...`): the operator's submission, or the driver's
// executors, would be refused every time. The application itself is not
// a pod, and the plugin does not judge it.
func launchedPodSecurity(vs []Violation, snap *overlay.Snapshot, kind, app string, role v1alpha1.Role, pod *corev1.Pod, req Request) ([]Violation, error) {
	d, err := withPodSecurity(Decision{}, snap, pod, req)
	if err != nil {
		return nil, err
	}
	for _, v := range d.Violations {
		v.Message = fmt.Sprintf("%s: %s %q: %s pod: %s", PodSecurityPolicy, kind, app, role, strings.TrimPrefix(v.Message, PodSecurityPolicy+": "))
		vs = append(vs, v)
	}
	return vs, nil
}

// podSecurityIgnoredSubresources are the subresources of a pod whose
// writes the PodSecurity admission never judges
// (k8s.io/pod-security-admission/admission's ignoredPodSubresources: the
// package keeps it and isSignificantPodUpdate unexported, so they are
// restated here, held to the plugin by TestPodSecurityOnUpdateAsThePlugin).
var podSecurityIgnoredSubresources = map[string]bool{
	"exec": true, "attach": true, "binding": true, "eviction": true, "log": true, "portforward": true, "proxy": true, "status": true,
}

// podSecurityJudgesUpdate reports whether the PodSecurity admission judges
// the UPDATE of old into pod through subresource ("" for the pod itself):
// not through an ignored subresource, and only where it is significant to
// it: a container or init container added or removed, or its image
// changed, or an ephemeral container added or its image changed. Then it
// judges the whole pod, as on a CREATE.
func podSecurityJudgesUpdate(pod, old *corev1.Pod, subresource string) bool {
	if podSecurityIgnoredSubresources[subresource] {
		return false
	}
	if len(pod.Spec.Containers) != len(old.Spec.Containers) || len(pod.Spec.InitContainers) != len(old.Spec.InitContainers) {
		return true
	}
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Image != old.Spec.Containers[i].Image {
			return true
		}
	}
	for i := range pod.Spec.InitContainers {
		if pod.Spec.InitContainers[i].Image != old.Spec.InitContainers[i].Image {
			return true
		}
	}
	for i := range pod.Spec.EphemeralContainers {
		c := &pod.Spec.EphemeralContainers[i]
		j := slices.IndexFunc(old.Spec.EphemeralContainers, func(o corev1.EphemeralContainer) bool { return o.Name == c.Name })
		if j < 0 || old.Spec.EphemeralContainers[j].Image != c.Image {
			return true
		}
	}
	return false
}
