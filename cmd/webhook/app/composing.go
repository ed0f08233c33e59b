package app

import (
	"context"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/pkg/policy"
)

// composingWait is the longest a refusal of a pod waits for this replica
// to serve the Layers another replica composed it with: a Layer change
// reaches every replica within rebuildInterval of its watch event.
const composingWait = time.Second

// composingSnapshot is the snapshot whose Layers composed pod, a Spark pod
// being created that served (whose composition of it is res) refuses; nil
// when served applies the Layers the pod names, or when no snapshot this
// replica served lately, or serves within composingWait, matches the pod
// with them.
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
// exactly those Layers, or, when this replica may be behind (the pod names
// a Layer it does not apply), the first it serves within composingWait
// that does. A tenant cannot choose the
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
	return h.Store.composing(ctx, served, namesOthers(record, res.Composition.Layers), func(s *Served) bool {
		snap, err := snapshotWithNamespace(ctx, s.Snapshot, h.Namespaces, pod.Namespace)
		return err == nil && layerNames(snap.Match(mutate.TargetOf(h.Cluster, pod, res.Role))) == record
	})
}

// namesOthers reports whether record, a strata.dev/layers, names a Layer
// not in applied: only then may the replica that composed the object be
// ahead of this one.
func namesOthers(record string, applied []string) bool {
	if record == "" {
		return false
	}
	for name := range strings.SplitSeq(record, ",") {
		if !slices.Contains(applied, name) {
			return true
		}
	}
	return false
}

// composingApp is composingSnapshot of a SparkApplication, created or
// its spec updated (both composed by the mutating webhook, which writes
// each role's strata.dev/layers): the snapshot whose Layers match each
// role of app as its annotation names them, when served does not.
func (h *AppValidator) composingApp(ctx context.Context, served *Served, app *sparkv1beta2.Object) *Served {
	roles := mutate.Roles()
	records := make([]string, len(roles))
	for i, role := range roles {
		records[i] = app.App.Spec.Pod(string(role)).Annotations[v1alpha1.LayersAnnotation]
	}
	// applied is what s matches each role with.
	applied := func(s *Served) ([][]string, bool) {
		snap, err := snapshotWithNamespace(ctx, s.Snapshot, h.Namespaces, app.App.Namespace)
		if err != nil {
			return nil, false
		}
		out := make([][]string, len(roles))
		for i, role := range roles {
			for _, l := range snap.Match(overlay.Target{Cluster: h.Cluster.Name, Pool: h.Cluster.Pool, Namespace: app.App.Namespace, Role: role}) {
				out[i] = append(out[i], l.Name)
			}
		}
		return out, true
	}
	matches := func(s *Served) bool {
		names, ok := applied(s)
		if !ok {
			return false
		}
		for i := range roles {
			if strings.Join(names[i], ",") != records[i] {
				return false
			}
		}
		return true
	}
	names, ok := applied(served)
	if !ok || matches(served) {
		return nil
	}
	behind := false
	for i := range roles {
		behind = behind || namesOthers(records[i], names[i])
	}
	return h.Store.composing(ctx, served, behind, matches)
}

// composing is the newest snapshot this store served lately (Recent) for
// which matches holds, or else, when this store may be behind, the first
// it serves after served within composingWait; nil when there is none, or
// ctx ends first.
func (s *Store) composing(ctx context.Context, served *Served, behind bool, matches func(*Served) bool) *Served {
	for _, r := range s.Recent() {
		if matches(r) {
			return r
		}
	}
	if !behind {
		return nil
	}
	deadline := time.Now().Add(composingWait)
	for next := served; ; {
		if next = s.Newer(ctx, next, time.Until(deadline)); next == nil {
			return nil
		}
		if matches(next) {
			return next
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
