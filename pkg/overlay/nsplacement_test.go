package overlay

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// TestNamespacePlacementOf reads the annotations as PodNodeSelector and
// PodTolerationRestriction read them; what they cannot read gives nothing.
// An annotation present decides, whatever it gives, so the cluster's
// default does not apply; a tolerations annotation of JSON null is read as
// none by the plugin, which then applies the cluster's default.
func TestNamespacePlacementOf(t *testing.T) {
	exists := func(key string) corev1.Toleration {
		return corev1.Toleration{Key: key, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}
	}
	own := func(p NamespacePlacement, selector, tolerations bool) annotatedPlacement {
		return annotatedPlacement{NamespacePlacement: p, ownNodeSelector: selector, ownTolerations: tolerations}
	}
	for _, tc := range []struct {
		name        string
		annotations map[string]string
		want        annotatedPlacement
	}{
		{"none", nil, own(NamespacePlacement{}, false, false)},
		{"empty", map[string]string{NamespaceNodeSelectorAnnotation: "", NamespaceTolerationsAnnotation: ""}, own(NamespacePlacement{}, true, true)},
		{"both", map[string]string{NamespaceNodeSelectorAnnotation: "pool=core, zone=a", NamespaceTolerationsAnnotation: `[{"key":"core","operator":"Exists","effect":"NoSchedule"}]`},
			own(NamespacePlacement{NodeSelector: map[string]string{"pool": "core", "zone": "a"}, Tolerations: []corev1.Toleration{exists("core")}}, true, true)},
		{"an empty list", map[string]string{NamespaceTolerationsAnnotation: `[]`}, own(NamespacePlacement{}, false, true)},
		{"null tolerations", map[string]string{NamespaceTolerationsAnnotation: `null`}, own(NamespacePlacement{}, false, false)},
		{"a selector that is not equalities", map[string]string{NamespaceNodeSelectorAnnotation: "pool!=core"}, own(NamespacePlacement{}, true, false)},
		{"a selector without a key", map[string]string{NamespaceNodeSelectorAnnotation: "pool=core,=a"}, own(NamespacePlacement{}, true, false)},
		{"a toleration that is not a list", map[string]string{NamespaceTolerationsAnnotation: `{"key":"core"}`,
			NamespaceNodeSelectorAnnotation: "pool=core"}, own(NamespacePlacement{NodeSelector: map[string]string{"pool": "core"}}, true, true)},
		{"other annotations", map[string]string{"owner": "alice"}, own(NamespacePlacement{}, false, false)},
	} {
		got := namespacePlacementOf(tc.annotations)
		// What the plugins cannot read gives nothing, and is said.
		unreadable := slices.Contains([]string{"a selector that is not equalities", "a selector without a key", "a toleration that is not a list"}, tc.name)
		if said := got.UnreadableNodeSelector != "" || got.UnreadableTolerations != ""; said != unreadable {
			t.Errorf("%s: unreadable %q %q, want said: %v", tc.name, got.UnreadableNodeSelector, got.UnreadableTolerations, unreadable)
		}
		got.UnreadableNodeSelector, got.UnreadableTolerations = "", ""
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
	// The whitelist annotation is read as the default tolerations are.
	for _, tc := range []struct {
		value string
		want  []corev1.Toleration
		own   bool
	}{
		{`[{"key":"core","operator":"Exists","effect":"NoSchedule"}]`, []corev1.Toleration{exists("core")}, true},
		{"", nil, true},
		{"[]", nil, true},
		{"null", nil, false},
		{"{", nil, true},
	} {
		got := namespacePlacementOf(map[string]string{NamespaceTolerationsWhitelistAnnotation: tc.value})
		if !reflect.DeepEqual(got.TolerationsWhitelist, tc.want) || got.ownWhitelist != tc.own || got.ownTolerations {
			t.Errorf("whitelist %q: %+v, want %v (own: %v)", tc.value, got, tc.want, tc.own)
		}
	}
}

// TestClusterPlacement: the cluster's defaults of the plugins'
// configuration give the pods of a namespace without annotations of its
// own, each as its plugin falls back on it, and are the platform's whether
// or not the namespaces' annotations are kept to platform admins; what a
// namespace's annotations give is the platform's only while they are.
func TestClusterPlacement(t *testing.T) {
	shared := corev1.Toleration{Key: "shared", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}
	core := corev1.Toleration{Key: "core", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}
	cluster := ClusterPlacement{NodeSelector: map[string]string{"zone": "shared"}, Tolerations: []corev1.Toleration{shared}}
	ns := func(name string, annotations map[string]string) corev1.Namespace {
		return corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: annotations}}
	}
	namespaces := []corev1.Namespace{
		ns("bare", nil),
		ns("pinned", map[string]string{NamespaceNodeSelectorAnnotation: "pool=core", NamespaceTolerationsAnnotation: `[{"key":"core","operator":"Exists","effect":"NoSchedule"}]`}),
		ns("selector-only", map[string]string{NamespaceNodeSelectorAnnotation: "pool=core"}),
		ns("emptied", map[string]string{NamespaceNodeSelectorAnnotation: "", NamespaceTolerationsAnnotation: ""}),
		ns("null", map[string]string{NamespaceTolerationsAnnotation: "null"}),
		ns("unreadable", map[string]string{NamespaceNodeSelectorAnnotation: "pool!=core", NamespaceTolerationsAnnotation: "{"}),
	}
	fromCluster := NamespacePlacement{NodeSelector: cluster.NodeSelector, Tolerations: cluster.Tolerations, ClusterNodeSelector: true, ClusterTolerations: true}
	pinned := NamespacePlacement{NodeSelector: map[string]string{"pool": "core"}, Tolerations: []corev1.Toleration{core}}
	// The plugins refuse every pod of a namespace whose annotations they
	// cannot read: nothing is given, and why is said.
	unreadable := NamespacePlacement{
		UnreadableNodeSelector: `annotation scheduler.alpha.kubernetes.io/node-selector: Invalid value: "pool!": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
		UnreadableTolerations:  "annotation scheduler.alpha.kubernetes.io/defaultTolerations: unexpected end of JSON input"}
	for _, tc := range []struct {
		namespace string
		want      NamespacePlacement
		unguarded NamespacePlacement
	}{
		{"bare", fromCluster, fromCluster},
		{"not known", fromCluster, fromCluster},
		{"pinned", pinned, NamespacePlacement{}},
		{"selector-only", NamespacePlacement{NodeSelector: map[string]string{"pool": "core"}, Tolerations: []corev1.Toleration{shared}, ClusterTolerations: true},
			NamespacePlacement{Tolerations: []corev1.Toleration{shared}, ClusterTolerations: true}},
		{"emptied", NamespacePlacement{}, NamespacePlacement{}},
		{"null", fromCluster, fromCluster},
		{"unreadable", unreadable, unreadable},
	} {
		for _, guarded := range []bool{true, false} {
			in := Inputs{Namespaces: namespaces, Admission: Admission{ClusterPlacement: cluster}}
			if guarded {
				in.AdmissionPolicies, in.AdmissionPolicyBindings = guardPolicy()
			}
			snap, err := (&Compiler{}).Compile(in)
			if err != nil {
				t.Fatal(err)
			}
			if got := snap.NamespacePlacement(tc.namespace); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s: NamespacePlacement %+v, want %+v", tc.namespace, got, tc.want)
			}
			want := tc.want
			if !guarded {
				want = tc.unguarded
			}
			if got := snap.PlatformPlacement(tc.namespace); !reflect.DeepEqual(got, want) {
				t.Errorf("%s, guarded %v: PlatformPlacement %+v, want %+v", tc.namespace, guarded, got, want)
			}
		}
	}
	// Update carries the cluster's defaults with the other inputs, and
	// keeps them until those come again.
	c := &Compiler{}
	if _, err := c.Compile(Inputs{Namespaces: namespaces, Admission: Admission{ClusterPlacement: cluster}}); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		others *Inputs
		want   bool
	}{{nil, true}, {&Inputs{Namespaces: namespaces}, false}, {nil, false}, {&Inputs{Admission: Admission{ClusterPlacement: cluster}}, true}} {
		s, err := c.Update(nil, step.others)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.NamespacePlacement("bare").ClusterNodeSelector; got != step.want {
			t.Errorf("Update(others %v): the cluster's node selector %v, want %v", step.others != nil, got, step.want)
		}
	}
}

// guardPolicy is NamespacePlacementPolicy as shipped, and its binding.
func guardPolicy() ([]admissionregistrationv1.ValidatingAdmissionPolicy, []admissionregistrationv1.ValidatingAdmissionPolicyBinding) {
	fail := admissionregistrationv1.Fail
	return []admissionregistrationv1.ValidatingAdmissionPolicy{{ObjectMeta: metav1.ObjectMeta{Name: NamespacePlacementPolicy},
			Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{FailurePolicy: &fail}}},
		[]admissionregistrationv1.ValidatingAdmissionPolicyBinding{{Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName: NamespacePlacementPolicy, ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}}}}
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
	// Whether the policy keeping the annotations to admins is in force
	// comes with the other inputs, and stays until they come again.
	guard := &Inputs{}
	guard.AdmissionPolicies, guard.AdmissionPolicyBindings = guardPolicy()
	for _, step := range []struct {
		others *Inputs
		want   bool
	}{{guard, true}, {nil, true}, {&Inputs{}, false}, {nil, false}} {
		s, err := c.Update(nil, step.others)
		if err != nil {
			t.Fatal(err)
		}
		if s.NamespacePlacementGuarded() != step.want {
			t.Errorf("Update(others %v): guarded %v, want %v", step.others != nil, s.NamespacePlacementGuarded(), step.want)
		}
	}
}

// FuzzNamespacePlacementOf: any annotation reads without a panic, and
// what it gives is in it: each selected key and value, and tolerations
// only from a JSON list, read alike as defaults and as a whitelist.
func FuzzNamespacePlacementOf(f *testing.F) {
	f.Add("pool=core, zone=a", `[{"key":"core","operator":"Exists","effect":"NoSchedule"}]`)
	f.Add("pool!=core,=", `{"key":"core"}`)
	f.Add("", "[]")
	f.Fuzz(func(t *testing.T, selector, tolerations string) {
		p := namespacePlacementOf(map[string]string{NamespaceNodeSelectorAnnotation: selector, NamespaceTolerationsAnnotation: tolerations,
			NamespaceTolerationsWhitelistAnnotation: tolerations})
		if !reflect.DeepEqual(p.Tolerations, p.TolerationsWhitelist) || p.ownTolerations != p.ownWhitelist {
			t.Errorf("tolerations %q read %v as defaults, %v as a whitelist", tolerations, p.Tolerations, p.TolerationsWhitelist)
		}
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

// TestPlacementGuarded: the namespaces' placement is the platform's only
// while NamespacePlacementPolicy fails closed and a binding denies with it,
// for every Namespace.
func TestPlacementGuarded(t *testing.T) {
	policy := func(edit func(*admissionregistrationv1.ValidatingAdmissionPolicy)) []admissionregistrationv1.ValidatingAdmissionPolicy {
		p := admissionregistrationv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: NamespacePlacementPolicy}}
		fail := admissionregistrationv1.Fail
		p.Spec.FailurePolicy = &fail
		edit(&p)
		return []admissionregistrationv1.ValidatingAdmissionPolicy{p}
	}
	binding := func(edit func(*admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec)) []admissionregistrationv1.ValidatingAdmissionPolicyBinding {
		b := admissionregistrationv1.ValidatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: "any-name"},
			Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: NamespacePlacementPolicy,
				ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}}}
		edit(&b.Spec)
		return []admissionregistrationv1.ValidatingAdmissionPolicyBinding{b}
	}
	as := func(*admissionregistrationv1.ValidatingAdmissionPolicy) {}
	bound := func(*admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec) {}
	for _, tc := range []struct {
		name     string
		policies []admissionregistrationv1.ValidatingAdmissionPolicy
		bindings []admissionregistrationv1.ValidatingAdmissionPolicyBinding
		want     bool
	}{
		{"as shipped", policy(as), binding(bound), true},
		{"failurePolicy left to its default", policy(func(p *admissionregistrationv1.ValidatingAdmissionPolicy) { p.Spec.FailurePolicy = nil }), binding(bound), true},
		{"denying and auditing", policy(as), binding(func(b *admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec) {
			b.ValidationActions = append(b.ValidationActions, admissionregistrationv1.Audit)
		}), true},
		{"an empty matchResources", policy(as), binding(func(b *admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec) {
			b.MatchResources = &admissionregistrationv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{}}
		}), true},
		{"no policy", nil, binding(bound), false},
		{"another policy", policy(func(p *admissionregistrationv1.ValidatingAdmissionPolicy) { p.Name = "other" }), binding(bound), false},
		{"no binding", policy(as), nil, false},
		{"a binding of another policy", policy(as), binding(func(b *admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec) { b.PolicyName = "other" }), false},
		{"failing open", policy(func(p *admissionregistrationv1.ValidatingAdmissionPolicy) {
			ignore := admissionregistrationv1.Ignore
			p.Spec.FailurePolicy = &ignore
		}), binding(bound), false},
		{"warning only", policy(as), binding(func(b *admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec) {
			b.ValidationActions = []admissionregistrationv1.ValidationAction{admissionregistrationv1.Warn, admissionregistrationv1.Audit}
		}), false},
		{"with parameters", policy(as), binding(func(b *admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec) {
			b.ParamRef = &admissionregistrationv1.ParamRef{Name: "p"}
		}), false},
		{"some namespaces", policy(as), binding(func(b *admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec) {
			b.MatchResources = &admissionregistrationv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"guarded": "true"}}}
		}), false},
		{"some objects", policy(as), binding(func(b *admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec) {
			b.MatchResources = &admissionregistrationv1.MatchResources{ObjectSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: "x", Operator: metav1.LabelSelectorOpDoesNotExist}}}}
		}), false},
		{"some excluded", policy(as), binding(func(b *admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec) {
			b.MatchResources = &admissionregistrationv1.MatchResources{ExcludeResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{ResourceNames: []string{"etl"}}}}
		}), false},
	} {
		if got := placementGuarded(tc.policies, tc.bindings); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestPlacementWhitelists: a namespace's pods may tolerate what its
// tolerationsWhitelist annotation lists, else what the cluster's
// whitelist does, and select what PodNodeSelector's entry for the
// namespace holds; guarded or not, as the plugins enforce them either way.
func TestPlacementWhitelists(t *testing.T) {
	spot := corev1.Toleration{Key: "spot", Operator: corev1.TolerationOpExists}
	gpu := corev1.Toleration{Key: "gpu", Operator: corev1.TolerationOpExists}
	snap, err := (&Compiler{}).Compile(Inputs{
		Namespaces: []corev1.Namespace{
			{ObjectMeta: metav1.ObjectMeta{Name: "bare"}},
			{ObjectMeta: metav1.ObjectMeta{Name: "ml", Annotations: map[string]string{NamespaceTolerationsWhitelistAnnotation: `[{"key":"gpu","operator":"Exists"}]`}}},
			{ObjectMeta: metav1.ObjectMeta{Name: "open", Annotations: map[string]string{NamespaceTolerationsWhitelistAnnotation: ""}}},
		},
		Admission: Admission{ClusterPlacement: ClusterPlacement{TolerationsWhitelist: []corev1.Toleration{spot},
			NodeSelectorWhitelists: map[string]map[string]string{"ml": {"pool": "gpu"}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		namespace string
		selector  map[string]string
		whitelist []corev1.Toleration
		// cluster: the tolerations whitelist is the cluster's.
		cluster bool
	}{
		{"bare", nil, []corev1.Toleration{spot}, true},
		{"not known", nil, []corev1.Toleration{spot}, true},
		{"ml", map[string]string{"pool": "gpu"}, []corev1.Toleration{gpu}, false},
		{"open", nil, nil, false},
	} {
		for _, p := range []NamespacePlacement{snap.NamespacePlacement(tc.namespace), snap.PlatformPlacement(tc.namespace)} {
			if !reflect.DeepEqual(p.NodeSelectorWhitelist, tc.selector) || !reflect.DeepEqual(p.TolerationsWhitelist, tc.whitelist) || p.ClusterWhitelist != tc.cluster {
				t.Errorf("%s: whitelists %v and %v (the cluster's: %v), want %v and %v (%v)", tc.namespace, p.NodeSelectorWhitelist, p.TolerationsWhitelist, p.ClusterWhitelist,
					tc.selector, tc.whitelist, tc.cluster)
			}
		}
	}
}

// TestNamespacesByPlacement: namespaces placed alike are grouped, in the
// order of their first namespace by name; those given and allowed
// nothing are left out.
func TestNamespacesByPlacement(t *testing.T) {
	ns := func(name, selector string) corev1.Namespace {
		out := corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
		if selector != "" {
			out.Annotations = map[string]string{NamespaceNodeSelectorAnnotation: selector}
		}
		return out
	}
	snap, err := Compile(Inputs{Namespaces: []corev1.Namespace{ns("d", "pool=gpu"), ns("a", "pool=gpu"), ns("c", ""), ns("b", "pool=core, zone=a"), ns("e", "zone=a,pool=core")}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range snap.NamespacesByPlacement() {
		got = append(got, strings.Join(g.Namespaces, "+")+":"+g.Placement.NodeSelector["pool"])
	}
	if want := []string{"a+d:gpu", "b+e:core"}; !reflect.DeepEqual(got, want) {
		t.Errorf("groups %q, want %q", got, want)
	}
	// With the cluster's default, namespaces without annotations are a group.
	in := Inputs{Namespaces: []corev1.Namespace{ns("a", "pool=gpu"), ns("c", "")}, Admission: Admission{ClusterPlacement: ClusterPlacement{NodeSelector: map[string]string{"pool": "shared"}}}}
	if snap, err = Compile(in); err != nil {
		t.Fatal(err)
	}
	if g := snap.NamespacesByPlacement(); len(g) != 2 || g[1].Namespaces[0] != "c" || !g[1].Placement.ClusterNodeSelector {
		t.Errorf("groups %+v, want a's and c's, c's the cluster's", g)
	}
}

// TestAlone: a snapshot of one Layer keeps the other inputs and leaves the
// snapshot it comes from as it was; a Layer that does not compile gives
// its problems.
func TestAlone(t *testing.T) {
	in := Inputs{Namespaces: []corev1.Namespace{{ObjectMeta: metav1.ObjectMeta{Name: "etl", Labels: map[string]string{"team": "etl"}}}},
		Layers: []LayerSource{{Layer: v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "other"}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.ClusterDefaults}}}}}
	snap, err := Compile(in)
	if err != nil {
		t.Fatal(err)
	}
	l := &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "l"}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.ClusterOverrides,
		Match: v1alpha1.Match{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "etl"}}}}}
	alone, err := snap.Alone(l)
	if err != nil {
		t.Fatal(err)
	}
	target := Target{Namespace: "etl", Role: v1alpha1.RoleExecutor}
	names := func(s *Snapshot) (out []string) {
		for _, m := range s.Match(target) {
			out = append(out, m.Name)
		}
		return out
	}
	if got := names(alone); !reflect.DeepEqual(got, []string{"l"}) || alone.LayerCount() != 1 {
		t.Errorf("alone matches %v (%d layers), want l alone", got, alone.LayerCount())
	}
	if got := names(snap); !reflect.DeepEqual(got, []string{"other"}) {
		t.Errorf("the snapshot matches %v after Alone, want other", got)
	}
	l.Spec.Tier = "Sometimes"
	if _, err := snap.Alone(l); err == nil || !strings.Contains(err.Error(), "spec.tier") {
		t.Errorf("an unknown tier: %v", err)
	}
}

// TestNamespacesByPlacementFollowsUpdates: a Layer's change keeps the
// groups of the namespaces; a change of the namespaces groups them anew.
func TestNamespacesByPlacementFollowsUpdates(t *testing.T) {
	ns := func(name, selector string) corev1.Namespace {
		return corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{NamespaceNodeSelectorAnnotation: selector}}}
	}
	c := &Compiler{}
	snap, err := c.Compile(Inputs{Namespaces: []corev1.Namespace{ns("a", "pool=gpu")}})
	if err != nil {
		t.Fatal(err)
	}
	first := snap.NamespacesByPlacement()
	layer := &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "l"}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.ClusterDefaults}}
	kept, err := c.Update(map[string]*v1alpha1.Layer{"l": layer}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := kept.NamespacesByPlacement(); len(got) != 1 || &got[0] != &first[0] {
		t.Errorf("after a Layer's change: %+v, want the groups computed before", got)
	}
	changed, err := c.Update(nil, &Inputs{Namespaces: []corev1.Namespace{ns("a", "pool=gpu"), ns("b", "pool=gpu")}})
	if err != nil {
		t.Fatal(err)
	}
	if got := changed.NamespacesByPlacement(); len(got) != 1 || strings.Join(got[0].Namespaces, ",") != "a,b" {
		t.Errorf("after the namespaces changed: %+v, want a and b", got)
	}
	with := snap.WithNamespace(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "c", Annotations: map[string]string{NamespaceNodeSelectorAnnotation: "pool=cpu"}}})
	if got := with.NamespacesByPlacement(); len(got) != 2 {
		t.Errorf("with a namespace more: %+v, want two groups", got)
	}
}
