package mutatingpolicy

import (
	"context"
	"os"
	"reflect"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/strata-dev/strata/pkg/overlay"
)

// appRules select the creation of SparkApplications.
var appRules = &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
	RuleWithOperations: admissionregistrationv1.RuleWithOperations{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
		Rule: admissionregistrationv1.Rule{APIGroups: []string{"sparkoperator.k8s.io"}, APIVersions: []string{"v1beta2"}, Resources: []string{"sparkapplications"}}}}}}

var appKind = schema.GroupVersionKind{Group: "sparkoperator.k8s.io", Version: "v1beta2", Kind: "SparkApplication"}

// appPolicy is a policy of mutations over SparkApplications, never
// reinvoked.
func appPolicy(name string, mutations ...admissionregistrationv1.Mutation) admissionregistrationv1.MutatingAdmissionPolicy {
	p := policy(name, mutations...)
	p.Spec.MatchConstraints = appRules.DeepCopy()
	return p
}

// sparkCRD is a CRD of SparkApplications with a schema of a few fields.
func sparkCRD(t testing.TB) apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	b, err := os.ReadFile("testdata/sparkapplications-crd.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(b, &crd); err != nil {
		t.Fatal(err)
	}
	return crd
}

func testApp(ns string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
		"metadata": map[string]any{"name": "report", "namespace": ns, "labels": map[string]any{"team": "etl"}},
		"spec": map[string]any{"type": "Scala", "mode": "cluster", "sparkVersion": "4.0.0", "mainClass": "Report",
			"sparkConf": map[string]any{"spark.ui.enabled": "false"},
			"driver":    map[string]any{"cores": int64(1), "env": []any{map[string]any{"name": "A", "value": "1"}}}, "executor": map[string]any{"instances": int64(2)}},
	}}
}

func startWithCRDs(t *testing.T, policies overlay.MutatingPolicies, crds ...apiextensionsv1.CustomResourceDefinition) *Applier {
	t.Helper()
	a, err := New(context.Background(), policies, Cluster{Namespaces: []corev1.Namespace{namespace("etl", map[string]string{"tier": "batch"})}, Schemas: &Schemas{CRDs: crds}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

// TestCreateCustom: policies bound to SparkApplications change them as
// the API server does, an apply configuration checked against the CRD's
// schema; policies over pods leave them alone.
func TestCreateCustom(t *testing.T) {
	conf := applyConfiguration(`Object{spec: Object.spec{sparkConf: {"spark.eventLog.enabled": "true"}}}`)
	for _, tc := range []struct {
		name      string
		policy    admissionregistrationv1.MutatingAdmissionPolicy
		want      func(spec map[string]any, labels map[string]any) bool
		refused   string
		unchanged bool
	}{
		{name: "an apply configuration merges a map", policy: appPolicy("conf", conf), want: func(spec, _ map[string]any) bool {
			return reflect.DeepEqual(spec["sparkConf"], map[string]any{"spark.ui.enabled": "false", "spark.eventLog.enabled": "true"})
		}},
		{name: "a JSON patch", policy: appPolicy("label", jsonPatch(`[JSONPatch{op: "add", path: "/metadata/labels/tier", value: namespaceObject.metadata.labels["tier"]}]`)),
			want: func(_, labels map[string]any) bool { return labels["tier"] == "batch" && labels["team"] == "etl" }},
		{name: "an integer field", policy: appPolicy("executors", applyConfiguration(`Object{spec: Object.spec{executor: Object.spec.executor{instances: 5}}}`)),
			want: func(spec, _ map[string]any) bool {
				return reflect.DeepEqual(spec["executor"], map[string]any{"instances": int64(5)})
			}},
		{name: "a list kept as a map by name", policy: appPolicy("env", applyConfiguration(`Object{spec: Object.spec{driver: Object.spec.driver{env: [Object.spec.driver.env{name: "B", value: "2"}]}}}`)),
			want: func(spec, _ map[string]any) bool {
				env, _, _ := unstructured.NestedSlice(spec, "driver", "env")
				return reflect.DeepEqual(env, []any{map[string]any{"name": "A", "value": "1"}, map[string]any{"name": "B", "value": "2"}})
			}},
		{name: "a field the schema does not declare", policy: appPolicy("bad", applyConfiguration(`Object{spec: Object.spec{notAField: "x"}}`)),
			refused: "notAField"},
		{name: "a value of the wrong type", policy: appPolicy("bad", applyConfiguration(`Object{spec: Object.spec{executor: Object.spec.executor{instances: "five"}}}`)),
			refused: "instances"},
		{name: "a policy over pods", policy: policy("conf", conf), unchanged: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := startWithCRDs(t, overlay.MutatingPolicies{Policies: []admissionregistrationv1.MutatingAdmissionPolicy{tc.policy},
				Bindings: []admissionregistrationv1.MutatingAdmissionPolicyBinding{binding(tc.policy.Name, tc.policy.Name, nil)}}, sparkCRD(t))
			app := testApp("etl")
			c, err := a.CreateCustom(app, "alice")
			if err != nil {
				t.Fatal(err)
			}
			out, err := c.Admit(context.Background())
			if !admitted(t, err, tc.refused) {
				return
			}
			if !reflect.DeepEqual(app, testApp("etl")) {
				t.Error("CreateCustom changed the object it was given")
			}
			if tc.unchanged {
				if !reflect.DeepEqual(out, app) || c.Changed() {
					t.Errorf("changed: %v", out.Object)
				}
				return
			}
			spec, _, _ := unstructured.NestedMap(out.Object, "spec")
			labels, _, _ := unstructured.NestedMap(out.Object, "metadata", "labels")
			if !tc.want(spec, labels) || !c.Changed() {
				t.Errorf("got spec %v, labels %v (changed %v)", spec, labels, c.Changed())
			}
		})
	}
}

// TestCreateCustomWithoutItsCRD: an object of a kind no CRD given defines
// is not admitted: its apply configurations cannot be checked.
func TestCreateCustomWithoutItsCRD(t *testing.T) {
	p := appPolicy("conf", applyConfiguration(`Object{spec: Object.spec{sparkConf: {"a": "b"}}}`))
	policies := overlay.MutatingPolicies{Policies: []admissionregistrationv1.MutatingAdmissionPolicy{p},
		Bindings: []admissionregistrationv1.MutatingAdmissionPolicyBinding{binding("conf", "conf", nil)}}
	a := startWithCRDs(t, policies)
	if why := a.Undefined(appKind); !strings.Contains(why, "no CustomResourceDefinition of sparkoperator.k8s.io/v1beta2 SparkApplication") {
		t.Errorf("Undefined: %q", why)
	}
	if _, err := a.CreateCustom(testApp("etl"), ""); err == nil {
		t.Fatal("created an object of a kind no CRD defines")
	}
	if why := startWithCRDs(t, policies, sparkCRD(t)).Undefined(appKind); why != "" {
		t.Errorf("does not define the CRD's kind: %s", why)
	}
	other := appKind
	other.Version = "v1"
	if why := startWithCRDs(t, policies, sparkCRD(t)).Undefined(other); why == "" {
		t.Error("defines a version the CRD does not serve")
	}
	unread, err := New(context.Background(), policies, Cluster{Schemas: &Schemas{Unread: map[schema.GroupKind]string{appKind.GroupKind(): "forbidden"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer unread.Close()
	if why := unread.Undefined(appKind); !strings.Contains(why, "could not be read: forbidden") {
		t.Errorf("Undefined of a CRD not read: %q", why)
	}
}

// TestReinvokeCustom: a policy whose reinvocationPolicy is IfNeeded sees
// what the webhooks changed of an application.
func TestReinvokeCustom(t *testing.T) {
	count := appPolicy("count", applyConfiguration(`Object{metadata: Object.metadata{annotations: {"conf": string(size(object.spec.sparkConf))}}}`))
	count.Spec.ReinvocationPolicy = admissionregistrationv1.IfNeededReinvocationPolicy
	a := startWithCRDs(t, overlay.MutatingPolicies{Policies: []admissionregistrationv1.MutatingAdmissionPolicy{count},
		Bindings: []admissionregistrationv1.MutatingAdmissionPolicyBinding{binding("count", "count", nil)}}, sparkCRD(t))
	c, err := a.CreateCustom(testApp("etl"), "")
	if err != nil {
		t.Fatal(err)
	}
	first, err := c.Admit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := first.GetAnnotations()["conf"]; got != "1" {
		t.Fatalf("first pass: %q", got)
	}
	webhook := first.DeepCopy()
	if err := unstructured.SetNestedField(webhook.Object, "s3a://logs", "spec", "sparkConf", "spark.eventLog.dir"); err != nil {
		t.Fatal(err)
	}
	second, err := c.Reinvoke(context.Background(), webhook)
	if err != nil {
		t.Fatal(err)
	}
	if got := second.GetAnnotations()["conf"]; got != "2" {
		t.Errorf("second pass: %q, want 2", got)
	}
	if dir, _, _ := unstructured.NestedString(second.Object, "spec", "sparkConf", "spark.eventLog.dir"); dir != "s3a://logs" {
		t.Error("the second pass lost what the webhook gave")
	}
}
