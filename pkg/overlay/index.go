package overlay

import "slices"

// layerIndex finds the layers that may match a target without looking at
// the others, so a cluster with thousands of Layers for other namespaces,
// clusters or pools pays nothing for them per admission. Each layer is
// filed once, under its most selective match field: each of its namespaces,
// else each of its clusters, else each of its pools, else among the layers
// every target must check. Candidates are then matched in full.
type layerIndex struct {
	byNamespace map[string][]int
	byCluster   map[string][]int
	byPool      map[string][]int
	anywhere    []int
}

// indexLayers files layers (in composition order) by position.
func indexLayers(layers []compiledLayer) layerIndex {
	x := layerIndex{byNamespace: make(map[string][]int, len(layers)), byCluster: map[string][]int{}, byPool: map[string][]int{}}
	file := func(m map[string][]int, keys []string, i int) {
		for _, k := range keys {
			if l := m[k]; len(l) == 0 || l[len(l)-1] != i { // a key listed twice files once
				m[k] = append(l, i)
			}
		}
	}
	for i := range layers {
		m := &layers[i].layer.Spec.Match
		switch {
		case len(m.Namespaces) > 0:
			file(x.byNamespace, m.Namespaces, i)
		case len(m.Clusters) > 0:
			file(x.byCluster, m.Clusters, i)
		case len(m.Pools) > 0:
			file(x.byPool, m.Pools, i)
		default:
			x.anywhere = append(x.anywhere, i)
		}
	}
	return x
}

// candidates are the positions of the layers that may match t, in
// composition order.
func (x *layerIndex) candidates(t Target) []int {
	lists := [][]int{x.byNamespace[t.Namespace], x.byCluster[t.Cluster], x.byPool[t.Pool], x.anywhere}
	n := 0
	for _, l := range lists {
		n += len(l)
	}
	out := make([]int, 0, n)
	for _, l := range lists {
		out = append(out, l...)
	}
	slices.Sort(out) // each layer is filed under one field: no duplicates
	return out
}
