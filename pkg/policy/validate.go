package policy

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
)

// Check is one policy check of a Spark pod: what the validating webhook
// and `composer compose --validate` both run.
type Check struct {
	Engine   *Engine
	Snapshot *overlay.Snapshot
	Cluster  mutate.Cluster
	// Ledger, when set, holds reservations (the webhook); nil checks
	// against Live alone (the CLI).
	Ledger *Ledger
}

// Pod checks pod as it will be stored: the pod after every mutation, or the
// composer's output. It composes pod once more for the provenance of its
// values (SetBy keeps the layers' values the layers'), builds the Input
// with the inventory of live, and evaluates. A pod that is not a Spark pod
// gets an empty decision. A nil live is no live pods.
func (c *Check) Pod(ctx context.Context, pod *corev1.Pod, req Request, live LiveState) (*mutate.Result, Decision, error) {
	res, err := mutate.Compose(c.Snapshot, c.Cluster, pod)
	if err != nil {
		return nil, Decision{}, err
	}
	if !res.Spark {
		return res, Decision{}, nil
	}
	if req.Namespace == "" {
		req.Namespace = pod.Namespace
	}
	ns := &corev1.Namespace{}
	ns.Name = req.Namespace
	ns.Labels = c.Snapshot.NamespaceLabels(req.Namespace)
	containers, volumes := platformParts(c.Snapshot, c.Cluster, res.Pod, res.Role)
	in := &Input{Request: req, Composed: res, Namespace: ns, PlatformContainers: containers, PlatformVolumes: volumes}
	var decision Decision
	decide := func(inv Inventory) (bool, error) {
		in.Inventory = inv
		d, err := c.Engine.Evaluate(ctx, in)
		decision = d
		return d.Allowed(), err
	}
	if live == nil {
		live = NewTracker()
	}
	ledger := c.Ledger
	if ledger == nil {
		ledger = NewLedger(0)
	}
	if _, err := ledger.Admit(LivePodOf(res.Pod), live, c.Ledger != nil && !req.DryRun, decide); err != nil {
		return nil, Decision{}, fmt.Errorf("checking policies: %w", err)
	}
	return res, decision, nil
}
