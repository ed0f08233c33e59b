package manifest

import (
	"fmt"
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	nodev1 "k8s.io/api/node/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// readVersion is a kind of the cluster's objects a repository's documents
// are read as (inputsFrom): the version Strata decodes, and the older
// versions an API server still serves of it with the same fields, which it
// stores as that version.
type readVersion struct {
	read  schema.GroupVersion
	older []string
}

// readVersions are the kinds inputsFrom reads, by group and kind.
func readVersions() map[schema.GroupKind]readVersion {
	core := readVersion{read: schema.GroupVersion{Version: "v1"}}
	// ValidatingAdmissionPolicies and their bindings are served as
	// v1beta1 beside v1, MutatingAdmissionPolicies since Kubernetes 1.36
	// too; the fields are the same.
	admission := readVersion{read: admissionregistrationv1.SchemeGroupVersion, older: []string{"v1beta1"}}
	return map[schema.GroupKind]readVersion{
		{Kind: "Namespace"}:     core,
		{Kind: "LimitRange"}:    core,
		{Kind: "ResourceQuota"}: core,
		{Group: schedulingv1.GroupName, Kind: "PriorityClass"}:                               {read: schedulingv1.SchemeGroupVersion},
		{Group: nodev1.GroupName, Kind: "RuntimeClass"}:                                      {read: nodev1.SchemeGroupVersion},
		{Group: admissionregistrationv1.GroupName, Kind: "ValidatingAdmissionPolicy"}:        admission,
		{Group: admissionregistrationv1.GroupName, Kind: "ValidatingAdmissionPolicyBinding"}: admission,
		{Group: admissionregistrationv1.GroupName, Kind: "MutatingAdmissionPolicy"}:          admission,
		{Group: admissionregistrationv1.GroupName, Kind: "MutatingAdmissionPolicyBinding"}:   admission,
	}
}

// apiVersionRead is the apiVersion d is read as: its own, or, for a kind
// inputsFrom reads written in an older version the API server serves, the
// version read. Any other version of such a kind is an error: read as
// some other object (a policy's param), what it says would be lost.
func apiVersionRead(d *Document, versions map[schema.GroupKind]readVersion) (string, error) {
	gv, err := schema.ParseGroupVersion(d.APIVersion)
	if err != nil {
		return d.APIVersion, nil //nolint:nilerr // not one of these kinds: read as what else it is
	}
	v, ok := versions[schema.GroupKind{Group: gv.Group, Kind: d.Kind}]
	switch {
	case !ok || gv == v.read:
		return d.APIVersion, nil
	case slices.Contains(v.older, gv.Version):
		return v.read.String(), nil
	}
	want := []string{v.read.String()}
	for _, o := range v.older {
		want = append(want, schema.GroupVersion{Group: v.read.Group, Version: o}.String())
	}
	return "", fmt.Errorf("%s%s: apiVersion %q of kind %s: Strata reads %s (as the API server stores it: kubectl get -o yaml)",
		d.filePrefix(), d.Subject(), d.APIVersion, d.Kind, strings.Join(want, " or "))
}
