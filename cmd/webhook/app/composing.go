package app

import (
	"context"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/pkg/policy"
)

// composingWait is the longest a refusal of a pod waits for this replica
// to serve the Layers another replica composed it with: a Layer change
// reaches every replica within rebuildInterval of its watch event.
const composingWait = time.Second

// composingSnapshot is the snapshot whose Layers composed pod, when that
// is not served, the snapshot res (its composition with served) is of; nil
// when served is it, or when no snapshot this replica served lately or
// serves within composingWait matches the pod with those Layers.
//
// Between a pod's mutation and its judgment the Layers may change: another
// replica, a generation ahead or behind, composed it, or this one served
// the next generation in between. Judged with other Layers, what the
// composing ones gave the pod would read as the tenant's own (a
// toleration, a reserved label) and the pod would be refused while a
// Layer is rolled out. The pod names the Layers that composed it in
// strata.dev/layers, which on CREATE is the mutating webhook's record:
// it runs on every pod of a Spark role and replaces the annotation
// whatever the request held. So the pod is judged with the newest
// snapshot of the last seconds (Store.Recent) that matches it with
// exactly those Layers, or, when this replica is behind, the first it
// serves within composingWait that does. A tenant cannot choose the
// snapshot: only the Layers that composed its pod name it.
func (h *PodValidator) composingSnapshot(ctx context.Context, served *Served, pod *corev1.Pod, request policy.Request,
	res *mutate.Result) *Served {
	if res == nil || !res.Spark || request.Old != nil || (request.Operation != "" && request.Operation != "CREATE") {
		return nil
	}
	record := pod.Annotations[v1alpha1.LayersAnnotation]
	if record == strings.Join(res.Composition.Layers, ",") {
		return nil
	}
	matches := func(s *Served) bool {
		snap, err := snapshotWithNamespace(ctx, s.Snapshot, h.Namespaces, pod.Namespace)
		if err != nil {
			return false
		}
		return layerNames(snap.Match(mutate.TargetOf(h.Cluster, pod, res.Role))) == record
	}
	for _, s := range h.Store.Recent() {
		if matches(s) {
			return s
		}
	}
	deadline := time.Now().Add(composingWait)
	for s := served; ; {
		if s = h.Store.Newer(ctx, s, time.Until(deadline)); s == nil {
			return nil
		}
		if matches(s) {
			return s
		}
	}
}

// layerNames is the names of layers, joined as strata.dev/layers joins
// them.
func layerNames(layers []*v1alpha1.Layer) string {
	names := make([]string, len(layers))
	for i, l := range layers {
		names[i] = l.Name
	}
	return strings.Join(names, ",")
}
