package mutate

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// launchedPodSecurityWarnings adds to each role of out the warning of the
// pod the application launches of it (LaunchedPod of the composed
// application, composed as the pod webhook composes it, pod patches and
// all) when what the layers added breaks the Pod Security level the
// application's namespace enforces, judged against the pod the
// application as written (in) launches (podSecurityBreak). The API
// server's PodSecurity admission refuses that pod in words that name no
// layer, to the Spark Operator's spark-submit (or to the driver, for its
// executors), and the user who created the application sees only its
// failed state: the application's creation is where the user can be
// told. An application whose size Spark refuses launches nothing, and the
// validating webhook refuses it. A pod whose creator (LaunchedPodCreator:
// the driver's service account for an executor, cluster's Spark Operator
// for the driver) the plugin's configuration exempts is not warned of.
func launchedPodSecurityWarnings(snap *overlay.Snapshot, cluster Cluster, in *sparkv1beta2.SparkApplication, out *AppResult) error {
	if _, enforced := PodSecurityEnforced(snap.PodSecurity(), out.App.App.Namespace, snap.NamespaceLabels(out.App.App.Namespace)); !enforced {
		return nil
	}
	var driver *corev1.Pod // composed, as the pod webhook stores it
	for _, role := range Roles() {
		before, err := LaunchedPod(in, role)
		if err != nil {
			return nil //nolint:nilerr // the validating webhook refuses the size
		}
		before.Namespace = out.App.App.Namespace
		launched, err := LaunchedPod(&out.App.App, role)
		if err != nil {
			return nil //nolint:nilerr // as above
		}
		pod, err := Admit(snap, cluster, launched)
		if err != nil {
			return err
		}
		if role == v1alpha1.RoleDriver {
			driver = pod.Pod
		}
		// Who added a container or volume is the application's
		// composition's to say: the launched pod has them already. The pod
		// patches are the pod's.
		res := out.Role(role)
		judged := &Result{Pod: pod.Pod, Composition: res.Composition}
		judged.Composition.PodPatches = pod.Composition.PodPatches
		w, err := podSecurityWarning(snap, before, judged, cluster.LaunchedPodCreator(role, out.App.App.Namespace, driver))
		if err != nil {
			return err
		}
		if w != "" {
			w = "the pod it launches: " + w
			res.Warnings = append(res.Warnings, w)
		}
	}
	return nil
}
