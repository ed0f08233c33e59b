package mutate

import (
	"cmp"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// serviceAccountUserPrefix starts the user name the API server gives a
// service account's requests (k8s.io/apiserver's
// serviceaccount.MakeUsername: one line, not a dependency).
const serviceAccountUserPrefix = "system:serviceaccount:"

// LaunchedPodCreator is the user the API server's admission sees create
// the pod of role that a SparkApplication or a SparkConnect of namespace
// launches in c, driver being the driver (or Connect server) pod it
// launches: the executors are created by the driver, with its service
// account's token (Spark's scheduler backend runs in it), so by that
// service account, the namespace's "default" when the pod names none; the
// driver is created by the Spark Operator, c.SparkOperator ("" when not
// known). The PodSecurity admission exempts a pod by its creator
// (PodSecurityExempts), and the MutatingAdmissionPolicies see it.
func (c Cluster) LaunchedPodCreator(role v1alpha1.Role, namespace string, driver *corev1.Pod) string {
	switch {
	case role == v1alpha1.RoleDriver:
		return c.SparkOperator
	case role != v1alpha1.RoleExecutor || driver == nil:
		return ""
	}
	return serviceAccountUserPrefix + namespace + ":" + cmp.Or(driver.Spec.ServiceAccountName, defaultServiceAccountName)
}

// CheckUserName checks name, a user as the API server names it, given for
// a user Strata cannot see authenticate (the Spark Operator's): a service
// account's must be system:serviceaccount:NAMESPACE:NAME with a namespace
// and a name the API server accepts, so a misspelt one is an error, not a
// user no request ever comes from. Any other name is the authenticator's
// (a client certificate's common name, say) and only needs no spaces
// around it.
func CheckUserName(name string) error {
	if strings.TrimSpace(name) != name || name == "" {
		return fmt.Errorf("%q is not a user name (want no spaces around it)", name)
	}
	rest, ok := strings.CutPrefix(name, serviceAccountUserPrefix)
	if !ok {
		return nil
	}
	namespace, sa, ok := strings.Cut(rest, ":")
	if !ok || strings.Contains(sa, ":") {
		return fmt.Errorf("%q is not a service account's user name (want %sNAMESPACE:NAME)", name, serviceAccountUserPrefix)
	}
	var errs []error
	for _, msg := range validation.IsDNS1123Label(namespace) {
		errs = append(errs, fmt.Errorf("namespace %q: %s", namespace, msg))
	}
	for _, msg := range validation.IsDNS1123Subdomain(sa) {
		errs = append(errs, fmt.Errorf("service account %q: %s", sa, msg))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%q is not a service account's user name: %w", name, errors.Join(errs...))
	}
	return nil
}
