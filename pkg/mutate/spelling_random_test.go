package mutate

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/fixtures"
)

// respelling writes one setting of a user's application in its other
// spelling: a typed field as its Spark key in sparkConf, or a key as its
// typed field; false when the application has nothing it moves.
type respelling struct {
	name  string
	apply func(s *sparkv1beta2.Spec) bool
}

// respellings are every way a user may write one of an application's
// settings in another spelling: each alias both ways, and the sections'
// labels, annotations and node selectors, the application's node
// selector and its Hadoop configuration as their keys.
func respellings() []respelling {
	var out []respelling
	for _, a := range sparkAliases() {
		if a.key == metricsConfKey {
			// No respelling: under Prometheus monitoring only the typed
			// field runs, without it only the key (a layer's value goes
			// where it runs: TestEveryAliasIsOneSetting, TestMonitoring).
			continue
		}
		out = append(out,
			respelling{name: a.field + " as " + a.key, apply: func(s *sparkv1beta2.Spec) bool {
				v, ok := a.get(s)
				if !ok {
					return false
				}
				a.clear(s)
				if s.SparkConf == nil {
					s.SparkConf = map[string]string{}
				}
				s.SparkConf[a.key] = v
				return true
			}},
			respelling{name: a.key + " as " + a.field, apply: func(s *sparkv1beta2.Spec) bool {
				v, ok := s.SparkConf[a.key]
				if !ok || !a.set(s, v) {
					return false
				}
				delete(s.SparkConf, a.key)
				return true
			}},
		)
	}
	mapSpelling := func(name, prefix string, at func(s *sparkv1beta2.Spec) *map[string]string) {
		out = append(out,
			respelling{name: name + " as " + prefix + "*", apply: func(s *sparkv1beta2.Spec) bool {
				m := at(s)
				if len(*m) == 0 {
					return false
				}
				if s.SparkConf == nil {
					s.SparkConf = map[string]string{}
				}
				for k, v := range *m {
					s.SparkConf[prefix+k] = v
				}
				*m = nil
				return true
			}},
			respelling{name: prefix + "* as " + name, apply: func(s *sparkv1beta2.Spec) bool {
				moved := false
				for k, v := range s.SparkConf {
					if name, ok := strings.CutPrefix(k, prefix); ok && name != "" {
						if *at(s) == nil {
							*at(s) = map[string]string{}
						}
						if _, typed := (*at(s))[name]; !typed {
							(*at(s))[name] = v
						}
						delete(s.SparkConf, k)
						moved = true
					}
				}
				return moved
			}},
		)
	}
	for _, f := range aliasFamilies() {
		field := f.field
		out = append(out,
			respelling{name: field + " as " + f.prefix + "*", apply: func(s *sparkv1beta2.Spec) bool {
				var names []string
				f.each(s, func(name string) { names = append(names, name) })
				for _, name := range names {
					a := f.member(name)
					if v, ok := a.get(s); ok {
						a.clear(s)
						if s.SparkConf == nil {
							s.SparkConf = map[string]string{}
						}
						s.SparkConf[a.key] = v
					}
				}
				return len(names) > 0
			}},
			respelling{name: f.prefix + "* as " + field, apply: func(s *sparkv1beta2.Spec) bool {
				moved := false
				for k, v := range s.SparkConf {
					if name, ok := strings.CutPrefix(k, f.prefix); ok && name != "" {
						if a := f.member(name); a.typedWins(s) || a.set(s, v) {
							delete(s.SparkConf, k)
							moved = true
						}
					}
				}
				return moved
			}},
		)
	}
	for _, role := range Roles() {
		refs := func(s *sparkv1beta2.Spec) *map[string]sparkv1beta2.NameKey {
			return &s.Pod(string(role)).EnvSecretKeyRefs
		}
		prefix := secretKeyRefPrefix(role)
		out = append(out,
			respelling{name: "spec." + string(role) + ".envSecretKeyRefs as " + prefix + "*", apply: func(s *sparkv1beta2.Spec) bool {
				if len(*refs(s)) == 0 {
					return false
				}
				for name, ref := range *refs(s) {
					s.SparkConf = setKey(s.SparkConf, prefix+name, ref.Name+":"+ref.Key)
				}
				*refs(s) = nil
				return true
			}},
			respelling{name: prefix + "* as spec." + string(role) + ".envSecretKeyRefs", apply: func(s *sparkv1beta2.Spec) bool {
				moved := false
				for k, v := range s.SparkConf {
					name, ok := strings.CutPrefix(k, prefix)
					ref := strings.Split(v, ":")
					if !ok || name == "" || len(ref) != 2 {
						continue
					}
					if _, typed := (*refs(s))[name]; !typed {
						if *refs(s) == nil {
							*refs(s) = map[string]sparkv1beta2.NameKey{}
						}
						(*refs(s))[name] = sparkv1beta2.NameKey{Name: ref[0], Key: ref[1]}
					}
					delete(s.SparkConf, k)
					moved = true
				}
				return moved
			}},
		)
	}
	mapSpelling("spec.nodeSelector", overlay.SparkNodeSelectorPrefix, func(s *sparkv1beta2.Spec) *map[string]string { return &s.NodeSelector })
	mapSpelling("spec.hadoopConf", overlay.SparkHadoopPrefix, func(s *sparkv1beta2.Spec) *map[string]string { return &s.HadoopConf })
	for _, role := range Roles() {
		r := string(role)
		mapSpelling("spec."+r+".labels", "spark.kubernetes."+r+".label.", func(s *sparkv1beta2.Spec) *map[string]string { return &s.Pod(r).Labels })
		mapSpelling("spec."+r+".annotations", "spark.kubernetes."+r+".annotation.", func(s *sparkv1beta2.Spec) *map[string]string { return &s.Pod(r).Annotations })
		mapSpelling("spec."+r+".nodeSelector", "spark.kubernetes."+r+".node.selector.", func(s *sparkv1beta2.Spec) *map[string]string { return &s.Pod(r).NodeSelector })
	}
	return out
}

// TestSpellingIsOneSetting holds the aliases to their promise on random
// layers and applications: a setting the user writes in either spelling
// is the same setting. For every way to write one of a random
// application's settings in its other spelling that leaves the
// configuration spark-submit runs the user's application with unchanged,
// the composed applications run with the same configuration and launch
// the same pods (so the policies judge them alike), and both compose or
// neither does. (The configuration a role runs with is its
// keys: an image a role does not read is no part of it.)
func TestSpellingIsOneSetting(t *testing.T) {
	rng := rand.New(rand.NewPCG(fixtures.RandomSeed(71), 72))
	spellings := respellings()
	var compared int
	tried := map[string]int{}
	for i := range fixtures.RandomCases(300) {
		layers := fixtures.RandomLayers(t, rng, 1+rng.IntN(5))
		snap, err := overlay.Compile(fixtures.RandomInputs(layers))
		if err != nil {
			t.Fatalf("case %d: layers that validate do not compile: %v", i, err)
		}
		app := fixtures.RandomApp(t, rng)
		res, err := ComposeApp(snap, prodA, app)
		// compare holds other, app written with one setting respelled, to
		// app's composition; false when other is not the same application.
		compare := func(name string, other *sparkv1beta2.SparkApplication) bool {
			if !maps.Equal(runsWith(&app.App.Spec), runsWith(&other.Spec)) {
				return false // not the same application
			}
			tried[name]++
			obj, ferr := sparkv1beta2.FromApp(other)
			if ferr != nil {
				t.Fatal(ferr)
			}
			describe := func() string {
				l, _ := json.Marshal(layers)
				a, _ := app.Marshal()
				b, _ := obj.Marshal()
				return fmt.Sprintf("case %d, %s\nlayers %s\napp   %s\nother %s", i, name, l, a, b)
			}
			got, gerr := ComposeApp(snap, prodA, obj)
			if (err == nil) != (gerr == nil) {
				t.Fatalf("one spelling composes, the other not: %v; %v\n%s", err, gerr, describe())
			}
			if err != nil {
				return true
			}
			compared++
			want, have := runsWith(&res.App.App.Spec), runsWith(&got.App.App.Spec)
			if !maps.Equal(want, have) {
				var diff []string
				for _, k := range slices.Sorted(maps.Keys(merged(want, have))) {
					if w, h := want[k], have[k]; w != h {
						diff = append(diff, fmt.Sprintf("%s: %q, respelled %q", k, w, h))
					}
				}
				a, _ := res.App.Marshal()
				b, _ := got.App.Marshal()
				t.Fatalf("the spellings compose to different configurations:\n%s\n%s\ncomposed %s\nrespelled %s", strings.Join(diff, "\n"), describe(), a, b)
			}
			for _, role := range Roles() {
				want, werr := LaunchedPod(&res.App.App, role)
				have, herr := LaunchedPod(&got.App.App, role)
				if (werr == nil) != (herr == nil) {
					t.Fatalf("%s: one spelling launches a pod, the other not: %v; %v\n%s", role, werr, herr, describe())
				}
				if werr != nil {
					continue
				}
				if w, h := mustJSON(t, want), mustJSON(t, have); w != h {
					t.Fatalf("%s: the spellings launch different pods:\n%s\n%s\n%s", role, w, h, describe())
				}
			}
			return true
		}
		for n, sp := range spellings {
			other := copyApp(t, &app.App)
			if !sp.apply(&other.Spec) || !compare(sp.name, other) {
				continue
			}
			// And back: the respelling's inverse (its pair) on what it
			// wrote, whatever the app held to begin with.
			back := spellings[n^1]
			if again := copyApp(t, other); back.apply(&again.Spec) {
				compare(back.name, again)
			}
		}
	}
	var names []string
	for _, sp := range spellings {
		names = append(names, sp.name)
	}
	everyTried(t, names, tried)
	if compared < 300 {
		t.Fatalf("%d respelled applications compared: the cases check too little", compared)
	}
	t.Logf("%d respelled applications compared", compared)
}

// everyTried fails t for each respelling of names no case tried.
func everyTried(t *testing.T, names []string, tried map[string]int) {
	t.Helper()
	for _, name := range names {
		if tried[name] == 0 {
			t.Errorf("no case wrote %s: the cases check too little", name)
		}
	}
}

// runsWith is the configuration Spark runs an application with: its
// EffectiveConf, without the shared image when both roles have their own
// (Spark reads spark.kubernetes.container.image only for a role without).
func runsWith(s *sparkv1beta2.Spec) map[string]string {
	conf := EffectiveConf(s)
	_, driver := conf[overlay.SparkRoleImage(v1alpha1.RoleDriver)]
	_, executor := conf[overlay.SparkRoleImage(v1alpha1.RoleExecutor)]
	if driver && executor {
		delete(conf, overlay.SparkContainerImage)
	}
	return conf
}

// copyApp is a deep copy of app.
func copyApp(t *testing.T, app *sparkv1beta2.SparkApplication) *sparkv1beta2.SparkApplication {
	data, err := json.Marshal(app)
	if err != nil {
		t.Fatal(err)
	}
	var out sparkv1beta2.SparkApplication
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

func merged(a, b map[string]string) map[string]string {
	out := maps.Clone(a)
	maps.Copy(out, b)
	return out
}
