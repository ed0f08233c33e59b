package mutate

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"gomodules.xyz/jsonpatch/v2"
)

// appPatch is the JSON Patch from before to after, an application's JSON
// values as sparkv1beta2 holds them (numbers as json.Number, as
// gomodules.xyz/jsonpatch/v2 decodes them), in canonical order: the
// operations CreatePatch gives for the two documents' encodings (the test
// oracle, TestAppPatchIsTheWholeDiff), found without encoding them. What a
// composed application shares with its original (sparkv1beta2.Object
// copies only what changed) is skipped unread; CreatePatch diffs the rest,
// key by key, so the work is the change's, not the application's.
func appPatch(before, after map[string]any) ([]jsonpatch.Operation, error) {
	ops, err := objectPatch("", before, after, []jsonpatch.Operation{})
	if err != nil {
		return nil, err
	}
	return canonicalOrder(ops, before), nil
}

// objectPatch appends the operations that turn object a into b, at path.
func objectPatch(path string, a, b map[string]any, ops []jsonpatch.Operation) ([]jsonpatch.Operation, error) {
	if reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer() {
		return ops, nil // shared: unchanged
	}
	var err error
	for k, bv := range b {
		av, had := a[k]
		am, aIsObj := av.(map[string]any)
		bm, bIsObj := bv.(map[string]any)
		switch {
		case aIsObj && bIsObj:
			ops, err = objectPatch(path+"/"+pointerEscape.Replace(k), am, bm, ops)
		case had && reflect.DeepEqual(av, bv):
		default:
			ops, err = keyPatch(path, k, av, had, bv, true, ops)
		}
		if err != nil {
			return nil, err
		}
	}
	for k, av := range a {
		if _, still := b[k]; !still {
			if ops, err = keyPatch(path, k, av, true, nil, false, ops); err != nil {
				return nil, err
			}
		}
	}
	return ops, nil
}

// keyPatch appends CreatePatch's operations for key k of the object at
// path: av (when had) becomes bv (when has), each as one key of a
// document of its own, the operations' paths moved under path.
func keyPatch(path, k string, av any, had bool, bv any, has bool, ops []jsonpatch.Operation) ([]jsonpatch.Operation, error) {
	const key = "v"
	doc := func(v any, ok bool) ([]byte, error) {
		if !ok {
			return []byte("{}"), nil
		}
		return json.Marshal(map[string]any{key: v})
	}
	da, err := doc(av, had)
	if err != nil {
		return nil, fmt.Errorf("computing patch: %w", err)
	}
	db, err := doc(bv, has)
	if err != nil {
		return nil, fmt.Errorf("computing patch: %w", err)
	}
	found, err := jsonpatch.CreatePatch(da, db)
	if err != nil {
		return nil, fmt.Errorf("computing patch: %w", err)
	}
	at := path + "/" + pointerEscape.Replace(k)
	for _, op := range found {
		op.Path = at + strings.TrimPrefix(op.Path, "/"+key)
		ops = append(ops, op)
	}
	return ops, nil
}
