package mutate

import (
	"maps"
	"slices"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// lands says how a Config field lands on a pod.
type lands int

const (
	// onPod: rendered onto the pod, and read back from a pod a user wrote.
	onPod lands = iota
	// byLayer: rendered onto the pod; a user cannot write it on a pod, or
	// writes it in another form (the IAM role's annotation).
	byLayer
	// notOnPod: composed and explained, not rendered on a pod (policy
	// parameters, which the policies read).
	notOnPod
	// jobOnly: the Spark job's own configuration, which lands on
	// SparkApplications; it has no effect on a pod and is not explained
	// as if it had.
	jobOnly
)

// podRenderer writes composed fields onto a pod.
type podRenderer func(pod *corev1.Pod, role v1alpha1.Role, comp *overlay.Result) error

// userPod is a pod a user wrote, read field by field by UserConfig.
type userPod struct {
	pod *corev1.Pod
	// spark is the Spark container, nil when the pod has none.
	spark *corev1.Container
	// classes are the cluster's PriorityClasses; nil when unknown.
	classes PriorityResolver
}

// podField is how one Config field (overlay.Fields) lands on a Pod: the
// pod's row in the field table.
type podField struct {
	lands lands
	// render writes the field onto the pod, with the fields that name it
	// in renderedWith (a renderer that must see them together, such as
	// init containers and sidecars). Renderers run in overlay.Fields order.
	render podRenderer
	// renderedWith names the field whose renderer renders this one.
	renderedWith string
	// user reads the user's own value of the field from a pod into c; nil
	// when users cannot write it on a pod.
	user func(u *userPod, c *v1alpha1.Config)
	// current is what a provenance key of the field names on a pod (a
	// list element, the last of an env var given twice, a map entry, the
	// field itself; nil when the pod holds none), and whether the row can
	// find it: warnings report a user's value only when the composed pod
	// no longer holds it.
	current func(pod *corev1.Pod, key overlay.Key) (any, bool)
	// touches are the pod regions (podRegions) the renderer may change;
	// the patch diffs those only. anywhere: it may change anything (a
	// layer's pod patch), and the whole pod is diffed.
	touches  []string
	anywhere bool
}

// Pod regions, for podField.touches.
const (
	regionLabels         = "/metadata/labels"
	regionAnnotations    = "/metadata/annotations"
	regionNodeSelector   = "/spec/nodeSelector"
	regionPriorityClass  = "/spec/priorityClassName"
	regionPriority       = "/spec/priority"
	regionPreemption     = "/spec/preemptionPolicy"
	regionScheduler      = "/spec/schedulerName"
	regionServiceAccount = "/spec/serviceAccountName"
	regionDeprecatedSA   = "/spec/serviceAccount"
	regionTolerations    = "/spec/tolerations"
	regionRuntimeClass   = "/spec/runtimeClassName"
	regionOverhead       = "/spec/overhead"
	regionInitContainers = "/spec/initContainers"
	regionContainers     = "/spec/containers"
	regionVolumes        = "/spec/volumes"
)

// offPod reports whether the field is never rendered on a pod.
func (f podField) offPod() bool { return f.lands == notOnPod || f.lands == jobOnly }

// touchedRegions are the regions every renderer of the table may change,
// each once, in table order; anywhere when one may change anything.
func touchedRegions(table map[string]podField, fields []overlay.ConfigField) (regions []string, anywhere bool) {
	seen := map[string]bool{}
	for _, f := range fields {
		row := table[f.Name]
		anywhere = anywhere || row.anywhere
		for _, r := range row.touches {
			if !seen[r] {
				seen[r] = true
				regions = append(regions, r)
			}
		}
	}
	// In the patch's canonical order: object keys sorted, segment by segment.
	slices.SortFunc(regions, func(x, y string) int { return slices.Compare(splitPointer(x), splitPointer(y)) })
	return regions, anywhere
}

// podRow is a field with its pod row.
type podRow struct {
	field overlay.ConfigField
	podField
}

// The pod's table, built once and never changed: every admission walks it
// several times.
var (
	// podTable is the pod's rows in overlay.Fields order.
	podTable = sync.OnceValue(func() []podRow {
		rows := podFields()
		out := make([]podRow, 0, len(rows))
		for _, f := range overlay.Fields() {
			out = append(out, podRow{field: f, podField: rows[f.Name]})
		}
		return out
	})
	// podRowOf is the pod's rows by field name.
	podRowOf = sync.OnceValue(podFields)
	// patchRegions are the regions the renderers may touch, and whether
	// one may touch anything.
	patchRegions = sync.OnceValues(func() ([]string, bool) { return touchedRegions(podFields(), overlay.Fields()) })
)

// podFields is the pod's table: a row for every field of overlay.Fields
// (TestEveryConfigFieldIsHandled fails when one is missing).
func podFields() map[string]podField {
	return map[string]podField{
		"labels": {lands: onPod, touches: []string{regionLabels, regionAnnotations}, render: func(pod *corev1.Pod, _ v1alpha1.Role, comp *overlay.Result) error {
			renderMetadata(pod, &comp.Config, comp.Layers)
			return nil
		}, user: func(u *userPod, c *v1alpha1.Config) {
			c.Labels = nonEmpty(maps.Clone(u.pod.Labels))
		}, current: mapEntry(func(pod *corev1.Pod) map[string]string { return pod.Labels })},
		"annotations": {lands: onPod, renderedWith: "labels", current: mapEntry(func(pod *corev1.Pod) map[string]string { return pod.Annotations }),
			user: func(u *userPod, c *v1alpha1.Config) {
				annotations := maps.Clone(u.pod.Annotations)
				delete(annotations, v1alpha1.LayersAnnotation) // Strata's own, not the user's
				c.Annotations = nonEmpty(annotations)
			}},
		"nodeSelector": {lands: onPod, touches: []string{regionNodeSelector, regionScheduler, regionServiceAccount, regionDeprecatedSA},
			render: func(pod *corev1.Pod, _ v1alpha1.Role, comp *overlay.Result) error {
				renderScheduling(pod, &comp.Config)
				return nil
			}, user: func(u *userPod, c *v1alpha1.Config) {
				c.NodeSelector = nonEmpty(maps.Clone(u.pod.Spec.NodeSelector))
			}, current: mapEntry(func(pod *corev1.Pod) map[string]string { return pod.Spec.NodeSelector })},
		// Render resolves priority and preemptionPolicy from the class.
		"priorityClassName": {lands: onPod, renderedWith: "nodeSelector", touches: []string{regionPriorityClass, regionPriority, regionPreemption},
			current: scalar(func(pod *corev1.Pod) string { return pod.Spec.PriorityClassName }),
			user: func(u *userPod, c *v1alpha1.Config) {
				c.PriorityClassName = setUnless(userPriorityClass(u.pod, u.classes), "")
			}},
		"schedulerName": {lands: onPod, renderedWith: "nodeSelector", current: scalar(func(pod *corev1.Pod) string { return pod.Spec.SchedulerName }),
			user: func(u *userPod, c *v1alpha1.Config) {
				c.SchedulerName = setUnless(u.pod.Spec.SchedulerName, defaultSchedulerName)
			}},
		"serviceAccountName": {lands: onPod, renderedWith: "nodeSelector", current: scalar(func(pod *corev1.Pod) string { return pod.Spec.ServiceAccountName }),
			user: func(u *userPod, c *v1alpha1.Config) {
				sa := u.pod.Spec.ServiceAccountName
				if sa == "" {
					sa = u.pod.Spec.DeprecatedServiceAccount //nolint:staticcheck // still read by the API server
				}
				c.ServiceAccountName = setUnless(sa, defaultServiceAccountName)
			}},
		"tolerations": {lands: onPod, touches: []string{regionTolerations}, render: func(pod *corev1.Pod, _ v1alpha1.Role, comp *overlay.Result) error {
			renderTolerations(pod, &comp.Config)
			return nil
		}, user: func(u *userPod, c *v1alpha1.Config) {
			for i := range u.pod.Spec.Tolerations {
				if !IsDefaultToleration(&u.pod.Spec.Tolerations[i]) {
					c.Tolerations = append(c.Tolerations, *u.pod.Spec.Tolerations[i].DeepCopy())
				}
			}
		}},
		// Render sets the class; renderRuntimeClass then gives the pod
		// what the class gives (its overhead, selectors and tolerations).
		"runtimeClassName": {lands: onPod, touches: []string{regionRuntimeClass, regionOverhead, regionNodeSelector, regionTolerations},
			render: func(pod *corev1.Pod, _ v1alpha1.Role, comp *overlay.Result) error {
				renderRuntimeClassName(pod, &comp.Config)
				return nil
			}, user: func(u *userPod, c *v1alpha1.Config) {
				if rc := u.pod.Spec.RuntimeClassName; rc != nil && *rc != "" {
					c.RuntimeClassName = new(*rc)
				}
			}, current: scalar(func(pod *corev1.Pod) string { return ptr.Deref(pod.Spec.RuntimeClassName, "") })},
		"sparkConf":  {lands: jobOnly},
		"hadoopConf": {lands: jobOnly},
		"sidecars": {lands: onPod, touches: []string{regionInitContainers, regionContainers}, render: func(pod *corev1.Pod, _ v1alpha1.Role, comp *overlay.Result) error {
			renderContainers(pod, &comp.Config)
			return nil
		}, user: userSidecars, current: listElement(podContainer)},
		"sidecarMode": {lands: byLayer, renderedWith: "sidecars"},
		"initContainers": {lands: onPod, renderedWith: "sidecars", current: listElement(podContainer), user: func(u *userPod, c *v1alpha1.Config) {
			for i := range u.pod.Spec.InitContainers {
				if ic := &u.pod.Spec.InitContainers[i]; !isNativeSidecar(ic) {
					c.InitContainers = append(c.InitContainers, *ic.DeepCopy())
				}
			}
		}},
		"env": {lands: onPod, touches: []string{regionVolumes, regionContainers}, render: func(pod *corev1.Pod, role v1alpha1.Role, comp *overlay.Result) error {
			renderSparkContainer(pod, role, &comp.Config)
			return nil
		}, user: func(u *userPod, c *v1alpha1.Config) {
			if u.spark != nil {
				c.Env = cloneAll(u.spark.Env)
			}
		}, current: listElement(sparkElement(func(sc *corev1.Container, k string) (any, bool) { return found(findLast(sc.Env, overlay.EnvKey, k)) }))},
		"envFrom": {lands: onPod, renderedWith: "env", user: func(u *userPod, c *v1alpha1.Config) {
			if u.spark != nil {
				c.EnvFrom = cloneAll(u.spark.EnvFrom)
			}
		}, current: listElement(sparkElement(func(sc *corev1.Container, k string) (any, bool) {
			return found(findLast(sc.EnvFrom, overlay.EnvFromKey, k))
		}))},
		"volumes": {lands: onPod, renderedWith: "env", user: func(u *userPod, c *v1alpha1.Config) {
			c.Volumes = cloneAll(u.pod.Spec.Volumes)
		}, current: listElement(func(pod *corev1.Pod, k string) (any, bool) {
			return found(find(pod.Spec.Volumes, overlay.VolumeKey, k))
		})},
		"volumeMounts": {lands: onPod, renderedWith: "env", user: func(u *userPod, c *v1alpha1.Config) {
			if u.spark != nil {
				c.VolumeMounts = cloneAll(u.spark.VolumeMounts)
			}
		}, current: listElement(sparkElement(func(sc *corev1.Container, k string) (any, bool) {
			return found(find(sc.VolumeMounts, overlay.VolumeMountKey, k))
		}))},
		"secrets": {lands: byLayer, touches: []string{regionVolumes, regionInitContainers, regionContainers}, render: func(pod *corev1.Pod, role v1alpha1.Role, comp *overlay.Result) error {
			renderSecrets(pod, role, &comp.Config, comp.Provenance)
			return nil
		}},
		"iam": {lands: byLayer, touches: []string{regionAnnotations, regionVolumes, regionInitContainers, regionContainers}, render: func(pod *corev1.Pod, role v1alpha1.Role, comp *overlay.Result) error {
			renderIAM(pod, role, &comp.Config, comp.Provenance)
			return nil
		}, user: func(u *userPod, c *v1alpha1.Config) {
			if role := u.pod.Annotations[v1alpha1.IAMRoleAnnotation]; role != "" {
				c.IAM = &v1alpha1.IAM{Role: &role}
			}
		}},
		"imageMirrors": {lands: byLayer, touches: []string{regionInitContainers, regionContainers, regionVolumes}, render: func(pod *corev1.Pod, _ v1alpha1.Role, comp *overlay.Result) error {
			renderImageMirrors(pod, &comp.Config, comp.Provenance)
			return nil
		}},
		"podPatch": {lands: byLayer, anywhere: true, render: func(pod *corev1.Pod, role v1alpha1.Role, comp *overlay.Result) error {
			return applyPodPatchesNoting(pod, role, comp.PodPatches, comp.Provenance)
		}},
		"limits":      {lands: notOnPod},
		"isolation":   {lands: notOnPod},
		"enforcement": {lands: notOnPod},
	}
}

// userSidecars reads the user's sidecars: every container but the Spark
// container, native or not (a layer's sidecar of the same name is the same
// container). Its restartPolicy is dropped, as the sidecar mode decides it,
// so a user sidecar and an identical layer sidecar compare equal.
func userSidecars(u *userPod, c *v1alpha1.Config) {
	for i := range u.pod.Spec.InitContainers {
		if ic := &u.pod.Spec.InitContainers[i]; isNativeSidecar(ic) {
			sc := ic.DeepCopy()
			sc.RestartPolicy = nil
			c.Sidecars = append(c.Sidecars, *sc)
		}
	}
	for i := range u.pod.Spec.Containers {
		if sc := &u.pod.Spec.Containers[i]; sc != u.spark {
			c.Sidecars = append(c.Sidecars, *sc.DeepCopy())
		}
	}
}

// listElement is a keyed list field's current: its element of a key's
// item, found by find.
func listElement(find func(pod *corev1.Pod, item string) (any, bool)) func(*corev1.Pod, overlay.Key) (any, bool) {
	return func(pod *corev1.Pod, key overlay.Key) (any, bool) {
		if key.Item == "" || key.Map {
			return nil, false
		}
		v, _ := find(pod, key.Item)
		return v, true
	}
}

// mapEntry is a map field's current: the value of a key's entry in the
// map of, nil when the map holds none.
func mapEntry(of func(pod *corev1.Pod) map[string]string) func(*corev1.Pod, overlay.Key) (any, bool) {
	return func(pod *corev1.Pod, key overlay.Key) (any, bool) {
		if !key.Map {
			return nil, false
		}
		if v, ok := of(pod)[key.Item]; ok {
			return v, true
		}
		return nil, true
	}
}

// scalar is a string field's current: its value on the pod.
func scalar(of func(pod *corev1.Pod) string) func(*corev1.Pod, overlay.Key) (any, bool) {
	return func(pod *corev1.Pod, key overlay.Key) (any, bool) {
		if key.Item != "" || key.Map {
			return nil, false
		}
		return of(pod), true
	}
}

// podContainer finds a container by name among the init containers, then
// the containers.
func podContainer(pod *corev1.Pod, name string) (any, bool) {
	if c, ok := find(pod.Spec.InitContainers, overlay.ContainerKey, name); ok {
		return c, true
	}
	return found(find(pod.Spec.Containers, overlay.ContainerKey, name))
}

// found is what find found, as any: nil when nothing was.
func found[T any](v *T, ok bool) (any, bool) {
	if !ok {
		return nil, false
	}
	return v, true
}

// sparkElement finds an element in the pod's Spark container.
func sparkElement(in func(*corev1.Container, string) (any, bool)) func(*corev1.Pod, string) (any, bool) {
	return func(pod *corev1.Pod, key string) (any, bool) {
		role, _ := SparkRole(pod)
		if i := sparkContainer(pod, role); i >= 0 {
			return in(&pod.Spec.Containers[i], key)
		}
		return nil, false
	}
}

// AppliesToPod reports whether a composed field, by its provenance key, is
// a setting of the pod: false for the Spark job's own configuration
// (sparkConf, hadoopConf), which only a SparkApplication carries.
func AppliesToPod(key overlay.Key) bool {
	f, ok := overlay.FieldOf(key.Root)
	return !ok || podRowOf()[f.Name].lands != jobOnly
}
