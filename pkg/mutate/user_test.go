package mutate

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// TestIsDefaultToleration: only the tolerations the DefaultTolerationSeconds
// plugin adds, exactly, are the API server's; any other of those keys is the
// tenant's.
func TestIsDefaultToleration(t *testing.T) {
	def := func(change func(*corev1.Toleration)) *corev1.Toleration {
		tol := &corev1.Toleration{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists,
			Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](300)}
		change(tol)
		return tol
	}
	for name, c := range map[string]struct {
		tol  *corev1.Toleration
		want bool
	}{
		"not-ready":            {def(func(*corev1.Toleration) {}), true},
		"unreachable":          {def(func(t *corev1.Toleration) { t.Key = corev1.TaintNodeUnreachable }), true},
		"another key":          {def(func(t *corev1.Toleration) { t.Key = "pool" }), false},
		"Equal, with a value":  {def(func(t *corev1.Toleration) { t.Operator, t.Value = corev1.TolerationOpEqual, "x" }), false},
		"Exists, with a value": {def(func(t *corev1.Toleration) { t.Value = "x" }), false},
		"NoSchedule":           {def(func(t *corev1.Toleration) { t.Effect = corev1.TaintEffectNoSchedule }), false},
		"forever":              {def(func(t *corev1.Toleration) { t.TolerationSeconds = nil }), false},
		"an hour":              {def(func(t *corev1.Toleration) { t.TolerationSeconds = ptr.To[int64](3600) }), false},
	} {
		if got := IsDefaultToleration(c.tol); got != c.want {
			t.Errorf("%s: %v, want %v", name, got, c.want)
		}
	}
}
