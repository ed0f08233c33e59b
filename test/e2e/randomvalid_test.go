package e2e

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/test/fixtures"
)

// TestRandomCompositionsAreValidPods: of random layers and pods, each pod
// the real API server takes as written and Strata composes (offline, as
// the composer does) the API server takes composed too. A composition it
// refused would have every such pod refused in words that name no layer,
// where the dry run said it was allowed. Both are dry runs in a namespace
// no Strata webhook judges, without the Spark role (no mutation), and
// without what only names other objects (PriorityClasses, RuntimeClasses),
// whose existence is not what is tested.
func TestRandomCompositionsAreValidPods(t *testing.T) {
	ctx := context.Background()
	namespace := exemptNamespace(t)
	rng := rand.New(rand.NewPCG(fixtures.RandomSeed(31), 32))
	cluster := mutate.Cluster{Name: "prod-a", Pool: "batch"}
	create := func(p *corev1.Pod) error {
		p = p.DeepCopy()
		p.Namespace, p.Labels = namespace, nil
		p.Spec.PriorityClassName, p.Spec.Priority, p.Spec.PreemptionPolicy, p.Spec.RuntimeClassName = "", nil, nil, nil
		if p.Spec.ServiceAccountName == "" {
			p.Spec.ServiceAccountName = "default" // the ServiceAccount plugin's, which envtest runs without
		}
		return cp.Client.Create(ctx, p, client.DryRunAll)
	}
	cases := fixtures.RandomCases(400)
	checked := 0
	for i := range cases {
		in := fixtures.RandomInputs(fixtures.RandomLayers(t, rng, 1+rng.IntN(5)))
		snap, err := overlay.Compile(in)
		if err != nil {
			t.Fatalf("case %d: layers that validate do not compile: %v", i, err)
		}
		pod := fixtures.RandomPod(t, rng)
		res, err := mutate.Compose(snap, cluster, pod)
		if err != nil || create(pod) != nil {
			continue // refused by Strata, or as written
		}
		checked++
		if err := create(res.Pod); err != nil {
			layers, _ := json.Marshal(in.Layers)
			written, _ := json.Marshal(pod)
			t.Errorf("case %d: the API server refuses the composed pod: %v\nlayers %s\npod %s", i, err, layers, written)
		}
	}
	if checked < cases*3/4 {
		t.Fatalf("%d of %d cases checked: the cases check too little", checked, cases)
	}
}
