package policy

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// TestWhoEndsAPod: a status update that ends a pod (Succeeded or Failed),
// which quota stops counting, is refused unless its node or the cluster's
// controllers write it; under quota's enforcement, whatever the stored pod
// broke before, and with no limit in force (the pod would leave every
// count).
func TestWhoEndsAPod(t *testing.T) {
	c := tenantCheck(t, map[string]string{"q": `{tier: ClusterOverrides, config: {limits: {namespaceCPU: "8"}}}`})
	running := composed(t, c, sparkPod("executor"))
	running.Status.Phase = corev1.PodRunning
	endedAs := func(phase corev1.PodPhase) *corev1.Pod {
		p := running.DeepCopy()
		p.Status.Phase = phase
		return p
	}
	status := func(user string, old *corev1.Pod) Request {
		return Request{Operation: "UPDATE", SubResource: "status", Old: old, UserInfo: authenticationv1.UserInfo{Username: user}}
	}
	for _, tc := range []struct {
		name string
		pod  *corev1.Pod
		req  Request
		want string
	}{
		{"a tenant ends its running pod", endedAs(corev1.PodSucceeded), status("alice", running), "quota/endedPod"},
		{"a tenant fails its running pod", endedAs(corev1.PodFailed), status("system:serviceaccount:etl:default", running), "quota/endedPod"},
		{"a tenant ends its pending pod", endedAs(corev1.PodSucceeded), status("alice", &corev1.Pod{ObjectMeta: running.ObjectMeta, Spec: running.Spec}), "quota/endedPod"},
		{"its kubelet ends it", endedAs(corev1.PodSucceeded), status("system:node:node-1", running), ""},
		{"the pod garbage collector fails it", endedAs(corev1.PodFailed), status("system:serviceaccount:kube-system:pod-garbage-collector", running), ""},
		{"the controller manager fails it", endedAs(corev1.PodFailed), status("system:kube-controller-manager", running), ""},
		{"a tenant writes the phase it had", endedAs(corev1.PodRunning), status("alice", running), ""},
		{"a tenant rewrites an ended pod's phase", endedAs(corev1.PodFailed), status("alice", endedAs(corev1.PodSucceeded)), ""},
		{"a tenant's UPDATE of the pod itself", endedAs(corev1.PodSucceeded), Request{Operation: "UPDATE", Old: running,
			UserInfo: authenticationv1.UserInfo{Username: "alice"}}, ""},
	} {
		got, d := verdict(t, c, tc.pod, tc.req)
		if got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
		if tc.want != "" {
			want := fmt.Sprintf(`quota: pod "p-executor": status.phase %s written by %q: only the pod's node and the cluster's controllers end a pod, which quota stops counting`,
				tc.pod.Status.Phase, tc.req.UserInfo.Username)
			if len(d.Violations) != 1 || d.Violations[0].Message != want || d.Violations[0].Enforcement != v1alpha1.EnforcementDeny {
				t.Errorf("%s: %+v, want %q", tc.name, d.Violations, want)
			}
		}
	}

	// Under quota's enforcement: a namespace where quota warns is warned.
	warned := tenantCheck(t, map[string]string{"q": `{tier: ClusterOverrides, config: {enforcement: {quota: warn}}}`})
	if _, d := verdict(t, warned, endedAs(corev1.PodSucceeded), status("alice", running)); len(d.Violations) != 1 ||
		d.Violations[0].Enforcement != v1alpha1.EnforcementWarn || !d.Allowed() {
		t.Errorf("where quota warns: %+v", d.Violations)
	}
	// A pod without a Spark role, judged as both roles, is told once.
	plain := running.DeepCopy()
	delete(plain.Labels, v1alpha1.RoleLabel)
	ended := plain.DeepCopy()
	ended.Status.Phase = corev1.PodSucceeded
	if got, _ := verdict(t, c, ended, status("alice", plain)); got != "quota/endedPod" {
		t.Errorf("a pod without a Spark role: %q", got)
	}
}

// TestEndsPodsIsTheManifests: the pod status webhook's matchConditions
// leave out of the phase check exactly the writers endsPods trusts, so a
// write the webhook never sees is one it would have allowed, and one it
// would have refused always reaches it.
func TestEndsPodsIsTheManifests(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "manifests", "base", "webhooks.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	entry := string(data)
	i := strings.Index(entry, "name: pod-status-policies.strata.dev")
	if i < 0 {
		t.Fatal("no pod-status-policies.strata.dev webhook in manifests/base/webhooks.yaml")
	}
	entry = entry[i:]
	if j := strings.Index(entry[1:], "\n  - name: "); j > 0 {
		entry = entry[:j+1]
	}
	skipped := func(user string) bool {
		for _, m := range regexp.MustCompile(`username\.startsWith\('([^']+)'\)`).FindAllStringSubmatch(entry, -1) {
			if strings.HasPrefix(user, m[1]) {
				return true
			}
		}
		for _, m := range regexp.MustCompile(`username != '([^']+)'`).FindAllStringSubmatch(entry, -1) {
			if user == m[1] {
				return true
			}
		}
		return false
	}
	for _, user := range []string{"system:node:node-1", "system:kube-controller-manager", "system:serviceaccount:kube-system:pod-garbage-collector",
		"alice", "system:serviceaccount:etl:default", "system:kube-scheduler", "system:serviceaccount:kube-systemx:a", "system:nodes"} {
		if skipped(user) != endsPods(user) {
			t.Errorf("%q: the webhook's matchConditions leave its phase writes out: %v; endsPods: %v", user, skipped(user), endsPods(user))
		}
	}
}
