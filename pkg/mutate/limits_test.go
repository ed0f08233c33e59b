package mutate

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
)

// TestSizeBounds: each bound is the most a pod or an app may hold; one
// more is refused with a message naming it.
func TestSizeBounds(t *testing.T) {
	containers := func(n int) *corev1.Pod {
		p := &corev1.Pod{}
		for i := range n {
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: fmt.Sprintf("c%d", i)})
		}
		return p
	}
	env := func(n int) *corev1.Pod {
		p := containers(1)
		p.Spec.Containers[0].Env = make([]corev1.EnvVar, n-1)
		p.Spec.Containers[0].EnvFrom = make([]corev1.EnvFromSource, 1)
		return p
	}
	volumes := func(n int) *corev1.Pod {
		p := containers(1)
		p.Spec.Volumes = make([]corev1.Volume, n)
		return p
	}
	for _, b := range []struct {
		name  string
		max   int
		pod   func(int) *corev1.Pod
		error string
	}{
		{"containers", MaxContainers, containers, fmt.Sprintf("pod has %d containers; Strata admits at most %d", MaxContainers+1, MaxContainers)},
		{"env", MaxEnvVars, env, fmt.Sprintf("pod has %d environment variables; Strata admits at most %d", MaxEnvVars+1, MaxEnvVars)},
		{"volumes", MaxVolumes, volumes, fmt.Sprintf("pod has %d volumes; Strata admits at most %d", MaxVolumes+1, MaxVolumes)},
	} {
		if err := CheckSize(b.pod(b.max)); err != nil {
			t.Errorf("%s at the bound: %v", b.name, err)
		}
		if err := CheckSize(b.pod(b.max + 1)); err == nil || err.Error() != b.error {
			t.Errorf("%s one past the bound: %v, want %q", b.name, err, b.error)
		}
	}
	app := func(keys int) *sparkv1beta2.SparkApplication {
		a := &sparkv1beta2.SparkApplication{}
		a.Spec.SparkConf = map[string]string{}
		a.Spec.HadoopConf = map[string]string{"fs.defaultFS": "hdfs://nn"}
		for i := range keys - 1 {
			a.Spec.SparkConf[fmt.Sprintf("spark.k%d", i)] = "v"
		}
		return a
	}
	if err := CheckAppSize(app(MaxConfKeys)); err != nil {
		t.Errorf("conf keys at the bound: %v", err)
	}
	if err := CheckAppSize(app(MaxConfKeys + 1)); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%d sparkConf and hadoopConf keys", MaxConfKeys+1)) {
		t.Errorf("conf keys one past the bound: %v", err)
	}
}

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
