package mutate

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1alpha1"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// ConnectApp is a SparkConnect as the application its server runs: its
// name and namespace, the Spark configuration the operator starts the
// server with (connectConf, every typed field as its key), and the
// executors' section (template, cores, memory, instances) and dynamic
// allocation, which size and count the executors Spark launches. It has
// no driver section: the server's pod is its template (ConnectLaunchedPod).
func ConnectApp(c *sparkv1alpha1.SparkConnect) *sparkv1beta2.SparkApplication {
	app := &sparkv1beta2.SparkApplication{}
	app.APIVersion, app.Kind = sparkv1beta2.APIVersion, sparkv1beta2.Kind
	app.Name, app.Namespace = c.Metadata.Name, c.Metadata.Namespace
	s := &app.Spec
	s.SparkConf = connectConf(&c.Spec)
	s.Image = c.Spec.Image
	s.Executor.Template = c.Spec.Executor.Template
	s.Executor.Cores, s.Executor.Memory, s.Executor.Instances = c.Spec.Executor.Cores, c.Spec.Executor.Memory, c.Spec.Executor.Instances
	s.DynamicAllocation = c.Spec.DynamicAllocation
	return app
}

// ConnectLaunchedPod is the pod of role a SparkConnect launches: for the
// driver, its server's, from spec.server.template as the operator creates
// it, sized by that template alone (a Spark driver in client mode does not
// size its own pod); for executors, one as Spark launches it from the
// configuration and spec.executor.template (LaunchedPod of ConnectApp). It
// reports an error for a size Spark would not accept.
func ConnectLaunchedPod(c *sparkv1alpha1.SparkConnect, role v1alpha1.Role) (*corev1.Pod, error) {
	app := ConnectApp(c)
	if role == v1alpha1.RoleExecutor {
		return LaunchedPod(app, role)
	}
	if _, err := SizeOf(&app.Spec); err != nil {
		return nil, err
	}
	// As the API server's defaults leave it: a limit without its request
	// is requested.
	return withDefaultedRequests(connectPod(c, role, app.Spec.SparkConf)), nil
}
