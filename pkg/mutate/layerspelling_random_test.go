package mutate

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/fixtures"
)

// layerRespelling writes one setting of a Layer's block in its Spark key
// spelling, for the roles the block applies to; false when the block has
// nothing it moves.
type layerRespelling struct {
	name  string
	apply func(c *v1alpha1.Config, roles []v1alpha1.Role) bool
}

// layerRespellings are the ways a layer may write a setting as its Spark
// keys instead: a block's labels, annotations and node selectors as each
// role's keys, its service account and environment as each role's keys,
// its Hadoop configuration as spark.hadoop.* keys.
func layerRespellings() []layerRespelling {
	roleKeys := func(name, infix string, at func(c *v1alpha1.Config) *map[string]string) layerRespelling {
		return layerRespelling{name: name + " as spark.kubernetes.<role>." + infix + "*", apply: func(c *v1alpha1.Config, roles []v1alpha1.Role) bool {
			m := at(c)
			if len(*m) == 0 {
				return false
			}
			for k, v := range *m {
				for _, role := range roles {
					c.SparkConf = setKey(c.SparkConf, "spark.kubernetes."+string(role)+"."+infix+k, v)
				}
			}
			*m = nil
			return true
		}}
	}
	// roleKey respells a scalar as each role's key prefix+role+suffix.
	roleKey := func(name, prefix, suffix string, at func(c *v1alpha1.Config) **string) layerRespelling {
		return layerRespelling{name: name + " as " + prefix + "<role>" + suffix, apply: func(c *v1alpha1.Config, roles []v1alpha1.Role) bool {
			v := at(c)
			if *v == nil {
				return false
			}
			for _, role := range roles {
				c.SparkConf = setKey(c.SparkConf, prefix+string(role)+suffix, **v)
			}
			*v = nil
			return true
		}}
	}
	return []layerRespelling{
		roleKeys("labels", "label.", func(c *v1alpha1.Config) *map[string]string { return &c.Labels }),
		roleKeys("annotations", "annotation.", func(c *v1alpha1.Config) *map[string]string { return &c.Annotations }),
		roleKeys("nodeSelector", "node.selector.", func(c *v1alpha1.Config) *map[string]string { return &c.NodeSelector }),
		roleKey("serviceAccountName", "spark.kubernetes.authenticate.", ".serviceAccountName", func(c *v1alpha1.Config) **string { return &c.ServiceAccountName }),
		roleKey("schedulerName", "spark.kubernetes.", ".scheduler.name", func(c *v1alpha1.Config) **string { return &c.SchedulerName }),
		{name: "env as spark.kubernetes.driverEnv.* and spark.executorEnv.*", apply: func(c *v1alpha1.Config, roles []v1alpha1.Role) bool {
			if len(c.Env) == 0 {
				return false
			}
			// Keys hold a value, once, and fold in the order of their names,
			// before the block's env: only a block without such keys keeps
			// its order.
			for i, e := range c.Env {
				if e.ValueFrom != nil || i > 0 && c.Env[i-1].Name >= e.Name {
					return false
				}
			}
			for k := range c.SparkConf {
				for _, role := range roles {
					if overlay.SparkConfTarget(role, k).Field == "env" {
						return false
					}
				}
			}
			for _, e := range c.Env {
				for _, role := range roles {
					c.SparkConf = setKey(c.SparkConf, overlay.SparkEnvPrefix(role)+e.Name, e.Value)
				}
			}
			c.Env = nil
			return true
		}},
		{name: "hadoopConf as spark.hadoop.*", apply: func(c *v1alpha1.Config, _ []v1alpha1.Role) bool {
			if len(c.HadoopConf) == 0 {
				return false
			}
			for k, v := range c.HadoopConf {
				c.SparkConf = setKey(c.SparkConf, overlay.SparkHadoopPrefix+k, v)
			}
			c.HadoopConf = nil
			return true
		}},
	}
}

// TestLayerSpellingIsOneSetting: a layer that sets a setting in either
// spelling governs it the same. For every way to write a setting of a
// random layer's block as its Spark keys (for each role the block
// applies to; where the block sets none of those keys itself), random
// pods and applications compose to the same object, patch and all.
func TestLayerSpellingIsOneSetting(t *testing.T) {
	rng := rand.New(rand.NewPCG(fixtures.RandomSeed(73), 74))
	spellings := layerRespellings()
	tried := map[string]int{}
	var compared int
	for i := range fixtures.RandomCases(300) {
		layers := fixtures.RandomLayers(t, rng, 1+rng.IntN(4))
		snap, err := overlay.Compile(fixtures.RandomInputs(layers))
		if err != nil {
			t.Fatal(err)
		}
		pod, app := fixtures.RandomPod(t, rng), fixtures.RandomApp(t, rng)
		for j := range layers {
			for _, sp := range spellings {
				other := slices.Clone(layers)
				other[j].Layer = *layers[j].Layer.DeepCopy()
				spec := &other[j].Layer.Spec
				moved := false
				for _, b := range []struct {
					c     *v1alpha1.Config
					roles []v1alpha1.Role
				}{{spec.Config, spec.Match.Roles}, {spec.Driver, []v1alpha1.Role{v1alpha1.RoleDriver}}, {spec.Executor, []v1alpha1.Role{v1alpha1.RoleExecutor}}} {
					if b.c == nil {
						continue
					}
					roles := b.roles
					if len(roles) == 0 {
						roles = Roles()
					}
					before := maps.Clone(b.c.SparkConf)
					if !sp.apply(b.c, roles) {
						continue
					}
					// Only where the block did not set a key itself.
					if overlaps(before, b.c.SparkConf) {
						moved = false
						break
					}
					moved = true
				}
				if !moved || len(overlay.ValidateLayer(&other[j].Layer)) != 0 {
					continue
				}
				tried[sp.name]++
				respelled, err := overlay.Compile(fixtures.RandomInputs(other))
				if err != nil {
					t.Fatal(err)
				}
				describe := func() string {
					a, _ := json.Marshal(layers[j].Layer.Spec)
					b, _ := json.Marshal(other[j].Layer.Spec)
					return fmt.Sprintf("case %d, layer %d, %s\nlayer     %s\nrespelled %s", i, j, sp.name, a, b)
				}
				want, werr := Compose(snap, prodA, pod)
				got, gerr := Compose(respelled, prodA, pod)
				if (werr == nil) != (gerr == nil) {
					t.Fatalf("pod: one spelling composes, the other not: %v; %v\n%s", werr, gerr, describe())
				}
				if werr == nil {
					if w, g := mustJSON(t, want.Pod), mustJSON(t, got.Pod); w != g {
						t.Fatalf("pod: the spellings compose differently:\n%s\n%s\n%s", w, g, describe())
					}
				}
				wantApp, werr := ComposeApp(snap, prodA, app)
				gotApp, gerr := ComposeApp(respelled, prodA, app)
				if (werr == nil) != (gerr == nil) {
					t.Fatalf("app: one spelling composes, the other not: %v; %v\n%s", werr, gerr, describe())
				}
				if werr == nil {
					w, _ := wantApp.App.Marshal()
					g, _ := gotApp.App.Marshal()
					if string(w) != string(g) {
						t.Fatalf("app: the spellings compose differently:\n%s\n%s\n%s", w, g, describe())
					}
				}
				compared++
			}
		}
	}
	var names []string
	for _, sp := range spellings {
		names = append(names, sp.name)
	}
	everyTried(t, names, tried)
	if compared < 100 {
		t.Fatalf("%d respelled layers compared: the cases check too little", compared)
	}
	t.Logf("%d respelled layers compared", compared)
}

// overlaps reports whether after holds a key of before with another
// value: a key the block set itself that the respelling wrote over.
func overlaps(before, after map[string]string) bool {
	for k, v := range before {
		if after[k] != v {
			return true
		}
	}
	return false
}
