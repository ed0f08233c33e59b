package mutate

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1alpha1"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// connectPodSecurityWarnings are the warnings of the pods a SparkConnect
// launches (ConnectLaunchedPod of composed, composed as the pod webhook
// composes them) that what the layers added, judged against the pods the
// SparkConnect as written (in) launches, has the Pod Security level of
// its namespace refuse (podSecurityWarning): the server's, which the
// operator creates, and its executors', which the server creates. The
// plugin refuses them to those, in words that name no layer, and the
// SparkConnect's creator sees only a server that never starts or never
// gets executors. A size Spark would not accept launches nothing.
// A pod whose creator (LaunchedPodCreator: the server's service account
// for an executor, cluster's Spark Operator for the server) the plugin's
// configuration exempts is not warned of.
func connectPodSecurityWarnings(snap *overlay.Snapshot, cluster Cluster, in, composed *sparkv1alpha1.SparkConnect) ([]string, error) {
	if _, enforced := PodSecurityEnforced(snap.PodSecurity(), in.Metadata.Namespace, snap.NamespaceLabels(in.Metadata.Namespace)); !enforced {
		return nil, nil
	}
	var (
		out    []string
		server *corev1.Pod // composed, as the pod webhook stores it
	)
	for _, role := range Roles() {
		before, launched, ok := connectPods(in, composed, role)
		if !ok {
			return nil, nil
		}
		res, err := Admit(snap, cluster, launched)
		if err != nil {
			return nil, err
		}
		if role == v1alpha1.RoleDriver {
			server = res.Pod
		}
		w, err := podSecurityWarning(snap, before, res, cluster.LaunchedPodCreator(role, in.Metadata.Namespace, server))
		if err != nil {
			return nil, err
		}
		if w != "" {
			out = append(out, connectPodName(role)+": "+w)
		}
	}
	return out, nil
}

// connectPods are the pods of role that in (the SparkConnect as written)
// and composed launch (ConnectLaunchedPod); ok is false for a size Spark
// would not accept, which launches nothing (it is refused where it is
// judged).
func connectPods(in, composed *sparkv1alpha1.SparkConnect, role v1alpha1.Role) (before, launched *corev1.Pod, ok bool) {
	before, err := ConnectLaunchedPod(in, role)
	if err != nil {
		return nil, nil, false
	}
	if launched, err = ConnectLaunchedPod(composed, role); err != nil {
		return nil, nil, false
	}
	return before, launched, true
}

// connectPodName names the pod of role a SparkConnect launches, in
// warnings: "the server pod", "an executor pod".
func connectPodName(role v1alpha1.Role) string {
	if role == v1alpha1.RoleExecutor {
		return "an executor pod"
	}
	return "the server pod"
}

// connectPod is the pod of role a SparkConnect launches, as far as Pod
// Security judges it: the section's pod template, its Spark container
// (sparkContainer: spark-kubernetes-driver for the server, as the
// operator names it, spark-kubernetes-executor for executors, as Spark
// does; added when the template has no container) with the image it
// runs, labelled with the role as the pod webhook reads it. What the
// operator and Spark add besides (command, environment, ports, the
// ConfigMap of the executors' template) is nothing Pod Security judges.
func connectPod(c *sparkv1alpha1.SparkConnect, role v1alpha1.Role, conf map[string]string) *corev1.Pod {
	sec, label := c.Spec.Server, string(v1alpha1.ConnectServerRoleValue)
	if role == v1alpha1.RoleExecutor {
		sec, label = c.Spec.Executor, string(v1alpha1.RoleExecutor)
	}
	pod := &corev1.Pod{}
	if t := sec.Template; t != nil {
		t.ObjectMeta.DeepCopyInto(&pod.ObjectMeta)
		t.Spec.DeepCopyInto(&pod.Spec)
	}
	pod.Name, pod.Namespace = c.Metadata.Name+"-"+string(role), c.Metadata.Namespace
	pod.Labels = setKey(pod.Labels, v1alpha1.RoleLabel, label)
	i := sparkContainer(pod, role)
	if i < 0 {
		pod.Spec.Containers = []corev1.Container{{Name: sparkContainerName(role)}}
		i = 0
	}
	if pod.Spec.Containers[i].Image == "" {
		if role == v1alpha1.RoleExecutor {
			pod.Spec.Containers[i].Image = conf[overlay.SparkRoleImage(v1alpha1.RoleExecutor)]
		} else if c.Spec.Image != nil {
			pod.Spec.Containers[i].Image = *c.Spec.Image
		}
	}
	return pod
}
