package overlay

import (
	"errors"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// TestPlacementWarnings: a placement controller that is a service account
// of a namespace tenants may administer (neither a platform namespace nor
// exempt) is warned of, naming the field; so is one of a namespace the
// lookup does not find, in the caller's words, and one it cannot read. A
// platform namespace is not even looked up, and a user that is no service
// account is not warned of.
func TestPlacementWarnings(t *testing.T) {
	namespaces := map[string]*corev1.Namespace{
		"kueue-system": {ObjectMeta: metav1.ObjectMeta{Name: "kueue-system", Labels: map[string]string{ExemptLabel: "true"}}},
		"team-a":       {ObjectMeta: metav1.ObjectMeta{Name: "team-a", Labels: map[string]string{ExemptLabel: "false"}}},
		"team-b":       {ObjectMeta: metav1.ObjectMeta{Name: "team-b"}},
	}
	var looked []string
	lookup := func(name string) (*corev1.Namespace, error) {
		looked = append(looked, name)
		if name == "unreadable" {
			return nil, errors.New("the API server is away")
		}
		return namespaces[name], nil
	}
	isolation := func(users ...string) *v1alpha1.Config {
		return &v1alpha1.Config{Isolation: &v1alpha1.Isolation{PlacementControllers: users}}
	}
	for _, tc := range []struct {
		name   string
		spec   v1alpha1.LayerSpec
		want   []string
		looked []string
	}{{
		name:   "exempt and platform namespaces",
		spec:   v1alpha1.LayerSpec{Config: isolation("system:serviceaccount:kueue-system:kueue-controller-manager", "system:serviceaccount:kube-system:scheduler-plugins")},
		looked: []string{"kueue-system"},
	}, {
		name: "users that are no service account",
		spec: v1alpha1.LayerSpec{Config: isolation("kueue-admin", "system:node:node-1", "system:serviceaccounts:team-a")},
	}, {
		name: "tenant namespaces, labelled otherwise or not at all",
		spec: v1alpha1.LayerSpec{Driver: isolation("system:serviceaccount:team-a:placer"), Executor: isolation("system:serviceaccount:kueue-system:kueue", "system:serviceaccount:team-b:placer")},
		want: []string{
			`spec.driver.isolation.placementControllers[0]: "system:serviceaccount:team-a:placer" is a service account of namespace "team-a", which is not the platform's (strata.dev/exempt=true): whoever administers it may impersonate the account and place pods on reserved nodes`,
			`spec.executor.isolation.placementControllers[1]: "system:serviceaccount:team-b:placer" is a service account of namespace "team-b", which is not the platform's (strata.dev/exempt=true): whoever administers it may impersonate the account and place pods on reserved nodes`,
		},
		looked: []string{"team-a", "kueue-system", "team-b"},
	}, {
		name:   "a namespace not found, and one unreadable",
		spec:   v1alpha1.LayerSpec{Config: isolation("system:serviceaccount:ghost:placer", "system:serviceaccount:unreadable:placer")},
		looked: []string{"ghost", "unreadable"},
		want: []string{
			`spec.config.isolation.placementControllers[0]: "system:serviceaccount:ghost:placer" is a service account of namespace "ghost", which was nowhere: unless tenants administer it, label it strata.dev/exempt=true`,
			`spec.config.isolation.placementControllers[1]: "system:serviceaccount:unreadable:placer": cannot read Namespace "unreadable" to tell whether tenants administer it: the API server is away`,
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			looked = nil
			got := PlacementWarnings(&v1alpha1.Layer{Spec: tc.spec}, lookup, "was nowhere")
			if !slices.Equal(got, tc.want) {
				t.Errorf("warnings:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if !slices.Equal(looked, tc.looked) {
				t.Errorf("looked up %q, want %q", looked, tc.looked)
			}
		})
	}
}
