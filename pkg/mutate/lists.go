package mutate

import (
	"encoding/json"
	"slices"
)

// upsert merges items into list by key: an element of list whose key an item
// has is replaced in place (later elements with that key are dropped), and
// items with new keys are appended in order. Items are deep-copied with
// clone. Elements of list whose keys no item has are kept as they are, and
// so is an element that already covers its item (see covers).
func upsert[T any](list, items []T, key func(*T) string, clone func(*T) T) []T {
	if len(items) == 0 {
		return list
	}
	byKey := make(map[string]int, len(items))
	for i := range items {
		byKey[key(&items[i])] = i
	}
	out := make([]T, 0, len(list)+len(items))
	placed := make(map[string]bool, len(items))
	for i := range list {
		k := key(&list[i])
		at, ok := byKey[k]
		switch {
		case !ok:
			out = append(out, list[i])
		case !placed[k]:
			if covers(&list[i], &items[at]) {
				out = append(out, list[i])
			} else {
				out = append(out, clone(&items[at]))
			}
			placed[k] = true
		}
	}
	for i := range items {
		if k := key(&items[i]); !placed[k] {
			out = append(out, clone(&items[i]))
			placed[k] = true
		}
	}
	return out
}

// find returns the element of list with key k.
func find[T any](list []T, key func(*T) string, k string) (*T, bool) {
	i := slices.IndexFunc(list, func(e T) bool { return key(&e) == k })
	if i < 0 {
		return nil, false
	}
	return &list[i], true
}

// covers reports whether have already holds everything want sets, with the
// same values; have may hold more. The API server fills in fields of what a
// webhook injects (a container's imagePullPolicy and terminationMessagePath,
// a Secret volume's defaultMode, an env fieldRef's apiVersion, ...): an
// element that differs from the composed one only by such fields is left as
// it is, so composing a pod the API server stored changes nothing.
func covers[T any](have, want *T) bool {
	h, err1 := toJSONValue(have)
	w, err2 := toJSONValue(want)
	return err1 == nil && err2 == nil && coversValue(h, w)
}

func toJSONValue(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	err = json.Unmarshal(b, &out)
	return out, err
}

func coversValue(have, want any) bool {
	switch w := want.(type) {
	case map[string]any:
		h, ok := have.(map[string]any)
		if !ok {
			return false
		}
		for k, wv := range w {
			hv, ok := h[k]
			if !ok || !coversValue(hv, wv) {
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
			if !coversValue(h[i], w[i]) {
				return false
			}
		}
		return true
	default:
		return have == want
	}
}
