package e2e

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// TestBindingsAreJudged: the API server writes a binding onto the pod with
// no admission of the pod, setting its node and copying the binding's
// labels and annotations onto it. A tenant's binding is judged as that
// UPDATE, through pods/binding and the older bindings resource; the
// cluster's scheduler and kube-system's service accounts bind unjudged,
// and a scheduler a layer names a placement controller may bind where
// nodes are reserved, but brings no reserved label.
func TestBindingsAreJudged(t *testing.T) {
	ctx := context.Background()
	const volcano = "system:serviceaccount:volcano-system:volcano-scheduler"
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "bound"}}
	if err := cp.Client.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	layer := &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "e2e-bindings"}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.NamespaceOverrides,
		Match: v1alpha1.Match{Namespaces: []string{ns.Name}}, Config: &v1alpha1.Config{Isolation: &v1alpha1.Isolation{
			ReservedNodeSelectors: []string{"pool=platform"}, ReservedLabelPrefixes: []string{"platform.strata.dev/"},
			PlacementControllers: []string{volcano}}}}}
	createLayer(t, layer, ns.Name)
	allow(t, "e2e-binds-pods", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods/binding", "bindings"}, Verbs: []string{"create"}},
		rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: "volcano-system", Name: "volcano-scheduler"})
	scheduler, volcanoClient := impersonating(t, "system:kube-scheduler"), impersonating(t, volcano, "system:serviceaccounts")

	newPod := func(name string) *corev1.Pod {
		pod := plainPod(name, ns.Name, mirroredNginx)
		if err := cp.Client.Create(ctx, pod); err != nil {
			t.Fatal(err)
		}
		return pod
	}
	bindTo := func(node string, labels, annotations map[string]string) *corev1.Binding {
		return &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: annotations},
			Target: corev1.ObjectReference{Kind: "Node", Name: node}}
	}
	// bind binds pod, naming its uid as schedulers do, unless b names
	// one of its own.
	bind := func(c client.Client, pod *corev1.Pod, b *corev1.Binding) error {
		if b.UID == "" {
			b.UID = pod.UID
		}
		return c.SubResource("binding").Create(ctx, pod, b)
	}
	nodeOf := func(pod *corev1.Pod) string {
		var p corev1.Pod
		if err := cp.Client.Get(ctx, client.ObjectKeyFromObject(pod), &p); err != nil {
			t.Fatal(err)
		}
		return p.Spec.NodeName
	}

	tenants := newPod("bound-by-tenant")
	wantDenied(t, "a tenant binds its pod", bind(cp.Client, tenants, bindTo("node-1", nil, nil)),
		`isolation: binding the pod to node "node-1" bypasses node selection, which is reserved for the platform here (NamespaceOverrides layer "e2e-bindings")`)
	// The older bindings resource loses the uid that pins the pod bound
	// (the API server drops it before admission), so it binds no pod of
	// a tenant namespace but through the cluster's scheduler.
	legacy := bindTo("node-1", nil, nil)
	legacy.Name, legacy.Namespace, legacy.UID = tenants.Name, tenants.Namespace, tenants.UID
	wantDenied(t, "a tenant binds its pod through the bindings resource", cp.Client.Create(ctx, legacy),
		`binding: pod "bound-by-tenant" is bound through the bindings resource, whose metadata.uid the API server drops`)
	if node := nodeOf(tenants); node != "" {
		t.Fatalf("the tenant's pod is bound to %q", node)
	}

	// The pod bound must be the pod judged: a binding names its uid, even
	// a placement controller's.
	wantDenied(t, "a binding that names no uid", volcanoClient.SubResource("binding").Create(ctx, tenants, bindTo("node-2", nil, nil)),
		`binding: the binding of pod "bound-by-tenant" names no metadata.uid`)
	replaced := newPod("bound-after-replacing")
	before := replaced.UID
	if err := cp.Client.Delete(ctx, replaced, client.GracePeriodSeconds(0)); err != nil {
		t.Fatal(err)
	}
	replaced = newPod("bound-after-replacing")
	stale := bindTo("node-2", nil, nil)
	stale.UID = before
	wantDenied(t, "a binding of a pod replaced since", bind(volcanoClient, replaced, stale),
		`binding: the binding of pod "bound-after-replacing" names uid "`+string(before)+`", but the pod of that name is uid "`+string(replaced.UID)+`": it was replaced`)

	// A placement controller places the pod, and brings no reserved label.
	wantDenied(t, "a placement controller's binding with a reserved label", bind(volcanoClient, tenants,
		bindTo("node-2", map[string]string{"platform.strata.dev/tier": "gold"}, nil)),
		`isolation: label "platform.strata.dev/tier" is reserved for the platform`)
	if err := bind(volcanoClient, tenants, bindTo("node-2", nil, map[string]string{"volcano.sh/task-spec": "default"})); err != nil {
		t.Fatalf("the named placement controller binds the pod: %v", err)
	}
	if node := nodeOf(tenants); node != "node-2" {
		t.Fatalf("the placed pod is on %q, want node-2", node)
	}

	// The cluster's scheduler binds without the webhook.
	scheduled := newPod("bound-by-scheduler")
	if err := bind(scheduler, scheduled, bindTo("node-3", nil, nil)); err != nil {
		t.Fatalf("the scheduler binds the pod: %v", err)
	}
	if node := nodeOf(scheduled); node != "node-3" {
		t.Fatalf("the scheduled pod is on %q, want node-3", node)
	}
	// So does a second scheduler kube-system runs, which no tenant can
	// act as.
	const second = "system:serviceaccount:kube-system:second-scheduler"
	allow(t, "e2e-second-scheduler-binds", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods/binding"}, Verbs: []string{"create"}},
		rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: "kube-system", Name: "second-scheduler"})
	secondly := newPod("bound-by-a-second-scheduler")
	if err := bind(impersonating(t, second, "system:serviceaccounts"), secondly, bindTo("node-5", nil, nil)); err != nil {
		t.Fatalf("kube-system's second scheduler binds the pod: %v", err)
	}

	// What a binding brings is judged too: another tenant's IAM role.
	other := plainPod("bound-with-a-role", "etl", mirroredNginx)
	if err := cp.Client.Create(ctx, other); err != nil {
		t.Fatal(err)
	}
	wantDenied(t, "a binding bringing another tenant's IAM role", bind(cp.Client, other,
		bindTo("node-4", nil, map[string]string{"iam.amazonaws.com/role": "arn:aws:iam::444455556666:role/spark-geo"})),
		`IAM role "arn:aws:iam::444455556666:role/spark-geo" (from user (annotation iam.amazonaws.com/role)) is not allowed in namespace "etl"`)
}
