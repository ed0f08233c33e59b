package overlay

import (
	"testing"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// TestSparkConfTarget holds SparkConfTarget to its table, for both roles
// and for keys that only look like a role's own.
func TestSparkConfTarget(t *testing.T) {
	driver, executor := v1alpha1.RoleDriver, v1alpha1.RoleExecutor
	for _, c := range []struct {
		role v1alpha1.Role
		key  string
		want SparkSetting
	}{
		{driver, "spark.kubernetes.driver.label.team", SparkSetting{Field: "labels", Item: "team"}},
		{executor, "spark.kubernetes.executor.annotation.a/b", SparkSetting{Field: "annotations", Item: "a/b"}},
		{executor, "spark.kubernetes.executor.node.selector.zone", SparkSetting{Field: "nodeSelector", Item: "zone"}},
		{driver, "spark.kubernetes.node.selector.zone", SparkSetting{Field: "nodeSelector", Item: "zone", general: true}},
		{driver, "spark.kubernetes.authenticate.driver.serviceAccountName", SparkSetting{Field: "serviceAccountName"}},
		{executor, "spark.kubernetes.authenticate.executor.serviceAccountName", SparkSetting{Field: "serviceAccountName"}},
		{driver, "spark.kubernetes.driver.scheduler.name", SparkSetting{Field: "schedulerName"}},
		{executor, "spark.kubernetes.executor.scheduler.name", SparkSetting{Field: "schedulerName"}},
		{executor, "spark.kubernetes.scheduler.name", SparkSetting{Field: "schedulerName", general: true}},
		{executor, "spark.kubernetes.driver.scheduler.name", SparkSetting{Field: "sparkConf", Item: "spark.kubernetes.driver.scheduler.name"}},
		{driver, "spark.kubernetes.driver.scheduler.namex", SparkSetting{Field: "sparkConf", Item: "spark.kubernetes.driver.scheduler.namex"}},
		{driver, "spark.kubernetes.container.image", SparkSetting{Field: "sparkConf", Item: "spark.kubernetes.driver.container.image", general: true}},
		{executor, "spark.kubernetes.container.image", SparkSetting{Field: "sparkConf", Item: "spark.kubernetes.executor.container.image", general: true}},
		// Another role's keys, and keys that only start like the role's.
		{executor, "spark.kubernetes.driver.label.team", SparkSetting{Field: "sparkConf", Item: "spark.kubernetes.driver.label.team"}},
		{executor, "spark.kubernetes.authenticate.driver.serviceAccountName", SparkSetting{Field: "sparkConf", Item: "spark.kubernetes.authenticate.driver.serviceAccountName"}},
		{driver, "spark.kubernetes.driverx.label.team", SparkSetting{Field: "sparkConf", Item: "spark.kubernetes.driverx.label.team"}},
		{driver, "spark.kubernetes.driver.label.", SparkSetting{Field: "sparkConf", Item: "spark.kubernetes.driver.label."}},
		{driver, "spark.kubernetes.node.selector.", SparkSetting{Field: "sparkConf", Item: "spark.kubernetes.node.selector."}},
		{driver, "spark.kubernetes.authenticate.driver.serviceAccountNameX", SparkSetting{Field: "sparkConf", Item: "spark.kubernetes.authenticate.driver.serviceAccountNameX"}},
		{driver, "spark.kubernetes.driver", SparkSetting{Field: "sparkConf", Item: "spark.kubernetes.driver"}},
		{driver, "spark.executor.memory", SparkSetting{Field: "sparkConf", Item: "spark.executor.memory"}},
		// A block for no role keeps every key as it is.
		{"", "spark.kubernetes.driver.label.team", SparkSetting{Field: "sparkConf", Item: "spark.kubernetes.driver.label.team"}},
		{"", "spark.kubernetes.container.image", SparkSetting{Field: "sparkConf", Item: "spark.kubernetes.container.image"}},
	} {
		if got := SparkConfTarget(c.role, c.key); got != c.want {
			t.Errorf("SparkConfTarget(%q, %q) = %+v, want %+v", c.role, c.key, got, c.want)
		}
	}
	for _, role := range []v1alpha1.Role{driver, executor, "other"} {
		if got, want := SparkRoleImage(role), "spark.kubernetes."+string(role)+".container.image"; got != want {
			t.Errorf("SparkRoleImage(%q) = %q, want %q", role, got, want)
		}
	}
}
