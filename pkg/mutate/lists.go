package mutate

import (
	"reflect"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// upsert merges items into list by key: an element of list whose key an item
// has is replaced in place (later elements with that key are dropped), and
// items with new keys are appended in order. Items are deep-copied with
// copyInto, into their place in the result. Elements of list whose keys no
// item has are kept as they are. Of items sharing a key the last wins,
// whether list has the key or not (two Secrets a layer each mounts at one
// path: the later layer's), so a pod composed again keeps what it got.
// A key list holds more than once, the last of its elements already the
// item, keeps its elements as they are: the one in effect (the last, for
// an env var) is the item's, and the pod is left as written (a Spark pod
// the operator gives an env var Spark sets too).
func upsert[T any](list, items []T, key func(*T) string, copyInto func(in, out *T)) []T {
	return upsertNoting(list, items, key, copyInto, nil)
}

// upsertNoting is upsert, calling replaced (when not nil) with each
// element of list an item replaced with a different value, as it stands
// in the result.
func upsertNoting[T any](list, items []T, key func(*T) string, copyInto func(in, out *T), replaced func(key string, now *T)) []T {
	if len(items) == 0 {
		return list
	}
	byKey := make(map[string]upserted, len(items))
	for i := range items {
		byKey[key(&items[i])] = upserted{item: i, last: -1}
	}
	twice := false
	for i := range list {
		k := key(&list[i])
		if st, ok := byKey[k]; ok {
			twice = twice || st.last >= 0
			st.held, st.last = st.held+1, i
			byKey[k] = st
		}
	}
	if twice {
		for k, st := range byKey {
			st.kept = st.held > 1 && reflect.DeepEqual(list[st.last], items[st.item])
			byKey[k] = st
		}
	}
	out := make([]T, 0, len(list)+len(items))
	for i := range list {
		k := key(&list[i])
		st, ok := byKey[k]
		switch {
		case !ok || st.kept:
			out = append(out, list[i])
		case !st.placed:
			var zero T
			out = append(out, zero)
			copyInto(&items[st.item], &out[len(out)-1])
			st.placed = true
			byKey[k] = st
			if replaced != nil && !reflect.DeepEqual(list[st.last], out[len(out)-1]) {
				replaced(k, &out[len(out)-1])
			}
		}
	}
	for i := range items {
		k := key(&items[i])
		if st := byKey[k]; !st.placed && !st.kept {
			var zero T
			out = append(out, zero)
			copyInto(&items[st.item], &out[len(out)-1])
			st.placed = true
			byKey[k] = st
		}
	}
	return out
}

// upserted is what upsert knows of one key of its items.
type upserted struct {
	item       int  // the key's item: the last of items with the key
	held, last int  // how many elements of list have the key, and the last's index
	placed     bool // the item is in the result
	kept       bool // list's elements of the key are kept as they are
}

// find returns the element of list with key k.
func find[T any](list []T, key func(*T) string, k string) (*T, bool) {
	i := slices.IndexFunc(list, func(e T) bool { return key(&e) == k })
	if i < 0 {
		return nil, false
	}
	return &list[i], true
}

// findLast returns the last element of list with key k: of an env var a
// container gives twice, the one in effect.
func findLast[T any](list []T, key func(*T) string, k string) (*T, bool) {
	for i := len(list) - 1; i >= 0; i-- {
		if key(&list[i]) == k {
			return &list[i], true
		}
	}
	return nil, false
}

// keepDefaulted puts back, in the composed pod after, every container and
// volume of before that is the composed one as the API server stores it
// (see covers): what the webhook injected comes back from the API server
// with defaults filled in, and composing that pod again must change
// nothing.
func keepDefaulted(before, after *corev1.Pod) {
	keepContainers(before.Spec.InitContainers, after.Spec.InitContainers)
	keepContainers(before.Spec.Containers, after.Spec.Containers)
	volumes := make(map[string]*corev1.Volume, len(before.Spec.Volumes))
	for i := range before.Spec.Volumes {
		if _, dup := volumes[before.Spec.Volumes[i].Name]; !dup {
			volumes[before.Spec.Volumes[i].Name] = &before.Spec.Volumes[i]
		}
	}
	for i := range after.Spec.Volumes {
		if old, ok := volumes[after.Spec.Volumes[i].Name]; ok && covers(old, &after.Spec.Volumes[i]) {
			after.Spec.Volumes[i] = *old.DeepCopy()
		}
	}
}

func keepContainers(before, after []corev1.Container) {
	byName := make(map[string]*corev1.Container, len(before))
	for i := range before {
		if _, dup := byName[before[i].Name]; !dup {
			byName[before[i].Name] = &before[i]
		}
	}
	for i := range after {
		if old, ok := byName[after[i].Name]; ok && coversContainer(old, &after[i]) {
			after[i] = *old.DeepCopy()
		}
	}
}

// coversContainer is covers for containers, linear in their size: the
// long lists (env, envFrom, volume mounts) are compared element by element,
// and only an element that differs is compared as JSON.
func coversContainer(have, want *corev1.Container) bool {
	h, w := *have, *want
	h.Env, h.EnvFrom, h.VolumeMounts = nil, nil, nil
	w.Env, w.EnvFrom, w.VolumeMounts = nil, nil, nil
	return coversList(have.Env, want.Env, "env") && coversList(have.EnvFrom, want.EnvFrom, "envFrom") &&
		coversList(have.VolumeMounts, want.VolumeMounts, "volumeMounts") && covers(&h, &w)
}

func coversList[T any](have, want []T, path string) bool {
	if len(have) != len(want) {
		return false
	}
	for i := range have {
		if deepEqual(reflect.ValueOf(&have[i]), reflect.ValueOf(&want[i])) { // by address: no copy of each element
			continue
		}
		h, err1 := toJSONValue(&have[i])
		w, err2 := toJSONValue(&want[i])
		if err1 != nil || err2 != nil || !coversValue(h, w, path) {
			return false
		}
	}
	return true
}

// covers reports whether have is want as the API server stores it: have
// holds everything want sets, with the same values, and more only where the
// API server fills in a default (see defaultedFields). An element the
// webhook injected comes back from the API server with those defaults; it
// is left as it is, so composing a stored pod changes nothing. Any other
// difference (a field the user set that the composed element does not) is a
// real one, and the composed element replaces have.
func covers[T any](have, want *T) bool {
	if deepEqual(reflect.ValueOf(have), reflect.ValueOf(want)) {
		return true
	}
	h, err1 := toJSONValue(have)
	w, err2 := toJSONValue(want)
	return err1 == nil && err2 == nil && coversValue(h, w, "")
}

// defaultedFields are the fields, as dotted paths inside a container or a
// volume (list indices left out), that the API server defaults in a pod.
var defaultedFields = map[string]bool{
	"imagePullPolicy": true, "terminationMessagePath": true, "terminationMessagePolicy": true,
	"ports.protocol": true, "env.valueFrom.fieldRef.apiVersion": true,
	"resources.requests":           true, // defaulted to the limits
	"livenessProbe.timeoutSeconds": true, "livenessProbe.periodSeconds": true, "livenessProbe.successThreshold": true,
	"livenessProbe.failureThreshold": true, "livenessProbe.httpGet.scheme": true,
	"readinessProbe.timeoutSeconds": true, "readinessProbe.periodSeconds": true, "readinessProbe.successThreshold": true,
	"readinessProbe.failureThreshold": true, "readinessProbe.httpGet.scheme": true,
	"startupProbe.timeoutSeconds": true, "startupProbe.periodSeconds": true, "startupProbe.successThreshold": true,
	"startupProbe.failureThreshold": true, "startupProbe.httpGet.scheme": true,
	"lifecycle.postStart.httpGet.scheme": true, "lifecycle.preStop.httpGet.scheme": true,
	"secret.defaultMode": true, "configMap.defaultMode": true, "projected.defaultMode": true, "downwardAPI.defaultMode": true,
	"downwardAPI.items.fieldRef.apiVersion": true, "projected.sources.downwardAPI.items.fieldRef.apiVersion": true,
	"projected.sources.serviceAccountToken.expirationSeconds": true, "hostPath.type": true,
}

// toJSONValue is v's JSON as a value (see valueOf), built without encoding.
func toJSONValue(v any) (any, error) { return valueOf(reflect.ValueOf(v)) }

func coversValue(have, want any, path string) bool {
	switch w := want.(type) {
	case map[string]any:
		h, ok := have.(map[string]any)
		if !ok {
			return false
		}
		for k, hv := range h {
			sub := joinPath(path, k)
			wv, set := w[k]
			if !set {
				if !defaultedFields[sub] {
					return false
				}
				continue
			}
			if !coversValue(hv, wv, sub) {
				return false
			}
		}
		for k := range w {
			if _, ok := h[k]; !ok {
				return false
			}
		}
		return true
	case []any:
		h, ok := have.([]any)
		if !ok || len(h) != len(w) {
			return false
		}
		for i := range w {
			if !coversValue(h[i], w[i], path) {
				return false
			}
		}
		return true
	default:
		return have == want
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
