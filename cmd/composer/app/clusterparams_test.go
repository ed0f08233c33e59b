package app

import (
	"context"
	"slices"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
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

// TestClusterSchemas: the CustomResourceDefinition of a kind composed is
// read by the name the API server gives it; one the cluster does not hold,
// or of a kind it does not serve, is not given, and one the reader may not
// read is unread, with why.
func TestClusterSchemas(t *testing.T) {
	mapper := meta.NewDefaultRESTMapper(nil)
	mapper.Add(appKind, meta.RESTScopeNamespace)
	locked := schema.GroupVersionKind{Group: "locked.example.com", Version: "v1", Kind: "Job"}
	mapper.Add(locked, meta.RESTScopeNamespace)
	absent := schema.GroupVersionKind{Group: "absent.example.com", Version: "v1", Kind: "Job"}
	mapper.Add(absent, meta.RESTScopeNamespace)
	unserved := schema.GroupVersionKind{Group: "unserved.example.com", Version: "v1", Kind: "Job"}
	crd := &apiextensionsv1.CustomResourceDefinition{ObjectMeta: metav1.ObjectMeta{Name: "sparkapplications.sparkoperator.k8s.io"}}
	scheme := runtime.NewScheme()
	if err := apiextensionsv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	cl := fake.NewClientBuilder().WithScheme(scheme).WithRESTMapper(mapper).WithObjects(crd).
		WithInterceptorFuncs(interceptor.Funcs{Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if key.Name == "jobs.locked.example.com" {
				return apierrors.NewForbidden(schema.GroupResource{Group: "apiextensions.k8s.io", Resource: "customresourcedefinitions"}, key.Name, nil)
			}
			return c.Get(ctx, key, obj, opts...)
		}}).Build()
	schemas := clusterSchemas(context.Background(), cl, []schema.GroupVersionKind{appKind, locked, absent, unserved})
	if len(schemas.CRDs) != 1 || schemas.CRDs[0].Name != crd.Name {
		t.Errorf("read %v, want %s alone", schemas.CRDs, crd.Name)
	}
	if len(schemas.Unread) != 1 || !strings.Contains(schemas.Unread[locked.GroupKind()], `CustomResourceDefinition "jobs.locked.example.com"`) {
		t.Errorf("unread %v, want the locked kind's alone", schemas.Unread)
	}
}
