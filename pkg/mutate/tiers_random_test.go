package mutate

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/fixtures"
)

// TestTiersDecide holds composition to the order it promises, against a
// model of it written here: layers apply by tier (pool defaults, cluster
// defaults, cluster overrides, namespace overrides), then order, then
// name, and inside a layer its config then its role's block; a default
// fills only what the user left unset and an override wins over the user.
// On random layers that all match (so the model needs no matching) and
// random pods, every label, annotation and node selector the layers or
// the user set, and the scheduler and service account, are the model's,
// and so is the layer explain says each is from.
func TestTiersDecide(t *testing.T) {
	rng := rand.New(rand.NewPCG(fixtures.RandomSeed(75), 76))
	var checked int
	for i := range fixtures.RandomCases(400) {
		layers := fixtures.RandomLayers(t, rng, 1+rng.IntN(6))
		for j := range layers {
			spec := &layers[j].Layer.Spec
			spec.Match, spec.Mode = v1alpha1.Match{}, ""
			for _, c := range []*v1alpha1.Config{spec.Config, spec.Driver, spec.Executor} {
				if c != nil { // what else writes these fields
					c.SparkConf, c.PodPatch, c.IAM, c.Secrets = nil, nil, nil, nil
				}
			}
		}
		snap, err := overlay.Compile(fixtures.RandomInputs(layers))
		if err != nil {
			t.Fatal(err)
		}
		pod := fixtures.RandomPod(t, rng)
		res, err := Compose(snap, prodA, pod)
		if err != nil {
			continue
		}
		role, _ := SparkRole(pod)
		describe := func() string {
			l, _ := json.Marshal(layers)
			p, _ := json.Marshal(pod)
			return fmt.Sprintf("case %d\nlayers %s\npod %s", i, l, p)
		}
		// The layers from lowest to highest, each block that applies.
		ordered := inModelOrder(layers)
		type block struct {
			c        *v1alpha1.Config
			override bool
			layer    string
		}
		var blocks []block
		for _, l := range ordered {
			own := l.Layer.Spec.Driver
			if role == v1alpha1.RoleExecutor {
				own = l.Layer.Spec.Executor
			}
			for _, c := range []*v1alpha1.Config{l.Layer.Spec.Config, own} {
				if c != nil {
					blocks = append(blocks, block{c, !l.Layer.Spec.Tier.IsDefault(), l.Layer.Name})
				}
			}
		}
		// model is the value of one setting and the layer it is from ("" for
		// the user's): the last override's, else the user's, else the last
		// default's.
		model := func(user string, userSet bool, of func(c *v1alpha1.Config) (string, bool)) (string, bool, string) {
			var def, over, defLayer, overLayer string
			var defSet, overSet bool
			for _, b := range blocks {
				if v, ok := of(b.c); ok {
					if b.override {
						over, overSet, overLayer = v, true, b.layer
					} else {
						def, defSet, defLayer = v, true, b.layer
					}
				}
			}
			switch {
			case overSet:
				return over, true, overLayer
			case userSet:
				return user, true, ""
			default:
				return def, defSet, defLayer
			}
		}
		// explained is the layer explain says a value is from, "" for the
		// user's.
		explained := func(key overlay.Key) string {
			w, _ := res.Composition.Provenance.WinnerOf(key)
			return w.Layer
		}
		for _, m := range []struct {
			name, root string
			user, got  map[string]string
			of         func(c *v1alpha1.Config) map[string]string
		}{
			{"label", overlay.PathLabels, pod.Labels, res.Pod.Labels, func(c *v1alpha1.Config) map[string]string { return c.Labels }},
			{"annotation", overlay.PathAnnotations, pod.Annotations, res.Pod.Annotations, func(c *v1alpha1.Config) map[string]string { return c.Annotations }},
			{"node selector", overlay.PathNodeSelector, pod.Spec.NodeSelector, res.Pod.Spec.NodeSelector, func(c *v1alpha1.Config) map[string]string { return c.NodeSelector }},
		} {
			keys := map[string]bool{}
			for k := range m.user {
				keys[k] = true
			}
			for _, b := range blocks {
				for k := range m.of(b.c) {
					keys[k] = true
				}
			}
			delete(keys, v1alpha1.LayersAnnotation) // Strata's own
			for k := range keys {
				u, us := m.user[k]
				want, wantSet, from := model(u, us, func(c *v1alpha1.Config) (string, bool) { v, ok := m.of(c)[k]; return v, ok })
				if got, gotSet := m.got[k]; got != want || gotSet != wantSet {
					t.Fatalf("%s %s = %q (%v), the model says %q (%v)\n%s", m.name, k, got, gotSet, want, wantSet, describe())
				}
				if got := explained(overlay.MapKey(m.root, k)); got != from {
					t.Fatalf("explain says %s %s is from %q, the model says %q\n%s", m.name, k, got, from, describe())
				}
				checked++
			}
		}
		for _, s := range []struct {
			name, root string
			user, got  string
			of         func(c *v1alpha1.Config) *string
		}{
			{"schedulerName", overlay.PathSchedulerName, pod.Spec.SchedulerName, res.Pod.Spec.SchedulerName, func(c *v1alpha1.Config) *string { return c.SchedulerName }},
			{"serviceAccountName", overlay.PathServiceAccountName, pod.Spec.ServiceAccountName, res.Pod.Spec.ServiceAccountName, func(c *v1alpha1.Config) *string { return c.ServiceAccountName }},
		} {
			want, _, from := model(s.user, s.user != "", func(c *v1alpha1.Config) (string, bool) {
				if p := s.of(c); p != nil {
					return *p, true
				}
				return "", false
			})
			if s.got != want {
				t.Fatalf("%s = %q, the model says %q\n%s", s.name, s.got, want, describe())
			}
			if got := explained(overlay.FieldKey(s.root)); got != from {
				t.Fatalf("explain says %s is from %q, the model says %q\n%s", s.name, got, from, describe())
			}
			checked++
		}
	}
	if checked < 2000 {
		t.Fatalf("%d values checked: the cases check too little", checked)
	}
	t.Logf("%d values checked", checked)
}

// TestTiersDecideApps is TestTiersDecide for a SparkApplication's job
// settings: each Spark key's value spark-submit runs with (in whichever
// spelling the user or a layer wrote it) is the model's, from the blocks
// of the composition the key is read from (SparkKeyRole), and so is the
// layer explain says it is from (with what the operator's monitoring adds
// to the Java options, which the app's monitoring gives them).
func TestTiersDecideApps(t *testing.T) {
	rng := rand.New(rand.NewPCG(fixtures.RandomSeed(77), 78))
	keys := []string{"spark.eventLog.enabled", "spark.executor.memory", "spark.driver.memory", "spark.executor.cores",
		"spark.executor.instances", "spark.hadoop.fs.s3a.endpoint", "spark.jars", "spark.jars.repositories",
		"spark.executor.extraJavaOptions", "spark.kubernetes.memoryOverheadFactor"}
	var checked, byLayer int
	for i := range fixtures.RandomCases(400) {
		layers := fixtures.RandomLayers(t, rng, 1+rng.IntN(6))
		for j := range layers {
			layers[j].Layer.Spec.Match, layers[j].Layer.Spec.Mode = v1alpha1.Match{}, ""
		}
		snap, err := overlay.Compile(fixtures.RandomInputs(layers))
		if err != nil {
			t.Fatal(err)
		}
		app := fixtures.RandomApp(t, rng)
		res, err := ComposeApp(snap, prodA, app)
		if err != nil {
			continue
		}
		ordered := inModelOrder(layers)
		// What the user wrote: without what the operator's monitoring adds.
		written := app.App.Spec.DeepCopy()
		written.Monitoring = nil
		user, got := EffectiveConf(written), EffectiveConf(&res.App.App.Spec)
		for _, k := range keys {
			role := overlay.SparkKeyRole(k)
			var def, over, defLayer, overLayer string
			var defSet, overSet bool
			for _, l := range ordered {
				own := l.Layer.Spec.Driver
				if role == v1alpha1.RoleExecutor {
					own = l.Layer.Spec.Executor
				}
				for _, c := range []*v1alpha1.Config{l.Layer.Spec.Config, own} {
					if c == nil {
						continue
					}
					v, ok := c.SparkConf[k]
					if h, hadoop := strings.CutPrefix(k, overlay.SparkHadoopPrefix); hadoop {
						if hv, hok := c.HadoopConf[h]; hok { // hadoopConf, folded after sparkConf
							v, ok = hv, true
						}
					}
					if !ok {
						continue
					}
					if l.Layer.Spec.Tier.IsDefault() {
						def, defSet, defLayer = v, true, l.Layer.Name
					} else {
						over, overSet, overLayer = v, true, l.Layer.Name
					}
				}
			}
			u, userSet := user[k]
			want, wantSet, from := def, defSet, defLayer
			switch {
			case overSet:
				want, wantSet, from = over, true, overLayer
				byLayer++
			case userSet:
				want, wantSet, from = u, true, ""
			case defSet:
				byLayer++
			}
			if strings.HasSuffix(k, ".extraJavaOptions") && metricsExposed(&app.App.Spec, role) {
				// The operator appends the JMX exporter's agent to the
				// typed field, where a layer's value is written; it wins
				// over a value the user wrote in sparkConf only.
				agent := javaAgent(prometheusOf(&app.App.Spec))
				switch typed := from != "" || app.App.Spec.Pod(string(role)).JavaOptions != nil; {
				case !wantSet:
					want, wantSet = agent, true
				case typed:
					want += " " + agent
				default:
					want = agent
				}
			}
			key := overlay.MapKey(overlay.PathSparkConf, k)
			if h, hadoop := strings.CutPrefix(k, overlay.SparkHadoopPrefix); hadoop {
				key = overlay.MapKey(overlay.PathHadoopConf, h)
			}
			if w, _ := res.Role(role).Composition.Provenance.WinnerOf(key); w.Layer != from {
				t.Fatalf("case %d: explain says %s is from %q, the model says %q", i, k, w.Layer, from)
			}
			if g, gotSet := got[k]; g != want || gotSet != wantSet {
				l, _ := json.Marshal(layers)
				a, _ := app.Marshal()
				b, _ := res.App.Marshal()
				t.Fatalf("case %d: %s runs with %q (%v), the model says %q (%v)\nlayers %s\napp %s\ncomposed %s", i, k, g, gotSet, want, wantSet, l, a, b)
			}
			checked++
		}
	}
	if checked < 2000 || byLayer < 200 {
		t.Fatalf("%d values checked, %d of them a layer's: the cases check too little", checked, byLayer)
	}
	t.Logf("%d values checked, %d of them a layer's", checked, byLayer)
}

// inModelOrder is layers from the lowest to the highest, as the model
// says composition applies them: by tier, then order, then name.
func inModelOrder(layers []overlay.LayerSource) []overlay.LayerSource {
	out := slices.Clone(layers)
	slices.SortStableFunc(out, func(a, b overlay.LayerSource) int {
		return cmp.Or(cmp.Compare(a.Layer.Spec.Tier.Rank(), b.Layer.Spec.Tier.Rank()),
			cmp.Compare(a.Layer.Spec.Order, b.Layer.Spec.Order), strings.Compare(a.Layer.Name, b.Layer.Name))
	})
	return out
}
