package mutatingpolicy

import (
	"context"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/strata-dev/strata/pkg/overlay"
)

// BenchmarkAdmit: a pod's first pass through policies that change it (an
// apply configuration and a JSON patch), and through none that match, as
// the composer runs it for each pod of a corpus; and starting an Applier,
// once per run.
func BenchmarkAdmit(b *testing.B) {
	policies := overlay.MutatingPolicies{Policies: []admissionregistrationv1.MutatingAdmissionPolicy{
		policy("stamp", applyConfiguration(`Object{metadata: Object.metadata{labels: {"stamped": "yes"}}}`)),
		policy("class", jsonPatch(`[JSONPatch{op: "add", path: "/spec/priorityClassName", value: "spark-low"}]`)),
	}}
	for _, tc := range []struct {
		name string
		ns   map[string]string
	}{{"policies=2", nil}, {"policies=2-unbound", map[string]string{"tier": "none"}}} {
		bound := policies
		bound.Bindings = []admissionregistrationv1.MutatingAdmissionPolicyBinding{binding("stamp", "stamp", tc.ns), binding("class", "class", tc.ns)}
		b.Run(tc.name, func(b *testing.B) {
			a, err := New(context.Background(), bound, Cluster{Namespaces: []corev1.Namespace{namespace("etl", nil)}})
			if err != nil {
				b.Fatal(err)
			}
			defer a.Close()
			pod := testPod("etl")
			b.ReportAllocs()
			for b.Loop() {
				if _, err := a.CreatePod(pod, "").Admit(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("start", func(b *testing.B) {
		bound := policies
		bound.Bindings = []admissionregistrationv1.MutatingAdmissionPolicyBinding{binding("stamp", "stamp", nil), binding("class", "class", nil)}
		b.ReportAllocs()
		for b.Loop() {
			a, err := New(context.Background(), bound, Cluster{Namespaces: []corev1.Namespace{namespace("etl", nil)}})
			if err != nil {
				b.Fatal(err)
			}
			a.Close()
		}
	})
}

// BenchmarkAdmitCustom: a SparkApplication's first pass through a policy
// whose apply configuration its CRD's schema checks and merges, and
// starting an Applier with the CRD (its schema built once per run).
func BenchmarkAdmitCustom(b *testing.B) {
	p := appPolicy("conf", applyConfiguration(`Object{spec: Object.spec{sparkConf: {"spark.eventLog.enabled": "true"}}}`))
	policies := overlay.MutatingPolicies{Policies: []admissionregistrationv1.MutatingAdmissionPolicy{p},
		Bindings: []admissionregistrationv1.MutatingAdmissionPolicyBinding{binding("conf", "conf", nil)}}
	schemas := &Schemas{CRDs: []apiextensionsv1.CustomResourceDefinition{sparkCRD(b)}}
	b.Run("policies=1", func(b *testing.B) {
		a, err := New(context.Background(), policies, Cluster{Namespaces: []corev1.Namespace{namespace("etl", nil)}, Schemas: schemas})
		if err != nil {
			b.Fatal(err)
		}
		defer a.Close()
		app := testApp("etl")
		b.ReportAllocs()
		for b.Loop() {
			c, err := a.CreateCustom(app, "")
			if err != nil {
				b.Fatal(err)
			}
			if _, err := c.Admit(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("start", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			a, err := New(context.Background(), policies, Cluster{Namespaces: []corev1.Namespace{namespace("etl", nil)}, Schemas: schemas})
			if err != nil {
				b.Fatal(err)
			}
			a.Close()
		}
	})
}
