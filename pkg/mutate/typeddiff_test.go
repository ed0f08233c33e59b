package mutate

import (
	"encoding/json"
	oldrand "math/rand"
	"math/rand/v2"
	"reflect"
	"testing"

	"gomodules.xyz/jsonpatch/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/randfill"
)

// TestTypedDiffIsTheGenericDiff holds typedDiff to the generic JSON diff,
// byte for byte: random pod parts (every field of containers, volumes,
// tolerations, labels), then copies of them with random fields changed,
// added, emptied or removed, and list elements appended or cut.
func TestTypedDiffIsTheGenericDiff(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	fill := randfill.New().NilChance(0.3).NumElements(0, 3).MaxDepth(6).RandSource(oldrand.NewSource(5)).Funcs(
		func(q *resource.Quantity, c randfill.Continue) {
			*q = *resource.NewMilliQuantity(c.Int63n(5000), resource.DecimalSI)
		})
	var compared, changed int
	for range 3000 {
		var before struct {
			Containers  []corev1.Container  `json:"containers,omitempty"`
			Volumes     []corev1.Volume     `json:"volumes,omitempty"`
			Tolerations []corev1.Toleration `json:"tolerations,omitempty"`
			Labels      map[string]string   `json:"labels,omitempty"`
			Priority    *int32              `json:"priority,omitempty"`
		}
		fill.Fill(&before)
		after := before
		raw, _ := json.Marshal(before)
		if err := json.Unmarshal(raw, &after); err != nil { // a deep copy, as the API server would hold it
			t.Fatal(err)
		}
		for range 1 + rng.IntN(3) {
			changeSomething(rng, fill, reflect.ValueOf(&after).Elem())
		}
		b, a := reflect.ValueOf(&before).Elem(), reflect.ValueOf(&after).Elem()
		var d differ
		if err := d.typedDiff("/spec", b, a); err != nil {
			t.Fatal(err)
		}
		got := d.ops
		want, err := genericDiffAt("/spec", before, after)
		if err != nil {
			t.Fatal(err)
		}
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if len(got) == 0 && len(want) == 0 {
			g, w = []byte("[]"), []byte("[]")
		}
		if string(g) != string(w) {
			t.Fatalf("typed diff\n%s\ngeneric diff\n%s", g, w)
		}
		if len(got) > 0 {
			if e, err := EncodePatch(got); err != nil || string(e) != string(g) {
				t.Fatalf("EncodePatch (%v)\n%s\njson.Marshal\n%s", err, e, g)
			}
		}
		compared++
		if len(want) > 0 {
			changed++
		}
	}
	if changed < compared/2 {
		t.Fatalf("only %d of %d cases changed anything: the test checks too little", changed, compared)
	}
}

// changeSomething changes one random field somewhere in v: refills it,
// empties it, or appends to or cuts a list.
func changeSomething(rng *rand.Rand, fill *randfill.Filler, v reflect.Value) {
	for depth := 0; ; depth++ {
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() || rng.IntN(4) == 0 {
				fill.Fill(v.Addr().Interface())
				return
			}
			v = v.Elem()
			continue
		case reflect.Struct:
			if v.NumField() == 0 || depth > 6 || rng.IntN(5) == 0 {
				if v.CanAddr() {
					fill.Fill(v.Addr().Interface())
				}
				return
			}
			f := v.Field(rng.IntN(v.NumField()))
			if !f.CanSet() {
				return
			}
			v = f
			continue
		case reflect.Slice:
			switch {
			case v.Len() == 0 || rng.IntN(4) == 0:
				e := reflect.New(v.Type().Elem())
				fill.Fill(e.Interface())
				v.Set(reflect.Append(v, e.Elem()))
			case rng.IntN(4) == 0:
				v.Set(v.Slice(0, rng.IntN(v.Len())))
			default:
				v = v.Index(rng.IntN(v.Len()))
				continue
			}
			return
		case reflect.Map:
			if rng.IntN(3) == 0 || v.Len() == 0 {
				fill.Fill(v.Addr().Interface())
			} else {
				m := reflect.MakeMap(v.Type())
				for it := v.MapRange(); it.Next(); {
					if rng.IntN(2) == 0 {
						m.SetMapIndex(it.Key(), it.Value())
					}
				}
				v.Set(m)
			}
			return
		}
		if v.CanAddr() {
			if rng.IntN(4) == 0 {
				v.Set(reflect.Zero(v.Type()))
			} else {
				fill.Fill(v.Addr().Interface())
			}
		}
		return
	}
}

// genericDiffAt is the generic diff of two values, at path, canonically
// ordered.
func genericDiffAt(path string, b, a any) ([]jsonpatch.Operation, error) {
	x, err := json.Marshal(b)
	if err != nil {
		return nil, err
	}
	y, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	ops, err := jsonpatch.CreatePatch(x, y)
	if err != nil {
		return nil, err
	}
	var shape any
	if err := json.Unmarshal(x, &shape); err != nil {
		return nil, err
	}
	ops = canonicalOrder(ops, shape)
	for i := range ops {
		ops[i].Path = path + ops[i].Path
	}
	return ops, nil
}

// TestTypedDiffOfWholePods is TestTypedDiffIsTheGenericDiff on random
// whole pods (metadata, every spec field, status): what Patch diffs.
func TestTypedDiffOfWholePods(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	fill := randfill.New().NilChance(0.4).NumElements(0, 2).MaxDepth(5).RandSource(oldrand.NewSource(10)).Funcs(
		func(q *resource.Quantity, c randfill.Continue) {
			*q = *resource.NewQuantity(c.Int63n(1<<40), resource.BinarySI)
		},
		func(f *metav1.FieldsV1, c randfill.Continue) { f.SetRawString(`{"f:metadata":{}}`) })
	changed := 0
	for range 300 {
		var before corev1.Pod
		fill.Fill(&before)
		raw, _ := json.Marshal(&before)
		var after corev1.Pod
		if err := json.Unmarshal(raw, &after); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &before); err != nil { // as decoded from a request
			t.Fatal(err)
		}
		for range 1 + rng.IntN(4) {
			changeSomething(rng, fill, reflect.ValueOf(&after).Elem())
		}
		got, err := Patch(&before, &after)
		if err != nil {
			t.Fatal(err)
		}
		want, err := genericPatch(&before, &after)
		if err != nil {
			t.Fatal(err)
		}
		if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
			t.Fatalf("Patch\n%s\ngeneric diff\n%s", g, w)
		}
		if len(want) > 0 {
			changed++
		}
	}
	if changed < 150 {
		t.Fatalf("only %d of 300 pods changed: the test checks too little", changed)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// TestPatchValueIsItsEncoding holds appendJSON, which writes an added
// value's JSON straight from the typed value, to what the patch held
// before it: the value as maps (valueOf), encoded by json.Marshal. Random
// pods' parts and values of every kind the typed walk meets: floats,
// bytes, maps of named types, times, int-or-strings, quantities, strings
// with quotes, HTML and any rune.
func TestPatchValueIsItsEncoding(t *testing.T) {
	fill := randfill.New().NilChance(0.2).NumElements(0, 3).MaxDepth(6).RandSource(oldrand.NewSource(9)).Funcs(
		func(q *resource.Quantity, c randfill.Continue) {
			switch c.Intn(3) {
			case 0:
				*q = *resource.NewMilliQuantity(c.Int63n(5000), resource.DecimalSI)
			case 1:
				*q = *resource.NewQuantity(c.Int63n(1<<40), resource.BinarySI)
			default: // parsed: it keeps the text it was given
				*q = resource.MustParse([]string{"1.5Gi", "100m", "2e3", "0", "1k"}[c.Intn(5)])
			}
		},
		func(s *string, c randfill.Continue) {
			parts := []string{"a", "<b>", "&", `"q"`, `\`, "é", "\u2028", "\x01", "日本", "\xff", "x y"}
			for range c.Intn(4) {
				*s += parts[c.Intn(len(parts))]
			}
		},
		func(a *any, c randfill.Continue) {
			*a = []any{nil, map[string]any{"z": 1.5, "<a>": []any{"&", true}}, 3.25e-9, "s"}[c.Intn(4)]
		})
	type kinds struct {
		F     float64                        `json:"f"`
		B     []byte                         `json:"b,omitempty"`
		Named map[corev1.ResourceName]string `json:"named"`
		Time  *metav1.Time                   `json:"time,omitempty"`
		IOS   intstr.IntOrString             `json:"ios"`
		Arr   [2]int                         `json:"arr"`
		Any   any                            `json:"any"`
	}
	for range 2000 {
		var v struct {
			Pod   corev1.PodSpec `json:"pod"`
			Kinds kinds          `json:"kinds"`
		}
		fill.Fill(&v)
		rv := reflect.ValueOf(&v).Elem()
		got, err := appendJSON(nil, rv)
		if err != nil {
			t.Fatal(err)
		}
		val, err := valueOf(rv)
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(val)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("appendJSON\n%s\njson.Marshal(valueOf)\n%s", got, want)
		}
	}
}
