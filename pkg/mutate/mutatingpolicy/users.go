package mutatingpolicy

import (
	"slices"

	"k8s.io/apiserver/pkg/authentication/serviceaccount"
	"k8s.io/apiserver/pkg/authentication/user"
)

// userOf is the user named name as the API server's authenticators give
// it to admission: with the groups the cluster gives it (Cluster.Groups),
// a service account's (system:serviceaccounts and that of its namespace),
// and system:authenticated, which every authenticated user has, each
// once. What a
// policy's CEL reads of request.userInfo, and what the authorizer is
// asked about. "" is a user not known: no name, no group.
func (a *Applier) userOf(name string) user.Info { return UserOf(name, a.cluster.Groups[name]) }

// UserOf is the user named name, in groups, as the API server's
// authenticators give it to admission (Applier.userOf).
func UserOf(name string, groups []string) user.Info {
	if name == "" {
		return &user.DefaultInfo{}
	}
	// In the order the API server gives them: the authenticator's, then
	// system:authenticated.
	groups = slices.Clone(groups)
	if namespace, _, err := serviceaccount.SplitUsername(name); err == nil {
		groups = append(serviceaccount.MakeGroupNames(namespace), groups...)
	}
	groups = append(groups, user.AllAuthenticated)
	var out []string
	for _, g := range groups {
		if !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return &user.DefaultInfo{Name: name, Groups: out}
}
