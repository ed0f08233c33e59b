package app

import (
	"context"
	"io"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	webhook "github.com/strata-dev/strata/cmd/webhook/app"
	"github.com/strata-dev/strata/pkg/mutate"
)

// TestClusterIdentity: the cluster and pool are what the webhook's
// Deployment gives STRATA_CLUSTER and STRATA_POOL from its ConfigMap; a
// Deployment that names only one of them is an error naming both. The
// Spark Operator's user is the webhook's --spark-operator-user, unless the
// composer's --operator-user names one.
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
	deployment := func(args []string, env ...corev1.EnvVar) *appsv1.Deployment {
		d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "strata-system", Name: "strata-webhook"}}
		d.Spec.Template.Spec.Containers = []corev1.Container{{Name: "webhook", Args: append([]string{"--cluster=$(STRATA_CLUSTER)", "--pool=$(STRATA_POOL)"}, args...),
			Env: append([]corev1.EnvVar{{Name: "GOMEMLIMIT", Value: "400MiB"}}, env...)}}
		return d
	}
	both := []corev1.EnvVar{fromMap("STRATA_CLUSTER", "cluster"), fromMap("STRATA_POOL", "pool")}
	const operator = "system:serviceaccount:spark-operator:spark-operator-controller"
	for name, c := range map[string]struct {
		dep      *appsv1.Deployment
		operator string
		want     mutate.Cluster
		err      string
	}{
		"both":        {dep: deployment(nil, both...), want: mutate.Cluster{Name: "prod-a", Pool: "batch"}},
		"no pool":     {dep: deployment(nil, fromMap("STRATA_CLUSTER", "cluster")), err: "names no cluster and pool (STRATA_CLUSTER, STRATA_POOL)"},
		"no cluster":  {dep: deployment(nil, fromMap("STRATA_POOL", "pool")), err: "names no cluster and pool"},
		"no such key": {dep: deployment(nil, fromMap("STRATA_CLUSTER", "cluster"), fromMap("STRATA_POOL", "missing")), err: "names no cluster and pool"},
		"no webhook":  {err: "reading the webhook's Deployment strata-system/strata-webhook"},
		"the webhook's operator": {dep: deployment([]string{"--spark-operator-user=" + operator}, both...),
			want: mutate.Cluster{Name: "prod-a", Pool: "batch", SparkOperator: operator}},
		"the webhook's operator, apart": {dep: deployment([]string{"--spark-operator-user", operator}, both...),
			want: mutate.Cluster{Name: "prod-a", Pool: "batch", SparkOperator: operator}},
		"--operator-user wins": {dep: deployment([]string{"--spark-operator-user=" + operator}, both...), operator: "spark-operator",
			want: mutate.Cluster{Name: "prod-a", Pool: "batch", SparkOperator: "spark-operator"}},
		"--operator-user without the webhook's": {dep: deployment(nil, both...), operator: "spark-operator",
			want: mutate.Cluster{Name: "prod-a", Pool: "batch", SparkOperator: "spark-operator"}},
		"the webhook's, misspelt": {dep: deployment([]string{"--spark-operator-user=system:serviceaccount:spark-operator"}, both...),
			err: `container "webhook": --spark-operator-user: "system:serviceaccount:spark-operator" is not a service account's user name`},
		"the webhook's, from its environment": {dep: deployment([]string{"--spark-operator-user=$(OPERATOR)"}, both...),
			err: "refers to the container's environment, which the composer does not read: give --operator-user"},
		"the webhook's, from its environment, --operator-user given": {dep: deployment([]string{"--spark-operator-user=$(OPERATOR)"}, both...), operator: operator,
			want: mutate.Cluster{Name: "prod-a", Pool: "batch", SparkOperator: operator}},
	} {
		b := fake.NewClientBuilder().WithScheme(scheme).WithObjects(identity)
		if c.dep != nil {
			b = b.WithObjects(c.dep)
		}
		got, err := clusterIdentity(context.Background(), b.Build(), "strata-system", c.operator)
		switch {
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("%s: %+v, %v; want %+v", name, got, err, c.want)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: %+v, %v; want an error holding %q", name, got, err, c.err)
		}
	}
}

// TestSparkOperatorArgAsTheWebhookParsesIt: the composer reads the
// webhook's --spark-operator-user from its Deployment's arguments as the
// webhook's own command parses them, or refuses them as it does.
func TestSparkOperatorArgAsTheWebhookParsesIt(t *testing.T) {
	const op, other = "system:serviceaccount:spark-operator:spark-operator-controller", "system:serviceaccount:ops:spark"
	for _, args := range [][]string{
		nil,
		{"--spark-operator-user=" + op},
		{"--spark-operator-user", op},
		{"--spark-operator-user=" + other, "--spark-operator-user", op},
		{"--spark-operator-user", op, "--spark-operator-user=" + other},
		{"--spark-operator-user=spark-operator"},
		{"--spark-operator-user=system:serviceaccount:spark-operator"},
		{"--spark-operator-user=system:serviceaccount:Spark:op"},
		{"--spark-operator-user"},
		{"--zap-encoder=json", "--spark-operator-user=" + op, "--cert-dir=/certs"},
	} {
		var parsed *webhook.Options
		cmd := webhook.NewCommand(context.Background(), func(_ context.Context, o *webhook.Options) error { parsed = o; return nil })
		cmd.SetArgs(append([]string{"--cluster=a", "--pool=b"}, args...))
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		webhookErr := cmd.Execute()
		got, err := sparkOperatorArg(args)
		switch {
		case webhookErr != nil && err == nil:
			t.Errorf("%q: %q, the webhook refuses it: %v", args, got, webhookErr)
		case webhookErr == nil && err != nil:
			t.Errorf("%q: %v, the webhook takes %q", args, err, parsed.Cluster.SparkOperator)
		case webhookErr == nil && got != parsed.Cluster.SparkOperator:
			t.Errorf("%q: %q, the webhook takes %q", args, got, parsed.Cluster.SparkOperator)
		}
	}
}
