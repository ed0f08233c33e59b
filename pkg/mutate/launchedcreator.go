package mutate

import (
	"cmp"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// serviceAccountUserPrefix starts the user name the API server gives a
// service account's requests (k8s.io/apiserver's
// serviceaccount.MakeUsername: one line, not a dependency).
const serviceAccountUserPrefix = "system:serviceaccount:"

// LaunchedPodCreator is the user the API server's admission sees create
// the pod of role that a SparkApplication or a SparkConnect of namespace
// launches, driver being the driver (or Connect server) pod it launches: the
// executors are created by the driver, with its service account's token
// (Spark's scheduler backend runs in it), so by that service account, the
// namespace's "default" when the pod names none; the driver is created by
// the Spark Operator, whose user is not known here (""). The PodSecurity
// admission exempts a pod by its creator (PodSecurityExempts).
func LaunchedPodCreator(role v1alpha1.Role, namespace string, driver *corev1.Pod) string {
	if role != v1alpha1.RoleExecutor || driver == nil {
		return ""
	}
	return serviceAccountUserPrefix + namespace + ":" + cmp.Or(driver.Spec.ServiceAccountName, defaultServiceAccountName)
}
