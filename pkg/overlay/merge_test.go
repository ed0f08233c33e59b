package overlay

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestFoldKeyed: an element replaces the accumulated one of its key in
// place; one of a new key is appended; where the accumulated list holds a
// key twice, the replaced key is held once, in its first place, and the
// other keys' elements are kept as they were, duplicates included.
func TestFoldKeyed(t *testing.T) {
	env := func(pairs ...string) []corev1.EnvVar {
		var out []corev1.EnvVar
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, corev1.EnvVar{Name: pairs[i], Value: pairs[i+1]})
		}
		return out
	}
	f := folder{prov: newProvenance(), src: UserSource()}
	for _, c := range []struct {
		name          string
		dst, src, out []corev1.EnvVar
	}{
		{"nothing to fold", env("A", "1"), nil, env("A", "1")},
		{"replaced in place, new appended", env("A", "1", "B", "2"), env("B", "x", "C", "3"), env("A", "1", "B", "x", "C", "3")},
		{"a key twice in the source: the last", nil, env("A", "1", "B", "2", "A", "3"), env("A", "3", "B", "2")},
		{"a key twice in the accumulated list, replaced", env("A", "1", "B", "2", "A", "3", "B", "4"), env("A", "x"), env("A", "x", "B", "2", "B", "4")},
	} {
		got := foldKeyed(f, PathEnv, slices.Clone(c.dst), c.src, EnvKey, RenderEnv)
		if !slices.Equal(got, c.out) {
			t.Errorf("%s: %v, want %v", c.name, got, c.out)
		}
	}
}
