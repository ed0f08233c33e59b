package mutate

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/fixtures"
)

// TestExplainIsRenderWithoutThePod: Explain's composition, warnings and
// provenance are Render's, field for field, but for the images mirrors
// derive, on every example pod as created and as stored (composed), in both
// IAM modes.
func TestExplainIsRenderWithoutThePod(t *testing.T) {
	irsa := v1alpha1.IAMModeIRSA
	snaps := map[string]*overlay.Snapshot{
		"prod-a": fixtures.Snapshot(t, "prod-a"),
		"irsa": fixtures.SnapshotOf(t, map[string]string{"iam": `
tier: ClusterOverrides
config:
  iam: {role: "arn:aws:iam::123456789012:role/etl", mode: ` + string(irsa) + `}
  isolation: {allowedIAMRoles: ["**"]}
  imageMirrors: [{from: docker.io, to: mirror.internal/dockerhub}]`}),
	}
	c := Cluster{Name: "prod-a", Pool: "batch"}
	files := []string{"driver.yaml", "executor.yaml", "geo-executor.yaml", "oversized-driver.yaml"}
	forEachExamplePod(t, snaps, c, files, nil, func(where string, snap *overlay.Snapshot, pod *corev1.Pod) {
		rendered, err := Render(snap, c, pod)
		if err != nil {
			t.Fatal(err)
		}
		explained := Explain(snap, c, pod)
		if !reflect.DeepEqual(explained.Composition.Config, rendered.Composition.Config) ||
			!reflect.DeepEqual(explained.Warnings, rendered.Warnings) || explained.Role != rendered.Role {
			t.Errorf("%s: Explain's composition differs from Render's", where)
		}
		want := map[string]overlay.Field{}
		for _, f := range rendered.Composition.Provenance.Fields() {
			if !strings.HasSuffix(f.Path, ".image") {
				want[f.Path] = f
			}
		}
		got := map[string]overlay.Field{}
		for _, f := range explained.Composition.Provenance.Fields() {
			got[f.Path] = f
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: provenance differs:\nexplain %v\nrender  %v", where, got, want)
		}
		if len(want) == 0 {
			t.Errorf("%s: no provenance at all: the test checks nothing", where)
		}
	})
}

// TestPatchIsTheGenericDiff: the patch Compose returns, which diffs only
// the pod regions the renderers touch, is the generic diff of the whole
// pods (the test oracle), byte for byte, for every example pod as created
// and as stored, under the example layers, IRSA, and every field alone.
func TestPatchIsTheGenericDiff(t *testing.T) {
	snaps := map[string]*overlay.Snapshot{
		"prod-a": fixtures.Snapshot(t, "prod-a"),
		"irsa": fixtures.SnapshotOf(t, map[string]string{"iam": `
tier: ClusterOverrides
config:
  iam: {role: "arn:aws:iam::123456789012:role/etl", mode: irsa}
  isolation: {allowedIAMRoles: ["**"]}
  imageMirrors: [{from: docker.io, to: mirror.internal/dockerhub}]
  priorityClassName: ""
  tolerations: [{key: gpu, operator: Exists}]
  nodeSelector: {disk: ssd}`}),
	}
	for name, layer := range sampleLayers {
		if name == "volumeMounts" {
			// The example pods have no volume "local": a layer mounting
			// it alone would have them refused (unresolvedMount).
			layer = `{volumes: [{name: local, emptyDir: {}}], volumeMounts: [{name: local, mountPath: /logs}]}`
		}
		if name != "podPatch" {
			snaps["only "+name] = fixtures.SnapshotOf(t, map[string]string{"only-" + strings.ToLower(name): "tier: ClusterOverrides\nconfig: " + layer},
				schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "spark-high"}, Value: 100}, sampleRuntimeClass())
		}
	}
	c := Cluster{Name: "prod-a", Pool: "batch"}
	checked := 0
	files := []string{"driver.yaml", "executor.yaml", "geo-executor.yaml", "oversized-driver.yaml", "tenant-debug-pod.yaml"}
	forEachExamplePod(t, snaps, c, files, nil, func(where string, snap *overlay.Snapshot, pod *corev1.Pod) {
		res, err := Compose(snap, c, pod)
		if err != nil {
			t.Fatal(err)
		}
		want, err := genericPatch(pod, res.Pod)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(res.Patch)
		w, _ := json.Marshal(want)
		if string(got) != string(w) {
			t.Errorf("%s: patch\n%s\ngeneric diff\n%s", where, got, w)
		}
		if len(want) > 0 {
			checked++
			// What the webhook answers with is what json.Marshal gives.
			if e, err := EncodePatch(res.Patch); err != nil || string(e) != string(got) {
				t.Errorf("%s: EncodePatch (%v)\n%s\njson.Marshal\n%s", where, err, e, got)
			}
		}
	})
	if checked < len(snaps) {
		t.Fatalf("only %d non-empty patches compared: the test checks too little", checked)
	}
}

// TestRenderValuesIsRender: rendering with no provenance but the IAM
// role's and the sidecars' and init containers' renders, once the stored containers and volumes are put back
// (keepDefaulted), the same pod and composition as Render, on every example
// pod as created and as stored, with IRSA, and with a user's role no
// allowlist grants (grantIAM must still withhold it).
func TestRenderValuesIsRender(t *testing.T) {
	snaps := map[string]*overlay.Snapshot{
		"prod-a": fixtures.Snapshot(t, "prod-a"),
		"irsa, no allowlist": fixtures.SnapshotOf(t, map[string]string{"iam": `
tier: ClusterDefaults
config:
  iam: {mode: irsa}
  sidecars: [{name: log-shipper, image: fluent-bit:3}]`}),
	}
	c := Cluster{Name: "prod-a", Pool: "batch"}
	files := []string{"driver.yaml", "executor.yaml", "geo-executor.yaml", "tenant-debug-pod.yaml"}
	askRole := func(pod *corev1.Pod) {
		pod.Annotations = map[string]string{v1alpha1.IAMRoleAnnotation: "arn:aws:iam::999999999999:role/mine"}
	}
	forEachExamplePod(t, snaps, c, files, askRole, func(where string, snap *overlay.Snapshot, pod *corev1.Pod) {
		want, err := Render(snap, c, pod)
		if err != nil {
			t.Fatal(err)
		}
		got, err := renderValues(snap, c, pod)
		if err != nil {
			t.Fatal(err)
		}
		if got.Spark {
			keepDefaulted(pod, got.Pod)
		}
		if !reflect.DeepEqual(got.Pod, want.Pod) || !reflect.DeepEqual(got.Composition.Config, want.Composition.Config) ||
			!reflect.DeepEqual(got.Warnings, want.Warnings) {
			t.Errorf("%s: renderValues differs from Render", where)
		}
		for _, f := range got.Composition.Provenance.Fields() {
			if f.Key != iamRoleKey && f.Key.Root != overlay.PathSidecars && f.Key.Root != overlay.PathInitContainers {
				t.Errorf("%s: provenance of %s recorded", where, f.Path)
			}
		}
	})
}

// TestPlatformPartsNeedNotTheStoredContainers: PlatformParts renders the
// stripped pod without putting back the stored containers and volumes
// (keepDefaulted), which it never reads: the platform's parts are the same
// with them put back, on every example pod as created, as stored, with the
// defaults the API server fills in, and with a tenant's mount of the
// platform's hostPath volume.
func TestPlatformPartsNeedNotTheStoredContainers(t *testing.T) {
	snaps := map[string]*overlay.Snapshot{
		"prod-a": fixtures.Snapshot(t, "prod-a"),
		"host agent": fixtures.SnapshotOf(t, map[string]string{"agent": `
tier: ClusterOverrides
config:
  sidecars: [{name: node-agent, image: mirror.internal/agent:1, securityContext: {privileged: true},
    volumeMounts: [{name: host-logs, mountPath: /host/logs, readOnly: true}]}]
  volumes: [{name: host-logs, hostPath: {path: /var/log}}]`}),
	}
	c := Cluster{Name: "prod-a", Pool: "batch"}
	files := []string{"driver.yaml", "executor.yaml", "geo-executor.yaml", "tenant-debug-pod.yaml"}
	stored := func(snap *overlay.Snapshot, cluster Cluster, pod *corev1.Pod) (*Result, error) {
		res, err := renderValues(snap, cluster, pod)
		if err == nil && res.Spark {
			keepDefaulted(pod, res.Pod)
		}
		return res, err
	}
	defaulted := func(pod *corev1.Pod) *corev1.Pod {
		out := pod.DeepCopy()
		forEachContainer(out, func(c *corev1.Container) {
			c.TerminationMessagePath, c.TerminationMessagePolicy = "/dev/termination-log", corev1.TerminationMessageReadFile
			c.ImagePullPolicy = corev1.PullIfNotPresent
		})
		for i := range out.Spec.Volumes {
			if hp := out.Spec.Volumes[i].HostPath; hp != nil && hp.Type == nil {
				hp.Type = new(corev1.HostPathType)
			}
		}
		return out
	}
	mounted := func(pod *corev1.Pod) *corev1.Pod {
		out := pod.DeepCopy()
		out.Spec.Containers[0].VolumeMounts = append(out.Spec.Containers[0].VolumeMounts, corev1.VolumeMount{Name: "host-logs", MountPath: "/x"})
		return out
	}
	found := 0
	forEachExamplePod(t, snaps, c, files, nil, func(where string, snap *overlay.Snapshot, pod *corev1.Pod) {
		for variant, p := range map[string]*corev1.Pod{"": pod, "/defaulted": defaulted(pod), "/mounted": mounted(pod)} {
			want, err := platformParts(snap, c, p, stored)
			if err != nil {
				t.Fatal(err)
			}
			got, err := PlatformParts(snap, c, p)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s%s: platform parts %v, with the stored containers put back %v", where, variant, got, want)
			}
			found += len(got.Containers) + len(got.HostPathVolumes)
		}
	})
	if found == 0 {
		t.Fatal("no example pod has platform parts: the test checks nothing")
	}
}

// forEachExamplePod calls fn, under each snapshot (in name order), with
// each example pod as created (after prepare, when given) and as stored
// (composed once); where names the snapshot, file and stage.
func forEachExamplePod(t *testing.T, snaps map[string]*overlay.Snapshot, c Cluster, files []string,
	prepare func(*corev1.Pod), fn func(where string, snap *overlay.Snapshot, pod *corev1.Pod)) {
	t.Helper()
	for _, name := range slices.Sorted(maps.Keys(snaps)) {
		snap := snaps[name]
		for _, file := range files {
			created := fixtures.Pod(t, file)
			if prepare != nil {
				prepare(created)
			}
			stored, err := Compose(snap, c, created)
			if err != nil {
				t.Fatal(err)
			}
			fn(name+"/"+file+"/created", snap, created)
			fn(name+"/"+file+"/stored", snap, stored.Pod)
		}
	}
}
