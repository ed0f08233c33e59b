package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/strata-dev/strata/test/controlplane"
)

// TestPodGroupPhaseIsVolcanos: with the volcano-podgroup-status component
// installed, a tenant that may write its PodGroups may not move their
// phase (which decides whether the webhook counts a gang's hold as
// waiting), while Volcano's service accounts may, and the tenant's other
// writes pass.
func TestPodGroupPhaseIsVolcanos(t *testing.T) {
	ctx := context.Background()
	installComponent(t, "volcano-podgroup-status")

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "volcano-phases"}}
	if err := cp.Client.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	rule := rbacv1.PolicyRule{Verbs: []string{"update", "get"}, APIGroups: []string{"scheduling.volcano.sh"}, Resources: []string{"podgroups/status", "podgroups"}}
	allow(t, "e2e-podgroup-tenant", rule, rbacv1.Subject{Kind: rbacv1.UserKind, Name: "tenant-gangs"})
	allow(t, "e2e-podgroup-volcano", rule, rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: "volcano-scheduler", Namespace: "volcano-system"})
	tenant := impersonating(t, "tenant-gangs")
	volcano := impersonating(t, "system:serviceaccount:volcano-system:volcano-scheduler", "system:serviceaccounts", "system:serviceaccounts:volcano-system")

	pg := &unstructured.Unstructured{}
	pg.SetAPIVersion("scheduling.volcano.sh/v1beta1")
	pg.SetKind("PodGroup")
	pg.SetName("gang")
	pg.SetNamespace(ns.Name)
	pg.Object["spec"] = map[string]any{"minMember": int64(1), "minResources": map[string]any{"cpu": "2"}}
	setPhase := func(c client.Client, phase string) error {
		var got unstructured.Unstructured
		got.SetGroupVersionKind(pg.GroupVersionKind())
		if err := c.Get(ctx, client.ObjectKeyFromObject(pg), &got); err != nil {
			return err
		}
		got.Object["status"] = map[string]any{"phase": phase}
		return c.Status().Update(ctx, &got)
	}
	if err := cp.Client.Create(ctx, pg); err != nil {
		t.Fatal(err)
	}
	if err := setPhase(cp.Client, "Pending"); err != nil {
		t.Fatal(err)
	}
	err := refusedOnceInForce(func() error { return setPhase(tenant, "Running") }, func() error { return setPhase(cp.Client, "Pending") })
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), `status.phase is Volcano's to write: Strata counts what a namespace's gangs hold while they wait to run by it; only Volcano and platform admins (group strata:platform-admins) may change it (from "Pending" to "Running")`) {
		t.Fatalf("a tenant marking its waiting gang Running: %v, want it refused", err)
	}
	if err := setPhase(volcano, "Inqueue"); err != nil {
		t.Errorf("Volcano moving the gang on: %v", err)
	}
	if err := setPhase(tenant, "Inqueue"); err != nil {
		t.Errorf("a tenant's status write that leaves the phase: %v", err)
	}
	var got unstructured.Unstructured
	got.SetGroupVersionKind(pg.GroupVersionKind())
	if err := tenant.Get(ctx, client.ObjectKeyFromObject(pg), &got); err != nil {
		t.Fatal(err)
	}
	got.SetLabels(map[string]string{"team": "gangs"})
	if err := tenant.Update(ctx, &got); err != nil {
		t.Errorf("a tenant labelling its PodGroup: %v", err)
	}
}

// installComponent installs the admission policies of
// manifests/components/NAME, built as an overlay includes it, until the
// test ends.
func installComponent(t *testing.T, name string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	rel, err := filepath.Rel(dir, filepath.Join(controlplane.RepoRoot(), "manifests", "components", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte("components: ["+rel+"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build: %v", err)
	}
	for _, r := range m.Resources() {
		raw, err := r.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var obj client.Object
		switch r.GetKind() {
		case "ValidatingAdmissionPolicy":
			obj = &admissionregistrationv1.ValidatingAdmissionPolicy{}
		case "ValidatingAdmissionPolicyBinding":
			obj = &admissionregistrationv1.ValidatingAdmissionPolicyBinding{}
		default:
			t.Fatalf("component %s: unexpected %s %s", name, r.GetKind(), r.GetName())
		}
		if err := yaml.UnmarshalStrict(raw, obj); err != nil {
			t.Fatal(err)
		}
		if err := cp.Client.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cp.Client.Delete(ctx, obj) })
	}
}
