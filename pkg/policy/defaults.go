package policy

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
)

// ServerDefaults returns pod with the API server's defaults that policies
// depend on, as the validating webhook sees every pod: a container (or
// init container) that sets a limit and no request for a resource
// requests its limit (the API server's SetDefaults_Pod). The composer
// applies it before --validate and composer test judge a pod, so their
// verdict is the webhook's. pod is not changed.
func ServerDefaults(pod *corev1.Pod) *corev1.Pod {
	out := pod.DeepCopy()
	for _, list := range [][]corev1.Container{out.Spec.InitContainers, out.Spec.Containers} {
		for i := range list {
			r := &list[i].Resources
			for name, limit := range r.Limits {
				if _, ok := r.Requests[name]; ok {
					continue
				}
				if r.Requests == nil {
					r.Requests = corev1.ResourceList{}
				}
				r.Requests[name] = limit.DeepCopy()
			}
		}
	}
	return out
}

// OperatorDefaults returns app with what the Spark Operator's defaulting
// webhook writes on a new SparkApplication (sparkv1beta2.SetOperatorDefaults):
// the validating webhook sees every application after it, in a cluster
// that runs the operator's webhook (its chart's default). The composer
// applies it before it judges an application, and ScheduledRun to the run
// a schedule will create, so that an application whose restart policy the
// operator would retry every 5 seconds, say, is refused offline and at
// the schedule as it will be when it is created. app is not changed.
func OperatorDefaults(app *sparkv1beta2.SparkApplication) *sparkv1beta2.SparkApplication {
	out := app.DeepCopy()
	sparkv1beta2.SetOperatorDefaults(out)
	return out
}
