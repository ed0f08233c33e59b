package mutatingpolicy

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/strata-dev/strata/pkg/overlay"
)

// FuzzAdmit: whatever pod a tenant writes, policies that read and patch
// it apply or refuse it, on both passes, and never panic; the pod keeps
// its name and namespace.
func FuzzAdmit(f *testing.F) {
	stamp := policy("stamp", applyConfiguration(`Object{metadata: Object.metadata{labels: {"stamped": "yes"}}}`))
	copyLabel := policy("copy", jsonPatch(`has(object.metadata.labels) && "team" in object.metadata.labels ? [JSONPatch{op: "add", path: "/metadata/annotations", value: {"team": object.metadata.labels["team"]}}] : []`))
	count := policy("count", applyConfiguration(`Object{metadata: Object.metadata{annotations: {"containers": string(size(object.spec.containers))}}}`))
	count.Spec.ReinvocationPolicy = admissionregistrationv1.IfNeededReinvocationPolicy
	a, err := New(context.Background(), overlay.MutatingPolicies{Policies: []admissionregistrationv1.MutatingAdmissionPolicy{stamp, copyLabel, count},
		Bindings: []admissionregistrationv1.MutatingAdmissionPolicyBinding{binding("stamp", "stamp", nil), binding("copy", "copy", nil), binding("count", "count", nil)}},
		Cluster{Namespaces: []corev1.Namespace{namespace("etl", nil)}})
	if err != nil {
		f.Fatal(err)
	}
	defer a.Close()
	seed, _ := json.Marshal(testPod("etl"))
	f.Add(seed)
	f.Add([]byte(`{"metadata":{"name":"p","namespace":"etl","labels":{"team":"a"},"annotations":{"x":"y"}},"spec":{"containers":[]}}`))
	f.Add([]byte(`{"metadata":{"name":"p","namespace":"etl"},"spec":{"containers":[{"name":"a","ports":[{"containerPort":1},{"containerPort":1}]}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var pod corev1.Pod
		if json.Unmarshal(data, &pod) != nil {
			return
		}
		pod.Namespace = "etl"
		c := a.CreatePod(&pod, "")
		got, err := c.Admit(context.Background())
		if err != nil {
			var r *RefusedError
			if !errors.As(err, &r) {
				t.Fatalf("not a refusal: %v", err)
			}
			return
		}
		if got.Name != pod.Name || got.Namespace != pod.Namespace {
			t.Fatalf("renamed: %s/%s", got.Namespace, got.Name)
		}
		got.Spec.Containers = append(got.Spec.Containers, corev1.Container{Name: "sidecar"})
		if _, err := c.Reinvoke(context.Background(), got); err != nil {
			var r *RefusedError
			if !errors.As(err, &r) {
				t.Fatalf("not a refusal: %v", err)
			}
		}
	})
}

// FuzzAdmitCustom: any SparkApplication through policies checked by its
// CRD's schema (an apply configuration, a JSON patch, one reinvoked), both
// passes: the application as they leave it, or a refusal; never a panic.
func FuzzAdmitCustom(f *testing.F) {
	conf := appPolicy("conf", applyConfiguration(`Object{spec: Object.spec{sparkConf: {"spark.eventLog.enabled": "true"}}}`))
	label := appPolicy("label", jsonPatch(`has(object.metadata.labels) ? [JSONPatch{op: "add", path: "/metadata/labels/audited", value: "yes"}] : []`))
	count := appPolicy("count", applyConfiguration(`Object{metadata: Object.metadata{annotations: {"conf": string(has(object.spec.sparkConf) ? size(object.spec.sparkConf) : 0)}}}`))
	count.Spec.ReinvocationPolicy = admissionregistrationv1.IfNeededReinvocationPolicy
	a, err := New(context.Background(), overlay.MutatingPolicies{Policies: []admissionregistrationv1.MutatingAdmissionPolicy{conf, label, count},
		Bindings: []admissionregistrationv1.MutatingAdmissionPolicyBinding{binding("conf", "conf", nil), binding("label", "label", nil), binding("count", "count", nil)}},
		Cluster{Namespaces: []corev1.Namespace{namespace("etl", nil)}, Schemas: &Schemas{CRDs: []apiextensionsv1.CustomResourceDefinition{sparkCRD(f)}}})
	if err != nil {
		f.Fatal(err)
	}
	defer a.Close()
	seed, _ := json.Marshal(testApp("etl").Object)
	f.Add(seed)
	f.Add([]byte(`{"metadata":{"name":"a"},"spec":{"sparkConf":{"a":1},"driver":{"env":[{"name":"A"},{"name":"A"}]}}}`))
	f.Add([]byte(`{"metadata":{"name":"a","labels":null},"spec":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var obj map[string]any
		if json.Unmarshal(data, &obj) != nil || obj == nil {
			return
		}
		u, err := unstructuredOf(obj)
		if err != nil {
			return // not an object the API server would decode
		}
		u.SetAPIVersion("sparkoperator.k8s.io/v1beta2")
		u.SetKind("SparkApplication")
		u.SetNamespace("etl")
		c, err := a.CreateCustom(u, "")
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Admit(context.Background())
		if err != nil {
			var r *RefusedError
			if !errors.As(err, &r) {
				t.Fatalf("not a refusal: %v", err)
			}
			return
		}
		if got.GetName() != u.GetName() || got.GetNamespace() != "etl" {
			t.Fatalf("renamed: %s/%s", got.GetNamespace(), got.GetName())
		}
		_ = unstructured.SetNestedField(got.Object, "s3a://logs", "spec", "sparkConf", "spark.eventLog.dir")
		if _, err := c.Reinvoke(context.Background(), got); err != nil {
			var r *RefusedError
			if !errors.As(err, &r) {
				t.Fatalf("not a refusal: %v", err)
			}
		}
	})
}

// unstructuredOf is obj as the API server decodes a custom resource's
// object: through its JSON, integers as int64.
func unstructuredOf(obj map[string]any) (*unstructured.Unstructured, error) {
	data, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{}
	return u, u.UnmarshalJSON(data)
}
