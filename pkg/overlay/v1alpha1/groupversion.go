package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersion is the API group and version of the Layer API.
var GroupVersion = schema.GroupVersion{Group: "strata.dev", Version: "v1alpha1"}

// LayerKind is the kind of a Layer object.
const LayerKind = "Layer"

// AddToScheme registers the Layer API types with a scheme.
func AddToScheme(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &Layer{}, &LayerList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
