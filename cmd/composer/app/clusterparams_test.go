package app

import (
	"context"
	"slices"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/strata-dev/strata/pkg/overlay"
)

// TestClusterParams: the params of each bound policy are read in the
// namespaces its bindings read them in: a paramRef's own, or the
// composed objects'; a paramKind the cluster does not serve is left to
// the plugin; params the reader may not list leave their policy out.
func TestClusterParams(t *testing.T) {
	mapper := meta.NewDefaultRESTMapper(nil)
	mapper.Add(corev1.SchemeGroupVersion.WithKind("ConfigMap"), meta.RESTScopeNamespace)
	configMap := func(ns, name string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string]string{"team": ns}}
	}
	cl := fake.NewClientBuilder().WithRESTMapper(mapper).
		WithObjects(configMap("etl", "team"), configMap("platform", "defaults"), configMap("ml", "team"), configMap("locked", "team")).
		WithInterceptorFuncs(interceptor.Funcs{List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
			var o client.ListOptions
			o.ApplyOptions(opts)
			if o.Namespace == "locked" {
				return apierrors.NewForbidden(schema.GroupResource{Resource: "configmaps"}, "", nil)
			}
			return c.List(ctx, list, opts...)
		}}).Build()
	policy := func(name, apiVersion, kind string) admissionregistrationv1.MutatingAdmissionPolicy {
		return admissionregistrationv1.MutatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: admissionregistrationv1.MutatingAdmissionPolicySpec{ParamKind: &admissionregistrationv1.ParamKind{APIVersion: apiVersion, Kind: kind}}}
	}
	binding := func(name, policy, namespace string) admissionregistrationv1.MutatingAdmissionPolicyBinding {
		return admissionregistrationv1.MutatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: admissionregistrationv1.MutatingAdmissionPolicyBindingSpec{PolicyName: policy, ParamRef: &admissionregistrationv1.ParamRef{Name: "x", Namespace: namespace}}}
	}
	params := clusterParams(context.Background(), cl, overlay.MutatingPolicies{
		Policies: []admissionregistrationv1.MutatingAdmissionPolicy{
			policy("per-pod", "v1", "ConfigMap"), policy("shared", "v1", "ConfigMap"), policy("unserved", "example.com/v1", "Missing"), policy("locked", "v1", "ConfigMap")},
		Bindings: []admissionregistrationv1.MutatingAdmissionPolicyBinding{
			binding("per-pod", "per-pod", ""), binding("shared", "shared", "platform"), binding("unserved", "unserved", ""), binding("locked", "locked", "locked")},
	}, []string{"etl"})
	var read []string
	for _, o := range params.Objects {
		read = append(read, o.GetNamespace()+"/"+o.GetName())
	}
	slices.Sort(read)
	if want := []string{"etl/team", "platform/defaults"}; !slices.Equal(read, want) {
		t.Errorf("read %v, want %v", read, want)
	}
	if len(params.Mappings) != 1 || params.Mappings[0].Resource.Resource != "configmaps" {
		t.Errorf("mappings %v, want configmaps alone", params.Mappings)
	}
	if len(params.Unread) != 1 || params.Unread["locked"] == "" {
		t.Errorf("unread %v, want the locked policy's alone", params.Unread)
	}
}
