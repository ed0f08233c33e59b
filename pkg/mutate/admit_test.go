package mutate

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/fixtures"
)

// TestAdmitIsCompose: what the webhook answers (Admit) is what the
// composer CLI shows (Compose): the same pod, patch, warnings and notes,
// on every example pod as created and as stored, under layers whose
// defaults and overrides meet the tenant's own values in every field the
// tenant writes, with sidecars, image mirrors and both IAM modes, and with
// roles the tenant asks for that no allowlist grants, one of them a
// default layer's.
func TestAdmitIsCompose(t *testing.T) {
	classes := []any{
		schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "spark-low"}, Value: 10},
		schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "spark-high"}, Value: 100},
		schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "tenant-pc"}, Value: 50},
		sampleRuntimeClass(),
	}
	both := map[string]string{
		"defaults": `
tier: ClusterDefaults
config:
  labels: {team: platform, tier: batch}
  annotations: {owner: platform}
  nodeSelector: {pool: batch}
  priorityClassName: spark-low
  schedulerName: default-scheduler
  serviceAccountName: spark
  tolerations: [{key: spot, operator: Exists, effect: NoSchedule}]
  env: [{name: SPARK_USER, value: platform}, {name: LOG_DIR, value: /logs}]
  sidecars: [{name: log-shipper, image: docker.io/fluent/fluent-bit:3}]
  initContainers: [{name: warmup, image: docker.io/busybox}]
  iam: {role: "arn:aws:iam::111111111111:role/default"}`,
		"overrides": `
tier: ClusterOverrides
config:
  labels: {team: etl}
  annotations: {owner: etl, platform.strata.dev/cost-center: shared}
  nodeSelector: {pool: core}
  priorityClassName: spark-high
  runtimeClassName: gvisor
  schedulerName: volcano
  serviceAccountName: spark-etl
  env: [{name: SPARK_USER, value: etl-bot}]
  sidecars: [{name: log-shipper, image: docker.io/fluent/fluent-bit:4}]
  imageMirrors: [{from: docker.io, to: mirror.internal/dockerhub}]
  isolation: {allowedIAMRoles: ["arn:aws:iam::111111111111:role/etl-*"]}`,
	}
	irsa := map[string]string{"iam": `
tier: ClusterOverrides
config:
  iam: {role: "arn:aws:iam::123456789012:role/etl", mode: irsa}
  sidecars: [{name: metrics, image: docker.io/prom/exporter:1}]
  imageMirrors: [{from: docker.io, to: mirror.internal/dockerhub}]`}
	snaps := map[string]*overlay.Snapshot{
		"prod-a":                 fixtures.Snapshot(t, "prod-a"),
		"defaults and overrides": fixtures.SnapshotOf(t, both, classes...),
		"irsa":                   fixtures.SnapshotOf(t, irsa, classes...),
	}
	// The tenant's own values, against the layers' in every field.
	tenant := func(pod *corev1.Pod) {
		if pod.Labels == nil {
			pod.Labels = map[string]string{}
		}
		for k, v := range map[string]string{"team": "mine", "tier": "gold"} {
			pod.Labels[k] = v
		}
		pod.Annotations = map[string]string{"owner": "me", "platform.strata.dev/cost-center": "mine",
			v1alpha1.IAMRoleAnnotation: "arn:aws:iam::999999999999:role/mine"}
		pod.Spec.NodeSelector = map[string]string{"pool": "mine"}
		pod.Spec.PriorityClassName, pod.Spec.SchedulerName, pod.Spec.ServiceAccountName = "tenant-pc", "mine", "mine"
		pod.Spec.Tolerations = append(pod.Spec.Tolerations, corev1.Toleration{Key: "spot", Operator: corev1.TolerationOpEqual, Value: "yes"})
		pod.Spec.InitContainers = append(pod.Spec.InitContainers, corev1.Container{Name: "log-shipper", Image: "docker.io/mine:1"})
	}
	// A role the allowlist does not grant, but a default layer gives: the
	// platform's choice, kept.
	askDefault := func(pod *corev1.Pod) {
		pod.Annotations = map[string]string{v1alpha1.IAMRoleAnnotation: "arn:aws:iam::111111111111:role/default"}
	}
	c := Cluster{Name: "prod-a", Pool: "batch"}
	files := []string{"driver.yaml", "executor.yaml", "geo-executor.yaml", "tenant-debug-pod.yaml"}
	warnings := 0
	for _, prepare := range []func(*corev1.Pod){nil, tenant, askDefault} {
		forEachExamplePod(t, snaps, c, files, prepare, func(where string, snap *overlay.Snapshot, pod *corev1.Pod) {
			want, err := Compose(snap, c, pod)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Admit(snap, c, pod)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Pod, want.Pod) || !reflect.DeepEqual(got.Patch, want.Patch) ||
				!reflect.DeepEqual(got.Notes, want.Notes) || !reflect.DeepEqual(got.Composition.Config, want.Composition.Config) {
				t.Errorf("%s: Admit composed another pod than Compose", where)
			}
			if !reflect.DeepEqual(got.Warnings, want.Warnings) {
				t.Errorf("%s: Admit warns\n%q\nCompose\n%q", where, got.Warnings, want.Warnings)
			}
			warnings += len(want.Warnings)
		})
	}
	if warnings < 20 {
		t.Fatalf("%d warnings in all: the tenant's values meet too few of the layers'", warnings)
	}
}

// TestAdmitFailsAsCompose: a composition that cannot be rendered (a
// priority class the cluster does not have) fails with Compose's message,
// which names who chose the class.
func TestAdmitFailsAsCompose(t *testing.T) {
	snap := fixtures.SnapshotOf(t, map[string]string{"pc": `
tier: ClusterDefaults
config: {priorityClassName: spark-none}`})
	pod := fixtures.Pod(t, "executor.yaml")
	c := Cluster{Name: "prod-a", Pool: "batch"}
	_, want := Compose(snap, c, pod)
	_, got := Admit(snap, c, pod)
	if want == nil || got == nil || got.Error() != want.Error() {
		t.Fatalf("Admit: %v\nCompose: %v", got, want)
	}
}
