package mutatingpolicy

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Params are the objects the policies' paramKinds name, as a cluster
// holds them, for the policies' bindings to find theirs by their paramRef.
type Params struct {
	// Objects are the params read.
	Objects []unstructured.Unstructured
	// Mappings are the resources of the paramKinds the cluster serves; a
	// policy whose paramKind it does not serve fails as it fails in the
	// API server.
	Mappings []meta.RESTMapping
	// Unread says, by policy, why its params could not be read (a list
	// the reader may not make): it is left out (Skipped).
	Unread map[string]string
}

// customParam is a param of a custom resource, by the resource the
// cluster serves it as.
type customParam struct {
	resource schema.GroupVersionResource
	object   *unstructured.Unstructured
}

// paramObjects sorts params' objects for the plugin: those of a built-in
// kind typed, for the clientset whose informers the plugin watches them
// through, the others (custom resources) for its dynamic client, with the
// list kind of each of their resources; mapper learns every paramKind's
// resource. An object of a kind no mapping names is left out: no policy
// can name it.
func paramObjects(scheme *runtime.Scheme, params *Params, mapper *meta.DefaultRESTMapper) (typed []runtime.Object, custom []customParam, listKinds map[schema.GroupVersionResource]string, err error) {
	listKinds = map[schema.GroupVersionResource]string{}
	if params == nil {
		return nil, nil, listKinds, nil
	}
	resources := map[schema.GroupVersionKind]schema.GroupVersionResource{}
	for _, m := range params.Mappings {
		mapper.AddSpecific(m.GroupVersionKind, m.Resource, m.Resource, m.Scope)
		resources[m.GroupVersionKind] = m.Resource
		if !scheme.Recognizes(m.GroupVersionKind) {
			listKinds[m.Resource] = m.GroupVersionKind.Kind + "List"
		}
	}
	for i := range params.Objects {
		u := params.Objects[i].DeepCopy()
		gvk := u.GroupVersionKind()
		resource, ok := resources[gvk]
		switch {
		case !ok:
			continue
		case !scheme.Recognizes(gvk):
			custom = append(custom, customParam{resource, u})
			continue
		}
		obj, err := scheme.New(gvk)
		if err != nil {
			return nil, nil, nil, err
		}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, obj); err != nil {
			return nil, nil, nil, fmt.Errorf("param %s %s/%s: %w", gvk.Kind, u.GetNamespace(), u.GetName(), err)
		}
		typed = append(typed, obj)
	}
	return typed, custom, listKinds, nil
}
