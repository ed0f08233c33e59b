package mutate

import (
	"reflect"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/overlay"
)

// Warnings lists, one line per field, the user's own values that a layer
// overrode with a different value, e.g.
//
//	spec.priorityClassName "user-pc" overridden by NamespaceOverrides layer "ns-etl"
//
// An element of a list (a sidecar, an env var, a volume) is only reported
// when it differs between the pod as submitted and the pod as composed, so
// a pod composed a second time warns of nothing.
func Warnings(prov *overlay.Provenance, before, after *corev1.Pod) []string {
	var out []string
	for _, f := range prov.Fields() {
		if f.Winner.IsUser() {
			continue
		}
		v, ok := f.UserValue()
		if !ok || v == f.Value {
			continue
		}
		if a, b, keyed := elements(f.Path, before, after); keyed && reflect.DeepEqual(a, b) {
			continue
		}
		out = append(out, strings.Join([]string{f.Path, v, "overridden by", f.Winner.String()}, " "))
	}
	return out
}

// elements returns the list element a keyed path names in before and in
// after, and whether the path names one.
func elements(path string, before, after *corev1.Pod) (any, any, bool) {
	base, key, ok := splitElement(path)
	if !ok {
		return nil, nil, false
	}
	get := func(pod *corev1.Pod) any {
		role, _ := SparkRole(pod)
		var spark *corev1.Container
		if i := sparkContainer(pod, role); i >= 0 {
			spark = &pod.Spec.Containers[i]
		}
		switch base {
		case overlay.PathSidecars, overlay.PathInitContainers:
			if c, ok := find(pod.Spec.InitContainers, overlay.ContainerKey, key); ok {
				return c
			}
			if c, ok := find(pod.Spec.Containers, overlay.ContainerKey, key); ok {
				return c
			}
		case overlay.PathVolumes:
			if v, ok := find(pod.Spec.Volumes, overlay.VolumeKey, key); ok {
				return v
			}
		case overlay.PathEnv:
			if spark != nil {
				if e, ok := find(spark.Env, overlay.EnvKey, key); ok {
					return e
				}
			}
		case overlay.PathEnvFrom:
			if spark != nil {
				if e, ok := find(spark.EnvFrom, overlay.EnvFromKey, key); ok {
					return e
				}
			}
		case overlay.PathVolumeMounts:
			if spark != nil {
				if m, ok := find(spark.VolumeMounts, overlay.VolumeMountKey, key); ok {
					return m
				}
			}
		}
		return nil
	}
	switch base {
	case overlay.PathSidecars, overlay.PathInitContainers, overlay.PathVolumes, overlay.PathEnv, overlay.PathEnvFrom, overlay.PathVolumeMounts:
		return get(before), get(after), true
	}
	return nil, nil, false
}

// splitElement splits base[key].
func splitElement(path string) (string, string, bool) {
	open := strings.IndexByte(path, '[')
	if open < 0 || !strings.HasSuffix(path, "]") {
		return "", "", false
	}
	return path[:open], path[open+1 : len(path)-1], true
}
