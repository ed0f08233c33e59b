package mutate

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// What one pod may hold for Strata to compose or judge it. Composition is
// linear in the pod's size; these bounds cap that size well above any Spark
// pod (the API server's own request limit is 3 MiB), so a tenant cannot
// make an admission expensive.
const (
	// MaxPodBytes is the largest pod, as JSON in the admission request.
	MaxPodBytes = 3 << 20
	// MaxContainers counts init, regular and ephemeral containers.
	MaxContainers = 256
	// MaxEnvVars counts env and envFrom entries over every container.
	MaxEnvVars = 65536
	// MaxVolumes counts the pod's volumes.
	MaxVolumes = 1024
	// MaxTolerations counts the pod's tolerations (the RuntimeClass
	// plugin's merge, which the composer and a SparkApplication's check
	// apply, compares each pair).
	MaxTolerations = 1024
)

// CheckSize returns an error naming the first bound the pod exceeds.
func CheckSize(pod *corev1.Pod) error {
	containers := len(pod.Spec.InitContainers) + len(pod.Spec.Containers) + len(pod.Spec.EphemeralContainers)
	if containers > MaxContainers {
		return fmt.Errorf("pod has %d containers; Strata admits at most %d", containers, MaxContainers)
	}
	env := 0
	count := func(c *corev1.Container) { env += len(c.Env) + len(c.EnvFrom) }
	forEachContainer(pod, count)
	for i := range pod.Spec.EphemeralContainers {
		env += len(pod.Spec.EphemeralContainers[i].Env) + len(pod.Spec.EphemeralContainers[i].EnvFrom)
	}
	if env > MaxEnvVars {
		return fmt.Errorf("pod has %d environment variables; Strata admits at most %d", env, MaxEnvVars)
	}
	if n := len(pod.Spec.Volumes); n > MaxVolumes {
		return fmt.Errorf("pod has %d volumes; Strata admits at most %d", n, MaxVolumes)
	}
	if n := len(pod.Spec.Tolerations); n > MaxTolerations {
		return fmt.Errorf("pod has %d tolerations; Strata admits at most %d", n, MaxTolerations)
	}
	return nil
}

// MaxConfKeys bounds the keys of a SparkApplication's sparkConf and
// hadoopConf together.
const MaxConfKeys = 65536

// CheckApp returns an error naming the first reason Strata refuses a
// SparkApplication before any work on it: a documented bound it exceeds
// (CheckAppSize), or a key the Spark Operator would pass to spark-submit
// as another key (CheckConfKeys). The webhooks refuse such an
// application, and the composer's dry run does too.
func CheckApp(app *sparkv1beta2.SparkApplication) error {
	// The keys first, bounded: reading them is cheaper than sizing the
	// pods, which copies the whole configuration.
	if err := checkConfCount(app); err != nil {
		return err
	}
	if err := CheckConfKeys(app); err != nil {
		return err
	}
	return CheckAppSize(app)
}

// checkConfCount bounds an application's sparkConf and hadoopConf keys
// together (MaxConfKeys).
func checkConfCount(app *sparkv1beta2.SparkApplication) error {
	if n := len(app.Spec.SparkConf) + len(app.Spec.HadoopConf); n > MaxConfKeys {
		return fmt.Errorf("SparkApplication has %d sparkConf and hadoopConf keys; Strata admits at most %d", n, MaxConfKeys)
	}
	return nil
}

// CheckAppSize returns an error naming the first bound a SparkApplication
// exceeds: its configuration keys, and each role's pod as a pod's
// (CheckSize): the section's settings with the volumes Spark's
// configuration adds (confVolumes: spark.kubernetes.<role>.volumes.*, and
// a volume for each Secret of spark.kubernetes.<role>.secrets.* or the
// section's secrets), what its pod template holds and the ConfigMaps the
// operator mounts (withConfigMaps), so an app whose every pod the pod
// webhook would refuse is refused itself.
func CheckAppSize(app *sparkv1beta2.SparkApplication) error {
	if err := checkConfCount(app); err != nil {
		return err
	}
	// Spark mounts each Secret a role names as a volume: bounded before
	// anything reads the names' paths (reading one scans the section's
	// list), so that work stays linear in the application.
	for _, role := range Roles() {
		secrets := app.Spec.Pod(string(role)).Secrets
		if n := len(secrets); n > MaxVolumes {
			return fmt.Errorf("spec.%s.secrets has %d entries; Strata admits at most %d, as many as a pod's volumes (Spark mounts each Secret as one)", role, n, MaxVolumes)
		}
		if n := secretNames(app.Spec.SparkConf, secrets, role); n > MaxVolumes {
			return fmt.Errorf("spec.%s: pod has at least %d volumes, one for each Secret of spec.%s.secrets and spark.kubernetes.%s.secrets.*; Strata admits at most %d", role, n, role, role, MaxVolumes)
		}
	}
	conf := EffectiveConf(&app.Spec)
	for _, role := range Roles() {
		pod := templatePod(app, role)
		volumes, _ := confVolumes(conf, role)
		pod.Spec.Volumes = append(pod.Spec.Volumes, volumes...)
		if t := app.Spec.Pod(string(role)).Template; t != nil {
			pod = withTemplate(pod, t, role)
		}
		withConfigMaps(pod, &app.Spec, app.Spec.Pod(string(role)))
		if err := CheckSize(pod); err != nil {
			return fmt.Errorf("spec.%s: %w", role, err)
		}
	}
	return nil
}

// secretNames counts the Secrets role's pods mount, each once: the names
// of secrets and of conf's spark.kubernetes.<role>.secrets.<name> keys.
func secretNames(conf map[string]string, secrets []sparkv1beta2.SecretInfo, role v1alpha1.Role) int {
	prefix := sparkSecretsPrefix(role)
	names := make(map[string]bool, len(secrets))
	for _, sec := range secrets {
		names[sec.Name] = true
	}
	for k := range conf {
		if name, ok := strings.CutPrefix(k, prefix); ok && name != "" {
			names[name] = true
		}
	}
	delete(names, "")
	return len(names)
}
