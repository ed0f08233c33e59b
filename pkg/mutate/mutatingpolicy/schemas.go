package mutatingpolicy

import (
	"context"
	"fmt"
	"slices"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apiextensions-apiserver/pkg/controller/openapi/builder"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/kube-openapi/pkg/spec3"
)

// Schemas are the CustomResourceDefinitions of the custom resources whose
// objects the dry run admits (Applier.CreateCustom), as a cluster holds
// them.
type Schemas struct {
	// CRDs are the definitions read.
	CRDs []apiextensionsv1.CustomResourceDefinition
	// Unread says, by group and kind, why a kind's CRD could not be read
	// (Applier.Undefined).
	Unread map[schema.GroupKind]string
}

// customKind is a kind a CRD defines: the resource it is served as, and
// whether its objects are namespaced.
type customKind struct {
	resource schema.GroupVersionResource
	scope    meta.RESTScope
}

// customTypes are the kinds schemas' CRDs define, in each version they serve, and
// the type converters of their objects by group and version, as the API
// server builds them for a MutatingAdmissionPolicy's apply configuration:
// from the OpenAPI v3 it serves for a group and version (the
// apiextensions-apiserver's own builder, each CRD's schema with the
// object metadata's), the CRDs of one group and version merged into one
// document.
func customTypes(schemas *Schemas) (map[schema.GroupVersionKind]customKind, map[schema.GroupVersion]managedfields.TypeConverter, error) {
	var crds []apiextensionsv1.CustomResourceDefinition
	if schemas != nil {
		crds = schemas.CRDs
	}
	kinds := map[schema.GroupVersionKind]customKind{}
	specs := map[schema.GroupVersion][]*spec3.OpenAPI{}
	for i := range crds {
		crd := &crds[i]
		scope := meta.RESTScopeNamespace
		if crd.Spec.Scope == apiextensionsv1.ClusterScoped {
			scope = meta.RESTScopeRoot
		}
		for _, v := range crd.Spec.Versions {
			if !v.Served {
				continue
			}
			gv := schema.GroupVersion{Group: crd.Spec.Group, Version: v.Name}
			s, err := builder.BuildOpenAPIV3(crd, v.Name, builder.Options{})
			if err != nil {
				return nil, nil, fmt.Errorf("CustomResourceDefinition %q: version %s: %w", crd.Name, v.Name, err)
			}
			specs[gv] = append(specs[gv], s)
			kinds[gv.WithKind(crd.Spec.Names.Kind)] = customKind{gv.WithResource(crd.Spec.Names.Plural), scope}
		}
	}
	converters := map[schema.GroupVersion]managedfields.TypeConverter{}
	for _, gv := range slices.SortedFunc(func(yield func(schema.GroupVersion) bool) {
		for gv := range specs {
			if !yield(gv) {
				return
			}
		}
	}, func(a, b schema.GroupVersion) int { return strings.Compare(a.String(), b.String()) }) {
		merged, err := builder.MergeSpecsV3(specs[gv]...)
		if err != nil {
			return nil, nil, fmt.Errorf("the CustomResourceDefinitions of %s: %w", gv, err)
		}
		tc, err := managedfields.NewTypeConverter(merged.Components.Schemas, false)
		if err != nil {
			return nil, nil, fmt.Errorf("the CustomResourceDefinitions of %s: %w", gv, err)
		}
		converters[gv] = tc
	}
	return kinds, converters, nil
}

// typeConverters is the plugin's TypeConverterManager in a dry run: the
// built-in types' schemas (static), and the custom resources' of the CRDs
// it was given, all known from the start. The plugin's own
// (patch.NewTypeConverterManager) learns a custom resource's schema by
// polling the API server's OpenAPI discovery in the background, which a
// dry run does not have, and where it has not yet polled a request finds
// none.
type typeConverters struct {
	static managedfields.TypeConverter
	custom map[schema.GroupVersion]managedfields.TypeConverter
}

// GetTypeConverter is the type converter of gvk's objects; nil for a kind
// neither the built-in types nor a CRD given define, as the plugin's.
func (t typeConverters) GetTypeConverter(gvk schema.GroupVersionKind) managedfields.TypeConverter {
	if tc, ok := t.custom[gvk.GroupVersion()]; ok {
		return tc
	}
	// As the plugin's: a kind the static converter does not know fails
	// to convert even empty.
	stub := &unstructured.Unstructured{}
	stub.SetGroupVersionKind(gvk)
	if _, err := t.static.ObjectToTyped(stub); err == nil {
		return t.static
	}
	return nil
}

// Run does nothing: every schema is known from the start.
func (typeConverters) Run(context.Context) {}
