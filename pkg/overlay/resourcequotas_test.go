package overlay

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestResourceQuotasAsHeld: a snapshot holds each namespace's
// ResourceQuotas in name order; the hard limits enforced are the status's
// where the quota controller recorded them, else the spec's; namespaces
// whose quotas constrain pods alike (the same resource names and scopes,
// whatever the amounts) are grouped, with those of LimitRanges; a quota being written replaces its
// namespace's of its name, as its spec; an update with other inputs
// replaces them.
func TestResourceQuotasAsHeld(t *testing.T) {
	q := resource.MustParse
	quota := func(ns, name string, hard corev1.ResourceList, scopes ...corev1.ResourceQuotaScope) corev1.ResourceQuota {
		return corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: corev1.ResourceQuotaSpec{Hard: hard, Scopes: scopes}}
	}
	recorded := quota("ml", "compute", corev1.ResourceList{"limits.memory": q("1Ti")})
	recorded.Status.Hard = corev1.ResourceList{"pods": q("10")}
	in := Inputs{ResourceQuotas: []corev1.ResourceQuota{
		quota("etl", "z", corev1.ResourceList{"limits.cpu": q("100")}),
		quota("etl", "a", corev1.ResourceList{"limits.memory": q("1Ti")}),
		recorded,
		quota("ai", "compute", corev1.ResourceList{"limits.memory": q("2Ti")}),
		quota("geo", "compute", corev1.ResourceList{"limits.memory": q("2Ti")}, corev1.ResourceQuotaScopeNotTerminating),
	}}
	snap, err := Compile(in)
	if err != nil {
		t.Fatal(err)
	}
	etl := snap.ResourceQuotas("etl")
	if len(etl) != 2 || etl[0].Name != "a" || etl[1].Name != "z" || snap.ResourceQuotas("other") != nil {
		t.Fatalf("etl %v", etl)
	}
	if hard := QuotaHard(snap.ResourceQuotas("ml")[0]); len(hard) != 1 || hard.Pods().Cmp(q("10")) != 0 {
		t.Errorf("ml's hard limits %v, want its status's", hard)
	}
	if got, want := groupNames(snap), "ai etl geo ml"; got != want {
		t.Errorf("groups %q, want %q", got, want)
	}
	// A LimitRange sets a namespace apart.
	bounded := in
	bounded.ResourceQuotas = append(slices.Clone(in.ResourceQuotas), quota("ai2", "other-name", corev1.ResourceList{"limits.memory": q("5Gi")}))
	bounded.LimitRanges = []corev1.LimitRange{{ObjectMeta: metav1.ObjectMeta{Name: "defaults", Namespace: "ai"}}, {ObjectMeta: metav1.ObjectMeta{Name: "defaults", Namespace: "zz"}}}
	boundedSnap, err := Compile(bounded)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := groupNames(boundedSnap), "ai ai2 etl geo ml zz"; got != want {
		t.Errorf("groups %q, want %q", got, want)
	}
	twin := quota("ai2", "other-name", corev1.ResourceList{"limits.memory": q("5Gi")})
	withTwin := snap.WithResourceQuota(&twin)
	if got, want := groupNames(withTwin), "ai,ai2 etl geo ml"; got != want {
		t.Errorf("groups with a twin %q, want %q", got, want)
	}
	written := quota("ml", "compute", corev1.ResourceList{"limits.cpu": q("1")})
	written.Status.Hard = corev1.ResourceList{"pods": q("10")}
	if hard := QuotaHard(snap.WithResourceQuota(&written).ResourceQuotas("ml")[0]); hard.Name("limits.cpu", resource.DecimalSI).IsZero() {
		t.Errorf("a quota being written: %v, want its spec's", hard)
	}
	if _, pods := QuotaHard(snap.ResourceQuotas("ml")[0])["pods"]; snap.ResourceQuotas("ai2") != nil || !pods {
		t.Error("WithResourceQuota changed the snapshot")
	}
	c := &Compiler{}
	if _, err := c.Compile(in); err != nil {
		t.Fatal(err)
	}
	next, err := c.Update(nil, &Inputs{})
	if err != nil || next.ResourceQuotas("etl") != nil {
		t.Errorf("after an update without ResourceQuotas: %v, %v", next.ResourceQuotas("etl"), err)
	}
}

// groupNames are the namespaces of each of snap's groups bounded alike
// (NamespacesByBounds), comma-joined, the groups space-joined.
func groupNames(snap *Snapshot) string {
	var groups []string
	for _, g := range snap.NamespacesByBounds() {
		groups = append(groups, strings.Join(g.Namespaces, ","))
	}
	return strings.Join(groups, " ")
}
