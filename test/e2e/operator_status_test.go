package e2e

import (
	"context"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestSparkStatusIsTheOperators: with the spark-operator-status component
// installed, a tenant that may write its SparkApplications' and
// ScheduledSparkApplications' status may not change it (the operator
// submits again by it: PENDING_RERUN at once, a schedule's run when
// nextRun is past), while the Spark Operator's service account may, and
// the tenant's other writes pass.
func TestSparkStatusIsTheOperators(t *testing.T) {
	ctx := context.Background()
	installComponent(t, "spark-operator-status")

	rule := rbacv1.PolicyRule{Verbs: []string{"get", "update"}, APIGroups: []string{"sparkoperator.k8s.io"},
		Resources: []string{"sparkapplications", "sparkapplications/status", "scheduledsparkapplications", "scheduledsparkapplications/status"}}
	allow(t, "e2e-spark-status-tenant", rule, rbacv1.Subject{Kind: rbacv1.UserKind, Name: "tenant-status"})
	allow(t, "e2e-spark-status-operator", rule, rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: "spark-operator-controller", Namespace: "spark-operator"})
	tenant := impersonating(t, "tenant-status")
	operator := impersonating(t, "system:serviceaccount:spark-operator:spark-operator-controller", "system:serviceaccounts", "system:serviceaccounts:spark-operator")

	app := exampleApp(t, "etl-report.yaml", "e2e-status")
	schedule := scheduledApp(t, "etl-report.yaml", "e2e-status-nightly")
	for _, o := range []*unstructured.Unstructured{app, schedule} {
		if err := cp.Client.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), o) })
	}
	// setStatus writes status field path as c, onto the stored object.
	setStatus := func(c client.Client, o *unstructured.Unstructured, value any, path ...string) error {
		var got unstructured.Unstructured
		got.SetGroupVersionKind(o.GroupVersionKind())
		if err := c.Get(ctx, client.ObjectKeyFromObject(o), &got); err != nil {
			return err
		}
		if err := unstructured.SetNestedField(got.Object, value, append([]string{"status"}, path...)...); err != nil {
			return err
		}
		return c.Status().Update(ctx, &got)
	}
	rerun := func(c client.Client, state string) error {
		return setStatus(c, app, state, "applicationState", "state")
	}
	if err := rerun(cp.Client, "COMPLETED"); err != nil {
		t.Fatal(err)
	}
	err := refusedOnceInForce(func() error { return rerun(tenant, "PENDING_RERUN") }, func() error { return rerun(cp.Client, "COMPLETED") })
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), `the status of SparkApplication "e2e-status" is the Spark Operator's to write`) {
		t.Fatalf("a tenant asking the operator to run its completed app again: %v, want it refused", err)
	}
	err = setStatus(tenant, schedule, "2000-01-01T00:00:00Z", "nextRun")
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), `the status of ScheduledSparkApplication "e2e-status-nightly" is the Spark Operator's to write`) {
		t.Errorf("a tenant moving its schedule's next run to the past: %v, want it refused", err)
	}
	if err := rerun(operator, "PENDING_RERUN"); err != nil {
		t.Errorf("the operator moving the app on: %v", err)
	}
	if err := setStatus(operator, schedule, "2000-01-01T00:00:00Z", "nextRun"); err != nil {
		t.Errorf("the operator writing the schedule's next run: %v", err)
	}
	if err := rerun(tenant, "PENDING_RERUN"); err != nil {
		t.Errorf("a tenant's status write that leaves the status as it is: %v", err)
	}
	var got unstructured.Unstructured
	got.SetGroupVersionKind(app.GroupVersionKind())
	if err := tenant.Get(ctx, client.ObjectKeyFromObject(app), &got); err != nil {
		t.Fatal(err)
	}
	got.SetLabels(map[string]string{"reviewed": "yes"})
	if err := tenant.Update(ctx, &got); err != nil {
		t.Errorf("a tenant labelling its app: %v", err)
	}
}
