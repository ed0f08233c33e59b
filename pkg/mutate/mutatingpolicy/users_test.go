package mutatingpolicy

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	"github.com/strata-dev/strata/pkg/overlay"
)

// TestAuthorizer: with an authorizer (the cluster's), a policy whose CEL
// asks it is applied, each check asked for the request's user, with the
// groups the API server gives it; without one it is left out.
func TestAuthorizer(t *testing.T) {
	p := policy("authz", applyConfiguration(
		`Object{metadata: Object.metadata{labels: {"can-delete": string(authorizer.group("").resource("pods").namespace(object.metadata.namespace).check("delete").allowed())}}}`))
	policies := overlay.MutatingPolicies{Policies: []admissionregistrationv1.MutatingAdmissionPolicy{p},
		Bindings: []admissionregistrationv1.MutatingAdmissionPolicyBinding{binding("authz", "authz", nil)}}
	var asked []authorizer.Attributes
	// Alice may delete pods in etl, through her group.
	az := authorizer.AuthorizerFunc(func(_ context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
		asked = append(asked, a)
		if slices.Contains(a.GetUser().GetGroups(), "etl-admins") && a.GetVerb() == "delete" && a.GetResource() == "pods" && a.GetNamespace() == "etl" {
			return authorizer.DecisionAllow, "", nil
		}
		return authorizer.DecisionNoOpinion, "", nil
	})
	a, err := New(context.Background(), policies, Cluster{Namespaces: []corev1.Namespace{namespace("etl", nil)}, Authorizer: az,
		Groups: map[string][]string{"alice": {"etl-admins"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if why := a.Skipped("authz"); why != "" {
		t.Fatalf("skipped with an authorizer: %s", why)
	}
	for user, want := range map[string]string{"alice": "true", "bob": "false", "system:serviceaccount:etl:spark": "false"} {
		asked = nil
		got, err := a.CreatePod(testPod("etl"), user).Admit(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got.Labels["can-delete"] != want || len(asked) != 1 || asked[0].GetUser().GetName() != user {
			t.Errorf("%s: can-delete %q, want %q (asked %d times)", user, got.Labels["can-delete"], want, len(asked))
		}
	}
	without := start(t, policies)
	if why := without.Skipped("authz"); !strings.Contains(why, "only a cluster answers") {
		t.Errorf("without an authorizer: skipped %q", why)
	}
	// One that cannot answer (the cluster does not let the dry run ask
	// it) would answer no to every check: the policy is left out.
	failing := authorizer.AuthorizerFunc(func(context.Context, authorizer.Attributes) (authorizer.Decision, string, error) {
		return authorizer.DecisionNoOpinion, "", errors.New("subjectaccessreviews.authorization.k8s.io is forbidden")
	})
	unanswered, err := New(context.Background(), policies, Cluster{Namespaces: []corev1.Namespace{namespace("etl", nil)}, Authorizer: failing})
	if err != nil {
		t.Fatal(err)
	}
	defer unanswered.Close()
	if why := unanswered.Skipped("authz"); !strings.Contains(why, "the cluster does not answer the dry run: subjectaccessreviews.authorization.k8s.io is forbidden") {
		t.Errorf("with an authorizer that errs: skipped %q", why)
	}
}

// TestUserOf: the groups a request's user has, as the API server's
// authenticators give them.
func TestUserOf(t *testing.T) {
	a := &Applier{cluster: Cluster{Groups: map[string][]string{"alice": {"etl-admins", "system:authenticated"}}}}
	for name, want := range map[string][]string{
		"alice":                           {"etl-admins", "system:authenticated"},
		"bob":                             {"system:authenticated"},
		"system:serviceaccount:etl:spark": {"system:serviceaccounts", "system:serviceaccounts:etl", "system:authenticated"},
		"":                                nil,
	} {
		u := a.userOf(name)
		if u.GetName() != name || !slices.Equal(u.GetGroups(), want) {
			t.Errorf("%q: %s in %v, want %v", name, u.GetName(), u.GetGroups(), want)
		}
	}
}
