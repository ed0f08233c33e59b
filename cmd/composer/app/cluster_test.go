package app

import (
	"context"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/strata-dev/strata/pkg/mutate"
)

// TestClusterIdentity: the cluster and pool are what the webhook's
// Deployment gives STRATA_CLUSTER and STRATA_POOL from its ConfigMap; a
// Deployment that names only one of them is an error naming both.
func TestClusterIdentity(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	identity := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "strata-system", Name: "strata-cluster"},
		Data: map[string]string{"cluster": "prod-a", "pool": "batch"}}
	fromMap := func(name, key string) corev1.EnvVar {
		return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: identity.Name}, Key: key}}}
	}
	deployment := func(env ...corev1.EnvVar) *appsv1.Deployment {
		d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "strata-system", Name: "strata-webhook"}}
		d.Spec.Template.Spec.Containers = []corev1.Container{{Name: "webhook", Env: append([]corev1.EnvVar{{Name: "GOMEMLIMIT", Value: "400MiB"}}, env...)}}
		return d
	}
	for name, c := range map[string]struct {
		dep  *appsv1.Deployment
		want mutate.Cluster
		err  string
	}{
		"both":        {dep: deployment(fromMap("STRATA_CLUSTER", "cluster"), fromMap("STRATA_POOL", "pool")), want: mutate.Cluster{Name: "prod-a", Pool: "batch"}},
		"no pool":     {dep: deployment(fromMap("STRATA_CLUSTER", "cluster")), err: "names no cluster and pool (STRATA_CLUSTER, STRATA_POOL)"},
		"no cluster":  {dep: deployment(fromMap("STRATA_POOL", "pool")), err: "names no cluster and pool"},
		"no such key": {dep: deployment(fromMap("STRATA_CLUSTER", "cluster"), fromMap("STRATA_POOL", "missing")), err: "names no cluster and pool"},
		"no webhook":  {err: "reading the webhook's Deployment strata-system/strata-webhook"},
	} {
		b := fake.NewClientBuilder().WithScheme(scheme).WithObjects(identity)
		if c.dep != nil {
			b = b.WithObjects(c.dep)
		}
		got, err := clusterIdentity(context.Background(), b.Build(), "strata-system")
		switch {
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("%s: %+v, %v; want %+v", name, got, err, c.want)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: %+v, %v; want an error holding %q", name, got, err, c.err)
		}
	}
}
