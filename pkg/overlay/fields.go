package overlay

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// ConfigField is one field of v1alpha1.Config, the unit composition is
// organised by: its JSON name, the root of its provenance paths, and how it
// folds. Fields lists every one; the fold iterates it, and each render
// target (package mutate's pod table) says, per field, how the field lands
// on its object. A field of Config missing here fails
// TestEveryConfigFieldIsInTheTable.
type ConfigField struct {
	// Name is the field's JSON name in a layer's config block.
	Name string
	// Path is the root of its provenance paths, as explain and the policy
	// input show them: metadata.labels, spec.tolerations, limits.
	Path string
	// fold folds the field of c onto res, recording provenance.
	fold func(f folder, res *Result, c *v1alpha1.Config)
}

// Fields are every field of v1alpha1.Config, in the order they fold and
// render (what a later renderer reads, such as the containers for mirrors
// and IAM, comes first). The slice is the caller's.
func Fields() []ConfigField { return slices.Clone(fieldTable()) }

// fieldTable is the table, built once: it is immutable, and every
// composition walks it once per config block.
var fieldTable = sync.OnceValue(buildFields)

func buildFields() []ConfigField {
	return []ConfigField{
		{"labels", PathLabels, func(f folder, r *Result, c *v1alpha1.Config) {
			r.Config.Labels = f.foldMap(PathLabels, r.Config.Labels, c.Labels)
		}},
		{"annotations", PathAnnotations, func(f folder, r *Result, c *v1alpha1.Config) {
			r.Config.Annotations = f.foldMap(PathAnnotations, r.Config.Annotations, c.Annotations)
		}},
		{"nodeSelector", PathNodeSelector, func(f folder, r *Result, c *v1alpha1.Config) {
			r.Config.NodeSelector = f.foldMap(PathNodeSelector, r.Config.NodeSelector, c.NodeSelector)
		}},
		{"priorityClassName", PathPriorityClassName, func(f folder, r *Result, c *v1alpha1.Config) {
			foldScalar(f, FieldKey(PathPriorityClassName), &r.Config.PriorityClassName, c.PriorityClassName)
		}},
		{"schedulerName", PathSchedulerName, func(f folder, r *Result, c *v1alpha1.Config) {
			foldScalar(f, FieldKey(PathSchedulerName), &r.Config.SchedulerName, c.SchedulerName)
		}},
		{"serviceAccountName", PathServiceAccountName, func(f folder, r *Result, c *v1alpha1.Config) {
			foldScalar(f, FieldKey(PathServiceAccountName), &r.Config.ServiceAccountName, c.ServiceAccountName)
		}},
		{"tolerations", PathTolerations, func(f folder, r *Result, c *v1alpha1.Config) {
			r.Config.Tolerations = foldKeyed(f, PathTolerations, r.Config.Tolerations, c.Tolerations, TolerationKey, RenderToleration)
		}},
		{"runtimeClassName", PathRuntimeClassName, func(f folder, r *Result, c *v1alpha1.Config) {
			foldScalar(f, FieldKey(PathRuntimeClassName), &r.Config.RuntimeClassName, c.RuntimeClassName)
		}},
		{"sparkConf", PathSparkConf, func(f folder, r *Result, c *v1alpha1.Config) {
			f.foldSparkConf(r, c)
		}},
		{"hadoopConf", PathHadoopConf, func(f folder, r *Result, c *v1alpha1.Config) {
			r.Config.HadoopConf = f.foldMap(PathHadoopConf, r.Config.HadoopConf, c.HadoopConf)
		}},
		{"sidecars", PathSidecars, func(f folder, r *Result, c *v1alpha1.Config) {
			r.Config.Sidecars = foldKeyed(f, PathSidecars, r.Config.Sidecars, c.Sidecars, ContainerKey, RenderContainer)
		}},
		{"sidecarMode", PathSidecarMode, func(f folder, r *Result, c *v1alpha1.Config) {
			foldScalar(f, FieldKey(PathSidecarMode), &r.Config.SidecarMode, c.SidecarMode)
		}},
		{"initContainers", PathInitContainers, func(f folder, r *Result, c *v1alpha1.Config) {
			r.Config.InitContainers = foldKeyed(f, PathInitContainers, r.Config.InitContainers, c.InitContainers, ContainerKey, RenderContainer)
		}},
		{"env", PathEnv, func(f folder, r *Result, c *v1alpha1.Config) {
			r.Config.Env = foldKeyed(f, PathEnv, r.Config.Env, c.Env, EnvKey, RenderEnv)
		}},
		{"envFrom", PathEnvFrom, func(f folder, r *Result, c *v1alpha1.Config) {
			r.Config.EnvFrom = foldKeyed(f, PathEnvFrom, r.Config.EnvFrom, c.EnvFrom, EnvFromKey, RenderJSON[corev1.EnvFromSource])
		}},
		{"volumes", PathVolumes, func(f folder, r *Result, c *v1alpha1.Config) {
			r.Config.Volumes = foldKeyed(f, PathVolumes, r.Config.Volumes, c.Volumes, VolumeKey, RenderJSON[corev1.Volume])
		}},
		{"volumeMounts", PathVolumeMounts, func(f folder, r *Result, c *v1alpha1.Config) {
			r.Config.VolumeMounts = foldKeyed(f, PathVolumeMounts, r.Config.VolumeMounts, c.VolumeMounts, VolumeMountKey, RenderJSON[corev1.VolumeMount])
		}},
		{"secrets", PathSecrets, func(f folder, r *Result, c *v1alpha1.Config) {
			r.Config.Secrets = foldKeyed(f, PathSecrets, r.Config.Secrets, c.Secrets, SecretMountKey, RenderJSON[v1alpha1.SecretMount])
		}},
		{"iam", PathIAM, func(f folder, r *Result, c *v1alpha1.Config) {
			if c.IAM == nil {
				return
			}
			if r.Config.IAM == nil {
				r.Config.IAM = &v1alpha1.IAM{}
			}
			foldScalar(f, SubKey(PathIAM, "role"), &r.Config.IAM.Role, c.IAM.Role)
			foldScalar(f, SubKey(PathIAM, "mode"), &r.Config.IAM.Mode, c.IAM.Mode)
		}},
		{"imageMirrors", PathImageMirrors, func(f folder, r *Result, c *v1alpha1.Config) {
			r.Config.ImageMirrors = foldKeyed(f, PathImageMirrors, r.Config.ImageMirrors, c.ImageMirrors, ImageMirrorKey, RenderImageMirror)
		}},
		{"podPatch", PathPodPatch, func(f folder, r *Result, c *v1alpha1.Config) {
			if c.PodPatch == nil {
				return
			}
			// Patches do not replace one another: each applies, in
			// composition order, so each is its own entry.
			if key := ElementKey(PathPodPatch, f.src.String()); f.prov.wants(key, f.src) {
				f.prov.record(key, verbatim(string(c.PodPatch.Raw)), f.src)
			}
			r.PodPatches = append(r.PodPatches, PodPatch{Source: f.src, Patch: c.PodPatch.DeepCopy().Raw})
		}},
		{"limits", PathLimits, func(f folder, r *Result, c *v1alpha1.Config) {
			if c.Limits == nil {
				return
			}
			if r.Config.Limits == nil {
				r.Config.Limits = &v1alpha1.Limits{}
			}
			f.foldLimits(r.Config.Limits, c.Limits)
		}},
		{"isolation", PathIsolation, func(f folder, r *Result, c *v1alpha1.Config) {
			if c.Isolation == nil {
				return
			}
			if r.Config.Isolation == nil {
				r.Config.Isolation = &v1alpha1.Isolation{}
			}
			f.foldIsolation(r.Config.Isolation, c.Isolation)
		}},
		{"enforcement", PathEnforcement, func(f folder, r *Result, c *v1alpha1.Config) {
			if c.Enforcement != nil {
				r.Config.Enforcement = foldMapOf(f, PathEnforcement, r.Config.Enforcement, c.Enforcement)
			}
		}},
	}
}

// FieldSet is a set of the fields of Fields, for ComposeOnly. The zero
// FieldSet holds every field.
type FieldSet struct {
	// in is, by position in Fields, whether the field is in the set; nil
	// for every field.
	in []bool
}

// FieldsNamed is the set of the fields named (ConfigField.Name); a name
// that is no field is an error.
func FieldsNamed(names ...string) (FieldSet, error) {
	table := fieldTable()
	s := FieldSet{in: make([]bool, len(table))}
	for _, name := range names {
		i := slices.IndexFunc(table, func(f ConfigField) bool { return f.Name == name })
		if i < 0 {
			return FieldSet{}, fmt.Errorf("no Config field is named %q", name)
		}
		s.in[i] = true
	}
	return s, nil
}

// Contains reports whether the field at position i of Fields is in s.
func (s FieldSet) Contains(i int) bool { return s.in == nil || s.in[i] }

// FieldOf is the field whose provenance paths path belongs to: labels for
// metadata.labels.team, sidecars for spec.sidecars[log-shipper].
func FieldOf(path string) (ConfigField, bool) {
	for _, f := range fieldTable() {
		if rest, ok := strings.CutPrefix(path, f.Path); ok && (rest == "" || rest[0] == '.' || rest[0] == '[') {
			return f, true
		}
	}
	return ConfigField{}, false
}
