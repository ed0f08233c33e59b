package app

import (
	"cmp"
	"context"
	"encoding/json"
	"maps"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// auditShadowKey is the audit annotation listing what Shadow layers would
// have changed of a pod; the API server prefixes it with the webhook's name.
const auditShadowKey = "shadow"

// maxShadowAudit bounds the audit annotation (the API server's audit
// backends cap event sizes): past it, the changes are cut, with a marker.
const maxShadowAudit = 8 << 10

// maxShadowSamples is how many pods each report names.
const maxShadowSamples = 5

// ShadowRecorder counts what Shadow layers would have changed on the pods
// this replica admits, and writes it into each layer's status.shadow
// (its own entry, by replica) every interval. It is safe for concurrent
// use; Record does no I/O.
type ShadowRecorder struct {
	client   client.Client
	replica  string
	interval time.Duration
	log      logr.Logger

	mu      sync.Mutex
	reports map[string]*shadowTally // by layer
	dirty   map[string]bool
}

type shadowTally struct {
	pods    int64
	fields  map[string]int64
	samples []string
}

// NewShadowRecorder writes through c as replica (POD_NAME, else the host
// name, when empty) every interval.
func NewShadowRecorder(c client.Client, replica string, interval time.Duration, log logr.Logger) *ShadowRecorder {
	if replica == "" {
		replica = os.Getenv("POD_NAME")
	}
	if replica == "" {
		replica, _ = os.Hostname()
	}
	return &ShadowRecorder{client: c, replica: replica, interval: interval, log: log,
		reports: map[string]*shadowTally{}, dirty: map[string]bool{}}
}

// Record counts the changes of one pod (namespace/name), per layer.
func (r *ShadowRecorder) Record(pod string, changes []mutate.ShadowChange) {
	if r == nil || len(changes) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[string]bool{}
	for _, c := range changes {
		t := r.reports[c.Layer]
		if t == nil {
			t = &shadowTally{fields: map[string]int64{}}
			r.reports[c.Layer] = t
		}
		if !seen[c.Layer] {
			seen[c.Layer] = true
			t.pods++
			if len(t.samples) < maxShadowSamples {
				t.samples = append(t.samples, pod)
			}
		}
		t.fields[c.Field]++
		r.dirty[c.Layer] = true
	}
}

// Start writes the reports every interval until ctx ends, and once more
// then (a replica going away leaves its last counts).
func (r *ShadowRecorder) Start(ctx context.Context) error {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			r.flush(context.WithoutCancel(ctx))
			return nil
		case <-t.C:
			r.flush(ctx)
		}
	}
}

// flush writes the report of every layer that changed since the last.
func (r *ShadowRecorder) flush(ctx context.Context) {
	r.mu.Lock()
	var layers []string
	reports := map[string]v1alpha1.ShadowReport{}
	for name := range r.dirty {
		t := r.reports[name]
		rep := v1alpha1.ShadowReport{Replica: r.replica, Pods: t.pods, Samples: slices.Clone(t.samples), UpdatedAt: metav1.Now()}
		for _, f := range slices.Sorted(maps.Keys(t.fields)) {
			rep.Fields = append(rep.Fields, v1alpha1.ShadowField{Field: f, Pods: t.fields[f]})
		}
		reports[name] = rep
		layers = append(layers, name)
	}
	r.dirty = map[string]bool{}
	r.mu.Unlock()
	slices.Sort(layers)
	for _, name := range layers {
		if err := r.write(ctx, name, reports[name]); err != nil {
			r.log.Error(err, "cannot write the shadow report", "layer", name)
			r.mu.Lock()
			r.dirty[name] = true // next time
			r.mu.Unlock()
		}
	}
}

// write replaces this replica's entry of the layer's status.shadow.
func (r *ShadowRecorder) write(ctx context.Context, name string, rep v1alpha1.ShadowReport) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var l v1alpha1.Layer
		if err := r.client.Get(ctx, client.ObjectKey{Name: name}, &l); err != nil {
			return client.IgnoreNotFound(err)
		}
		l.Status.Shadow = slices.DeleteFunc(l.Status.Shadow, func(s v1alpha1.ShadowReport) bool { return s.Replica == rep.Replica })
		l.Status.Shadow = append(l.Status.Shadow, rep)
		slices.SortFunc(l.Status.Shadow, func(a, b v1alpha1.ShadowReport) int { return cmp.Compare(a.Replica, b.Replica) })
		return r.client.Status().Update(ctx, &l)
	})
}

// shadowAudit is the audit annotation's value: the changes as JSON, as
// many as fit in maxShadowAudit, and how many were left out.
func shadowAudit(changes []mutate.ShadowChange) string {
	type audit struct {
		Changes   []json.RawMessage `json:"changes"`
		Truncated int               `json:"truncated,omitempty"`
	}
	out := audit{Changes: []json.RawMessage{}}
	size := 64 // the envelope
	for i, c := range changes {
		b, err := json.Marshal(c)
		if err != nil || size+len(b)+1 > maxShadowAudit {
			out.Truncated = len(changes) - i
			break
		}
		size += len(b) + 1
		out.Changes = append(out.Changes, b)
	}
	b, _ := json.Marshal(out) // raw messages and an int: it encodes
	return string(b)
}
