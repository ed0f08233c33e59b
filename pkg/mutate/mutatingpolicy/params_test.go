package mutatingpolicy

import (
	"context"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/strata-dev/strata/pkg/overlay"
)

// TestParams: a policy's params, read from a cluster, are found by its
// binding's paramRef in the pod's namespace, a ConfigMap or a custom
// resource alike; a param not found is what parameterNotFoundAction says;
// params not read leave the policy out.
func TestParams(t *testing.T) {
	configMaps := &admissionregistrationv1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"}
	teams := &admissionregistrationv1.ParamKind{APIVersion: "example.com/v1", Kind: "TeamDefaults"}
	teamsGVK := schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "TeamDefaults"}
	mappings := []meta.RESTMapping{
		{GroupVersionKind: corev1.SchemeGroupVersion.WithKind("ConfigMap"), Resource: corev1.SchemeGroupVersion.WithResource("configmaps"), Scope: meta.RESTScopeNamespace},
		{GroupVersionKind: teamsGVK, Resource: teamsGVK.GroupVersion().WithResource("teamdefaults"), Scope: meta.RESTScopeNamespace},
	}
	object := func(apiVersion, kind, ns, name string, content map[string]any) unstructured.Unstructured {
		u := unstructured.Unstructured{Object: map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": map[string]any{"name": name, "namespace": ns}}}
		for k, v := range content {
			u.Object[k] = v
		}
		return u
	}
	read := &Params{Mappings: mappings, Objects: []unstructured.Unstructured{
		object("v1", "ConfigMap", "etl", "team", map[string]any{"data": map[string]any{"team": "ml"}}),
		object("v1", "ConfigMap", "ml", "team", map[string]any{"data": map[string]any{"team": "other"}}),
		object("example.com/v1", "TeamDefaults", "etl", "team", map[string]any{"spec": map[string]any{"team": "data"}}),
	}}
	deny, allow := admissionregistrationv1.DenyAction, admissionregistrationv1.AllowAction
	for _, tc := range []struct {
		name     string
		kind     *admissionregistrationv1.ParamKind
		expr     string
		ref      string
		notFound *admissionregistrationv1.ParameterNotFoundActionType
		params   *Params
		team     string // the label the pod gets; "" for none
		refused  string
		skipped  string
	}{
		{name: "a ConfigMap of the pod's namespace", kind: configMaps, expr: `params.data.team`, ref: "team", notFound: &deny, params: read, team: "ml"},
		{name: "a custom resource", kind: teams, expr: `params.spec.team`, ref: "team", notFound: &deny, params: read, team: "data"},
		{name: "not found, Deny", kind: configMaps, expr: `params.data.team`, ref: "absent", notFound: &deny, params: read, refused: "no params found"},
		{name: "not found, Allow", kind: configMaps, expr: `params.data.team`, ref: "absent", notFound: &allow, params: read},
		{name: "none read", kind: configMaps, expr: `params.data.team`, ref: "team", notFound: &deny, skipped: "of which the dry run was given none"},
		{name: "not readable", kind: configMaps, expr: `params.data.team`, ref: "team", notFound: &deny,
			params: &Params{Mappings: mappings, Unread: map[string]string{"team": "configmaps is forbidden"}}, skipped: "could not be read: configmaps is forbidden"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := policy("team", applyConfiguration(`Object{metadata: Object.metadata{labels: {"team": `+tc.expr+`}}}`))
			p.Spec.ParamKind = tc.kind
			b := binding("team", "team", nil)
			b.Spec.ParamRef = &admissionregistrationv1.ParamRef{Name: tc.ref, ParameterNotFoundAction: tc.notFound}
			a, err := New(context.Background(), overlay.MutatingPolicies{Policies: []admissionregistrationv1.MutatingAdmissionPolicy{p},
				Bindings: []admissionregistrationv1.MutatingAdmissionPolicyBinding{b}}, Cluster{Namespaces: []corev1.Namespace{namespace("etl", nil)}, Params: tc.params})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			if got := a.Skipped("team"); !strings.Contains(got, tc.skipped) || (tc.skipped == "") != (got == "") {
				t.Fatalf("Skipped = %q, want %q", got, tc.skipped)
			}
			got, err := a.CreatePod(testPod("etl"), "").Admit(context.Background())
			if !admitted(t, err, tc.refused) {
				return
			}
			if got.Labels["team"] != tc.team {
				t.Errorf("team %q, want %q", got.Labels["team"], tc.team)
			}
		})
	}
}
