package app

import (
	"context"
	"fmt"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/strata-dev/strata/pkg/mutate/mutatingpolicy"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1alpha1"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/manifest"
	"github.com/strata-dev/strata/pkg/policy/volcanov1beta1"
)

// appKind is the kind of SparkApplications, as the API server admits
// them.
var appKind = schema.GroupVersionKind{Group: sparkv1beta2.Group, Version: sparkv1beta2.Version, Kind: sparkv1beta2.Kind}

// scheduledKind is the kind of ScheduledSparkApplications, as the API
// server admits them.
var scheduledKind = schema.GroupVersionKind{Group: sparkv1beta2.Group, Version: sparkv1beta2.Version, Kind: sparkv1beta2.ScheduledKind}

// connectKind is the kind of SparkConnects, as the API server admits
// them.
var connectKind = schema.FromAPIVersionAndKind(sparkv1alpha1.APIVersion, sparkv1alpha1.Kind)

// podGroupKind is the kind of Volcano PodGroups, as the API server admits
// them.
var podGroupKind = schema.FromAPIVersionAndKind(volcanov1beta1.APIVersion, volcanov1beta1.Kind)

// crdKind is the kind of CustomResourceDefinitions.
var crdKind = apiextensionsv1.SchemeGroupVersion.WithKind("CustomResourceDefinition")

// customKindsOf are the kinds of custom resources among objects to which
// the dry run applies MutatingAdmissionPolicies (admitCustom): those it
// needs the schema of.
func customKindsOf(objects []manifest.Object) []schema.GroupVersionKind {
	var apps, schedules, connects, podGroups bool
	for i := range objects {
		apps = apps || objects[i].App != nil // a schedule's runs too
		schedules = schedules || objects[i].Schedule.Name != ""
		connects = connects || objects[i].Connect != nil
		podGroups = podGroups || objects[i].PodGroup != nil
	}
	var kinds []schema.GroupVersionKind
	if apps {
		kinds = append(kinds, appKind)
	}
	if schedules {
		kinds = append(kinds, scheduledKind)
	}
	if connects {
		kinds = append(kinds, connectKind)
	}
	if podGroups {
		kinds = append(kinds, podGroupKind)
	}
	return kinds
}

// clusterSchemas reads from cl the CustomResourceDefinitions of kinds, by
// the names the API server gives them (sparkapplications.sparkoperator.k8s.io).
// One the cluster does not hold is not given: the cluster serves no such
// objects. One the reader may not read is Unread.
func clusterSchemas(ctx context.Context, cl client.Client, kinds []schema.GroupVersionKind) *mutatingpolicy.Schemas {
	schemas := &mutatingpolicy.Schemas{Unread: map[schema.GroupKind]string{}}
	for _, kind := range kinds {
		mapping, err := cl.RESTMapper().RESTMapping(kind.GroupKind(), kind.Version)
		if err != nil {
			if !meta.IsNoMatchError(err) {
				schemas.Unread[kind.GroupKind()] = err.Error()
			}
			continue
		}
		var crd apiextensionsv1.CustomResourceDefinition
		name := mapping.Resource.Resource + "." + kind.Group
		switch err := cl.Get(ctx, client.ObjectKey{Name: name}, &crd); {
		case apierrors.IsNotFound(err):
		case err != nil:
			schemas.Unread[kind.GroupKind()] = fmt.Sprintf("CustomResourceDefinition %q: %v", name, err)
		default:
			schemas.CRDs = append(schemas.CRDs, crd)
		}
	}
	return schemas
}

// fileSchemas are the CustomResourceDefinitions the files give
// (policies.Params: the objects of kinds nothing else reads).
func fileSchemas(policies overlay.MutatingPolicies) (*mutatingpolicy.Schemas, error) {
	schemas := &mutatingpolicy.Schemas{}
	for i := range policies.Params {
		u := &policies.Params[i]
		if u.GroupVersionKind() != crdKind {
			continue
		}
		crd, err := crdOf(u)
		if err != nil {
			return nil, err
		}
		schemas.CRDs = append(schemas.CRDs, *crd)
	}
	return schemas, nil
}

// crdOf is u as a CustomResourceDefinition; an error naming it and what
// is wrong where it is not one.
func crdOf(u *unstructured.Unstructured) (*apiextensionsv1.CustomResourceDefinition, error) {
	var crd apiextensionsv1.CustomResourceDefinition
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, &crd, true); err != nil {
		return nil, fmt.Errorf("CustomResourceDefinition %q: %w", u.GetName(), err)
	}
	return &crd, nil
}
