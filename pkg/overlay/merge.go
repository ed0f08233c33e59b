package overlay

import (
	"fmt"
	"maps"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// Field paths of the composed config, as they appear in provenance and in
// `composer -o explain`.
const (
	PathLabels             = "metadata.labels"
	PathAnnotations        = "metadata.annotations"
	PathNodeSelector       = "spec.nodeSelector"
	PathPriorityClassName  = "spec.priorityClassName"
	PathSchedulerName      = "spec.schedulerName"
	PathServiceAccountName = "spec.serviceAccountName"
	PathTolerations        = "spec.tolerations"
	PathSparkConf          = "sparkConf"
)

// folder applies contributions in composition order, low to high. Every
// contribution that sets a value replaces the value below it: the order of
// the fold (defaults, then the user, then overrides) is what makes a default
// lose to the user and an override win over it.
type folder struct {
	prov *Provenance
	src  Source
}

// foldConfig folds c onto acc. A nil c contributes nothing.
func (f folder) foldConfig(acc, c *v1alpha1.Config) {
	if c == nil {
		return
	}
	acc.Labels = f.foldMap(PathLabels, acc.Labels, c.Labels)
	acc.Annotations = f.foldMap(PathAnnotations, acc.Annotations, c.Annotations)
	acc.NodeSelector = f.foldMap(PathNodeSelector, acc.NodeSelector, c.NodeSelector)
	f.foldString(PathPriorityClassName, &acc.PriorityClassName, c.PriorityClassName)
	f.foldString(PathSchedulerName, &acc.SchedulerName, c.SchedulerName)
	f.foldString(PathServiceAccountName, &acc.ServiceAccountName, c.ServiceAccountName)
	acc.Tolerations = foldKeyed(f, PathTolerations, acc.Tolerations, c.Tolerations, TolerationKey, RenderToleration)
	acc.SparkConf = f.foldMap(PathSparkConf, acc.SparkConf, c.SparkConf)
}

// foldString sets *dst to a copy of *v when v is set (a pointer to "" is set).
func (f folder) foldString(path string, dst **string, v *string) {
	if v == nil {
		return
	}
	f.prov.record(path, strconv.Quote(*v), f.src)
	val := *v
	*dst = &val
}

// foldMap merges src into dst key by key and returns dst (allocated on first
// use, so the accumulator never aliases a layer's map).
func (f folder) foldMap(path string, dst, src map[string]string) map[string]string {
	for _, k := range slices.Sorted(maps.Keys(src)) {
		if dst == nil {
			dst = make(map[string]string, len(src))
		}
		f.prov.record(KeyPath(path, k), strconv.Quote(src[k]), f.src)
		dst[k] = src[k]
	}
	return dst
}

// foldKeyed merges src into dst element by element, keyed by key: an element
// replaces the accumulated element with the same key (in place, and any
// further elements with that key are dropped), or is appended.
func foldKeyed[T any, P interface {
	*T
	DeepCopy() *T
}](f folder, path string, dst, src []T, key func(*T) string, render func(*T) string) []T {
	for i := range src {
		k := key(&src[i])
		f.prov.record(ElementPath(path, k), render(&src[i]), f.src)
		elem := *P(&src[i]).DeepCopy()
		at := slices.IndexFunc(dst, func(d T) bool { return key(&d) == k })
		if at < 0 {
			dst = append(dst, elem)
			continue
		}
		dst[at] = elem
		for j := len(dst) - 1; j > at; j-- {
			if key(&dst[j]) == k {
				dst = slices.Delete(dst, j, j+1)
			}
		}
	}
	return dst
}

// TolerationKey is the merge key of a toleration: key/effect, with * standing
// for an empty key (all keys) or an empty effect (all effects).
func TolerationKey(t *corev1.Toleration) string {
	k, e := t.Key, string(t.Effect)
	if k == "" {
		k = "*"
	}
	if e == "" {
		e = "*"
	}
	return k + "/" + e
}

// RenderToleration renders a toleration the way kubectl describe does:
// key=value:effect, op=Exists, and the toleration seconds.
func RenderToleration(t *corev1.Toleration) string {
	s := t.Key
	if t.Value != "" {
		s += "=" + t.Value
	}
	if t.Effect != "" {
		s += ":" + string(t.Effect)
	}
	if t.Operator == corev1.TolerationOpExists {
		s += " op=Exists"
	}
	if t.TolerationSeconds != nil {
		s += fmt.Sprintf(" for %ds", *t.TolerationSeconds)
	}
	if s == "" {
		s = "(empty)"
	}
	return s
}
