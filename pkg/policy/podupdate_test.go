package policy

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// TestPodUpdateRefusals: what the API server's validation lets an update
// change of a pod's spec, in its words (the end-to-end PolicyTest check
// holds the main rule to a real API server).
func TestPodUpdateRefusals(t *testing.T) {
	base := func() *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "exec-1", Namespace: "etl", UID: "u-1", Labels: map[string]string{"team": "etl"}}, Spec: corev1.PodSpec{
			Containers:     []corev1.Container{{Name: "main", Image: "spark:3.5"}},
			InitContainers: []corev1.Container{{Name: "log-shipper", Image: "fluent-bit:3"}},
			NodeSelector:   map[string]string{"pool": "batch"},
			Tolerations:    []corev1.Toleration{{Key: "pool", Operator: corev1.TolerationOpEqual, Value: "batch", Effect: corev1.TaintEffectNoSchedule}},
		}}
	}
	gated := func() *corev1.Pod {
		p := base()
		p.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "kueue.x-k8s.io/admission"}}
		return p
	}
	required := func(exprs ...corev1.NodeSelectorRequirement) *corev1.Affinity {
		return &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: exprs}}}}}
	}
	zone := corev1.NodeSelectorRequirement{Key: "zone", Operator: corev1.NodeSelectorOpIn, Values: []string{"a"}}
	flavor := corev1.NodeSelectorRequirement{Key: "flavor", Operator: corev1.NodeSelectorOpIn, Values: []string{"gpu"}}
	const other = "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`"
	for _, tc := range []struct {
		name   string
		old    func() *corev1.Pod
		update func(*corev1.Pod)
		want   string // "" for none
	}{
		{"labels", base, func(p *corev1.Pod) { p.Labels = map[string]string{"a": "b"} }, ""},
		{"an invalid label value", base, func(p *corev1.Pod) { p.Labels["team"] = "etl data" }, `metadata.labels: Invalid value: "etl data": a valid label must be`},
		{"an invalid annotation key", base, func(p *corev1.Pod) { p.Annotations = map[string]string{"a b": "c"} }, `metadata.annotations: Invalid value: "a b": name part must consist of`},
		{"a finalizer of a domain", base, func(p *corev1.Pod) { p.Finalizers = []string{"example.com/keep"} }, ""},
		{"a finalizer of no domain", base, func(p *corev1.Pod) { p.Finalizers = []string{"keep"} },
			`metadata.finalizers[0]: Invalid value: "keep": name is neither a standard finalizer name nor is it fully qualified`},
		{"an owner of no uid", base, func(p *corev1.Pod) {
			p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Pod", Name: "driver"}}
		}, "metadata.ownerReferences[0].uid: Required value: must not be empty"},
		{"the uid", base, func(p *corev1.Pod) { p.UID = "u-2" }, `metadata.uid: Invalid value: "u-2": field is immutable`},
		{"the uid left out", base, func(p *corev1.Pod) { p.UID = "" }, ""},
		{"the generation and the creation time", func() *corev1.Pod { p := base(); p.Generation = 5; return p }, func(p *corev1.Pod) {
			p.Generation, p.CreationTimestamp = 2, metav1.Unix(1, 0)
		}, ""},
		{"a deletion time", base, func(p *corev1.Pod) { p.DeletionTimestamp = ptr.To(metav1.Unix(1, 0)) }, "metadata.deletionTimestamp: Invalid value"},
		{"the name", base, func(p *corev1.Pod) { p.Name = "exec-2" },
			"the name of the object (exec-2) does not match the name on the URL (exec-1) (the API server refuses the update as a bad request, before any admission)"},
		{"the namespace", base, func(p *corev1.Pod) { p.Namespace = "other" },
			"the namespace of the object (other) does not match the namespace on the request (etl)"},
		{"an AppArmor annotation added", base, func(p *corev1.Pod) {
			p.Annotations = map[string]string{"container.apparmor.security.beta.kubernetes.io/main": "unconfined"}
		}, `metadata.annotations[container.apparmor.security.beta.kubernetes.io/main]: Forbidden: may not add AppArmor annotations`},
		{"the mirror annotation removed", func() *corev1.Pod {
			p := base()
			p.Annotations = map[string]string{"kubernetes.io/config.mirror": "abc"}
			return p
		}, func(p *corev1.Pod) { p.Annotations = nil }, "metadata.annotations[kubernetes.io/config.mirror]: Forbidden: may not remove or update mirror pod annotation"},
		{"an image", base, func(p *corev1.Pod) {
			p.Spec.Containers[0].Image = "spark:3.6"
			p.Spec.InitContainers[0].Image = "fluent-bit:4"
		}, ""},
		{"an empty image", base, func(p *corev1.Pod) { p.Spec.Containers[0].Image = "" }, "spec.containers[0].image: Required value"},
		{"an image with space", base, func(p *corev1.Pod) { p.Spec.Containers[0].Image = " spark" }, `spec.containers[0].image: Invalid value: " spark": must not have leading or trailing whitespace`},
		{"a container added", base, func(p *corev1.Pod) {
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "x", Image: "x"})
		},
			"spec.containers: Forbidden: pod updates may not add or remove containers"},
		{"an init container removed", base, func(p *corev1.Pod) { p.Spec.InitContainers = nil }, "spec.initContainers: Forbidden: pod updates may not add or remove containers"},
		{"a container's resources", base, func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")}
		}, other},
		{"the node selection of a pod not gated", base, func(p *corev1.Pod) { p.Spec.NodeSelector["flavor"] = "gpu" }, other},
		{"a gate removed and the node selection grown", gated, func(p *corev1.Pod) { p.Spec.SchedulingGates = nil; p.Spec.NodeSelector["flavor"] = "gpu" }, ""},
		{"the node selection of a gated pod changed", gated, func(p *corev1.Pod) { p.Spec.NodeSelector["pool"] = "gpu" },
			"only additions to spec.nodeSelector are allowed (no mutations or deletions)"},
		{"a gate added", gated, func(p *corev1.Pod) {
			p.Spec.SchedulingGates = append(p.Spec.SchedulingGates, corev1.PodSchedulingGate{Name: "x"})
		}, "spec.schedulingGates[1].name: Forbidden: only deletion is allowed, but found new scheduling gate 'x'"},
		{"node affinity given a gated pod", gated, func(p *corev1.Pod) { p.Spec.Affinity = required(flavor) }, ""},
		{"node affinity given a pod not gated", base, func(p *corev1.Pod) { p.Spec.Affinity = required(flavor) }, other},
		{"node affinity of a gated pod grown", func() *corev1.Pod { p := gated(); p.Spec.Affinity = required(zone); return p },
			func(p *corev1.Pod) { p.Spec.Affinity = required(zone, flavor) }, ""},
		{"node affinity of a gated pod changed", func() *corev1.Pod { p := gated(); p.Spec.Affinity = required(zone); return p },
			func(p *corev1.Pod) { p.Spec.Affinity = required(flavor) }, "only additions are allowed (no mutations or deletions)"},
		{"node affinity terms of a gated pod added", func() *corev1.Pod { p := gated(); p.Spec.Affinity = required(zone); return p }, func(p *corev1.Pod) {
			terms := &p.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
			*terms = append(*terms, corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{flavor}})
		}, "no additions/deletions to non-empty NodeSelectorTerms list are allowed"},
		{"a toleration added", base, func(p *corev1.Pod) {
			p.Spec.Tolerations = append(p.Spec.Tolerations, corev1.Toleration{Key: "spot", Operator: corev1.TolerationOpExists})
		}, ""},
		{"a toleration's seconds", base, func(p *corev1.Pod) { p.Spec.Tolerations[0].TolerationSeconds = ptr.To[int64](30) }, ""},
		{"a toleration changed", base, func(p *corev1.Pod) { p.Spec.Tolerations[0].Value = "gpu" },
			"spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds"},
		{"a deadline set", base, func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = ptr.To[int64](60) }, ""},
		{"a deadline raised", func() *corev1.Pod { p := base(); p.Spec.ActiveDeadlineSeconds = ptr.To[int64](60); return p },
			func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = ptr.To[int64](90) }, "spec.activeDeadlineSeconds: Invalid value: 90: must be less than or equal to previous value"},
		{"a deadline removed", func() *corev1.Pod { p := base(); p.Spec.ActiveDeadlineSeconds = ptr.To[int64](60); return p },
			func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = nil }, "must not update from a positive integer to nil value"},
		{"a negative grace period set to 1", func() *corev1.Pod { p := base(); p.Spec.TerminationGracePeriodSeconds = ptr.To[int64](-1); return p },
			func(p *corev1.Pod) { p.Spec.TerminationGracePeriodSeconds = ptr.To[int64](1) }, ""},
		{"a grace period changed", base, func(p *corev1.Pod) { p.Spec.TerminationGracePeriodSeconds = ptr.To[int64](5) }, other},
	} {
		old := tc.old()
		updated := old.DeepCopy()
		tc.update(updated)
		vs := PodUpdateRefusals(old, updated)
		switch {
		case tc.want == "" && len(vs) > 0:
			t.Errorf("%s: refused: %v", tc.name, vs)
		case tc.want != "" && (len(vs) == 0 || !strings.Contains(vs[0].Message, tc.want)):
			t.Errorf("%s: %v, want %q", tc.name, vs, tc.want)
		case len(vs) > 0 && (vs[0].Policy != PodUpdatePolicy || !strings.HasPrefix(vs[0].Message, PodUpdatePolicy+": ")):
			t.Errorf("%s: %+v, not named %s", tc.name, vs[0], PodUpdatePolicy)
		}
	}
}
