package mutate

import (
	"reflect"
	"slices"
	"strconv"
	"strings"

	"gomodules.xyz/jsonpatch/v2"
	corev1 "k8s.io/api/core/v1"
)

// Patch returns the RFC 6902 JSON Patch that turns before into after: an
// empty (non-nil) list when they are equal. It diffs the whole pods in
// typed form (typedDiff); Compose uses it when a layer's pod patch applied
// (which may change anything) and otherwise diffs only the regions the
// renderers touch (regionPatch), which gives the same operations.
//
// The operations are those gomodules.xyz/jsonpatch/v2 (the library
// controller-runtime uses) gives for the pods' JSON, whose order follows
// Go's random map iteration, put in a canonical order (see canonicalOrder),
// so the same inputs always give byte-identical patches. That generic diff
// is the test oracle of this one.
func Patch(before, after *corev1.Pod) ([]jsonpatch.Operation, error) {
	var d differ
	if err := d.typedDiff("", reflect.ValueOf(before).Elem(), reflect.ValueOf(after).Elem()); err != nil {
		return nil, err
	}
	if d.ops == nil {
		d.ops = []jsonpatch.Operation{}
	}
	return d.ops, nil
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
