package overlay

import (
	"maps"
	"slices"
)

// layerIndex finds the layers that may match a target without looking at
// the others, so a cluster with thousands of Layers for other namespaces,
// clusters or pools pays nothing for them per admission. Each layer is
// filed once, under its most selective match field: each of its namespaces,
// else each of its clusters, else each of its pools, else among the layers
// every target must check. Candidates are then matched in full. An index is
// never changed once built: with (Compiler.Update) copies what it changes.
type layerIndex struct {
	byNamespace map[string][]*compiledLayer
	byCluster   map[string][]*compiledLayer
	byPool      map[string][]*compiledLayer
	anywhere    []*compiledLayer
}

// indexLayers files layers.
func indexLayers(layers []*compiledLayer) layerIndex {
	x := layerIndex{byNamespace: make(map[string][]*compiledLayer, len(layers)), byCluster: map[string][]*compiledLayer{}, byPool: map[string][]*compiledLayer{}}
	for _, cl := range layers {
		x.file(cl)
	}
	return x
}

// with is the index without the layers removed and with the layers added.
// The maps are copied (a shallow copy) and only the lists removed or added
// to are copied and changed: the receiver stays as it was.
func (x layerIndex) with(removed, added []*compiledLayer) layerIndex {
	if len(removed) == 0 && len(added) == 0 {
		return x
	}
	out := layerIndex{byNamespace: maps.Clone(x.byNamespace), byCluster: maps.Clone(x.byCluster), byPool: maps.Clone(x.byPool), anywhere: x.anywhere}
	for _, cl := range removed {
		out.unfile(cl)
	}
	for _, cl := range added {
		out.file(cl)
	}
	return out
}

// file adds cl under its most selective match field. The lists it appends
// to are copied first (slices.Clip), so a list shared with another index
// never changes.
func (x *layerIndex) file(cl *compiledLayer) {
	m, keys := x.filing(cl)
	if m == nil {
		x.anywhere = append(slices.Clip(x.anywhere), cl)
		return
	}
	for _, k := range keys {
		if l := m[k]; !slices.Contains(l, cl) { // a key listed twice files once
			m[k] = append(slices.Clip(l), cl)
		}
	}
}

// unfile removes cl from where file put it, copying each list it changes.
func (x *layerIndex) unfile(cl *compiledLayer) {
	without := func(l []*compiledLayer) []*compiledLayer {
		return slices.DeleteFunc(slices.Clone(l), func(c *compiledLayer) bool { return c == cl })
	}
	m, keys := x.filing(cl)
	if m == nil {
		x.anywhere = without(x.anywhere)
		return
	}
	for _, k := range keys {
		if l := without(m[k]); len(l) > 0 {
			m[k] = l
		} else {
			delete(m, k)
		}
	}
}

// filing is where cl is filed: a map and its keys, or nil for anywhere.
func (x *layerIndex) filing(cl *compiledLayer) (map[string][]*compiledLayer, []string) {
	m := &cl.layer.Spec.Match
	switch {
	case len(m.Namespaces) > 0:
		return x.byNamespace, m.Namespaces
	case len(m.Clusters) > 0:
		return x.byCluster, m.Clusters
	case len(m.Pools) > 0:
		return x.byPool, m.Pools
	}
	return nil, nil
}

// candidates are the layers that may match t, in composition order.
func (x *layerIndex) candidates(t Target) []*compiledLayer {
	lists := [][]*compiledLayer{x.byNamespace[t.Namespace], x.byCluster[t.Cluster], x.byPool[t.Pool], x.anywhere}
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
