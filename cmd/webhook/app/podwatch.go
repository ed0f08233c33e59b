package app

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/strata-dev/strata/pkg/policy"
)

// podWatch keeps the quota tracker up to date from a watch of every pod of
// the cluster. It is the store of client-go's Reflector (list, then watch,
// relist when the watch expires, back off on errors), which hands it each
// pod on the goroutine that read the event. An informer would pass each
// event through its queue, its indexer, and two goroutines of each event
// handler before the tracker saw it, and keep its own copy of every pod;
// pods are never read back (the handlers read the pod of the request), so
// the tracker's record is all there is.
type podWatch struct {
	tracker *policy.Tracker
	// synced: the first list has been stored.
	synced atomic.Bool
}

var (
	_ toolscache.ReflectorStore    = (*podWatch)(nil)
	_ toolscache.TransformingStore = (*podWatch)(nil)
)

// watchPods starts, with mgr, a watch of every pod feeding a new tracker,
// and returns the tracker with a check of whether the first list is in.
// Pods come as protobuf, as controller-runtime reads the built-in types,
// decoded to what quota reads of them (podPruner); a JSON answer, or any
// other object, is decoded whole. Failed lists and watches count in
// failures (nil: none).
func watchPods(mgr manager.Manager, failures prometheus.Counter) (*policy.Tracker, func() bool, error) {
	pruner, err := newPodPruner()
	if err != nil {
		return nil, nil, err
	}
	w := &podWatch{tracker: policy.NewTracker()}
	err = watched{name: "strata-pods", apiPath: "/api", group: corev1.SchemeGroupVersion, resource: "pods",
		contentType: runtime.ContentTypeProtobuf,
		decode:      leanPodSerializer{NegotiatedSerializer: scheme.Codecs.WithoutConversion(), pruner: pruner},
		params:      scheme.ParameterCodec, expected: &corev1.Pod{}, failures: failures}.run(mgr, w)
	if err != nil {
		return nil, nil, err
	}
	return w.tracker, w.synced.Load, nil
}

// Add records a pod the watch or a list brought.
func (w *podWatch) Add(obj any) error { w.set(obj); return nil }

// Update records a pod's new state.
func (w *podWatch) Update(obj any) error { w.set(obj); return nil }

// Delete forgets a deleted pod.
func (w *podWatch) Delete(obj any) error {
	if p, _, ok := liveOf(obj); ok {
		w.tracker.Delete(p.Key)
	}
	return nil
}

// Replace makes list, a whole list of the cluster's pods, what the
// tracker holds: at the start and whenever the watch is listed again.
func (w *podWatch) Replace(list []any, _ string) error {
	pods := make([]policy.LivePod, 0, len(list))
	for _, obj := range list {
		if p, holds, ok := liveOf(obj); ok && holds {
			pods = append(pods, p)
		}
	}
	w.tracker.Replace(pods)
	w.synced.Store(true)
	return nil
}

// Resync has nothing to do: there is no handler to replay pods to.
func (w *podWatch) Resync() error { return nil }

// Transformer is leanPod: a streamed first list (WatchListClient) is held
// in a store of the Reflector's own until it is complete, as lean pods.
func (w *podWatch) Transformer() toolscache.TransformFunc { return leanPod }

func (w *podWatch) set(obj any) {
	if p, holds, ok := liveOf(obj); ok {
		w.tracker.Set(p, holds)
	}
}

// liveOf is what quota counts of obj, a pod or a pod leanPod made a
// cachedPod, and whether it holds resources; ok is false for anything else.
func liveOf(obj any) (p policy.LivePod, holds, ok bool) {
	switch o := obj.(type) {
	case *corev1.Pod:
		return policy.LivePodOf(o), policy.HoldsResources(o), true
	case *cachedPod:
		return o.livePod(), o.holds, true
	}
	return policy.LivePod{}, false, false
}

// cachedPod is what the pod watch makes of a pod: its name and namespace
// (the key the Reflector's own store files it by, while it holds a
// streamed list) and what quota counts of it, computed once when the pod
// arrives.
type cachedPod struct {
	metav1.ObjectMeta // Name and Namespace only
	app               string
	executor          bool
	usage             policy.Usage
	holds             bool
}

// livePod is the tracker's record of p.
func (p *cachedPod) livePod() policy.LivePod {
	return policy.LivePod{Key: p.Namespace + "/" + p.Name, Namespace: p.Namespace, App: p.app, Executor: p.executor, Usage: p.usage}
}

// leanPod turns a pod into a cachedPod; anything else is left as it is.
func leanPod(obj any) (any, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	live := policy.LivePodOf(pod)
	return &cachedPod{ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace},
		app: live.App, executor: live.Executor, usage: live.Usage, holds: policy.HoldsResources(pod)}, nil
}
