package policy

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/fixtures"
)

// tenantChecks are the isolation rules over what a tenant writes: none
// may hold against a value the platform gave.
var tenantChecks = []string{"allowedTolerations", "reservedNodeSelectors", "reservedLabelPrefixes", "allowedPriorityClasses"}

// TestPlatformValuesAreNeverTheTenants: random Layers (every field, pod
// patches among them) compose an example pod whose tenant wrote none of
// the values they give, under isolation rules over every key they use;
// the composed pod breaks none of the rules over what a tenant writes,
// on CREATE and on an UPDATE that keeps it. The validating webhook
// judges the stored pod and must tell the platform's values from the
// tenant's.
func TestPlatformValuesAreNeverTheTenants(t *testing.T) {
	rng := rand.New(rand.NewPCG(fixtures.RandomSeed(41), 42))
	isolation := &v1alpha1.Isolation{
		ReservedLabelPrefixes:  []string{"team", "tier", "pool", "owner", "a", "example.com/", "patched"},
		ReservedNodeSelectors:  []string{"team", "tier", "pool", "owner", "a", "example.com/cost"},
		AllowedTolerations:     []v1alpha1.TolerationPattern{{Key: "none"}},
		AllowedPriorityClasses: []string{"none"},
	}
	random := newRandomChecks(t, rng, isolation)
	ctx := context.Background()
	judged := 0
	for i := range fixtures.RandomCases(200) {
		c, layers := random.next(5)
		snap := c.Snapshot
		pod := fixtures.Pod(t, []string{"driver.yaml", "executor.yaml"}[rng.IntN(2)])
		pod.Namespace = []string{"etl", "geo", "other"}[rng.IntN(3)]
		// The tenant writes nothing the rules reserve: only Spark's own labels.
		pod.Spec.PriorityClassName = ""
		for k := range pod.Labels {
			if !strings.HasPrefix(k, "spark-") {
				delete(pod.Labels, k)
			}
		}
		res, err := mutate.Compose(snap, c.Cluster, pod)
		if err != nil {
			t.Fatal(err)
		}
		for _, req := range []Request{{Operation: "CREATE"}, {Operation: "UPDATE", Old: res.Pod.DeepCopy()}} {
			_, d, err := c.Pod(ctx, res.Pod, req, nil)
			if err != nil {
				t.Fatal(err)
			}
			judged++
			for _, v := range d.Violations {
				for _, check := range tenantChecks {
					if v.Policy == "isolation" && v.Check == check {
						l, _ := json.Marshal(layers)
						p, _ := json.Marshal(res.Pod)
						t.Fatalf("case %d, %s: the platform's value held against the tenant: %s\nlayers %s\ncomposed %s", i, req.Operation, v.Message, l, p)
					}
				}
			}
		}
	}
	if judged == 0 {
		t.Fatal("nothing judged")
	}
}

// TestTenantCannotEscapeByAdding: a tenant who adds to a pod (a label,
// an annotation, a toleration, a node selector, an env var, a container,
// each under a name of its own) keeps every violation the pod had: no rule
// is escaped by writing more. Random Layers, random tenant pods, and
// isolation rules over the names both use.
func TestTenantCannotEscapeByAdding(t *testing.T) {
	rng := rand.New(rand.NewPCG(fixtures.RandomSeed(43), 44))
	isolation := &v1alpha1.Isolation{
		ReservedLabelPrefixes:  []string{"team", "pool", "example.com/", "fresh-r"},
		ReservedNodeSelectors:  []string{"pool", "owner", "fresh-r"},
		AllowedTolerations:     []v1alpha1.TolerationPattern{{Key: "tier"}, {Key: "a"}},
		AllowedPriorityClasses: []string{"spark-driver", "spark-executor"},
		AllowedRegistries:      []string{"mirror.internal/", "docker.io/apache"},
		AllowedIAMRoles:        []string{"arn:aws:iam::111111111111:role/*"},
	}
	random := newRandomChecks(t, rng, isolation)
	checks := func(c *Check, pod *corev1.Pod) map[string]bool {
		res, err := mutate.Compose(c.Snapshot, c.Cluster, pod)
		if err != nil {
			t.Fatal(err)
		}
		_, d, err := c.Pod(context.Background(), res.Pod, Request{Operation: "CREATE"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, v := range d.Violations {
			out[v.Policy+"/"+v.Check] = true
		}
		return out
	}
	var denied int
	for i := range fixtures.RandomCases(200) {
		c, layers := random.next(4)
		pod := fixtures.RandomPod(t, rng)
		before := checks(c, pod)
		if len(before) > 0 {
			denied++
		}
		more := pod.DeepCopy()
		switch rng.IntN(6) {
		case 0:
			more.Labels["fresh-"+[]string{"r", "x"}[rng.IntN(2)]] = "v"
		case 1:
			if more.Annotations == nil {
				more.Annotations = map[string]string{}
			}
			more.Annotations["fresh-r/a"] = "v"
		case 2:
			more.Spec.Tolerations = append(more.Spec.Tolerations, corev1.Toleration{Key: "fresh", Operator: corev1.TolerationOpExists})
		case 3:
			if more.Spec.NodeSelector == nil {
				more.Spec.NodeSelector = map[string]string{}
			}
			more.Spec.NodeSelector["fresh-r"] = "v"
		case 4:
			more.Spec.Containers[0].Env = append(more.Spec.Containers[0].Env, corev1.EnvVar{Name: "FRESH", Value: "v"})
		case 5:
			more.Spec.Containers = append(more.Spec.Containers, corev1.Container{Name: "fresh", Image: "quay.io/fresh:1"})
		}
		after := checks(c, more)
		for check := range before {
			if !after[check] {
				l, _ := json.Marshal(layers)
				p, _ := json.Marshal(pod)
				m, _ := json.Marshal(more)
				t.Fatalf("case %d: %s escaped by adding to the pod (now %v)\nlayers %s\npod %s\nmore %s", i, check, after, l, p, m)
			}
		}
	}
	if denied < 20 {
		t.Fatalf("only %d of the pods broke a rule: the cases check too little", denied)
	}
}

// TestUpdateAddsNoViolation: an UPDATE that changes nothing the rules read
// (a finalizer added, an annotation of no reserved prefix) is allowed,
// whatever the stored pod broke under the rules in force now: random
// Layers and tenant pods, some admitted under no isolation at all.
func TestUpdateAddsNoViolation(t *testing.T) {
	rng := rand.New(rand.NewPCG(fixtures.RandomSeed(45), 46))
	isolation := &v1alpha1.Isolation{
		ReservedLabelPrefixes:  []string{"team", "pool", "example.com/"},
		ReservedNodeSelectors:  []string{"pool", "owner"},
		AllowedTolerations:     []v1alpha1.TolerationPattern{{Key: "tier"}},
		AllowedPriorityClasses: []string{"spark-driver"},
		AllowedRegistries:      []string{"mirror.internal/"},
	}
	random := newRandomChecks(t, rng, isolation)
	ctx := context.Background()
	var broken int
	for i := range fixtures.RandomCases(200) {
		c, _ := random.next(4)
		snap := c.Snapshot
		res, err := mutate.Compose(snap, c.Cluster, fixtures.RandomPod(t, rng))
		if err != nil {
			t.Fatal(err)
		}
		stored := res.Pod
		_, created, err := c.Pod(ctx, stored, Request{Operation: "CREATE"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !created.Allowed() {
			broken++
		}
		updated := stored.DeepCopy()
		updated.Finalizers = append(updated.Finalizers, "example.com/cleanup")
		if updated.Annotations == nil {
			updated.Annotations = map[string]string{}
		}
		updated.Annotations["note"] = "relabelled"
		_, d, err := c.Pod(ctx, updated, Request{Operation: "UPDATE", Old: stored.DeepCopy()}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !d.Allowed() {
			p, _ := json.Marshal(stored)
			t.Fatalf("case %d: an UPDATE that changes nothing the rules read is refused: %+v\nstored %s", i, d.Violations, p)
		}
	}
	if broken < 20 {
		t.Fatalf("only %d stored pods broke a rule now in force: the cases check too little", broken)
	}
}

// randomChecks are Checks, with the built-in policies, over random Layers
// and one more that puts isolation in force.
type randomChecks struct {
	t      *testing.T
	rng    *rand.Rand
	engine *Engine
	iso    overlay.LayerSource
}

func newRandomChecks(t *testing.T, rng *rand.Rand, isolation *v1alpha1.Isolation) *randomChecks {
	iso := v1alpha1.Layer{Spec: v1alpha1.LayerSpec{Tier: v1alpha1.ClusterOverrides, Config: &v1alpha1.Config{Isolation: isolation}}}
	iso.Name = "isolation"
	return &randomChecks{t: t, rng: rng, engine: builtinEngine(t), iso: overlay.LayerSource{Layer: iso}}
}

// next is a Check over one to most random Layers and the isolation layer,
// and those layers.
func (r *randomChecks) next(most int) (*Check, []overlay.LayerSource) {
	r.t.Helper()
	layers := append(fixtures.RandomLayers(r.t, r.rng, 1+r.rng.IntN(most)), r.iso)
	snap, err := overlay.Compile(fixtures.RandomInputs(layers))
	if err != nil {
		r.t.Fatal(err)
	}
	return &Check{Engine: r.engine, Snapshot: snap, Cluster: mutate.Cluster{Name: "prod-a", Pool: "batch"}}, layers
}

// TestReservedLabelsStay: whatever a stored pod holds under a reserved
// prefix (a layer's label, or one admitted before the prefix was
// reserved) an UPDATE may not change or remove, on random Layers and
// tenant pods: a tenant cannot move its pod out of what selects it.
func TestReservedLabelsStay(t *testing.T) {
	rng := rand.New(rand.NewPCG(fixtures.RandomSeed(47), 48))
	random := newRandomChecks(t, rng, &v1alpha1.Isolation{ReservedLabelPrefixes: []string{"team", "tier", "example.com/"}})
	ctx := context.Background()
	var tried int
	for i := range fixtures.RandomCases(200) {
		c, _ := random.next(4)
		res, err := mutate.Compose(c.Snapshot, c.Cluster, fixtures.RandomPod(t, rng))
		if err != nil {
			t.Fatal(err)
		}
		stored := res.Pod
		for k := range stored.Labels {
			if !strings.HasPrefix(k, "team") && !strings.HasPrefix(k, "tier") && !strings.HasPrefix(k, "example.com/") {
				continue
			}
			tried++
			for _, change := range []func(*corev1.Pod){
				func(p *corev1.Pod) { p.Labels[k] += "-mine" },
				func(p *corev1.Pod) { delete(p.Labels, k) },
			} {
				updated := stored.DeepCopy()
				change(updated)
				_, d, err := c.Pod(ctx, updated, Request{Operation: "UPDATE", Old: stored.DeepCopy()}, nil)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.ContainsFunc(d.Violations, func(v Violation) bool { return v.Check == "reservedLabelPrefixes" }) {
					t.Fatalf("case %d: an UPDATE changing reserved label %q (%q) is not refused: %+v", i, k, stored.Labels[k], d.Violations)
				}
			}
		}
	}
	if tried < 50 {
		t.Fatalf("only %d reserved labels tried: the cases check too little", tried)
	}
}
