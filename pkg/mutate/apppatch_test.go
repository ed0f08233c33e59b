package mutate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"

	"gomodules.xyz/jsonpatch/v2"

	"github.com/strata-dev/strata/test/fixtures"
)

// wholeDiff is the oracle of appPatch: CreatePatch of the two documents'
// encodings, in canonical order.
func wholeDiff(t *testing.T, before, after map[string]any) []byte {
	t.Helper()
	a, err := json.Marshal(before)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(after)
	if err != nil {
		t.Fatal(err)
	}
	ops, err := jsonpatch.CreatePatch(a, b)
	if err != nil {
		t.Fatal(err)
	}
	out, err := EncodePatch(canonicalOrder(ops, before))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAppPatchIsTheWholeDiff: on random JSON documents and random changes
// of them that share what they leave (as a composed application shares
// with its original), appPatch gives CreatePatch's operations for the
// whole documents, byte for byte: keys that need escaping, lists grown,
// shrunk and changed, values of another type, null, numbers as written.
func TestAppPatchIsTheWholeDiff(t *testing.T) {
	rng := rand.New(rand.NewPCG(fixtures.RandomSeed(61), 62))
	var changed int
	for i := range fixtures.RandomCases(2000) {
		before := randomObject(rng, 3)
		after := changedObject(rng, before, 3)
		got, err := appPatch(before, after)
		if err != nil {
			t.Fatal(err)
		}
		encoded, err := EncodePatch(got)
		if err != nil {
			t.Fatal(err)
		}
		if want := wholeDiff(t, before, after); !bytes.Equal(encoded, want) {
			b, _ := json.Marshal(before)
			a, _ := json.Marshal(after)
			t.Fatalf("case %d: appPatch %s\nwhole diff %s\nbefore %s\nafter %s", i, encoded, want, b, a)
		}
		if len(got) > 0 {
			changed++
		}
	}
	if changed < fixtures.RandomCases(2000)/2 {
		t.Fatalf("%d cases changed anything: the cases check too little", changed)
	}
}

var randomKeys = []string{"a", "b", "c/d", "e~f", "~1", "spec", "sparkConf", ""}

func randomValue(rng *rand.Rand, depth int) any {
	switch n := rng.IntN(8); {
	case n == 0 && depth > 0:
		return randomObject(rng, depth-1)
	case n == 1 && depth > 0:
		l := make([]any, rng.IntN(4))
		for i := range l {
			l[i] = randomValue(rng, depth-1)
		}
		return l
	case n == 2:
		return nil
	case n == 3:
		return rng.IntN(2) == 0
	case n == 4:
		return json.Number([]string{"1", "1.0", "1.50", "2", "-0", "1e3"}[rng.IntN(6)])
	default:
		return []string{"x", "y", "", "a/b"}[rng.IntN(4)]
	}
}

func randomObject(rng *rand.Rand, depth int) map[string]any {
	out := map[string]any{}
	for range rng.IntN(5) {
		out[randomKeys[rng.IntN(len(randomKeys))]] = randomValue(rng, depth)
	}
	return out
}

// changedObject is o with random changes, sharing with o every value it
// leaves (o is not changed).
func changedObject(rng *rand.Rand, o map[string]any, depth int) map[string]any {
	if rng.IntN(4) == 0 {
		return o // shared whole
	}
	out := maps.Clone(o)
	for k, v := range out {
		switch rng.IntN(6) {
		case 0:
			delete(out, k)
		case 1:
			out[k] = randomValue(rng, depth)
		case 2:
			if m, ok := v.(map[string]any); ok {
				out[k] = changedObject(rng, m, depth-1)
			}
		case 3:
			if l, ok := v.([]any); ok {
				c := append([]any{}, l...)
				switch {
				case len(c) > 0 && rng.IntN(2) == 0:
					c = c[:rng.IntN(len(c))]
				default:
					c = append(c, randomValue(rng, depth))
				}
				if len(c) > 0 {
					c[rng.IntN(len(c))] = randomValue(rng, depth)
				}
				out[k] = c
			}
		}
	}
	if rng.IntN(2) == 0 {
		out[randomKeys[rng.IntN(len(randomKeys))]+fmt.Sprint(rng.IntN(3))] = randomValue(rng, depth)
	}
	return out
}
