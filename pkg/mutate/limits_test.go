package mutate

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

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
	tolerations := func(n int) *corev1.Pod {
		p := containers(1)
		p.Spec.Tolerations = make([]corev1.Toleration, n)
		return p
	}
	for _, b := range []struct {
		name  string
		max   int
		pod   func(int) *corev1.Pod
		error string
	}{
		{"tolerations", MaxTolerations, tolerations, fmt.Sprintf("pod has %d tolerations; Strata admits at most %d", MaxTolerations+1, MaxTolerations)},
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
	// The volumes Spark's configuration gives a role count with the
	// section's: the pod webhook would refuse every such pod.
	confVolumes := func(n int) *sparkv1beta2.SparkApplication {
		a := app(1)
		a.Spec.Volumes = []corev1.Volume{{Name: "data"}}
		for i := range n - 1 {
			a.Spec.SparkConf[fmt.Sprintf("spark.kubernetes.executor.volumes.emptyDir.v%d.mount.path", i)] = fmt.Sprintf("/v/%d", i)
		}
		return a
	}
	if err := CheckAppSize(confVolumes(MaxVolumes)); err != nil {
		t.Errorf("volumes at the bound: %v", err)
	}
	want := fmt.Sprintf("spec.executor: pod has %d volumes; Strata admits at most %d", MaxVolumes+1, MaxVolumes)
	if err := CheckAppSize(confVolumes(MaxVolumes + 1)); err == nil || err.Error() != want {
		t.Errorf("volumes one past the bound: %v, want %q", err, want)
	}
	// And so does each of a section's secrets, which Spark mounts as a
	// volume: every entry is an alias composition reads (aliasFamily).
	secrets := func(n int) *sparkv1beta2.SparkApplication {
		a := confVolumes(1) // spec.volumes: one
		for i := range n - 1 {
			a.Spec.Executor.Secrets = append(a.Spec.Executor.Secrets, sparkv1beta2.SecretInfo{Name: fmt.Sprintf("s%d", i), Path: "/s", Type: "Generic"})
		}
		return a
	}
	if err := CheckAppSize(secrets(MaxVolumes)); err != nil {
		t.Errorf("secrets at the bound: %v", err)
	}
	want = fmt.Sprintf("spec.executor: pod has %d volumes; Strata admits at most %d", MaxVolumes+1, MaxVolumes)
	if err := CheckAppSize(secrets(MaxVolumes + 1)); err == nil || err.Error() != want {
		t.Errorf("secrets one past the bound: %v, want %q", err, want)
	}
	// Spelled as Spark keys, too; a Secret named twice is one volume.
	keyed := secrets(MaxVolumes)
	keyed.Spec.SparkConf = map[string]string{"spark.kubernetes.executor.secrets.s0": "/elsewhere"}
	if err := CheckAppSize(keyed); err != nil {
		t.Errorf("a section's secret named again by its key: %v", err)
	}
	keyed.Spec.SparkConf["spark.kubernetes.executor.secrets.one-more"] = "/s"
	if err := CheckAppSize(keyed); err == nil || err.Error() != want {
		t.Errorf("a secret by its key one past the bound: %v, want %q", err, want)
	}
	// A list longer than that, or more Secrets named in both spellings,
	// is refused before any entry's path is read (reading one scans the
	// list: BenchmarkCheckAppSize).
	long := secrets(MaxVolumes + 2)
	long.Spec.Executor.Secrets = append(long.Spec.Executor.Secrets, long.Spec.Executor.Secrets[0])
	if err, want := CheckAppSize(long), fmt.Sprintf("spec.executor.secrets has %d entries; Strata admits at most %d, as many as a pod's volumes (Spark mounts each Secret as one)", MaxVolumes+2, MaxVolumes); err == nil || err.Error() != want {
		t.Errorf("a list of secrets past the bound: %v, want %q", err, want)
	}
	named := secrets(MaxVolumes)
	named.Spec.SparkConf = map[string]string{"spark.kubernetes.executor.secrets.k1": "/k", "spark.kubernetes.executor.secrets.k2": "/k", "spark.kubernetes.executor.secrets.s0": "/again"}
	if err, want := CheckAppSize(named), fmt.Sprintf("spec.executor: pod has at least %d volumes, one for each Secret of spec.executor.secrets and spark.kubernetes.executor.secrets.*; Strata admits at most %d", MaxVolumes+1, MaxVolumes); err == nil || err.Error() != want {
		t.Errorf("Secrets past the bound in both spellings: %v, want %q", err, want)
	}
	// And so does each ConfigMap the operator mounts.
	configMaps := secrets(MaxVolumes - 1)
	configMaps.Spec.SparkConfigMap = new(string)
	*configMaps.Spec.SparkConfigMap = "spark-defaults"
	if err := CheckAppSize(configMaps); err != nil {
		t.Errorf("ConfigMaps at the bound: %v", err)
	}
	configMaps.Spec.Executor.ConfigMaps = []sparkv1beta2.NamePath{{Name: "one-more", Path: "/c"}}
	if err := CheckAppSize(configMaps); err == nil || err.Error() != want {
		t.Errorf("a ConfigMap one past the bound: %v, want %q", err, want)
	}
	// And so do the containers of a role's pod template (the first is
	// the Spark container's base, as Spark takes it when none is named for
	// the role).
	template := func(n int) *sparkv1beta2.SparkApplication {
		a := app(1)
		a.Spec.Driver.Template = &corev1.PodTemplateSpec{}
		for i := range n {
			a.Spec.Driver.Template.Spec.Containers = append(a.Spec.Driver.Template.Spec.Containers, corev1.Container{Name: fmt.Sprintf("c%d", i)})
		}
		return a
	}
	if err := CheckAppSize(template(MaxContainers)); err != nil {
		t.Errorf("template containers at the bound: %v", err)
	}
	want = fmt.Sprintf("spec.driver: pod has %d containers; Strata admits at most %d", MaxContainers+1, MaxContainers)
	if err := CheckAppSize(template(MaxContainers + 1)); err == nil || err.Error() != want {
		t.Errorf("template containers one past the bound: %v, want %q", err, want)
	}
}
