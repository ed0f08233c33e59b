package policy

import (
	"context"
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/quantity"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/fixtures"
)

// tenantCheck is a Check over layers given as YAML specs by name, on
// cluster c/p, with the built-in policies.
func tenantCheck(t *testing.T, specs map[string]string, classes ...any) *Check {
	t.Helper()
	return &Check{Engine: builtinEngine(t), Snapshot: fixtures.SnapshotOf(t, specs, classes...), Cluster: mutate.Cluster{Name: "c", Pool: "p"}}
}

func sparkPod(role string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p-" + role, Namespace: "etl",
			Labels: map[string]string{v1alpha1.RoleLabel: role, AppLabel: "app-1"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "spark-kubernetes-" + role, Image: "mirror.internal/spark:3.5"}}},
	}
}

// composed is pod as the mutating webhook leaves it.
func composed(t *testing.T, c *Check, pod *corev1.Pod) *corev1.Pod {
	t.Helper()
	res, err := mutate.Compose(c.Snapshot, c.Cluster, pod)
	if err != nil {
		t.Fatal(err)
	}
	return res.Pod
}

// verdict checks pod and returns its violations' checks, joined.
func verdict(t *testing.T, c *Check, pod *corev1.Pod, req Request) (string, Decision) {
	t.Helper()
	if req.Operation == "" {
		req.Operation = "CREATE"
	}
	_, d, err := c.Pod(context.Background(), pod, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	var checks []string
	for _, v := range d.Violations {
		checks = append(checks, v.Policy+"/"+v.Check)
	}
	return strings.Join(checks, ","), d
}

const registries = `{tier: ClusterOverrides, config: {isolation: {allowedRegistries: [mirror.internal]},
	imageMirrors: [{from: docker.io, to: mirror.internal}]}}`

// TestTheStoredPodIsJudged: the validating webhook judges the pod it
// receives; composing it again would mirror an image the stored pod does
// not pull through the mirror.
func TestTheStoredPodIsJudged(t *testing.T) {
	c := tenantCheck(t, map[string]string{"reg": registries})
	pod := composed(t, c, sparkPod("executor"))
	pod.Spec.Containers[0].Image = "docker.io/apache/spark:3.5.3" // e.g. changed by an UPDATE
	if got, _ := verdict(t, c, pod, Request{}); got != "isolation/allowedRegistries" {
		t.Fatalf("violations %q, want the unmirrored image denied", got)
	}
}

// TestRegistriesAsTheRuntimeReadsThem: an image and an allowed registry
// are compared as the container runtime reads them, through the mirror
// and the check: an official image is one however written, and a Docker
// Hub namespace allowed by its short name does not allow a registry of
// the same name.
func TestRegistriesAsTheRuntimeReadsThem(t *testing.T) {
	c := tenantCheck(t, map[string]string{"reg": `{tier: ClusterOverrides, config: {
		isolation: {allowedRegistries: [mirror.internal/lib, team]},
		imageMirrors: [{from: docker.io/library, to: mirror.internal/lib}]}}`})
	for image, want := range map[string]string{
		"nginx:1":                                "",
		"docker.io/nginx:1":                      "", // docker.io/library/nginx:1, mirrored as nginx:1 is
		"index.docker.io/nginx":                  "",
		"team/app:1":                             "",
		"docker.io/team/app":                     "",
		"team:1":                                 "",                            // docker.io/library/team:1, a tag
		"team@sha256:" + strings.Repeat("a", 64): "",                            // a digest
		"mirror.internal/lib":                    "",                            // the prefix itself
		"team:5000/app":                          "isolation/allowedRegistries", // the registry team:5000
		"Team/app":                               "isolation/allowedRegistries", // the registry Team
		"teammate/app":                           "isolation/allowedRegistries",
		"mirror.internal/libx/nginx":             "isolation/allowedRegistries",
	} {
		pod := sparkPod("executor")
		pod.Spec.Containers[0].Image = image
		if got, _ := verdict(t, c, composed(t, c, pod), Request{}); got != want {
			t.Errorf("image %q: violations %q, want %q", image, got, want)
		}
	}
}

// TestImageVolumesAreJudged: the kubelet pulls an image volume's reference
// as it pulls a container's image, so a tenant gets no image past the
// registries through a volume, on a Spark pod (whose volume the layers'
// mirror rewrites first) or any other.
func TestImageVolumesAreJudged(t *testing.T) {
	c := tenantCheck(t, map[string]string{"reg": registries})
	withVolume := func(pod *corev1.Pod, reference string) *corev1.Pod {
		pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: "kit",
			VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: reference}}})
		pod.Spec.Containers[0].VolumeMounts = append(pod.Spec.Containers[0].VolumeMounts, corev1.VolumeMount{Name: "kit", MountPath: "/kit"})
		return pod
	}
	plain := func() *corev1.Pod {
		pod := sparkPod("executor")
		delete(pod.Labels, v1alpha1.RoleLabel)
		return pod
	}
	for _, tc := range []struct {
		name string
		pod  *corev1.Pod
		want string
	}{
		{"a Spark pod's volume from another registry", composed(t, c, withVolume(sparkPod("executor"), "evil.io/kit:1")), "isolation/allowedRegistries"},
		{"a Spark pod's volume the mirror pulls", composed(t, c, withVolume(sparkPod("executor"), "docker.io/team/kit:1")), ""},
		{"a Spark pod's volume from an allowed registry", composed(t, c, withVolume(sparkPod("driver"), "mirror.internal/kit:1")), ""},
		{"a pod's volume from another registry", withVolume(plain(), "evil.io/kit:1"), "isolation/allowedRegistries"},
		{"a pod's volume from Docker Hub, not mirrored", withVolume(plain(), "team/kit:1"), "isolation/allowedRegistries"},
	} {
		got, d := verdict(t, c, tc.pod, Request{})
		if got != tc.want {
			t.Errorf("%s: violations %q, want %q", tc.name, got, tc.want)
			continue
		}
		if want := `volume "kit" image `; tc.want != "" && !strings.Contains(d.Violations[0].Message, want) {
			t.Errorf("%s: %q, want it to name the volume (%s)", tc.name, d.Violations[0].Message, want)
		}
	}
}

// TestNoRegistryAllowedAllowsNoImage: an allowedRegistries rule in force
// with no prefix refuses every image, however it is spelled: the input
// then carries neither normalized prefixes nor their boundaries.
func TestNoRegistryAllowedAllowsNoImage(t *testing.T) {
	c := tenantCheck(t, map[string]string{"reg": `{tier: ClusterOverrides, config: {isolation: {allowedRegistries: []}}}`})
	for _, image := range []string{"nginx", "mirror.internal/spark:3.5.3", "docker.io/library/nginx:1"} {
		pod := sparkPod("executor")
		pod.Spec.Containers[0].Image = image
		if got, _ := verdict(t, c, composed(t, c, pod), Request{}); got != "isolation/allowedRegistries" {
			t.Errorf("image %q: violations %q, want it refused", image, got)
		}
	}
}

// TestRequestsTooLargeToCount: requests that would overflow any total are
// refused whatever the enforcement, and count as the bound in totals.
func TestRequestsTooLargeToCount(t *testing.T) {
	c := tenantCheck(t, map[string]string{"q": `{tier: ClusterOverrides, config: {limits: {maxPodCPU: "16"}, enforcement: {quota: dryrun}}}`})
	// The bounds themselves are counted; one unit more is not.
	for _, bound := range []struct {
		name     corev1.ResourceName
		at, past *resource.Quantity
	}{
		{corev1.ResourceCPU, resource.NewMilliQuantity(MaxCountableCPUMilli, resource.DecimalSI), resource.NewMilliQuantity(MaxCountableCPUMilli+1, resource.DecimalSI)},
		{corev1.ResourceMemory, resource.NewQuantity(MaxCountableMemoryBytes, resource.BinarySI), resource.NewQuantity(MaxCountableMemoryBytes+1, resource.BinarySI)},
	} {
		pod := sparkPod("driver")
		pod.Spec.Containers[0].Resources.Requests = corev1.ResourceList{bound.name: *bound.at}
		if got := Countable(pod); got != nil {
			t.Errorf("%s at the bound (%s): %q, want it counted", bound.name, bound.at, got)
		}
		pod.Spec.Containers[0].Resources.Requests = corev1.ResourceList{bound.name: *bound.past}
		if got := Countable(pod); len(got) != 1 {
			t.Errorf("%s one past the bound (%s): %q, want one sentence", bound.name, bound.past, got)
		}
	}
	for name, req := range map[string]corev1.ResourceList{
		"cpu":    {corev1.ResourceCPU: resource.MustParse("9223372036854776")},
		"memory": {corev1.ResourceMemory: resource.MustParse("8Ei")},
	} {
		pod := sparkPod("driver")
		pod.Spec.Containers[0].Resources.Requests = req
		got, d := verdict(t, c, pod, Request{})
		if got != "quota/countable" || d.Allowed() || !strings.Contains(d.Violations[0].Message, "more than Strata counts") {
			t.Errorf("%s: %q %+v, want a denial that the request is too large to count", name, got, d)
		}
		if u := PodRequests(pod); u.CPUMilli < 0 || u.MemoryBytes < 0 || u.CPUMilli > MaxCountableCPUMilli || u.MemoryBytes > MaxCountableMemoryBytes {
			t.Errorf("%s: usage %+v outside [0, bound]", name, u)
		}
	}
}

// TestQuantitiesOfHugeExponents: a quantity of a huge exponent parses at
// once but takes resource.Quantity minutes to add or compare; wherever the
// tenant puts it, it is refused as too large to count, named as written,
// and counts as the bound, without that arithmetic.
func TestQuantitiesOfHugeExponents(t *testing.T) {
	c := tenantCheck(t, map[string]string{"q": `{tier: ClusterOverrides, config: {limits: {maxPodCPU: "16"}}}`})
	huge := resource.MustParse("1.5e999999999")
	for name, set := range map[string]func(*corev1.Pod){
		"container cpu": func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: huge}
		},
		"container memory": func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceMemory: huge}
		},
		"init container cpu": func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "init", Image: p.Spec.Containers[0].Image, Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: huge}}}}
		},
		"overhead memory": func(p *corev1.Pod) { p.Spec.Overhead = corev1.ResourceList{corev1.ResourceMemory: huge} },
		"pod-level cpu": func(p *corev1.Pod) {
			p.Spec.Resources = &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: huge}, Limits: corev1.ResourceList{corev1.ResourceCPU: huge}}
		},
		"limit only": func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: huge}
			p.Spec.Containers[0].Resources.Limits = corev1.ResourceList{corev1.ResourceCPU: huge}
		},
	} {
		pod := sparkPod("driver")
		set(pod)
		finishes(t, name, func() {
			got, d := verdict(t, c, pod, Request{})
			if got != "quota/countable" || d.Allowed() || !strings.Contains(d.Violations[0].Message, "1500e999999996") {
				t.Errorf("%s: %q %+v, want a denial naming 1500e999999996 as too large to count", name, got, d)
			}
			if u := PodRequests(pod); u.CPUMilli != MaxCountableCPUMilli && u.MemoryBytes != MaxCountableMemoryBytes {
				t.Errorf("%s: usage %+v, want the bound", name, u)
			}
		})
	}
	// A resource quota does not read is summed all the same.
	pod := sparkPod("driver")
	pod.Spec.Containers[0].Resources.Requests = corev1.ResourceList{"example.com/gpu": huge, corev1.ResourceCPU: resource.MustParse("1")}
	pod.Spec.Overhead = corev1.ResourceList{"example.com/gpu": resource.MustParse("-1.5e999999999")}
	finishes(t, "another resource", func() {
		if u := PodRequests(pod); u.CPUMilli != 1000 {
			t.Errorf("usage %+v, want 1 CPU", u)
		}
	})
}

// finishes runs f and fails the test if it has not returned within a
// minute (far beyond what any of it takes): a quantity's arithmetic that
// runs away fails here rather than at the test binary's timeout.
func finishes(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatalf("%s: still running after a minute", what)
	}
}

// TestTotalsNeverGoNegative adds and removes pods at the bounds in every
// order: the totals stay exact and never wrap or go below zero.
func TestTotalsNeverGoNegative(t *testing.T) {
	tr := NewTracker()
	huge := func(i int) *corev1.Pod {
		p := sparkPod("executor")
		p.Name = p.Name + string(rune('a'+i%26)) + strings.Repeat("x", i/26)
		p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("8Ei"), corev1.ResourceCPU: resource.MustParse("1e18")}
		return p
	}
	const n = 20000 // 20,000 x 1 PiB overflows an int64 more than twice
	for i := range n {
		tr.Upsert(huge(i))
	}
	// n x 1 PiB is past 2^64 (the exact sum's high word is set), n x 2^40
	// millicores is not past 2^63: memory saturates, CPU is exact.
	if u := tr.Usage("etl"); u.MemoryBytes != math.MaxInt64 || u.CPUMilli != n*MaxCountableCPUMilli || u.Pods != n {
		t.Fatalf("usage %+v, want memory saturated at %d, CPU %d and %d pods", u, int64(math.MaxInt64), n*MaxCountableCPUMilli, n)
	}
	for i := range n - 1 {
		tr.Delete("etl/" + huge(i).Name)
	}
	if u := tr.Usage("etl"); u.MemoryBytes != MaxCountableMemoryBytes || u.CPUMilli != MaxCountableCPUMilli || u.Pods != 1 {
		t.Fatalf("after removing all but one: %+v, want exactly one pod at the bounds", u)
	}
	tr.Delete("etl/" + huge(n-1).Name)
	if u := tr.Usage("etl"); u != (Usage{}) {
		t.Fatalf("empty namespace usage %+v", u)
	}
	var inv Inventory
	inv.subtract(LivePod{Usage: Usage{CPUMilli: 5, Pods: 1}}, "")
	if inv.Namespace.CPUMilli != 0 || inv.Namespace.Pods != 0 {
		t.Fatalf("inventory went negative: %+v", inv)
	}
}

const platformAgent = `{tier: ClusterOverrides, config: {
	sidecars: [{name: node-agent, image: mirror.internal/agent:1, securityContext: {privileged: true},
		volumeMounts: [{name: host-logs, mountPath: /host/logs, readOnly: true}]}],
	volumes: [{name: host-logs, hostPath: {path: /var/log}}]}}`

// TestPlatformPartsAreExactlyWhatLayersInject: a platform sidecar may be
// privileged and mount a hostPath; the same name with anything changed, or
// the hostPath mounted anywhere else, is the tenant's.
func TestPlatformPartsAreExactlyWhatLayersInject(t *testing.T) {
	c := tenantCheck(t, map[string]string{"agent": platformAgent})
	base := composed(t, c, sparkPod("executor"))
	if got, _ := verdict(t, c, base, Request{}); got != "" {
		t.Fatalf("the platform's own sidecar and volume: %q", got)
	}
	agent := func(p *corev1.Pod) *corev1.Container {
		for i := range p.Spec.InitContainers {
			if p.Spec.InitContainers[i].Name == "node-agent" {
				return &p.Spec.InitContainers[i]
			}
		}
		t.Fatal("no node-agent")
		return nil
	}
	tests := map[string]struct {
		edit func(*corev1.Pod)
		want string
	}{
		"own command under the sidecar's name": {func(p *corev1.Pod) { agent(p).Command = []string{"/bin/sh", "-c", "steal"} }, "baseline/privileged"},
		"own image under the sidecar's name":   {func(p *corev1.Pod) { agent(p).Image = "mirror.internal/miner:1" }, "baseline/privileged"},
		"hostPath mounted in the Spark container": {func(p *corev1.Pod) {
			p.Spec.Containers[0].VolumeMounts = append(p.Spec.Containers[0].VolumeMounts, corev1.VolumeMount{Name: "host-logs", MountPath: "/x"})
		}, "baseline/hostPathVolumes"},
		"hostPath mounted writable by the sidecar": {func(p *corev1.Pod) { agent(p).VolumeMounts[0].ReadOnly = false }, "baseline/hostPathVolumes,baseline/privileged"},
		"hostPath mounted in an ephemeral container": {func(p *corev1.Pod) {
			p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
				Name: "debug", Image: "mirror.internal/busybox:1", VolumeMounts: []corev1.VolumeMount{{Name: "host-logs", MountPath: "/h"}}}})
		}, "baseline/hostPathVolumes"},
		"another hostPath under the volume's name": {func(p *corev1.Pod) {
			for i := range p.Spec.Volumes {
				if p.Spec.Volumes[i].Name == "host-logs" {
					p.Spec.Volumes[i].HostPath.Path = "/"
				}
			}
		}, "baseline/hostPathVolumes"},
	}
	for name, tt := range tests {
		pod := base.DeepCopy()
		tt.edit(pod)
		judged := pod.DeepCopy()
		if got, _ := verdict(t, c, judged, Request{}); got != tt.want {
			t.Errorf("%s: violations %q, want %q", name, got, tt.want)
		}
		if !reflect.DeepEqual(judged, pod) {
			t.Errorf("%s: judging changed the pod", name)
		}
	}
}

// TestPodsWithoutASparkRole are judged by the rules of both roles.
func TestPodsWithoutASparkRole(t *testing.T) {
	c := tenantCheck(t, map[string]string{
		"exec-limits": `{tier: NamespaceOverrides, match: {namespaces: [etl]}, executor: {limits: {maxPodCPU: "2", maxExecutorsPerApp: 5}}}`,
	})
	plain := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "etl"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx",
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4")}}}}}}
	if got, _ := verdict(t, c, plain, Request{}); got != "quota/maxPodCPU" {
		t.Fatalf("a plain 4-CPU pod under an executor limit of 2: %q", got)
	}
	plain.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = resource.MustParse("1")
	if got, _ := verdict(t, c, plain, Request{}); got != "" {
		t.Fatalf("a plain pod within the limits (no app needed): %q", got)
	}
	exec := sparkPod("executor")
	exec.Spec.Containers[0].Resources = plain.Spec.Containers[0].Resources
	delete(exec.Labels, AppLabel)
	if got, _ := verdict(t, c, exec, Request{}); got != "quota/maxExecutorsPerApp" {
		t.Fatalf("an executor without spark-app-selector: %q", got)
	}
}

// TestUpdatesMayNotAddViolations: an UPDATE is judged against the stored
// pod; what was admitted before stays, nothing new gets in.
func TestUpdatesMayNotAddViolations(t *testing.T) {
	c := tenantCheck(t, map[string]string{"rules": `{tier: ClusterOverrides, config: {limits: {maxPodCPU: "1"},
		isolation: {allowedRegistries: [mirror.internal], reservedLabelPrefixes: [platform.strata.dev/]}}}`})
	old := sparkPod("driver")
	old.Labels["platform.strata.dev/tenant"] = "etl" // under a reserved prefix, as a layer sets it
	old.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4")}
	old.Spec.HostNetwork = true // admitted under older rules
	old.Spec.Volumes = []corev1.Volume{{Name: "kit", VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: "docker.io/evil/kit:1"}}}}
	if got, _ := verdict(t, c, old, Request{}); got == "" {
		t.Fatal("the stored pod should break today's rules")
	}
	relabelled := old.DeepCopy()
	relabelled.Labels["owner"] = "alice"
	if got, _ := verdict(t, c, relabelled, Request{Operation: "UPDATE", Old: old}); got != "" {
		t.Errorf("a harmless update of a grandfathered pod: %q", got)
	}
	tests := map[string]struct {
		edit func(*corev1.Pod)
		want string
	}{
		"foreign image":  {func(p *corev1.Pod) { p.Spec.Containers[0].Image = "docker.io/evil:1" }, "isolation/allowedRegistries"},
		"reserved label": {func(p *corev1.Pod) { p.Labels["platform.strata.dev/tier"] = "gold" }, "isolation/reservedLabelPrefixes"},
		"resize up": {func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = resource.MustParse("8")
		}, "quota/maxPodCPU"},
		"new role":               {func(p *corev1.Pod) { p.Labels[v1alpha1.RoleLabel] = "executor" }, "isolation/immutableLabels"},
		"app dropped":            {func(p *corev1.Pod) { delete(p.Labels, AppLabel) }, "isolation/immutableLabels"},
		"reserved label removed": {func(p *corev1.Pod) { delete(p.Labels, "platform.strata.dev/tenant") }, "isolation/reservedLabelPrefixes"},
	}
	for name, tt := range tests {
		pod := old.DeepCopy()
		tt.edit(pod)
		if got, _ := verdict(t, c, pod, Request{Operation: "UPDATE", Old: old}); got != tt.want {
			t.Errorf("%s: %q, want %q", name, got, tt.want)
		}
	}
	deleting := old.DeepCopy()
	deleting.DeletionTimestamp = &metav1.Time{}
	deleting.Spec.Containers[0].Image = "docker.io/evil:1"
	if got, _ := verdict(t, c, deleting, Request{Operation: "UPDATE", Old: old}); got != "" {
		t.Errorf("an update of a pod being deleted: %q", got)
	}
}

// TestEveryIAMRoleOnThePod: a role needs an allowlist in force, in
// whichever way the tenant writes it.
func TestEveryIAMRoleOnThePod(t *testing.T) {
	open := tenantCheck(t, map[string]string{"role": `{tier: ClusterDefaults, config: {iam: {role: "arn:aws:iam::111111111111:role/platform"}}}`})
	pod := sparkPod("driver")
	if got, _ := verdict(t, open, composed(t, open, pod), Request{}); got != "" {
		t.Errorf("the layer's role without an allowlist: %q", got)
	}
	asked := pod.DeepCopy()
	asked.Annotations = map[string]string{v1alpha1.IAMRoleAnnotation: "arn:aws:iam::222222222222:role/admin"}
	stored := composed(t, open, asked)
	if stored.Annotations[mutate.IAMRoleAnnotation] == "arn:aws:iam::222222222222:role/admin" {
		t.Fatal("Strata wrote an ungranted role onto the pod")
	}
	if got, _ := verdict(t, open, stored, Request{}); got != "isolation/allowedIAMRoles" {
		t.Errorf("a tenant's role with no allowlist: %q", got)
	}
	limited := tenantCheck(t, map[string]string{"iso": `{tier: ClusterOverrides, config: {isolation: {allowedIAMRoles: ["arn:aws:iam::111111111111:role/etl-*"]}}}`})
	env := pod.DeepCopy()
	env.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "AWS_ROLE_ARN", Value: "arn:aws:iam::222222222222:role/admin"}}
	if got, _ := verdict(t, limited, composed(t, limited, env), Request{}); got != "isolation/allowedIAMRoles" {
		t.Errorf("AWS_ROLE_ARN written by the tenant: %q", got)
	}
	kiam := pod.DeepCopy()
	kiam.Annotations = map[string]string{mutate.IAMRoleAnnotation: "arn:aws:iam::111111111111:role/etl-nightly"}
	if got, _ := verdict(t, limited, composed(t, limited, kiam), Request{}); got != "" {
		t.Errorf("an allowed role on the KIAM annotation: %q", got)
	}

	// A role taken from a Secret, a ConfigMap or the pod's own fields (an
	// annotation the tenant writes) cannot be read at admission: only an
	// allowlist of every role allows it.
	every := tenantCheck(t, map[string]string{"iso": `{tier: ClusterOverrides, config: {isolation: {allowedIAMRoles: ["**"]}}}`})
	for src, want := range map[*corev1.EnvVarSource]string{
		{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "aws"}, Key: "role"}}:       `IAM role "<unread: key \"role\" of Secret \"aws\">" (from user (env AWS_ROLE_ARN of container "sidecar"))`,
		{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "aws"}, Key: "role"}}: `IAM role "<unread: key \"role\" of ConfigMap \"aws\">"`,
		{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.annotations['role']"}}:                                           `IAM role "<unread: the pod's field metadata.annotations['role']>"`,
	} {
		from := pod.DeepCopy()
		from.Spec.Containers = append(from.Spec.Containers, corev1.Container{Name: "sidecar", Image: "mirror.internal/tools:1",
			Env: []corev1.EnvVar{{Name: "AWS_ROLE_ARN", ValueFrom: src}}})
		got, d := verdict(t, limited, composed(t, limited, from), Request{})
		if got != "isolation/allowedIAMRoles" || !strings.Contains(d.Violations[0].Message, want) {
			t.Errorf("AWS_ROLE_ARN from elsewhere: %q %+v, want a violation containing %s", got, d.Violations, want)
		}
		if got, _ := verdict(t, every, composed(t, every, from), Request{}); got != "" {
			t.Errorf("AWS_ROLE_ARN from elsewhere, every role allowed: %q", got)
		}
	}

	// The kubelet expands $(NAME) in a value from the variables before it:
	// a role is judged as it will be at run time, and a part that could be
	// anything makes the whole unread.
	secret := &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "aws"}, Key: "rest"}}
	for name, tt := range map[string]struct {
		env     []corev1.EnvVar
		envFrom bool
		want    string // the violation's role; "" when allowed
	}{
		"a part from a Secret": {env: []corev1.EnvVar{{Name: "REST", ValueFrom: secret},
			{Name: "AWS_ROLE_ARN", Value: "arn:aws:iam::111111111111:role/etl-$(REST)"}},
			want: `IAM role "<unread: \"arn:aws:iam::111111111111:role/etl-$(REST)\" takes a variable of the container's environment>"`},
		"a part from envFrom": {env: []corev1.EnvVar{{Name: "AWS_ROLE_ARN", Value: "arn:aws:iam::111111111111:role/etl-$(REST)"}}, envFrom: true,
			want: `takes a variable of the container's environment`},
		"a variable defined after it": {env: []corev1.EnvVar{{Name: "AWS_ROLE_ARN", Value: "arn:aws:iam::111111111111:role/etl-$(REST)"},
			{Name: "REST", Value: "nightly"}}, want: `takes a variable of the container's environment`},
		"a literal part that stays in the segment": {env: []corev1.EnvVar{{Name: "REST", Value: "nightly"},
			{Name: "AWS_ROLE_ARN", Value: "arn:aws:iam::111111111111:role/etl-$(REST)"}}},
		"a literal part that leaves the segment": {env: []corev1.EnvVar{{Name: "REST", Value: "x/admin"},
			{Name: "AWS_ROLE_ARN", Value: "arn:aws:iam::111111111111:role/etl-$(REST)"}},
			want: `IAM role "arn:aws:iam::111111111111:role/etl-x/admin"`},
		"a whole role written out": {env: []corev1.EnvVar{{Name: "ARN", Value: "arn:aws:iam::222222222222:role/etl-admin"},
			{Name: "AWS_ROLE_ARN", Value: "$(ARN)"}}, want: `IAM role "arn:aws:iam::222222222222:role/etl-admin"`},
		"a variable built from others": {env: []corev1.EnvVar{{Name: "ACCOUNT", Value: "111111111111"},
			{Name: "ARN", Value: "arn:aws:iam::$(ACCOUNT):role/etl-nightly"}, {Name: "AWS_ROLE_ARN", Value: "$(ARN)"}},
			want: `takes a variable of the container's environment`},
		"a role past an ARN's length": {env: []corev1.EnvVar{{Name: "PART", Value: strings.Repeat("x", 1000)},
			{Name: "AWS_ROLE_ARN", Value: "arn:aws:iam::111111111111:role/etl-$(PART)$(PART)$(PART)"}},
			want: `takes a variable of the container's environment`},
		"a literal part overridden from a Secret": {env: []corev1.EnvVar{{Name: "REST", Value: "nightly"}, {Name: "REST", ValueFrom: secret},
			{Name: "AWS_ROLE_ARN", Value: "arn:aws:iam::111111111111:role/etl-$(REST)"}}, want: `takes a variable of the container's environment`},
		"an escaped reference is literal": {env: []corev1.EnvVar{{Name: "REST", ValueFrom: secret},
			{Name: "AWS_ROLE_ARN", Value: "arn:aws:iam::111111111111:role/etl-$$(REST)"}}},
	} {
		from := pod.DeepCopy()
		sidecar := corev1.Container{Name: "sidecar", Image: "mirror.internal/tools:1", Env: tt.env}
		if tt.envFrom {
			sidecar.EnvFrom = []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "aws"}}}}
		}
		from.Spec.Containers = append(from.Spec.Containers, sidecar)
		got, d := verdict(t, limited, composed(t, limited, from), Request{})
		switch {
		case tt.want == "" && got != "":
			t.Errorf("%s: %q %+v, want it allowed", name, got, d.Violations)
		case tt.want != "" && (got != "isolation/allowedIAMRoles" || !strings.Contains(d.Violations[0].Message, tt.want)):
			t.Errorf("%s: %q %+v, want a violation containing %s", name, got, d.Violations, tt.want)
		}
	}
}

// schedulingClasses are a class layers set for drivers, one tenants may
// choose, and the cluster's globalDefault.
func schedulingClasses() []any {
	return []any{
		schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "platform-critical"}, Value: 1000},
		schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "spark-low"}, Value: 10},
		schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "default"}, Value: 0, GlobalDefault: true},
	}
}

// TestSchedulingRules: node affinity is held to reservedNodeSelectors like
// nodeSelector, and priority classes to allowedPriorityClasses, except
// what layers set and the cluster's default.
func TestSchedulingRules(t *testing.T) {
	classes := schedulingClasses()
	c := tenantCheck(t, map[string]string{
		"iso": `{tier: ClusterOverrides, config: {isolation: {reservedNodeSelectors: [pool=core], allowedPriorityClasses: [spark-low]}}}`,
		"drv": `{tier: ClusterOverrides, match: {roles: [driver]}, config: {priorityClassName: platform-critical,
			podPatch: {spec: {affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: pool, operator: In, values: [core]}]}]}}}}}}}`,
	}, classes...)
	if got, _ := verdict(t, c, composed(t, c, sparkPod("driver")), Request{}); got != "" {
		t.Errorf("the layers' own class and affinity: %q", got)
	}
	exec := sparkPod("executor")
	exec.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
		NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "pool", Operator: "In", Values: []string{"batch", "core"}}}}}}}}
	if got, _ := verdict(t, c, composed(t, c, exec), Request{}); got != "isolation/reservedNodeSelectors" {
		t.Errorf("a tenant's affinity to reserved nodes: %q", got)
	}
	for class, want := range map[string]string{"platform-critical": "isolation/allowedPriorityClasses", "spark-low": "", "default": ""} {
		p := sparkPod("executor")
		p.Spec.PriorityClassName = class
		if got, _ := verdict(t, c, composed(t, c, p), Request{}); got != want {
			t.Errorf("executor choosing %s: %q, want %q", class, got, want)
		}
	}
	// A required node affinity on a node's name chooses it whatever its
	// labels; one keeping a pod off a node does not.
	for op, want := range map[corev1.NodeSelectorOperator]string{corev1.NodeSelectorOpIn: "isolation/reservedNodeSelectors", corev1.NodeSelectorOpNotIn: ""} {
		byName := sparkPod("executor")
		byName.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchFields: []corev1.NodeSelectorRequirement{{Key: "metadata.name", Operator: op, Values: []string{"core-node-1"}}}}}}}}
		if got, _ := verdict(t, c, composed(t, c, byName), Request{}); got != want {
			t.Errorf("an executor's required affinity metadata.name %s core-node-1: %q, want %q", op, got, want)
		}
	}
	// The same affinity a layer's patch sets is the platform's.
	platform := tenantCheck(t, map[string]string{
		"iso": `{tier: ClusterOverrides, config: {isolation: {reservedNodeSelectors: [pool=core]}}}`,
		"pin": `{tier: ClusterOverrides, config: {podPatch: {spec: {affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {
			nodeSelectorTerms: [{matchFields: [{key: metadata.name, operator: In, values: [core-node-1]}]}]}}}}}}}`,
	}, classes...)
	if got, _ := verdict(t, platform, composed(t, platform, sparkPod("executor")), Request{}); got != "" {
		t.Errorf("a layer's required affinity on a node's name: %q", got)
	}
	pinned := sparkPod("executor")
	pinned.Spec.NodeName = "core-node-1"
	if got, _ := verdict(t, c, composed(t, c, pinned), Request{}); got != "isolation/reservedNodeSelectors" {
		t.Errorf("spec.nodeName while nodes are reserved: %q", got)
	}

	// A binding, judged as the UPDATE it makes: the stored pod with the
	// node, and the binding's labels and annotations.
	stored := composed(t, c, sparkPod("executor"))
	bound := stored.DeepCopy()
	bound.Spec.NodeName = "core-node-1"
	binding := Request{Operation: "UPDATE", SubResource: "binding", Old: stored}
	if got, _ := verdict(t, c, bound, binding); got != "isolation/reservedNodeSelectors" {
		t.Errorf("a tenant's binding while nodes are reserved: %q", got)
	}
	bound.Labels["spark-role"] = "driver"
	if got, _ := verdict(t, c, bound, binding); got != "isolation/immutableLabels,isolation/reservedNodeSelectors" {
		t.Errorf("a tenant's binding that relabels the pod: %q", got)
	}
	plain := Request{Operation: "UPDATE", Old: stored}
	if got, _ := verdict(t, c, stored.DeepCopy(), plain); got != "" {
		t.Errorf("an UPDATE of the unbound pod: %q", got)
	}
}

// TestEveryIsolationListReachesPolicies: each rule of v1alpha1.Isolation (a
// list, or a struct of them) a layer sets is folded and is in
// input.config.isolation under its JSON name, with its source; a rule added
// to Isolation and left out of either fails here.
func TestEveryIsolationListReachesPolicies(t *testing.T) {
	typ := reflect.TypeFor[v1alpha1.Isolation]()
	// A list of enumerated items takes one of them.
	valid := map[string][]any{"allowedServiceTypes": {"NodePort"}}
	iso := map[string]any{}
	var names []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		names = append(names, name)
		switch {
		case f.Type.Kind() == reflect.Pointer:
			iso[name] = map[string]any{}
		case f.Type.Elem().Kind() == reflect.Struct:
			iso[name] = []any{map[string]any{"key": "x"}}
		case valid[name] != nil:
			iso[name] = valid[name]
		default:
			iso[name] = []any{"x"}
		}
	}
	spec, err := json.Marshal(map[string]any{"tier": "ClusterOverrides", "config": map[string]any{"isolation": iso}})
	if err != nil {
		t.Fatal(err)
	}
	c := tenantCheck(t, map[string]string{"iso": string(spec)})
	res := c.Snapshot.Compose(overlay.Target{Cluster: "c", Pool: "p", Namespace: "etl", Role: v1alpha1.RoleExecutor}, v1alpha1.Config{})
	doc := isolationDoc(res.Config.Isolation, func(k overlay.Key) string {
		by, _ := res.Provenance.SetBy(k)
		return by.String()
	})
	for _, name := range names {
		if got, ok := doc[name]; !ok || got.Source != `ClusterOverrides layer "iso"` {
			t.Errorf("isolation.%s: %+v, %v; want it from the layer", name, got, ok)
		}
	}
	if len(doc) != len(names) {
		t.Errorf("input.config.isolation has %d lists, Isolation %d: %v", len(doc), len(names), doc)
	}
}

// TestPlacementControllersPlaceAdmittedPods: an UPDATE by a controller a
// layer names in placementControllers (Kueue ungating an admitted pod
// onto a flavor's nodes) may add reserved node selectors, node affinity
// and tolerations; the same UPDATE by anyone else, and a CREATE by the
// controller, may not; and the tenant's later updates of the placed pod
// are not refused for what the controller put there.
func TestPlacementControllersPlaceAdmittedPods(t *testing.T) {
	const kueue = "system:serviceaccount:kueue-system:kueue-controller-manager"
	c := tenantCheck(t, map[string]string{
		"iso": `{tier: ClusterOverrides, config: {isolation: {reservedNodeSelectors: [pool], allowedTolerations: [{key: team-gpu}],
			placementControllers: [` + kueue + `]}}}`,
	})
	gated := composed(t, c, sparkPod("executor"))
	gated.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "kueue.x-k8s.io/admission"}}
	placed := gated.DeepCopy()
	placed.Spec.SchedulingGates = nil
	placed.Spec.NodeSelector = map[string]string{"pool": "gpu"}
	placed.Spec.Tolerations = append(placed.Spec.Tolerations, corev1.Toleration{Key: "flavor", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule})
	placed.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
		NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "pool", Operator: "In", Values: []string{"gpu"}}}}}}}}
	as := func(op, user string, old *corev1.Pod) Request {
		return Request{Operation: op, Old: old, UserInfo: authenticationv1.UserInfo{Username: user}}
	}
	const refused = "isolation/allowedTolerations,isolation/reservedNodeSelectors,isolation/reservedNodeSelectors" // the selector and the affinity
	for _, tt := range []struct {
		name string
		req  Request
		want string
	}{
		{"the controller places it", as("UPDATE", kueue, gated), ""},
		{"the tenant places it", as("UPDATE", "system:serviceaccount:etl:spark", gated), refused},
		{"the controller creates it so", as("CREATE", kueue, nil), refused},
	} {
		if got, _ := verdict(t, c, placed, tt.req); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	relabelled := placed.DeepCopy()
	relabelled.Labels["owner"] = "alice"
	if got, _ := verdict(t, c, relabelled, as("UPDATE", "alice", placed)); got != "" {
		t.Errorf("the tenant's update of the placed pod: %q", got)
	}
}

// TestOutOfBoundsRequestsAreClamped: every list a pod's requests are
// computed from (init containers, containers, overhead, the pod's own
// requests and limits) is clamped when any holds a quantity out of
// bounds, and the sentence names the first such quantity as written.
func TestOutOfBoundsRequestsAreClamped(t *testing.T) {
	huge, huger := resource.MustParse("1e30"), resource.MustParse("2e30")
	one := resource.MustParse("1")
	list := func(q resource.Quantity) corev1.ResourceList { return corev1.ResourceList{corev1.ResourceCPU: q} }
	pod := sparkPod("executor")
	pod.Spec.InitContainers = []corev1.Container{{Name: "init", Resources: corev1.ResourceRequirements{Requests: list(one), Limits: list(huge)}}}
	pod.Spec.Containers[0].Resources = corev1.ResourceRequirements{Requests: list(one), Limits: list(huger)}
	pod.Spec.Overhead = list(huger)
	pod.Spec.Resources = &corev1.ResourceRequirements{Requests: list(huger), Limits: list(huger)}
	b := boundedPod(pod)
	for where, l := range map[string]corev1.ResourceList{
		"init requests": b.Spec.InitContainers[0].Resources.Requests, "init limits": b.Spec.InitContainers[0].Resources.Limits,
		"requests": b.Spec.Containers[0].Resources.Requests, "limits": b.Spec.Containers[0].Resources.Limits,
		"overhead": b.Spec.Overhead, "pod requests": b.Spec.Resources.Requests, "pod limits": b.Spec.Resources.Limits,
	} {
		if q := l[corev1.ResourceCPU]; !quantity.Bounded(&q) {
			t.Errorf("%s: %s left out of bounds", where, &q)
		}
	}
	if orig := pod.Spec.Resources.Limits[corev1.ResourceCPU]; quantity.Bounded(&orig) {
		t.Error("the pod itself was clamped, not a copy")
	}
	got := Countable(pod)
	if len(got) != 1 || !strings.HasPrefix(got[0], "pod requests 1e30 CPU") {
		t.Errorf("%q, want the first quantity out of bounds named as written", got)
	}
}

// TestPodIsJudgedInItsNamespace: a request that names no namespace is
// judged in the pod's, as the messages say.
func TestPodIsJudgedInItsNamespace(t *testing.T) {
	c := tenantCheck(t, map[string]string{"iso": `{tier: ClusterOverrides, config: {isolation: {allowedIAMRoles: ["arn:aws:iam::1:role/etl-*"]}}}`})
	pod := sparkPod("driver")
	pod.Annotations = map[string]string{"iam.amazonaws.com/role": "arn:aws:iam::1:role/web"}
	got, d := verdict(t, c, pod, Request{})
	if got != "isolation/allowedIAMRoles" || !strings.Contains(d.Violations[0].Message, `is not allowed in namespace "etl"`) {
		t.Fatalf("%s %+v, want the role refused in namespace etl", got, d.Violations)
	}
}

// TestPodPatchValuesAreThePlatforms: what a layer's pod patch gives a pod
// (a label under a reserved prefix, a toleration outside the tenants'
// allowlist, a reserved node selector, a priority class tenants may not
// choose) is the platform's: the composed pod is admitted, on CREATE
// and on an UPDATE that keeps them. A tenant's value beside them, or one
// changed since, is the tenant's and judged.
func TestPodPatchValuesAreThePlatforms(t *testing.T) {
	c := tenantCheck(t, map[string]string{
		"iso": `{tier: ClusterOverrides, config: {isolation: {reservedLabelPrefixes: [platform.io/], allowedTolerations: [{key: spot}],
  reservedNodeSelectors: [pool], allowedPriorityClasses: [spark-low]}}}`,
		"net": `{tier: ClusterOverrides, config: {podPatch: {metadata: {labels: {platform.io/net: batch}},
  spec: {tolerations: [{key: dedicated, operator: Exists}], nodeSelector: {pool: batch}, priorityClassName: spark-high}}}}`,
	}, schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "spark-high"}, Value: 100})
	pod := composed(t, c, sparkPod("executor"))
	if pod.Labels["platform.io/net"] != "batch" || len(pod.Spec.Tolerations) != 1 || pod.Spec.NodeSelector["pool"] != "batch" ||
		pod.Spec.PriorityClassName != "spark-high" {
		t.Fatalf("the pod patch did not apply: %v %v", pod.Labels, pod.Spec.Tolerations)
	}
	if got, d := verdict(t, c, pod, Request{}); got != "" {
		t.Fatalf("the platform's own pod patch denied: %+v", d.Violations)
	}
	if got, d := verdict(t, c, pod, Request{Operation: "UPDATE", Old: pod.DeepCopy()}); got != "" {
		t.Fatalf("an UPDATE that keeps them denied: %+v", d.Violations)
	}
	changed := pod.DeepCopy()
	changed.Labels["platform.io/net"] = "mine"
	if got, _ := verdict(t, c, changed, Request{Operation: "UPDATE", Old: pod.DeepCopy()}); !strings.Contains(got, "isolation/reservedLabelPrefixes") {
		t.Errorf("a tenant's change of the patched label: %q, want it denied", got)
	}
	tenant := sparkPod("executor")
	tenant.Labels["platform.io/owner"] = "me"
	got, d := verdict(t, c, composed(t, c, tenant), Request{})
	if got != "isolation/reservedLabelPrefixes" {
		t.Errorf("a tenant's own label beside the patch's: %q, want it denied", got)
	}
	stored := pod.DeepCopy()
	stored.Spec.Tolerations = append(stored.Spec.Tolerations, corev1.Toleration{Key: "gpu", Operator: corev1.TolerationOpExists})
	if got, _ := verdict(t, c, stored, Request{}); got != "isolation/allowedTolerations" {
		t.Errorf("a tenant's toleration beside the patch's: %q, want it denied", got)
	}
	for _, v := range d.Violations {
		if strings.Contains(v.Message, "dedicated") || strings.Contains(v.Message, "platform.io/net") {
			t.Errorf("the patch's own value held against the tenant: %s", v.Message)
		}
	}
}

// TestNoRequestUnderALimit: a pod that requests none of a resource counts
// for none of it, so where a limit on the resource applies it is refused,
// in whatever way it comes to request none; a pod that requests some, in
// any of the ways the API server counts, is not.
func TestNoRequestUnderALimit(t *testing.T) {
	c := tenantCheck(t, map[string]string{"limits": `{tier: NamespaceOverrides, match: {namespaces: [etl]},
		config: {limits: {namespaceCPU: "100", maxPodMemory: "64Gi"}}}`})
	requests := func(cpu, memory string) corev1.ResourceList {
		r := corev1.ResourceList{}
		if cpu != "" {
			r[corev1.ResourceCPU] = resource.MustParse(cpu)
		}
		if memory != "" {
			r[corev1.ResourceMemory] = resource.MustParse(memory)
		}
		return r
	}
	const (
		noCPU    = `quota: pod requests no CPU, so no limit counts what it uses; namespace "etl" limits namespaceCPU to 100 (NamespaceOverrides layer "limits"), so every pod must request CPU`
		noMemory = `quota: pod requests no memory, so no limit counts what it uses; namespace "etl" limits maxPodMemory to 64Gi (NamespaceOverrides layer "limits"), so every pod must request memory`
	)
	for _, tc := range []struct {
		name string
		edit func(*corev1.Pod)
		want []string
	}{
		{"requests of both", func(p *corev1.Pod) { p.Spec.Containers[0].Resources.Requests = requests("1", "1Gi") }, nil},
		{"none", func(p *corev1.Pod) {}, []string{noMemory, noCPU}},
		{"no CPU", func(p *corev1.Pod) { p.Spec.Containers[0].Resources.Requests = requests("", "1Gi") }, []string{noCPU}},
		{"zero written", func(p *corev1.Pod) { p.Spec.Containers[0].Resources.Requests = requests("0", "0") }, []string{noMemory, noCPU}},
		{"limits alone, which the API server makes requests", func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources.Limits = requests("2", "2Gi")
			*p = *ServerDefaults(p)
		}, nil},
		{"in a sidecar", func(p *corev1.Pod) {
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "sidecar", Image: p.Spec.Containers[0].Image,
				Resources: corev1.ResourceRequirements{Requests: requests("100m", "64Mi")}})
		}, nil},
		{"in an init container", func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "init", Image: p.Spec.Containers[0].Image,
				Resources: corev1.ResourceRequirements{Requests: requests("100m", "64Mi")}}}
		}, nil},
		{"for the pod", func(p *corev1.Pod) { p.Spec.Resources = &corev1.ResourceRequirements{Requests: requests("1", "1Gi")} }, nil},
		{"without a Spark role", func(p *corev1.Pod) { delete(p.Labels, v1alpha1.RoleLabel) }, []string{noMemory, noCPU}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := sparkPod("executor")
			tc.edit(pod)
			_, d, err := c.Pod(context.Background(), pod, Request{Operation: "CREATE"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range d.Violations {
				got = append(got, v.Message)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("violations %q, want %q", got, tc.want)
			}
		})
	}
	// Elsewhere no limit applies, and a pod need request nothing.
	other := sparkPod("executor")
	other.Namespace = "geo"
	if got, _ := verdict(t, c, other, Request{}); got != "" {
		t.Errorf("no limit on the namespace: %q", got)
	}
	// A pod stored before the rule keeps being updated; a resize may not
	// take a request to none.
	stored := sparkPod("executor")
	if got, _ := verdict(t, c, stored, Request{Operation: "UPDATE", Old: stored}); got != "" {
		t.Errorf("an update of a stored pod that requests nothing: %q", got)
	}
	sized := sparkPod("executor")
	sized.Spec.Containers[0].Resources.Requests = requests("1", "1Gi")
	resized := sized.DeepCopy()
	resized.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = resource.MustParse("0")
	if got, _ := verdict(t, c, resized, Request{Operation: "UPDATE", SubResource: "resize", Old: sized}); got != "quota/namespaceCPU" {
		t.Errorf("a resize to no CPU: %q", got)
	}
	halved := sized.DeepCopy()
	halved.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = resource.MustParse("500m")
	if got, _ := verdict(t, c, halved, Request{Operation: "UPDATE", SubResource: "resize", Old: sized}); got != "" {
		t.Errorf("a resize to less CPU: %q", got)
	}
}

// TestLayersChangingBetweenMutationAndValidation: a pod's composition
// and its judgment may see two snapshots (two replicas behind the
// Service, or a Layer applied in between), so the pod may name other
// layers in strata.dev/layers than the judging snapshot matches. On
// CREATE the mutating webhook wrote that annotation whatever the request
// held, so a Layer rollout refuses no pod in flight; a pod no mutation
// composed (no Spark role) and an UPDATE that changes the record are
// still refused.
func TestLayersChangingBetweenMutationAndValidation(t *testing.T) {
	rules := `{tier: ClusterOverrides, config: {isolation: {reservedLabelPrefixes: [strata.dev/]}}}`
	team := `{tier: NamespaceOverrides, match: {namespaces: [etl]}, config: {labels: {team: etl}}}`
	added := `{tier: ClusterDefaults, config: {nodeSelector: {pool: batch}}}`
	before := tenantCheck(t, map[string]string{"rules": rules, "team": team})
	for name, after := range map[string]*Check{
		"a Layer added":   tenantCheck(t, map[string]string{"rules": rules, "team": team, "added": added}),
		"a Layer deleted": tenantCheck(t, map[string]string{"rules": rules}),
	} {
		for _, role := range []string{"driver", "executor"} {
			pod := composed(t, before, sparkPod(role))
			if pod.Annotations[v1alpha1.LayersAnnotation] != "team,rules" && pod.Annotations[v1alpha1.LayersAnnotation] != "rules,team" {
				t.Fatalf("%s: composed with layers %q", name, pod.Annotations[v1alpha1.LayersAnnotation])
			}
			if got, d := verdict(t, after, pod, Request{}); got != "" {
				t.Errorf("%s, %s: a pod composed just before is refused: %v", name, role, d.Violations)
			}
			edited := pod.DeepCopy()
			edited.Annotations[v1alpha1.LayersAnnotation] = "rules"
			if got, _ := verdict(t, after, edited, Request{Operation: "UPDATE", Old: pod}); got != "isolation/reservedLabelPrefixes" {
				t.Errorf("%s, %s: an UPDATE that rewrites strata.dev/layers: %q, want it refused", name, role, got)
			}
		}
	}
	plain := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "etl", Annotations: map[string]string{v1alpha1.LayersAnnotation: "rules"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx"}}}}
	if got, _ := verdict(t, before, plain, Request{}); got != "isolation/reservedLabelPrefixes" {
		t.Errorf("a pod of no Spark role naming layers: %q, want it refused", got)
	}
}

// TestAPodComposedIntoAnotherContainerStaysUpdatable: a pod an earlier
// Strata composed with a layer's hostPath mount in a container other than
// the one it now takes for Spark's (a template's Spark container named
// otherwise, behind a sidecar) breaks the baseline as it is stored: the
// mount is not one the composition makes there. Its UPDATEs are judged
// against the stored pod, so a label change, or a controller's, is let
// through.
func TestAPodComposedIntoAnotherContainerStaysUpdatable(t *testing.T) {
	c := tenantCheck(t, map[string]string{"logs": `{tier: ClusterOverrides, config: {
		volumes: [{name: node-logs, hostPath: {path: /var/log/spark}}], volumeMounts: [{name: node-logs, mountPath: /host-logs}]}}`})
	pod := sparkPod("executor")
	spark := &pod.Spec.Containers[0]
	spark.Name, spark.Args = "main", []string{"executor"}
	spark.Env = []corev1.EnvVar{{Name: v1alpha1.SparkExecutorIDVariable, Value: "1"}}
	pod.Spec.Containers = append([]corev1.Container{{Name: "exporter", Image: "mirror.internal/exporter:1"}}, pod.Spec.Containers...)
	stored := composed(t, c, pod)
	if got, _ := verdict(t, c, stored, Request{}); got != "" {
		t.Fatalf("composed today: %q", got)
	}
	// As an earlier Strata stored it: the mount in the first container.
	main := &stored.Spec.Containers[slices.IndexFunc(stored.Spec.Containers, func(c corev1.Container) bool { return c.Name == "main" })]
	i := slices.IndexFunc(main.VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == "node-logs" })
	stored.Spec.Containers[0].VolumeMounts = append(stored.Spec.Containers[0].VolumeMounts, main.VolumeMounts[i])
	main.VolumeMounts = slices.Delete(main.VolumeMounts, i, i+1)
	if got, _ := verdict(t, c, stored, Request{}); got != "baseline/hostPathVolumes" {
		t.Fatalf("as an earlier Strata stored it: %q, want the hostPath refused on a create", got)
	}
	relabelled := stored.DeepCopy()
	relabelled.Labels["owner"] = "alice"
	if got, _ := verdict(t, c, relabelled, Request{Operation: "UPDATE", Old: stored}); got != "" {
		t.Errorf("a label change of that pod: %q", got)
	}
}
