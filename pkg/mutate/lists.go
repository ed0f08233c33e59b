package mutate

import "slices"

// upsert merges items into list by key: an element of list whose key an item
// has is replaced in place (later elements with that key are dropped), and
// items with new keys are appended in order. Items are deep-copied with
// clone. Elements of list whose keys no item has are kept as they are.
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
			out = append(out, clone(&items[at]))
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
