package app

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// layerWatch holds every Layer of the cluster for the snapshot controller.
// It is the store of client-go's Reflector, as podWatch is: each change
// reaches it on the goroutine that read the event, which notes the
// Layer's name for the next rebuild and, when it is the first change since
// the last rebuild took them, asks for one. An informer would pass each
// event through its queue, its indexer and two goroutines of the event
// handler, and keep each Layer's managedFields, which nothing here reads:
// a GitOps sync of thousands of Layers paid for that per Layer.
type layerWatch struct {
	// changes is where each change is noted; ask requests a rebuild
	// (it must not block).
	changes *changeSet
	ask     func()

	mu     sync.RWMutex
	layers map[string]*v1alpha1.Layer
	// synced: the first list has been stored.
	synced bool
}

var _ toolscache.ReflectorStore = (*layerWatch)(nil)

// newLayerWatch returns an empty watch noting changes in changes and
// asking for rebuilds with ask.
func newLayerWatch(changes *changeSet, ask func()) *layerWatch {
	return &layerWatch{changes: changes, ask: ask, layers: map[string]*v1alpha1.Layer{}}
}

// start runs, with mgr, a Reflector of every Layer feeding w, counting its
// failed lists and watches in failures (nil: none). Layers come as JSON (a
// custom resource has no protobuf), each watch event decoded in one pass
// (layerSerializer).
func (w *layerWatch) start(mgr manager.Manager, failures prometheus.Counter) error {
	return watched{name: "strata-layers", apiPath: "/apis", group: v1alpha1.GroupVersion, resource: "layers",
		contentType: runtime.ContentTypeJSON,
		decode:      newLayerSerializer(serializer.NewCodecFactory(mgr.GetScheme()).WithoutConversion()),
		params:      runtime.NewParameterCodec(mgr.GetScheme()), expected: &v1alpha1.Layer{}, failures: failures}.run(mgr, w)
}

// Add stores a Layer the watch brought.
func (w *layerWatch) Add(obj any) error { return w.set(obj) }

// Update stores a Layer's new state.
func (w *layerWatch) Update(obj any) error { return w.set(obj) }

// Delete forgets a deleted Layer.
func (w *layerWatch) Delete(obj any) error {
	l, err := layerOf(obj)
	if err != nil {
		return err
	}
	w.mu.Lock()
	delete(w.layers, l.Name)
	w.mu.Unlock()
	w.note(l.Name)
	return nil
}

// Replace makes list every Layer there is: at the start, and whenever the
// watch is listed again, when each Layer that is new, changed (another
// resourceVersion) or gone is noted as a change.
func (w *layerWatch) Replace(list []any, _ string) error {
	next := make(map[string]*v1alpha1.Layer, len(list))
	for _, obj := range list {
		l, err := layerOf(obj)
		if err != nil {
			return err
		}
		next[l.Name] = l
	}
	w.mu.Lock()
	prev, first := w.layers, !w.synced
	w.layers, w.synced = next, true
	w.mu.Unlock()
	if first {
		// The first rebuild reads every Layer; it waits for this list.
		w.ask()
		return nil
	}
	for name, l := range next {
		if p := prev[name]; p == nil || p.ResourceVersion != l.ResourceVersion {
			w.note(name)
		}
	}
	for name := range prev {
		if next[name] == nil {
			w.note(name)
		}
	}
	return nil
}

// Resync has nothing to do: there is no handler to replay Layers to.
func (w *layerWatch) Resync() error { return nil }

func (w *layerWatch) set(obj any) error {
	l, err := layerOf(obj)
	if err != nil {
		return err
	}
	w.mu.Lock()
	w.layers[l.Name] = l
	w.mu.Unlock()
	w.note(l.Name)
	return nil
}

// note records that the named Layer changed and asks for a rebuild when
// it is the first change since the last one took them.
func (w *layerWatch) note(name string) {
	if w.changes.layer(name) {
		w.ask()
	}
}

// get returns the named Layer, nil when there is none. The Layer is
// shared: it must not be changed.
func (w *layerWatch) get(name string) *v1alpha1.Layer {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.layers[name]
}

// isSynced reports whether the first list is in.
func (w *layerWatch) isSynced() bool {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.synced
}

// list returns every Layer, by name (the order the first compile reports
// bad Layers in, so its errors and Events are the same on every start).
// The Layers are shared: they must not be changed.
func (w *layerWatch) list() []*v1alpha1.Layer {
	w.mu.RLock()
	out := slices.AppendSeq(make([]*v1alpha1.Layer, 0, len(w.layers)), maps.Values(w.layers))
	w.mu.RUnlock()
	slices.SortFunc(out, func(a, b *v1alpha1.Layer) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// layerOf is obj as a Layer without its managedFields (what wrote which
// field, which compiling never reads). The Layer is the watch's own,
// decoded for it.
func layerOf(obj any) (*v1alpha1.Layer, error) {
	l, ok := obj.(*v1alpha1.Layer)
	if !ok {
		return nil, fmt.Errorf("the Layer watch was handed a %T", obj)
	}
	l.ManagedFields = nil
	return l, nil
}
