package mutate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	jsonpatchv5 "github.com/evanphx/json-patch/v5"
	"gomodules.xyz/jsonpatch/v2"
	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/fixtures"
)

// TestRandomLayersAndPods holds composition to its promises on layers and
// pods no example has: random Layers (every field, every tier, Shadow
// ones, role blocks, pod patches) over random tenant pods whose values
// meet the layers' in every field. For each:
//   - what the webhook answers (Admit) is what the dry run shows
//     (Compose): the same pod, patch and warnings;
//   - composing is deterministic: the same patch, byte for byte, again;
//   - the patch is the composition: applied to the pod as the API server
//     holds it, it gives the composed pod;
//   - composing is idempotent: the patched pod, as the API server sends
//     it back on a reinvocation, composes to no patch, and warns of
//     nothing new (a tenant's request that stays on the pod, such as
//     strata.dev/iam-role, is still overridden);
//   - composing leaves its input alone.
func TestRandomLayersAndPods(t *testing.T) {
	rng := rand.New(rand.NewPCG(fixtures.RandomSeed(21), 22))
	var composed, patched, failed int
	for i := range fixtures.RandomCases(400) {
		in := fixtures.RandomInputs(fixtures.RandomLayers(t, rng, 1+rng.IntN(5)))
		snap, err := overlay.Compile(in)
		if err != nil {
			t.Fatalf("case %d: layers that validate do not compile: %v", i, err)
		}
		pod := fixtures.RandomPod(t, rng)
		describe := func() string {
			layers, _ := json.Marshal(in.Layers)
			p, _ := json.Marshal(pod)
			return fmt.Sprintf("case %d\nlayers %s\npod %s", i, layers, p)
		}
		before, err := json.Marshal(pod)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Compose(snap, prodA, pod)
		admitted, admitErr := Admit(snap, prodA, pod)
		if (err == nil) != (admitErr == nil) || (err != nil && err.Error() != admitErr.Error()) {
			t.Fatalf("Compose: %v; Admit: %v\n%s", err, admitErr, describe())
		}
		if err != nil {
			failed++
			continue
		}
		composed++
		patch, err := EncodePatch(res.Patch)
		if err != nil {
			t.Fatal(err)
		}
		admitPatch, _ := EncodePatch(admitted.Patch)
		if string(patch) != string(admitPatch) || !reflect.DeepEqual(res.Pod, admitted.Pod) || !reflect.DeepEqual(res.Warnings, admitted.Warnings) {
			t.Fatalf("Admit is not Compose:\npatch %s\n      %s\nwarnings %q\n         %q\n%s", patch, admitPatch, res.Warnings, admitted.Warnings, describe())
		}
		if after, _ := json.Marshal(pod); string(after) != string(before) {
			t.Fatalf("composing changed its input:\n%s\n%s", before, after)
		}
		checkShadows(t, in, pod, res, describe)
		checkExplained(t, res, describe)
		again, err := Compose(snap, prodA, pod)
		if err != nil {
			t.Fatal(err)
		}
		if p, _ := EncodePatch(again.Patch); string(p) != string(patch) {
			t.Fatalf("composed twice, two patches:\n%s\n%s\n%s", patch, p, describe())
		}
		if len(res.Patch) == 0 {
			continue
		}
		patched++
		stored := applyPatch(t, before, patch, describe)
		want, _ := json.Marshal(res.Pod)
		if !jsonEqual(t, stored, want) {
			t.Fatalf("the patch is not the composition:\npatched  %s\ncomposed %s\npatch %s\n%s", stored, want, patch, describe())
		}
		var reinvoked corev1.Pod
		if err := json.Unmarshal(stored, &reinvoked); err != nil {
			t.Fatal(err)
		}
		second, err := Compose(snap, prodA, &reinvoked)
		if err != nil {
			t.Fatalf("a composed pod does not compose again: %v\n%s", err, describe())
		}
		if p, _ := EncodePatch(second.Patch); len(second.Patch) != 0 || !subset(second.Warnings, res.Warnings) {
			t.Fatalf("a composed pod composed again: patch %s, warnings %q\nfirst patch %s, warnings %q\n%s", p, second.Warnings, patch, res.Warnings, describe())
		}
	}
	if composed < 300 || patched < composed/2 {
		t.Fatalf("%d composed, %d patched, %d refused: the cases check too little", composed, patched, failed)
	}
	t.Logf("%d composed, %d patched, %d refused", composed, patched, failed)
}

// onlyUnmountedVolumes reports whether every operation of patch adds
// volumes the section's Spark container does not mount.
func onlyUnmountedVolumes(patch []jsonpatch.Operation, sec *sparkv1beta2.SparkPodSpec) bool {
	mounted := map[string]bool{}
	for _, m := range sec.VolumeMounts {
		mounted[m.Name] = true
	}
	for _, op := range patch {
		if op.Operation != "add" || (op.Path != "/spec/volumes" && !strings.HasPrefix(op.Path, "/spec/volumes/")) {
			return false
		}
		raw, _ := json.Marshal(op.Value)
		var vs []corev1.Volume
		if op.Path != "/spec/volumes" {
			raw = append(append([]byte("["), raw...), ']')
		}
		if err := json.Unmarshal(raw, &vs); err != nil || strings.Count(op.Path, "/") > 3 {
			return false
		}
		for _, v := range vs {
			if mounted[v.Name] {
				return false
			}
		}
	}
	return true
}

// checkShadows holds Shadow layers to theirs: a pod is composed as if
// they did not exist, and what they would change is reported exactly when
// enforcing them would change the pod.
func checkShadows(t *testing.T, in overlay.Inputs, pod *corev1.Pod, res *Result, describe func() string) {
	t.Helper()
	without, enforced := in, in
	without.Layers, enforced.Layers = nil, nil
	for _, l := range in.Layers {
		if !l.Layer.Spec.IsShadow() {
			without.Layers = append(without.Layers, l)
			enforced.Layers = append(enforced.Layers, l)
			continue
		}
		l.Layer = *l.Layer.DeepCopy()
		l.Layer.Spec.Mode = v1alpha1.ModeEnforce
		enforced.Layers = append(enforced.Layers, l)
	}
	if len(without.Layers) == len(in.Layers) {
		return
	}
	compose := func(in overlay.Inputs) *Result {
		snap, err := overlay.Compile(in)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Compose(snap, prodA, pod)
		if err != nil {
			t.Fatalf("%v\n%s", err, describe())
		}
		return r
	}
	plain := compose(without)
	p, _ := EncodePatch(res.Patch)
	if q, _ := EncodePatch(plain.Patch); string(p) != string(q) || !slices.Equal(res.Warnings, plain.Warnings) {
		t.Fatalf("Shadow layers changed the composition:\n%s\nwithout them\n%s\n%s", p, q, describe())
	}
	snap, err := overlay.Compile(in)
	if err != nil {
		t.Fatal(err)
	}
	changes, err := ShadowOf(snap, prodA, pod, res)
	if err != nil {
		t.Fatal(err)
	}
	would := fixtures.Orderless(compose(enforced).Pod)
	now := fixtures.Orderless(plain.Pod)
	for _, p := range []*corev1.Pod{would, now} {
		delete(p.Annotations, v1alpha1.LayersAnnotation)
	}
	w, _ := json.Marshal(would)
	n, _ := json.Marshal(now)
	if differ := string(w) != string(n); differ != (len(changes) > 0) {
		t.Fatalf("enforcing the Shadow layers changes the pod: %v; reported changes %+v\nwould %s\nnow   %s\n%s", differ, changes, w, n, describe())
	}
}

// checkExplained holds explain to the pod: every field provenance explains
// that the pod row finds on the composed pod has there the value explained.
func checkExplained(t *testing.T, res *Result, describe func() string) {
	t.Helper()
	for _, f := range res.Composition.Provenance.Fields() {
		if !AppliesToPod(f.Key) {
			continue
		}
		v, _, found := currents(f.Key, res.Pod, res.Pod)
		if !found {
			continue
		}
		var got string
		switch v := v.(type) {
		case nil:
			got = removedByPatch // nothing else takes a value off the pod
		case string:
			got = strconv.Quote(v)
		case *corev1.EnvVar:
			got = overlay.RenderEnv(v)
		case *corev1.Container:
			continue // rendered with what the platform adds (mirrors, IRSA, mounts), each explained apart
		default:
			b, _ := json.Marshal(v)
			got = string(b)
		}
		if got != f.Value {
			t.Errorf("explain says %s is %s (%s); the pod holds %s\n%s", f.Path, f.Value, f.Winner, got, describe())
		}
	}
}

// subset reports whether every string of a is in b.
func subset(a, b []string) bool {
	for _, s := range a {
		if !slices.Contains(b, s) {
			return false
		}
	}
	return true
}

// applyPatch applies a JSON patch to a pod's JSON.
func applyPatch(t testing.TB, doc, patch []byte, describe func() string) []byte {
	t.Helper()
	p, err := jsonpatchv5.DecodePatch(patch)
	if err != nil {
		t.Fatalf("the patch does not decode: %v\n%s", err, describe())
	}
	out, err := p.Apply(doc)
	if err != nil {
		t.Fatalf("the patch does not apply: %v\npatch %s\n%s", err, patch, describe())
	}
	return out
}

// jsonEqual reports whether a and b are the same JSON value.
func jsonEqual(t testing.TB, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}

// TestRandomLayersAndApps holds the composition of SparkApplications to
// its promises on layers and applications no example has (random Layers,
// pod patches aside: those apply at pod admission; random tenant values in
// either spelling of a setting):
//   - deterministic: the same patch, byte for byte, again;
//   - the patch is the composition: applied to the application as
//     written, it gives the composed application;
//   - idempotent: the composed application composes to no patch and warns
//     of nothing new;
//   - the pods the operator launches from the composed application compose
//     at pod admission to no patch but the volumes an app cannot give a
//     pod (the operator adds only those the Spark container mounts, README
//     "How the two webhooks share the work"), and warn only of what the
//     application's composition did; a pod started from a role's pod
//     template composes once (its template's own containers take what the
//     app cannot say of them), then to nothing.
func TestRandomLayersAndApps(t *testing.T) {
	rng := rand.New(rand.NewPCG(fixtures.RandomSeed(21), 23))
	var composed, patched, refused int
	for i := range fixtures.RandomCases(300) {
		layers := fixtures.RandomLayers(t, rng, 1+rng.IntN(5))
		for j := range layers {
			for _, c := range []*v1alpha1.Config{layers[j].Layer.Spec.Config, layers[j].Layer.Spec.Driver, layers[j].Layer.Spec.Executor} {
				if c != nil {
					c.PodPatch = nil
				}
			}
		}
		snap, err := overlay.Compile(fixtures.RandomInputs(layers))
		if err != nil {
			t.Fatalf("case %d: layers that validate do not compile: %v", i, err)
		}
		app := fixtures.RandomApp(t, rng)
		before, err := app.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		describe := func() string {
			l, _ := json.Marshal(layers)
			return fmt.Sprintf("case %d\nlayers %s\napp %s", i, l, before)
		}
		original, _ := app.Original()
		res, err := ComposeApp(snap, prodA, app)
		if err != nil {
			refused++
			continue
		}
		composed++
		// Composing leaves its input as it was (the composed object shares
		// what did not change with it).
		res.App.App.Spec.SparkConf = map[string]string{"spark.after": "composing"}
		if _, err := res.App.Marshal(); err != nil {
			t.Fatal(err)
		}
		if now, _ := app.Marshal(); string(now) != string(before) {
			t.Fatalf("composing changed its input:\n%s\n%s", now, describe())
		}
		if now, _ := app.Original(); string(now) != string(original) {
			t.Fatalf("composing changed its input's original:\n%s\n%s", now, describe())
		}
		res, _ = ComposeApp(snap, prodA, app)
		patch, err := EncodePatch(res.Patch)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ComposeApp(snap, prodA, app)
		if err != nil {
			t.Fatal(err)
		}
		if p, _ := EncodePatch(again.Patch); string(p) != string(patch) {
			t.Fatalf("composed twice, two patches:\n%s\n%s\n%s", patch, p, describe())
		}
		after, err := res.App.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		// The patch is CreatePatch's of the whole documents.
		values, err := res.App.Values()
		if err != nil {
			t.Fatal(err)
		}
		if want := wholeDiff(t, jsonValues(t, before), values); string(want) != string(patch) {
			t.Fatalf("the patch is not the whole diff:\npatch      %s\nwhole diff %s\n%s", patch, want, describe())
		}
		if len(res.Patch) > 0 {
			patched++
			if got := applyPatch(t, before, patch, describe); !jsonEqual(t, got, after) {
				t.Fatalf("the patch is not the composition:\npatched  %s\ncomposed %s\npatch %s\n%s", got, after, patch, describe())
			}
		}
		stored, err := sparkv1beta2.Decode(after)
		if err != nil {
			t.Fatal(err)
		}
		second, err := ComposeApp(snap, prodA, stored)
		if err != nil {
			t.Fatalf("a composed app does not compose again: %v\n%s", err, describe())
		}
		if p, _ := EncodePatch(second.Patch); len(second.Patch) != 0 || !subset(second.Warnings, res.Warnings) {
			t.Fatalf("a composed app composed again: patch %s, warnings %q\nfirst patch %s, warnings %q\n%s", p, second.Warnings, patch, res.Warnings, describe())
		}
		for _, role := range Roles() {
			pod, err := LaunchedPod(&res.App.App, role)
			if err != nil {
				t.Fatalf("%s: the composed app launches no pod: %v\n%s", role, err, describe())
			}
			got, err := Compose(snap, prodA, pod)
			if err != nil {
				t.Fatalf("%s: the launched pod does not compose: %v\n%s", role, err, describe())
			}
			var prefixed []string
			for _, w := range got.Warnings {
				prefixed = append(prefixed, string(role)+": "+w)
			}
			sec := res.App.App.Spec.Pod(string(role))
			if sec.Template != nil {
				// A pod template's own containers take at pod admission what
				// the application cannot say of them (IRSA, mirrors): its pod
				// composes once, then to nothing.
				again, err := Compose(snap, prodA, got.Pod)
				if err != nil || len(again.Patch) != 0 {
					p, _ := EncodePatch(again.Patch)
					t.Fatalf("%s: a launched pod of a template composed twice: %v %s\n%s", role, err, p, describe())
				}
				continue
			}
			if p, _ := EncodePatch(got.Patch); !onlyUnmountedVolumes(got.Patch, sec) || !subset(prefixed, res.Warnings) {
				pj, _ := json.Marshal(pod)
				t.Fatalf("%s: the launched pod of a composed app: patch %s, warnings %q (the app's %q)\npod %s\ncomposed app %s\n%s",
					role, p, got.Warnings, res.Warnings, pj, after, describe())
			}
		}
	}
	if composed < 200 || patched < composed/2 {
		t.Fatalf("%d composed, %d patched, %d refused: the cases check too little", composed, patched, refused)
	}
	t.Logf("%d composed, %d patched, %d refused", composed, patched, refused)
}

// jsonValues is data decoded as sparkv1beta2 and CreatePatch decode it,
// numbers as written.
func jsonValues(t *testing.T, data []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}
