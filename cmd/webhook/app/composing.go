package app

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/pkg/policy"
)

// composingWait is the longest a refusal of a pod waits for this replica
// to serve the Layers another replica composed it with: a Layer change
// reaches every replica within rebuildInterval of its watch event.
const composingWait = time.Second

// composingSnapshot is a snapshot that composed pod, a Spark pod being
// created that served refuses, when served did not; nil when served did,
// or when no snapshot this replica served lately, or serves within
// composingWait, would have composed the pod as it is.
//
// Between a pod's mutation and its judgment the Layers may change: another
// replica, a generation ahead or behind, composed it, or this one served
// the next generation in between. Judged with other Layers, what the
// composing ones gave the pod would read as the tenant's own (a
// toleration, a label under a reserved prefix, the Layers' record in
// strata.dev/layers) and the pod would be refused while a Layer is rolled
// out. So the pod is judged with the snapshot that composed it: the
// newest of the last seconds (Store.Recent) of which the pod is a fixed
// point (composing it changes nothing), or, where this replica may be
// behind, the first such it serves within composingWait.
//
// A tenant cannot choose that snapshot. The mutating webhook composed
// every pod of a Spark role on its CREATE, and composing what a snapshot
// composed changes nothing: a pod that served would change was composed
// with other Layers, by a replica or generation the tenant does not
// pick. A pod served would leave as it is is judged by served alone.
func (h *PodValidator) composingSnapshot(ctx context.Context, served *Served, pod *corev1.Pod, request policy.Request,
	res *mutate.Result) *Served {
	if res == nil || !res.Spark || request.Old != nil || (request.Operation != "" && request.Operation != "CREATE") {
		return nil
	}
	composed := func(s *Served) bool {
		snap, err := snapshotWithNamespace(ctx, s.Snapshot, h.Namespaces, pod.Namespace)
		if err != nil {
			return false
		}
		again, err := mutate.Admit(snap, h.Cluster, pod)
		return err == nil && len(again.Patch) == 0
	}
	if composed(served) {
		return nil
	}
	// A pod with no record of Layers was composed with none: by a
	// snapshot this one is ahead of, if any.
	_, recorded := pod.Annotations[v1alpha1.LayersAnnotation]
	return h.Store.composing(ctx, served, recorded, composed)
}

// composingApp is composingSnapshot of a SparkApplication, created or its
// spec updated: the mutating webhook composes both (each role's
// strata.dev/layers records the Layers it applied).
func (h *AppValidator) composingApp(ctx context.Context, served *Served, app *sparkv1beta2.Object) *Served {
	composed := func(s *Served) bool {
		snap, err := appSnapshot(ctx, s.Snapshot, h.Namespaces, h.Cluster, app)
		if err != nil {
			return false
		}
		again, err := mutate.ComposeApp(snap, h.Cluster, app)
		return err == nil && len(again.Patch) == 0
	}
	if composed(served) {
		return nil
	}
	recorded := false
	for _, role := range mutate.Roles() {
		_, ok := app.App.Spec.Pod(string(role)).Annotations[v1alpha1.LayersAnnotation]
		recorded = recorded || ok
	}
	return h.Store.composing(ctx, served, recorded, composed)
}

// composing is the newest snapshot this store served lately (Recent) for
// which matches holds, or else, when this store may be behind, the first
// it serves after served within composingWait for which it does; nil when
// there is none, or ctx ends first.
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
