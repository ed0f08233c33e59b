package mutate

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	resourcequotaapi "k8s.io/apiserver/pkg/admission/plugin/resourcequota/apis/resourcequota"
	psadmission "k8s.io/pod-security-admission/admission/api"
	psaapi "k8s.io/pod-security-admission/api"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/manifest"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/fixtures"
)

// exampleInputs loads the bundled example repository and driver pod.
func exampleInputs(b *testing.B) (*overlay.Snapshot, *corev1.Pod) {
	b.Helper()
	return fixtures.Snapshot(b, "prod-a"), fixtures.Pod(b, "driver.yaml")
}

var exampleCluster = Cluster{Name: "prod-a", Pool: "batch"}

// BenchmarkCompose is the whole per-pod path of the webhook after decoding:
// select layers, fold, render, patch.
func BenchmarkCompose(b *testing.B) {
	snap, pod := exampleInputs(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compose(snap, exampleCluster, pod); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkComposeNoPatch is Compose without the patch, to show what the
// patch costs.
func BenchmarkComposeNoPatch(b *testing.B) {
	snap, pod := exampleInputs(b)
	b.ReportAllocs()
	for b.Loop() {
		res := snap.Compose(overlay.Target{Cluster: "prod-a", Pool: "batch", Namespace: pod.Namespace, Role: "driver"}, UserConfig(pod, snap))
		out := pod.DeepCopy()
		renderMetadata(out, &res.Config, res.Layers)
		renderScheduling(out, &res.Config)
		renderTolerations(out, &res.Config)
		if _, err := renderPriority(out, pod.Spec.PriorityClassName, snap); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPatch is the patch alone: a generic diff of the whole pod.
func BenchmarkPatch(b *testing.B) {
	snap, pod := exampleInputs(b)
	res, err := Compose(snap, exampleCluster, pod)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Patch(pod, res.Pod); err != nil {
			b.Fatal(err)
		}
	}
}

// largePod is the example driver with 40,000 environment variables in its
// Spark container: about 1 MiB of JSON, the bound of what Strata composes.
func largePod(b *testing.B) []byte {
	b.Helper()
	pod := fixtures.Pod(b, "driver.yaml")
	spark := &pod.Spec.Containers[0]
	for i := range 40000 {
		spark.Env = append(spark.Env, corev1.EnvVar{Name: fmt.Sprintf("SPARK_USER_VAR_%05d", i), Value: "some-value"})
	}
	raw, err := json.Marshal(pod)
	if err != nil {
		b.Fatal(err)
	}
	if len(raw) < 1<<20 {
		b.Fatalf("large pod is %d bytes, want at least 1 MiB", len(raw))
	}
	return raw
}

// BenchmarkDecodeLargePod is the floor composing a large pod is measured
// against: decoding it.
func BenchmarkDecodeLargePod(b *testing.B) {
	raw := largePod(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		var pod corev1.Pod
		if err := json.Unmarshal(raw, &pod); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkComposeLargePod composes the large pod, decoding included: it
// must stay a small multiple of BenchmarkDecodeLargePod (linear work).
func BenchmarkComposeLargePod(b *testing.B) {
	snap := fixtures.Snapshot(b, "prod-a")
	raw := largePod(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		var pod corev1.Pod
		if err := json.Unmarshal(raw, &pod); err != nil {
			b.Fatal(err)
		}
		if _, err := Compose(snap, exampleCluster, &pod); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkComposeUnresolvedMounts composes the example driver given a
// sidecar of 20,000 mounts of volumes it does not have, its own (which
// the API server refuses in its own words; unresolvedMount leaves them to
// it): the check must stay linear in the mounts (it read the pod's mounts
// again for each, 20,000 × 20,000 comparisons, until 2026-12-07).
func BenchmarkComposeUnresolvedMounts(b *testing.B) {
	snap := fixtures.Snapshot(b, "prod-a")
	pod := fixtures.Pod(b, "driver.yaml")
	ctr := corev1.Container{Name: "mounts", Image: "busybox"}
	for m := range 20000 {
		ctr.VolumeMounts = append(ctr.VolumeMounts, corev1.VolumeMount{Name: fmt.Sprintf("gone-%d", m), MountPath: fmt.Sprintf("/m/%d", m)})
	}
	pod.Spec.Containers = append(pod.Spec.Containers, ctr)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compose(snap, exampleCluster, pod); err != nil {
			b.Fatal(err)
		}
	}
}

// largeApp is the example SparkApplication with 20,000 more sparkConf keys
// of every kind composition reads differently (plain keys, the executors'
// env, labels and annotations, Hadoop keys): about 1 MiB of JSON, a
// third of the API server's largest request.
func largeApp(b *testing.B) []byte {
	b.Helper()
	app := fixtures.App(b, "etl-report.yaml")
	prefixes := []string{"spark.sql.custom.setting", "spark.executorEnv.USER_VAR", "spark.kubernetes.executor.label.l",
		"spark.kubernetes.driver.annotation.example.com/a", "spark.hadoop.fs.s3a.bucket.b", "spark.kubernetes.driver.service.label.l"}
	for i := range 20000 {
		app.App.Spec.SparkConf[fmt.Sprintf("%s%05d", prefixes[i%len(prefixes)], i)] = "some-value-of-a-setting"
	}
	// Typed entries that are Spark keys (aliasFamily), as many secrets as
	// CheckAppSize admits.
	exec := &app.App.Spec.Executor
	exec.EnvSecretKeyRefs = map[string]sparkv1beta2.NameKey{}
	for i := range MaxVolumes - 1 {
		exec.EnvSecretKeyRefs[fmt.Sprintf("TOKEN_%04d", i)] = sparkv1beta2.NameKey{Name: "tokens", Key: fmt.Sprint(i)}
		exec.Secrets = append(exec.Secrets, sparkv1beta2.SecretInfo{Name: fmt.Sprintf("s%04d", i), Path: fmt.Sprintf("/etc/s%04d", i), Type: "Generic"})
	}
	if err := CheckAppSize(&app.App); err != nil {
		b.Fatalf("large app is not one Strata admits: %v", err)
	}
	raw, err := app.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	if len(raw) < 1<<20 {
		b.Fatalf("large app is %d bytes, want at least 1 MiB", len(raw))
	}
	return raw
}

// BenchmarkDecodeLargeApp is the floor composing a large app is measured
// against: decoding it.
func BenchmarkDecodeLargeApp(b *testing.B) {
	raw := largeApp(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := sparkv1beta2.Decode(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkComposeLargeApp composes the large app, decoding included: it
// must stay a small multiple of BenchmarkDecodeLargeApp (linear work).
func BenchmarkComposeLargeApp(b *testing.B) {
	snap := fixtures.Snapshot(b, "prod-a")
	raw := largeApp(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		app, err := sparkv1beta2.Decode(raw)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ComposeApp(snap, exampleCluster, app); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckApp checks the large app, decoded once (its 1,023
// secrets, the most a section may list, each read by its name), apps
// whose executors name 60,000 Secrets, one each or all the same, or as
// 60,000 keys: those are refused before any path is read, so the check
// stays linear in the application; and the most sparkConf keys an app may
// hold, the last in order holding "=" (CheckConfKeys reads every key).
func BenchmarkCheckApp(b *testing.B) {
	large, err := sparkv1beta2.Decode(largeApp(b))
	if err != nil {
		b.Fatal(err)
	}
	many := func(name func(i int) string) *sparkv1beta2.SparkApplication {
		app := fixtures.App(b, "etl-report.yaml").App
		for i := range 60000 {
			app.Spec.Executor.Secrets = append(app.Spec.Executor.Secrets, sparkv1beta2.SecretInfo{Name: name(i), Path: "/s", Type: sparkv1beta2.SecretTypeGeneric})
		}
		return &app
	}
	keyed := fixtures.App(b, "etl-report.yaml").App
	keyed.Spec.SparkConf = map[string]string{}
	for i := range 60000 {
		keyed.Spec.SparkConf["spark.kubernetes.executor.secrets.s"+strconv.Itoa(i)] = "/s"
	}
	// The most keys an app may hold, each of 40 bytes, and the last
	// holding "=": every key scanned before the refusal.
	equals := fixtures.App(b, "etl-report.yaml").App
	equals.Spec.SparkConf = map[string]string{}
	for i := range MaxConfKeys {
		k := fmt.Sprintf("spark.app.setting.%022d", i)
		if i == MaxConfKeys-1 {
			k = "spark.eventLog.dir=s3a://b/" + k
		}
		equals.Spec.SparkConf[k] = "v"
	}
	for _, tc := range []struct {
		name    string
		app     *sparkv1beta2.SparkApplication
		refused bool
	}{
		{"large", &large.App, false},
		{"secrets=60000", many(strconv.Itoa), true},
		{"secrets=60000-of-one", many(func(int) string { return "s" }), true},
		{"keys=60000", &keyed, true},
		{"keys=65536-one-with-equals", &equals, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := CheckApp(tc.app); (err != nil) != tc.refused {
					b.Fatalf("refused %v: %v", tc.refused, err)
				}
			}
		})
	}
}

// BenchmarkComposeLayers composes the example driver in clusters with the
// example Layers and 45 or 4,995 more that match no pod: what matching
// thousands of Layers costs an admission.
func BenchmarkComposeLayers(b *testing.B) {
	pod := fixtures.Pod(b, "driver.yaml")
	for _, others := range []int{0, 45, 4995} {
		snap := fixtures.SnapshotWithOthers(b, "prod-a", others)
		b.Run(fmt.Sprintf("layers=%d", snap.LayerCount()), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Compose(snap, exampleCluster, pod); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRegionPatch is the patch of the regions the renderers touch,
// next to BenchmarkPatch (the whole pod) on the same pods.
func BenchmarkRegionPatch(b *testing.B) {
	snap, pod := exampleInputs(b)
	res, err := Compose(snap, exampleCluster, pod)
	if err != nil {
		b.Fatal(err)
	}
	regions, _ := touchedRegions(podFields(), overlay.Fields())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := regionPatch(pod, res.Pod, regions); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkComposeApp is the SparkApplication webhook's path after
// decoding: both roles composed and rendered, written back, the patch.
func BenchmarkComposeApp(b *testing.B) {
	snap, app := fixtures.Snapshot(b, "prod-a"), fixtures.App(b, "etl-report.yaml")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ComposeApp(snap, exampleCluster, app); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkComposeWithShadow is the mutating webhook's composition with
// ShadowOf, against the example repository with a Shadow layer that does
// not match the driver (shadow=other) and one that does (shadow=match):
// next to BenchmarkCompose, what Shadow layers cost.
func BenchmarkComposeWithShadow(b *testing.B) {
	for _, ns := range []string{"other", "match"} {
		b.Run("shadow="+ns, func(b *testing.B) {
			in, err := manifest.LoadRepo(filesys.MakeFsOnDisk(), filepath.Join(fixtures.Examples(), "layers", "clusters", "prod-a"))
			if err != nil {
				b.Fatal(err)
			}
			pod := fixtures.Pod(b, "driver.yaml")
			var l v1alpha1.Layer
			l.Name = "shadow-" + ns
			target := "geo-maps"
			if ns == "match" {
				target = pod.Namespace
			}
			l.Spec = v1alpha1.LayerSpec{Tier: v1alpha1.ClusterOverrides, Mode: v1alpha1.ModeShadow, Match: v1alpha1.Match{Namespaces: []string{target}},
				Config: &v1alpha1.Config{Labels: map[string]string{"logging": "v2"}}}
			in.Layers = append(in.Layers, overlay.LayerSource{Layer: l})
			snap, err := overlay.Compile(in)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				res, err := Compose(snap, exampleCluster, pod)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := ShadowOf(snap, exampleCluster, pod, res); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAdmitUnderPodSecurity is Admit of the example executor with its
// namespace enforcing no Pod Security level, baseline and restricted: what
// judging the composed pod with the plugin's checks costs
// (podSecurityWarning). The example executor meets baseline; restricted
// refuses it as written, so the pod is judged twice.
func BenchmarkAdmitUnderPodSecurity(b *testing.B) {
	pod := fixtures.Pod(b, "executor.yaml")
	for _, level := range []string{"", "baseline", "restricted"} {
		b.Run("level="+cmp.Or(level, "none"), func(b *testing.B) {
			snap := exampleEnforcing(b, pod.Namespace, level)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Admit(snap, exampleCluster, pod); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkComposeAppUnderPodSecurity is ComposeApp of the example
// application with its namespace enforcing no level and baseline: what
// judging the pods it launches costs (launchedPodSecurityWarnings: each
// role's pod composed once more and judged twice).
func BenchmarkComposeAppUnderPodSecurity(b *testing.B) {
	app := fixtures.App(b, "etl-report.yaml")
	for _, level := range []string{"", "baseline"} {
		b.Run("level="+cmp.Or(level, "none"), func(b *testing.B) {
			snap := exampleEnforcing(b, app.App.Namespace, level)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ComposeApp(snap, exampleCluster, app); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkComposeConnect is ComposeConnect of the example SparkConnect,
// its namespace enforcing no level and baseline (connectPodSecurityWarnings).
func BenchmarkComposeConnect(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(fixtures.Examples(), "apps", "notebooks-connect.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	if data, err = yaml.YAMLToJSON(data); err != nil {
		b.Fatal(err)
	}
	for _, level := range []string{"", "baseline"} {
		b.Run("level="+cmp.Or(level, "none"), func(b *testing.B) {
			snap := exampleEnforcing(b, "etl", level)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ComposeConnect(snap, exampleCluster, data, ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// exampleEnforcing is the prod-a example repository, compiled, with
// namespace enforcing the Pod Security level ("" for none).
func exampleEnforcing(b *testing.B, namespace, level string) *overlay.Snapshot {
	b.Helper()
	in, err := manifest.LoadRepo(filesys.MakeFsOnDisk(), filepath.Join(fixtures.Examples(), "layers", "clusters", "prod-a"))
	if err != nil {
		b.Fatal(err)
	}
	i := slices.IndexFunc(in.Namespaces, func(ns corev1.Namespace) bool { return ns.Name == namespace })
	if i < 0 {
		in.Namespaces = append(in.Namespaces, corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}})
		i = len(in.Namespaces) - 1
	}
	if level != "" {
		in.Namespaces[i].Labels = maps.Clone(in.Namespaces[i].Labels)
		if in.Namespaces[i].Labels == nil {
			in.Namespaces[i].Labels = map[string]string{}
		}
		in.Namespaces[i].Labels[psaapi.EnforceLevelLabel] = level
	}
	snap, err := overlay.Compile(in)
	if err != nil {
		b.Fatal(err)
	}
	return snap
}

// BenchmarkComposeAppUnderLimitedResources is the SparkApplication
// webhook's composition of the example application, in a namespace of no
// LimitRange or ResourceQuota, without and with a ResourceQuota admission
// that keeps GPUs to namespaces with a quota of them: with one, the pods
// it launches are composed once more per role, to warn of what no quota
// covers.
func BenchmarkComposeAppUnderLimitedResources(b *testing.B) {
	app := fixtures.App(b, "etl-report.yaml")
	for _, limited := range []string{"none", "gpu"} {
		b.Run("limited="+limited, func(b *testing.B) {
			in, err := manifest.LoadRepo(filesys.MakeFsOnDisk(), filepath.Join(fixtures.Examples(), "layers", "clusters", "prod-a"))
			if err != nil {
				b.Fatal(err)
			}
			if limited == "gpu" {
				in.LimitedResources = []resourcequotaapi.LimitedResource{{Resource: "pods", MatchContains: []string{"nvidia.com/gpu"}}}
			}
			snap, err := overlay.Compile(in)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ComposeApp(snap, exampleCluster, app); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLayerPodSecurityWarnings is the Layer webhook's Pod Security
// warning of a Layer that adds a sidecar to every Spark pod, in a cluster
// of 10,000 namespaces that all enforce baseline (the PodSecurity
// admission's default level): one composition per level, and the Layer
// matched to each namespace by name.
func BenchmarkLayerPodSecurityWarnings(b *testing.B) {
	in := fixtures.InputsOf(b, map[string]string{"shipper": `{tier: ClusterDefaults, config: {sidecars: [{name: shipper, image: fluent/fluent-bit:3.1.9}]}}`})
	in.PodSecurity = &psadmission.PodSecurityConfiguration{Defaults: psadmission.PodSecurityDefaults{Enforce: "baseline", EnforceVersion: "latest"}}
	for i := range 10000 {
		in.Namespaces = append(in.Namespaces, corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("team-%05d", i)}})
	}
	snap, err := overlay.Compile(in)
	if err != nil {
		b.Fatal(err)
	}
	l := &in.Layers[0].Layer
	b.ReportAllocs()
	for b.Loop() {
		_ = LayerPodSecurityWarnings(l, exampleCluster, snap)
	}
}

// BenchmarkAdmitWithPodPatch is Admit (the webhook's composition) of the
// example driver by the example layers, and by those and one more whose
// podPatch sets the pod's security context: a composition with a pod
// patch pays for the patch and for judging the patched pod as the API
// server will (invalidPatched).
func BenchmarkAdmitWithPodPatch(b *testing.B) {
	in, err := manifest.LoadRepo(filesys.MakeFsOnDisk(), filepath.Join(fixtures.Examples(), "layers", "clusters", "prod-a"))
	if err != nil {
		b.Fatal(err)
	}
	pod := fixtures.Pod(b, "driver.yaml")
	patch := v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "run-as-spark"}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.ClusterOverrides,
		Config: &v1alpha1.Config{PodPatch: &runtime.RawExtension{Raw: []byte(`{"spec":{"securityContext":{"runAsUser":185,"fsGroup":185}}}`)}}}}
	for _, bc := range []struct {
		name   string
		layers []overlay.LayerSource
	}{{"patches=0", in.Layers}, {"patches=1", append(slices.Clone(in.Layers), overlay.LayerSource{Layer: patch})}} {
		b.Run(bc.name, func(b *testing.B) {
			with := in
			with.Layers = bc.layers
			snap, err := overlay.Compile(with)
			if err != nil {
				b.Fatal(err)
			}
			want := len(bc.layers) - len(in.Layers)
			b.ReportAllocs()
			for b.Loop() {
				res, err := Admit(snap, exampleCluster, pod)
				if err != nil || len(res.Composition.PodPatches) != want {
					b.Fatalf("%v, %d pod patches, want %d", err, len(res.Composition.PodPatches), want)
				}
			}
		})
	}
}
