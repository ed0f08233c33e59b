package mutate

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"gomodules.xyz/jsonpatch/v2"
	corev1 "k8s.io/api/core/v1"
)

// Patch returns the RFC 6902 JSON Patch that turns before into after: an
// empty (non-nil) list when they are equal. It diffs the whole pods;
// Compose uses it when a layer's pod patch applied (which may change
// anything) and otherwise diffs only the regions the renderers touch
// (regionPatch), which gives the same operations.
//
// It uses gomodules.xyz/jsonpatch/v2, the library controller-runtime uses,
// whose operation order follows Go's random map iteration; the operations are
// put in a canonical order (see canonicalOrder) so the same inputs always give
// byte-identical patches.
func Patch(before, after *corev1.Pod) ([]jsonpatch.Operation, error) {
	before, after, envOps, err := splitEnv(before, after)
	if err != nil {
		return nil, err
	}
	return genericPatch(before, after, envOps)
}

// genericPatch is the diff of the two pods as JSON, with extra operations
// (on subtrees the pods do not hold) put in canonical order with the rest.
// Called with no extra operations it is the test oracle of Patch.
func genericPatch(before, after *corev1.Pod, extra []jsonpatch.Operation) ([]jsonpatch.Operation, error) {
	a, err := json.Marshal(before)
	if err != nil {
		return nil, fmt.Errorf("encoding pod: %w", err)
	}
	b, err := json.Marshal(after)
	if err != nil {
		return nil, fmt.Errorf("encoding composed pod: %w", err)
	}
	ops, err := jsonpatch.CreatePatch(a, b)
	if err != nil {
		return nil, fmt.Errorf("computing patch: %w", err)
	}
	ops = append(ops, extra...)
	var doc any
	if err := json.Unmarshal(a, &doc); err != nil {
		return nil, fmt.Errorf("decoding pod: %w", err)
	}
	return canonicalOrder(ops, doc), nil
}

// splitEnv takes the environment lists out of the generic diff, which
// costs a JSON round trip of every element: a container may hold tens of
// thousands of variables, and composition only appends some and changes a
// few. For each container at the same index and of the same name in both
// pods whose env before is not empty and not longer than after, it returns
// the operations CreatePatch would give for that list (a diff of each
// element that changed, then an add per appended element; adds first, as
// CreatePatch orders them) and copies of the pods without those lists.
// Anything else stays in the generic diff.
func splitEnv(before, after *corev1.Pod) (*corev1.Pod, *corev1.Pod, []jsonpatch.Operation, error) {
	var ops []jsonpatch.Operation
	b, a := *before, *after
	b.Spec.InitContainers, a.Spec.InitContainers = slices.Clone(before.Spec.InitContainers), slices.Clone(after.Spec.InitContainers)
	b.Spec.Containers, a.Spec.Containers = slices.Clone(before.Spec.Containers), slices.Clone(after.Spec.Containers)
	for _, lists := range []struct {
		path     string
		bef, aft []corev1.Container
	}{{"/spec/initContainers/", b.Spec.InitContainers, a.Spec.InitContainers}, {"/spec/containers/", b.Spec.Containers, a.Spec.Containers}} {
		for i := range min(len(lists.bef), len(lists.aft)) {
			bc, ac := &lists.bef[i], &lists.aft[i]
			if bc.Name != ac.Name || len(bc.Env) == 0 || len(bc.Env) > len(ac.Env) {
				continue
			}
			prefix := lists.path + strconv.Itoa(i) + "/env/"
			for j := len(bc.Env); j < len(ac.Env); j++ {
				v, err := toJSONValue(&ac.Env[j])
				if err != nil {
					return nil, nil, nil, err
				}
				ops = append(ops, jsonpatch.Operation{Operation: "add", Path: prefix + strconv.Itoa(j), Value: v})
			}
			for j := range bc.Env {
				if reflect.DeepEqual(bc.Env[j], ac.Env[j]) {
					continue
				}
				x, err1 := json.Marshal(&bc.Env[j])
				y, err2 := json.Marshal(&ac.Env[j])
				if err := errors.Join(err1, err2); err != nil {
					return nil, nil, nil, err
				}
				elemOps, err := jsonpatch.CreatePatch(x, y)
				if err != nil {
					return nil, nil, nil, fmt.Errorf("computing patch: %w", err)
				}
				var elem any
				if err := json.Unmarshal(x, &elem); err != nil {
					return nil, nil, nil, err
				}
				for _, op := range canonicalOrder(elemOps, elem) {
					op.Path = prefix + strconv.Itoa(j) + op.Path
					ops = append(ops, op)
				}
			}
			bc.Env, ac.Env = nil, nil
		}
	}
	return &b, &a, ops, nil
}

// canonicalOrder reorders ops deterministically without changing what they
// do. Operations under different keys of one object touch disjoint subtrees,
// so their order is free: they are sorted by key. Operations under one array
// keep the order CreatePatch gave them (removals from the end, then
// additions, then element changes by index), which is deterministic and
// which the array's indices depend on.
func canonicalOrder(ops []jsonpatch.Operation, doc any) []jsonpatch.Operation {
	root := &opNode{}
	for _, op := range ops {
		n := root
		for _, seg := range splitPointer(op.Path) {
			n = n.child(seg)
		}
		n.ops = append(n.ops, op)
	}
	out := make([]jsonpatch.Operation, 0, len(ops))
	root.flatten(doc, &out)
	return out
}

type opNode struct {
	ops      []jsonpatch.Operation
	keys     []string // children in first-seen order
	children map[string]*opNode
}

func (n *opNode) child(seg string) *opNode {
	if n.children == nil {
		n.children = map[string]*opNode{}
	}
	c, ok := n.children[seg]
	if !ok {
		c = &opNode{}
		n.children[seg] = c
		n.keys = append(n.keys, seg)
	}
	return c
}

func (n *opNode) flatten(doc any, out *[]jsonpatch.Operation) {
	*out = append(*out, n.ops...)
	keys := n.keys
	obj, isObject := doc.(map[string]any)
	arr, _ := doc.([]any)
	if isObject {
		keys = slices.Clone(keys)
		slices.Sort(keys)
	}
	for _, k := range keys {
		var sub any
		if isObject {
			sub = obj[k]
		} else if i, err := strconv.Atoi(k); err == nil && i >= 0 && i < len(arr) {
			sub = arr[i]
		}
		n.children[k].flatten(sub, out)
	}
}

var pointerUnescape = strings.NewReplacer("~1", "/", "~0", "~")

func splitPointer(p string) []string {
	if p == "" || p == "/" {
		return nil
	}
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, s := range parts {
		parts[i] = pointerUnescape.Replace(s)
	}
	return parts
}
