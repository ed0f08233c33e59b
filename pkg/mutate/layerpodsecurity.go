package mutate

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// LayerPodSecurityWarnings warns, when Layer l is applied, of each Pod
// Security level a namespace it matches on cluster enforces that the
// Spark pods it composes there would break: l is composed alone onto a
// driver and an executor as spark-submit creates them, in one namespace of
// each level (the first by name; a Layer composes the same in every
// namespace it matches), and judged as podSecurityWarning judges a pod;
// the warning gives the first role's broken checks.
// The API server's PodSecurity admission would refuse every such pod, in
// words that name no layer; the Layer webhook and the composer say it
// when the Layer is applied. The namespaces, and the plugin's
// configuration (its default level, the namespaces it exempts), are
// served's; l is composed with served's other inputs
// (overlay.Snapshot.Alone: the classes it names are left to their own
// checks). A Layer that does not compile, or does not compose a sample
// pod, is left to what refuses it; a Shadow Layer composes nothing. The
// work is linear in the namespaces, by name (nothing is copied of each),
// with two compositions per level enforced.
func LayerPodSecurityWarnings(l *v1alpha1.Layer, cluster Cluster, served *overlay.Snapshot) []string {
	type level struct {
		// first is the namespace composed in; others the others of the
		// level the Layer matches.
		first  string
		others []string
		breach *podSecurityBreach
		// roles are the roles whose pods break it; breach is the first's.
		roles []string
	}
	podSecurity := served.PodSecurity()
	enforcing := served.NamespaceNames(func(name string) bool {
		_, enforced := PodSecurityEnforced(podSecurity, name, served.NamespaceLabels(name))
		return enforced
	})
	if len(enforcing) == 0 || l.Spec.IsShadow() {
		return nil
	}
	trial, err := served.Alone(l)
	if err != nil {
		return nil
	}
	var (
		levels []*level
		byName = map[string]*level{}
	)
	for _, ns := range enforcing {
		lv, _ := PodSecurityEnforced(podSecurity, ns, served.NamespaceLabels(ns))
		matched := false
		for _, role := range Roles() {
			matched = matched || len(trial.Match(overlay.Target{Cluster: cluster.Name, Pool: cluster.Pool, Namespace: ns, Role: role})) > 0
		}
		if !matched {
			continue
		}
		if at, ok := byName[lv.String()]; ok {
			at.others = append(at.others, ns)
			continue
		}
		at := &level{first: ns}
		byName[lv.String()], levels = at, append(levels, at)
		for _, role := range Roles() {
			pod := submittedPod(role, ns)
			res, err := Compose(trial, cluster, pod)
			if err != nil {
				continue
			}
			if b, err := podSecurityBreak(trial, pod, res, ""); err == nil && b != nil {
				if at.breach == nil {
					at.breach = b
				}
				at.roles = append(at.roles, string(role))
			}
		}
	}
	var out []string
	for _, at := range levels {
		if at.breach == nil {
			continue
		}
		where := fmt.Sprintf("namespace %q", at.first)
		if n := len(at.others); n > 0 {
			shown := at.others[:min(n, 3)]
			where = fmt.Sprintf("namespaces %q and %s", at.first, quotedList(shown))
			if n > len(shown) {
				where = fmt.Sprintf("namespaces %q, %s and %d more", at.first, quotedList(shown), n-len(shown))
			}
		}
		out = append(out, fmt.Sprintf("spec: the Spark %s pods this Layer composes in %s break the Pod Security %q enforced there: %s; added: %s. "+
			"The API server's PodSecurity admission will refuse them unless its configuration exempts them",
			strings.Join(at.roles, " and "), where, at.breach.level.String(), at.breach.detail, strings.Join(at.breach.added, ", ")))
	}
	return out
}

// submittedPod is a Spark pod of role in namespace as spark-submit
// creates it: its Spark container, a local directory, nothing of any
// layer's.
func submittedPod(role v1alpha1.Role, namespace string) *corev1.Pod {
	container := "spark-kubernetes-" + string(role)
	return &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "spark-pi-" + string(role), Namespace: namespace,
			Labels: map[string]string{v1alpha1.RoleLabel: string(role), "spark-app-selector": "spark-0123456789abcdef"}},
		Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers: []corev1.Container{{Name: container, Image: "apache/spark:3.5.3", Args: []string{string(role)},
				VolumeMounts: []corev1.VolumeMount{{Name: "spark-local-dir-1", MountPath: "/var/data/spark-1"}}}},
			Volumes: []corev1.Volume{{Name: "spark-local-dir-1", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
		},
	}
}

// quotedList is names quoted and joined with ", ".
func quotedList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
