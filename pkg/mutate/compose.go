package mutate

import (
	"fmt"
	"slices"

	"gomodules.xyz/jsonpatch/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// Cluster is the cluster a pod is composed for: its identity, matched by
// the layers' match.clusters and match.pools, and who its Spark Operator
// runs as.
type Cluster struct {
	Name string
	Pool string
	// SparkOperator is the Spark Operator's user, as the API server names
	// it (system:serviceaccount:NAMESPACE:NAME): who creates an
	// application's driver pod and a SparkConnect's server pod
	// (LaunchedPodCreator). "": not known, exempt from nothing. Layers do
	// not match on it.
	SparkOperator string
}

// Result is the outcome of composing one pod.
type Result struct {
	// Spark reports whether the pod is a Spark pod; other pods are untouched.
	Spark bool
	// Role is the Spark role of the pod; empty for other pods.
	Role v1alpha1.Role
	// Pod is the composed pod: a copy of the input, never the input itself.
	Pod *corev1.Pod
	// Patch turns the input pod into Pod; empty when nothing changed.
	Patch []jsonpatch.Operation
	// Composition is the composed config, the applied layers and provenance.
	Composition overlay.Result
	// Warnings tell the user which of their own values a layer overrode,
	// that the namespace's placement plugins refuse the node selector or
	// tolerations the layers set (placementWarning), and, last, that the
	// pod's namespace's Pod Security level refuses what the layers added
	// (PodSecurityWarning).
	Warnings []string
	// PodSecurityWarning is that last warning, "" for none: whether the
	// API server refuses the pod also depends on who creates it
	// (WarningsFor).
	PodSecurityWarning string
	// Notes say what a dry run could not know and left to the webhook
	// (a PriorityClass or RuntimeClass the inputs do not hold).
	Notes []string
	// Pinned are the node selector keys the pod holds because its
	// namespace is pinned to them (PodNodeSelector), not because its user
	// wrote them: those a SparkApplication's role was given
	// (givePinnedSelector), and those a dry run gave its pod file
	// (--admission-plugins). Provenance shows them as the pod's own, as
	// the webhook reads them; `composer -o explain` names the namespace.
	Pinned []string
}

// addNote adds note to the notes, unless it is empty.
func (r *Result) addNote(note string) {
	if note != "" {
		r.Notes = append(r.Notes, note)
	}
}

// SparkRole returns the pod's Spark role from its spark-role label, and
// whether it is a Spark pod at all. A SparkConnect server
// (v1alpha1.ConnectServerRoleValue) is a driver.
func SparkRole(pod *corev1.Pod) (v1alpha1.Role, bool) {
	switch r := v1alpha1.Role(pod.Labels[v1alpha1.RoleLabel]); r {
	case v1alpha1.RoleDriver, v1alpha1.RoleExecutor:
		return r, true
	case v1alpha1.ConnectServerRoleValue:
		return v1alpha1.RoleDriver, true
	}
	return "", false
}

// Compose composes pod with the layers of snap that match it on cluster. It
// is the code path the composer CLI and the admission webhook share. The
// input pod is not modified. A pod without a spark-role of driver or
// executor comes back unchanged with an empty patch.
func Compose(snap *overlay.Snapshot, cluster Cluster, pod *corev1.Pod) (*Result, error) {
	return composeWith(snap, cluster, pod, snap.Compose)
}

// Admit is Compose as the admission webhook answers: the same pod, patch,
// warnings and notes (TestAdmitIsCompose holds them equal), with the
// provenance of only what they are made of (overlay.ComposeOverrides): the
// user's values and the layers' that beat them, and every value of the
// fields rendering reads (renderReads). Most of what Compose records is
// the defaults', which an admission explains to no one. Explaining a pod
// (composer -o explain, ShadowOf) takes Compose.
func Admit(snap *overlay.Snapshot, cluster Cluster, pod *corev1.Pod) (*Result, error) {
	return composeWith(snap, cluster, pod, func(t overlay.Target, user v1alpha1.Config) overlay.Result {
		return snap.ComposeOverrides(t, user, renderReads...)
	})
}

// renderReads are the fields whose provenance rendering reads: who won
// the IAM role (grantIAM), who put a container in the pod and which
// mirror rewrote its image (renderImageMirrors), who chose the priority
// class (describe), who added a container or volume a Pod Security check
// fails on (podSecurityWarning). A renderer that reads another field's provenance adds
// it here; TestAdmitIsCompose, on pods that exercise each of these, fails
// when one is left out.
var renderReads = []string{overlay.PathIAM, overlay.PathImageMirrors, overlay.PathSidecars, overlay.PathInitContainers,
	overlay.PathPriorityClassName, overlay.PathVolumes}

func composeWith(snap *overlay.Snapshot, cluster Cluster, pod *corev1.Pod,
	compose func(overlay.Target, v1alpha1.Config) overlay.Result) (*Result, error) {
	res, err := renderStored(snap, cluster, pod, compose)
	if err != nil || !res.Spark {
		return res, err
	}
	explain := func() *overlay.Provenance { return Explain(snap, cluster, pod).Composition.Provenance }
	if err := unresolvedMount(pod, res.Pod, res.Role, res.Composition.PodPatches, explain); err != nil {
		return nil, fmt.Errorf("%s: %w", describe(pod, res.Composition.Provenance), err)
	}
	if err := movedSparkContainer(pod, res.Pod, res.Role, &res.Composition); err != nil {
		return nil, fmt.Errorf("%s: %w", describe(pod, res.Composition.Provenance), err)
	}
	if err := invalidPatched(pod, res.Pod, res.Composition.PodPatches); err != nil {
		return nil, fmt.Errorf("%s: %w", describe(pod, res.Composition.Provenance), err)
	}
	// Only the regions the renderers touch are diffed; a layer's pod patch
	// may change anything, and then the whole pod is.
	var patch []jsonpatch.Operation
	if regions, anywhere := patchRegions(); anywhere && len(res.Composition.PodPatches) > 0 {
		patch, err = Patch(pod, res.Pod)
	} else {
		patch, err = regionPatch(pod, res.Pod, regions)
	}
	if err != nil {
		return nil, err
	}
	res.Patch = patch
	res.Warnings = append(Warnings(res.Composition.Provenance, pod, res.Pod), res.Warnings...)
	if w := placementWarning(snap, pod, res); w != "" {
		res.Warnings = append(res.Warnings, w)
	}
	w, err := podSecurityWarning(snap, pod, res, "")
	if err != nil {
		return nil, err
	}
	if w != "" {
		res.Warnings = append(res.Warnings, w)
		res.PodSecurityWarning = w
	}
	return res, nil
}

// WarningsFor are the warnings of a pod that user creates: Warnings, less
// the Pod Security warning when the configuration snap holds exempts the
// user from the plugin's checks (PodSecurityExempts), as the plugin then
// admits the pod. The webhook knows the user; a dry run does not, and
// warns.
func (r *Result) WarningsFor(snap *overlay.Snapshot, user string) []string {
	if r.PodSecurityWarning == "" || !PodSecurityExempts(snap.PodSecurity(), nil, user) {
		return r.Warnings
	}
	return slices.DeleteFunc(slices.Clone(r.Warnings), func(w string) bool { return w == r.PodSecurityWarning })
}

// Render is Compose without the patch and the override warnings: the
// composed pod, the composition and its provenance. The validating webhook
// uses it to explain the values of the pod it judges.
func Render(snap *overlay.Snapshot, cluster Cluster, pod *corev1.Pod) (*Result, error) {
	return renderStored(snap, cluster, pod, snap.Compose)
}

// renderStored is renderWith with every container and volume of pod that
// is the rendered one as the API server stores it put back
// (keepDefaulted): the pod composing it again must leave as it is.
func renderStored(snap *overlay.Snapshot, cluster Cluster, pod *corev1.Pod,
	compose func(overlay.Target, v1alpha1.Config) overlay.Result) (*Result, error) {
	res, err := renderWith(snap, cluster, pod, compose)
	if err != nil || !res.Spark {
		return res, err
	}
	keepDefaulted(pod, res.Pod)
	return res, nil
}

// renderValues is Render with no provenance but what rendering itself
// reads (who won the IAM role, for grantIAM; who gave each sidecar and
// init container, for renderSecrets), and without the stored
// containers and volumes put back: the pod's composition as rendered, for
// PlatformParts, which compares the pod with it and explains nothing.
// Putting them back was a tenth of judging a pod without its policies.
func renderValues(snap *overlay.Snapshot, cluster Cluster, pod *corev1.Pod) (*Result, error) {
	return renderWith(snap, cluster, pod, func(t overlay.Target, user v1alpha1.Config) overlay.Result {
		return snap.ComposeValues(t, user, iamRoleKey, overlay.FieldKey(overlay.PathSidecars), overlay.FieldKey(overlay.PathInitContainers))
	})
}

func renderWith(snap *overlay.Snapshot, cluster Cluster, pod *corev1.Pod,
	compose func(overlay.Target, v1alpha1.Config) overlay.Result) (*Result, error) {
	role, spark := SparkRole(pod)
	res := &Result{Spark: spark, Role: role, Pod: pod.DeepCopy(), Patch: []jsonpatch.Operation{}}
	if !spark {
		return res, nil
	}
	res.Composition = compose(TargetOf(cluster, pod, role), UserConfig(pod, snap))
	res.Warnings = grantIAM(&res.Composition)
	if err := render(res.Pod, role, &res.Composition); err != nil {
		return nil, fmt.Errorf("%s: %w", describe(pod, res.Composition.Provenance), err)
	}
	fail := func(err error) error { return fmt.Errorf("%s: %w", describe(pod, res.Composition.Provenance), err) }
	note, err := renderPriority(res.Pod, pod.Spec.PriorityClassName, snap)
	if err != nil {
		return nil, fail(err)
	}
	res.addNote(note)
	if !sameClass(res.Pod.Spec.RuntimeClassName, pod.Spec.RuntimeClassName) {
		// The class changes: what the pod's class gave it is not the
		// tenant's, and the layers are composed without it. The pod so
		// bared holds none of it, so it is composed once more at most.
		if bare := withoutClassScheduling(pod, snap); bare != nil {
			return renderWith(snap, cluster, bare, compose)
		}
	}
	if note, err = renderRuntimeClass(res.Pod, pod.Spec.RuntimeClassName, res.Composition.Provenance, snap); err != nil {
		return nil, fail(err)
	}
	res.addNote(note)
	return res, nil
}

// Explain is the composition Render makes of pod, with the provenance of
// every field the layers fold and of the IAM annotation rendering derives
// from iam.role, without rendering the pod: what judging a stored pod needs
// to tell which layer set a value, at a fraction of Render's cost. Only the
// images image mirrors rewrite are not explained (they are derived from the
// rendered containers); a policy that reads them (input.config.fields) is
// given Render's provenance. Result.Pod is pod itself, not a copy.
func Explain(snap *overlay.Snapshot, cluster Cluster, pod *corev1.Pod) *Result {
	return ExplainOnly(snap, cluster, pod, overlay.FieldSet{})
}

// ExplainOnly is Explain of the fields in only (overlay.ComposeOnly): the
// others are neither read from the pod nor composed. Granting the IAM role
// reads the iam and isolation fields, and its annotation is explained with
// annotations: a caller that wants the role wants all three.
func ExplainOnly(snap *overlay.Snapshot, cluster Cluster, pod *corev1.Pod, only overlay.FieldSet) *Result {
	role, spark := SparkRole(pod)
	res := &Result{Spark: spark, Role: role, Pod: pod, Patch: []jsonpatch.Operation{}}
	if !spark {
		return res
	}
	res.Composition = snap.ComposeOnly(TargetOf(cluster, pod, role), userConfigOf(pod, snap, only), only)
	res.Warnings = grantIAM(&res.Composition)
	if c := &res.Composition.Config; iamAnnotated(c) {
		old, had := pod.Annotations[IAMRoleAnnotation]
		deriveIAMAnnotation(res.Composition.Provenance, *c.IAM.Role, old, had)
	}
	attributePodPatches(res.Composition.Provenance, pod, role, res.Composition.PodPatches)
	return res
}

// TargetOf is what selects the layers of pod, composed as role on cluster.
// A pod without a namespace is in the default namespace.
func TargetOf(cluster Cluster, pod *corev1.Pod, role v1alpha1.Role) overlay.Target {
	namespace := pod.Namespace
	if namespace == "" {
		namespace = corev1.NamespaceDefault
	}
	return overlay.Target{Cluster: cluster.Name, Pool: cluster.Pool, Namespace: namespace, Role: role}
}

// render writes a composition onto pod, field by field in the order of
// overlay.Fields: what later steps read (containers, for mirrors and IAM)
// is written first, and the layers' pod patches come last.
func render(pod *corev1.Pod, role v1alpha1.Role, comp *overlay.Result) error {
	for _, row := range podTable() {
		if r := row.render; r != nil {
			if err := r(pod, role, comp); err != nil {
				return err
			}
		}
	}
	return nil
}

// describe names the pod and who chose its priority class, for errors.
func describe(pod *corev1.Pod, prov *overlay.Provenance) string {
	s := fmt.Sprintf("Pod %q", pod.Namespace+"/"+podName(pod))
	if w, ok := prov.WinnerOf(overlay.FieldKey(overlay.PathPriorityClassName)); ok {
		s += fmt.Sprintf(" (priority class set by %s)", w)
	}
	return s
}

func podName(pod *corev1.Pod) string {
	if pod.Name != "" {
		return pod.Name
	}
	return pod.GenerateName
}
