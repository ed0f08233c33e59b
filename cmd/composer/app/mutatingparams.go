package app

import (
	"context"
	"slices"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/strata-dev/strata/pkg/mutate/mutatingpolicy"
	"github.com/strata-dev/strata/pkg/overlay"
)

// clusterParams reads from cl the params policies' bindings name: the
// objects of each bound policy's paramKind in the namespaces its bindings
// read them in (a paramRef's namespace, or those of the objects composed,
// where the API server reads a pod's params). A paramKind the cluster does
// not serve is left to the plugin, which fails the policy as the API
// server does; params the reader may not read leave their policy out
// (Params.Unread).
func clusterParams(ctx context.Context, cl client.Client, policies overlay.MutatingPolicies, namespaces []string) *mutatingpolicy.Params {
	params := &mutatingpolicy.Params{Unread: map[string]string{}}
	mapped := map[schema.GroupVersionKind]bool{}
	listed := map[string]error{} // by kind and namespace
	for _, p := range policies.Policies {
		gvk, ok := paramKindOf(&p)
		if !ok {
			continue
		}
		mapping, err := cl.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version)
		if meta.IsNoMatchError(err) {
			continue // not served: the plugin fails the policy, as the API server does
		}
		if err != nil {
			params.Unread[p.Name] = err.Error()
			continue
		}
		if !mapped[gvk] {
			mapped[gvk] = true
			params.Mappings = append(params.Mappings, *mapping)
		}
		var in []string
		for _, b := range policies.Bindings {
			switch ref := b.Spec.ParamRef; {
			case b.Spec.PolicyName != p.Name || ref == nil:
			case mapping.Scope.Name() == meta.RESTScopeNameRoot:
				in = append(in, "")
			case ref.Namespace != "":
				in = append(in, ref.Namespace)
			default:
				in = append(in, namespaces...)
			}
		}
		slices.Sort(in)
		for _, ns := range slices.Compact(in) {
			key := gvk.String() + "/" + ns
			if _, done := listed[key]; !done {
				list := &unstructured.UnstructuredList{}
				list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
				listed[key] = cl.List(ctx, list, client.InNamespace(ns))
				params.Objects = append(params.Objects, list.Items...)
			}
			if err := listed[key]; err != nil {
				params.Unread[p.Name] = err.Error()
			}
		}
	}
	return params
}

// fileParams are the params the files give (policies.Params) to each
// policy with a paramKind: every object of that kind, served as the API
// server serves its own kinds (the resource named after the kind, of the
// objects' scope). A policy none of whose kind the files give is left
// out (Params.Unread): its params are the cluster's.
func fileParams(policies overlay.MutatingPolicies) *mutatingpolicy.Params {
	params := &mutatingpolicy.Params{Unread: map[string]string{}}
	mapped := map[schema.GroupVersionKind]bool{}
	for _, p := range policies.Policies {
		gvk, ok := paramKindOf(&p)
		if !ok {
			continue
		}
		var of []unstructured.Unstructured
		for _, u := range policies.Params {
			if u.GroupVersionKind() == gvk {
				of = append(of, u)
			}
		}
		if len(of) == 0 {
			params.Unread[p.Name] = "no file given holds one, and no cluster is read"
			continue
		}
		if mapped[gvk] {
			continue
		}
		mapped[gvk] = true
		resource, _ := meta.UnsafeGuessKindToResource(gvk)
		scope := meta.RESTScopeRoot
		if slices.ContainsFunc(of, func(u unstructured.Unstructured) bool { return u.GetNamespace() != "" }) {
			scope = meta.RESTScopeNamespace
		}
		params.Mappings = append(params.Mappings, meta.RESTMapping{GroupVersionKind: gvk, Resource: resource, Scope: scope})
		params.Objects = append(params.Objects, of...)
	}
	return params
}

// paramKindOf is p's paramKind; false where it has none, or one whose
// apiVersion does not parse (the plugin's configuration error, as the API
// server's).
func paramKindOf(p *admissionregistrationv1.MutatingAdmissionPolicy) (schema.GroupVersionKind, bool) {
	k := p.Spec.ParamKind
	if k == nil {
		return schema.GroupVersionKind{}, false
	}
	gv, err := schema.ParseGroupVersion(k.APIVersion)
	if err != nil {
		return schema.GroupVersionKind{}, false
	}
	return gv.WithKind(k.Kind), true
}
