package overlay

import (
	"maps"
	"math"
	"slices"
)

// layerIndex finds the layers that may match a target without looking at
// the others, so a cluster with thousands of Layers for other namespaces,
// clusters or pools pays nothing for them per admission. Each layer is
// filed once, under its most selective match field: each of its namespaces,
// else each of its clusters, else each of its pools, else among the layers
// every target must check. Candidates are then matched in full. An index is
// never changed once built: with (Compiler.Update) shares what it does not
// change.
type layerIndex struct {
	byNamespace layerLists
	byCluster   layerLists
	byPool      layerLists
	anywhere    []*compiledLayer
}

// layerLists are the layers filed under each value of one match field: a
// base map shared by the snapshots built from one another, and a delta of
// the keys changed since it was built (a nil list: none left). Changing a
// key copies the delta, not the base; once the delta outgrows the square
// root of the base it is folded into a new base. A Layer change so costs
// O(√n) amortized in a cluster of n Layers, where copying the map would
// cost O(n): a GitOps sync of n Layers stays linear, not quadratic.
type layerLists struct {
	base, delta map[string][]*compiledLayer
}

// get is the list filed under k.
func (l *layerLists) get(k string) []*compiledLayer {
	if v, ok := l.delta[k]; ok {
		return v
	}
	return l.base[k]
}

// set files list under k (none, when empty), in the delta.
func (l *layerLists) set(k string, list []*compiledLayer) {
	if len(list) == 0 {
		list = nil
	}
	if l.delta == nil {
		l.delta = map[string][]*compiledLayer{}
	}
	l.delta[k] = list
}

// forked is l with a delta of its own, to change: the base is shared.
func (l layerLists) forked() layerLists {
	return layerLists{base: l.base, delta: maps.Clone(l.delta)}
}

// folded is l with its delta folded into a new base once it is large.
func (l layerLists) folded() layerLists {
	if len(l.delta) <= 64+int(math.Sqrt(float64(len(l.base)))) {
		return l
	}
	return layerLists{base: l.all()}
}

// all is every key and its list, base and delta together.
func (l *layerLists) all() map[string][]*compiledLayer {
	out := maps.Clone(l.base)
	if out == nil {
		out = map[string][]*compiledLayer{}
	}
	for k, v := range l.delta {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// indexLayers files layers.
func indexLayers(layers []*compiledLayer) layerIndex {
	x := layerIndex{byNamespace: layerLists{delta: make(map[string][]*compiledLayer, len(layers))}}
	for _, cl := range layers {
		x.file(cl)
	}
	// Filed from nothing, each delta holds every key (none removed): it
	// is the base.
	x.byNamespace, x.byCluster, x.byPool = layerLists{base: x.byNamespace.delta}, layerLists{base: x.byCluster.delta}, layerLists{base: x.byPool.delta}
	return x
}

// with is the index without the layers removed and with the layers added.
// Only the deltas and the lists removed or added to are copied: the
// receiver stays as it was.
func (x layerIndex) with(removed, added []*compiledLayer) layerIndex {
	if len(removed) == 0 && len(added) == 0 {
		return x
	}
	out := layerIndex{byNamespace: x.byNamespace.forked(), byCluster: x.byCluster.forked(), byPool: x.byPool.forked(), anywhere: x.anywhere}
	for _, cl := range removed {
		out.unfile(cl)
	}
	for _, cl := range added {
		out.file(cl)
	}
	out.byNamespace, out.byCluster, out.byPool = out.byNamespace.folded(), out.byCluster.folded(), out.byPool.folded()
	return out
}

// file adds cl under its most selective match field. The lists it appends
// to are copied first (slices.Clip), so a list shared with another index
// never changes.
func (x *layerIndex) file(cl *compiledLayer) {
	lists, keys := x.filing(cl)
	if lists == nil {
		x.anywhere = append(slices.Clip(x.anywhere), cl)
		return
	}
	for _, k := range keys {
		if l := lists.get(k); !slices.Contains(l, cl) { // a key listed twice files once
			lists.set(k, append(slices.Clip(l), cl))
		}
	}
}

// unfile removes cl from where file put it, copying each list it changes.
func (x *layerIndex) unfile(cl *compiledLayer) {
	without := func(l []*compiledLayer) []*compiledLayer {
		return slices.DeleteFunc(slices.Clone(l), func(c *compiledLayer) bool { return c == cl })
	}
	lists, keys := x.filing(cl)
	if lists == nil {
		x.anywhere = without(x.anywhere)
		return
	}
	for _, k := range keys {
		lists.set(k, without(lists.get(k)))
	}
}

// filing is where cl is filed: the lists of a match field and its keys,
// or nil for anywhere.
func (x *layerIndex) filing(cl *compiledLayer) (*layerLists, []string) {
	m := &cl.layer.Spec.Match
	switch {
	case len(m.Namespaces) > 0:
		return &x.byNamespace, m.Namespaces
	case len(m.Clusters) > 0:
		return &x.byCluster, m.Clusters
	case len(m.Pools) > 0:
		return &x.byPool, m.Pools
	}
	return nil, nil
}

// candidates are the layers that may match t, in composition order.
func (x *layerIndex) candidates(t Target) []*compiledLayer {
	lists := [][]*compiledLayer{x.byNamespace.get(t.Namespace), x.byCluster.get(t.Cluster), x.byPool.get(t.Pool), x.anywhere}
	n := 0
	for _, l := range lists {
		n += len(l)
	}
	out := make([]*compiledLayer, 0, n)
	for _, l := range lists {
		out = append(out, l...)
	}
	// Each layer is filed under one field: no duplicates.
	slices.SortFunc(out, compositionOrder)
	return out
}
