package overlay

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestNamespacePlacementOf reads the annotations as PodNodeSelector and
// PodTolerationRestriction read them; what they cannot read gives nothing.
func TestNamespacePlacementOf(t *testing.T) {
	exists := func(key string) corev1.Toleration {
		return corev1.Toleration{Key: key, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}
	}
	for _, tc := range []struct {
		name        string
		annotations map[string]string
		want        NamespacePlacement
	}{
		{"none", nil, NamespacePlacement{}},
		{"empty", map[string]string{NamespaceNodeSelectorAnnotation: "", NamespaceTolerationsAnnotation: ""}, NamespacePlacement{}},
		{"both", map[string]string{NamespaceNodeSelectorAnnotation: "pool=core, zone=a", NamespaceTolerationsAnnotation: `[{"key":"core","operator":"Exists","effect":"NoSchedule"}]`},
			NamespacePlacement{NodeSelector: map[string]string{"pool": "core", "zone": "a"}, Tolerations: []corev1.Toleration{exists("core")}}},
		{"an empty list", map[string]string{NamespaceTolerationsAnnotation: `[]`}, NamespacePlacement{}},
		{"a selector that is not equalities", map[string]string{NamespaceNodeSelectorAnnotation: "pool!=core"}, NamespacePlacement{}},
		{"a selector without a key", map[string]string{NamespaceNodeSelectorAnnotation: "pool=core,=a"}, NamespacePlacement{}},
		{"a toleration that is not a list", map[string]string{NamespaceTolerationsAnnotation: `{"key":"core"}`,
			NamespaceNodeSelectorAnnotation: "pool=core"}, NamespacePlacement{NodeSelector: map[string]string{"pool": "core"}}},
		{"other annotations", map[string]string{"scheduler.alpha.kubernetes.io/tolerationsWhitelist": `[{"key":"core"}]`}, NamespacePlacement{}},
	} {
		if got := namespacePlacementOf(tc.annotations); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// TestSnapshotNamespacePlacement: a snapshot holds each Namespace's
// placement from Compile, Update and WithNamespace alike.
func TestSnapshotNamespacePlacement(t *testing.T) {
	ns := func(name, selector string) corev1.Namespace {
		return corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{NamespaceNodeSelectorAnnotation: selector}}}
	}
	c := &Compiler{}
	snap, err := c.Compile(Inputs{Namespaces: []corev1.Namespace{ns("a", "pool=a")}})
	if err != nil {
		t.Fatal(err)
	}
	want := func(s *Snapshot, name, pool string) {
		t.Helper()
		got := s.NamespacePlacement(name).NodeSelector
		if (pool == "") != (got == nil) || got["pool"] != pool {
			t.Errorf("namespace %s: %v, want pool=%s", name, got, pool)
		}
	}
	want(snap, "a", "a")
	want(snap, "b", "")
	fresh := ns("b", "pool=b")
	with := snap.WithNamespace(&fresh)
	want(with, "b", "b")
	want(with, "a", "a")
	want(snap, "b", "")
	updated, err := c.Update(nil, &Inputs{Namespaces: []corev1.Namespace{ns("a", "pool=new")}})
	if err != nil {
		t.Fatal(err)
	}
	want(updated, "a", "new")
}

// FuzzNamespacePlacementOf: any annotation reads without a panic, and
// what it gives is in it: each selected key and value, and tolerations
// only from a JSON list.
func FuzzNamespacePlacementOf(f *testing.F) {
	f.Add("pool=core, zone=a", `[{"key":"core","operator":"Exists","effect":"NoSchedule"}]`)
	f.Add("pool!=core,=", `{"key":"core"}`)
	f.Add("", "[]")
	f.Fuzz(func(t *testing.T, selector, tolerations string) {
		p := namespacePlacementOf(map[string]string{NamespaceNodeSelectorAnnotation: selector, NamespaceTolerationsAnnotation: tolerations})
		for k, v := range p.NodeSelector {
			if k == "" || !strings.Contains(selector, k) || !strings.Contains(selector, v) {
				t.Errorf("selector %q gives %q=%q", selector, k, v)
			}
		}
		if len(p.Tolerations) > 0 && !json.Valid([]byte(tolerations)) {
			t.Errorf("tolerations %q give %v", tolerations, p.Tolerations)
		}
	})
}
