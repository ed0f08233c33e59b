package e2e

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

const mirroredNginx = "mirror.prod-a.internal/dockerhub/library/nginx:1.27"

var exemptOnce sync.Once

// exemptNamespace is a namespace an administrator opted out of the pod
// policies (strata.dev/exempt=true).
func exemptNamespace(t *testing.T) string {
	t.Helper()
	const name = "platform-tools"
	exemptOnce.Do(func() {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"strata.dev/exempt": "true"}}}
		if err := cp.Client.Create(context.Background(), ns); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("creating the exempt namespace: %v", err)
		}
	})
	return name
}

// plainPod is a pod without a Spark role that requests a little of each
// resource, as a pod must where a limit on it applies.
func plainPod(name, namespace, image string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: map[string]string{"app": name}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: image,
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
				corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi")}}}}},
	}
}

func wantDenied(t *testing.T, what string, err error, want string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("%s: error %v, want a denial containing %q", what, err, want)
	}
}

// TestEveryTenantPodIsJudged: a pod without spark-role gets no way around
// isolation, per-pod limits or the baseline in a tenant namespace; an
// exempt namespace is not judged.
func TestEveryTenantPodIsJudged(t *testing.T) {
	ctx := context.Background()
	privileged := plainPod("plain-privileged", "etl", mirroredNginx)
	privileged.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: ptr(true)}
	wantDenied(t, "privileged", cp.Client.Create(ctx, privileged.DeepCopy()), `container "main" must not set securityContext.privileged=true`)

	big := plainPod("plain-big", "etl", mirroredNginx)
	big.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = resource.MustParse("64")
	wantDenied(t, "64 CPU", cp.Client.Create(ctx, big), `quota: pod requests 64 CPU; group "core-data" allows at most 16 per pod`)

	// A pod that requests none of a limited resource would count for none
	// of it; one that sets only its limits requests them (the API server's
	// defaults, before any webhook).
	unsized := plainPod("plain-unsized", "etl", mirroredNginx)
	unsized.Spec.Containers[0].Resources = corev1.ResourceRequirements{}
	wantDenied(t, "no requests", cp.Client.Create(ctx, unsized.DeepCopy()), `quota: pod requests no CPU, so no limit counts what it uses; group "core-data" limits namespaceCPU to 200 (NamespaceOverrides layer "ns-etl"), so every pod must request CPU`)
	wantDenied(t, "no requests", cp.Client.Create(ctx, unsized.DeepCopy()), `quota: pod requests no memory, so no limit counts what it uses; group "core-data" limits namespaceMemory to 800Gi (NamespaceOverrides layer "ns-etl"), so every pod must request memory`)
	limited := unsized.DeepCopy()
	limited.Name = "plain-limited"
	limited.Spec.Containers[0].Resources.Limits = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("256Mi")}
	if err := cp.Client.Create(ctx, limited); err != nil {
		t.Errorf("a plain pod that sets only its limits: %v", err)
	}

	foreign := plainPod("plain-foreign", "etl", "docker.io/library/nginx:1.27")
	wantDenied(t, "foreign registry", cp.Client.Create(ctx, foreign), `image "docker.io/library/nginx:1.27" is not from an allowed registry`)

	role := plainPod("plain-role", "etl", mirroredNginx)
	role.Annotations = map[string]string{"iam.amazonaws.com/role": "arn:aws:iam::444455556666:role/spark-geo"}
	wantDenied(t, "another tenant's IAM role", cp.Client.Create(ctx, role), `IAM role "arn:aws:iam::444455556666:role/spark-geo" (from user (annotation iam.amazonaws.com/role)) is not allowed in namespace "etl"`)

	huge := plainPod("plain-huge", "etl", mirroredNginx)
	huge.Spec.Containers[0].Resources.Requests = corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("9223372036854776"), corev1.ResourceMemory: resource.MustParse("8Ei")}
	wantDenied(t, "overflowing requests", cp.Client.Create(ctx, huge), "more than Strata counts")

	if err := cp.Client.Create(ctx, plainPod("plain-ok", "etl", mirroredNginx)); err != nil {
		t.Errorf("a compliant plain pod: %v", err)
	}
	exempt := privileged.DeepCopy()
	exempt.Namespace = exemptNamespace(t)
	if err := cp.Client.Create(ctx, exempt); err != nil {
		t.Errorf("privileged pod in an exempt namespace: %v", err)
	}
}

// TestImageVolumesAreJudged: the kubelet pulls an image volume's reference
// as it pulls a container's image. Through the API server, a Spark pod's
// image volume is pulled through the cluster's mirror (the stored pod
// says so, and the composer's dry run agrees); one from a registry not
// allowed is refused, on a Spark pod and on any other, naming the volume.
func TestImageVolumesAreJudged(t *testing.T) {
	ctx := context.Background()
	withVolume := func(pod *corev1.Pod, reference string) *corev1.Pod {
		pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: "kit",
			VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: reference}}})
		pod.Spec.Containers[0].VolumeMounts = append(pod.Spec.Containers[0].VolumeMounts, corev1.VolumeMount{Name: "kit", MountPath: "/kit"})
		return pod
	}
	const deniedVolume = `volume "kit" image "ghcr.io/evil/kit:1" is not from an allowed registry`
	wantDenied(t, "a pod's image volume from another registry", cp.Client.Create(ctx, withVolume(plainPod("image-volume-plain", "etl", mirroredNginx), "ghcr.io/evil/kit:1")), deniedVolume)
	wantDenied(t, "an executor's image volume from another registry", cp.Client.Create(ctx, withVolume(examplePod(t, "executor.yaml", "image-volume-exec-1"), "ghcr.io/evil/kit:1")), deniedVolume)
	wantDenied(t, "a pod's image volume from Docker Hub, not mirrored", cp.Client.Create(ctx, withVolume(plainPod("image-volume-hub", "etl", mirroredNginx), "busybox:1.36")),
		`volume "kit" image "busybox:1.36" is not from an allowed registry`)

	pod := withVolume(examplePod(t, "executor.yaml", "image-volume-exec-2"), "busybox:1.36")
	dry := composeWithCLI(t, pod)
	if err := cp.Client.Create(ctx, pod); err != nil {
		t.Fatalf("an executor's image volume from Docker Hub: %v", err)
	}
	const want = "mirror.prod-a.internal/dockerhub/library/busybox:1.36"
	for what, p := range map[string]*corev1.Pod{"the stored pod": pod, "the dry run": dry} {
		if v := p.Spec.Volumes[slices.IndexFunc(p.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == "kit" })]; v.Image == nil || v.Image.Reference != want {
			t.Errorf("%s: volume %+v, want the image %s", what, v, want)
		}
	}
	if resp := admit(t, pod); !resp.Allowed || len(resp.Patch) != 0 {
		t.Errorf("second pass patches %s", resp.Patch)
	}

	// A SparkApplication whose executors would mount a foreign image is
	// refused when it is written; one from Docker Hub is stored mirrored.
	for reference, refused := range map[string]bool{"ghcr.io/evil/kit:1": true, "busybox:1.36": false} {
		app := exampleApp(t, "etl-report.yaml", "image-volume-"+strings.NewReplacer("/", "-", ":", "-", ".", "-").Replace(reference))
		if err := unstructured.SetNestedSlice(app.Object, []any{map[string]any{"name": "kit", "image": map[string]any{"reference": reference}}}, "spec", "volumes"); err != nil {
			t.Fatal(err)
		}
		if err := unstructured.SetNestedSlice(app.Object, []any{map[string]any{"name": "kit", "mountPath": "/kit"}}, "spec", "executor", "volumeMounts"); err != nil {
			t.Fatal(err)
		}
		err := cp.Client.Create(ctx, app)
		if refused {
			wantDenied(t, "an application's image volume from another registry", err, `volume "kit" image "ghcr.io/evil/kit:1" is not from an allowed registry`)
			continue
		}
		if err != nil {
			t.Fatalf("an application's image volume from Docker Hub: %v", err)
		}
		t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), app) })
		volumes, _, _ := unstructured.NestedSlice(app.Object, "spec", "volumes")
		if got, _, _ := unstructured.NestedString(volumes[0].(map[string]any), "image", "reference"); got != want {
			t.Errorf("the stored application's volume: %v, want the image %s", volumes, want)
		}
	}
}

// TestEveryWayIn: updates, ephemeral containers, in-place resizes and
// what status updates change of the metadata are judged like a create, and
// what counts a pod in the inventory cannot be relabelled away.
func TestEveryWayIn(t *testing.T) {
	ctx := context.Background()
	pod := plainPod("ways-in", "etl", mirroredNginx)
	pod.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = resource.MustParse("1")
	pod.Spec.Containers[0].Resources.Limits = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}
	if err := cp.Client.Create(ctx, pod); err != nil {
		t.Fatal(err)
	}
	update := func(mutate func(*corev1.Pod)) *corev1.Pod {
		var p corev1.Pod
		if err := cp.Client.Get(ctx, client.ObjectKeyFromObject(pod), &p); err != nil {
			t.Fatal(err)
		}
		mutate(&p)
		return &p
	}
	wantDenied(t, "update to a foreign image", cp.Client.Update(ctx, update(func(p *corev1.Pod) {
		p.Spec.Containers[0].Image = "docker.io/evil/miner:1"
	})), `image "docker.io/evil/miner:1" is not from an allowed registry`)
	wantDenied(t, "update adding a reserved label", cp.Client.Update(ctx, update(func(p *corev1.Pod) {
		p.Labels["platform.strata.dev/tier"] = "gold"
	})), `label "platform.strata.dev/tier" is reserved for the platform`)
	if err := cp.Client.Update(ctx, update(func(p *corev1.Pod) { p.Labels["owner"] = "alice" })); err != nil {
		t.Errorf("a harmless update: %v", err)
	}

	debug := update(func(p *corev1.Pod) {
		p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
			Name: "debug", Image: mirroredNginx, SecurityContext: &corev1.SecurityContext{Privileged: ptr(true)}}})
	})
	wantDenied(t, "privileged ephemeral container", cp.Client.SubResource("ephemeralcontainers").Update(ctx, debug),
		`container "debug" must not set securityContext.privileged=true`)
	debug.Spec.EphemeralContainers[0].SecurityContext = nil
	debug.Spec.EphemeralContainers[0].Image = "docker.io/library/busybox:1"
	wantDenied(t, "ephemeral container from a foreign registry", cp.Client.SubResource("ephemeralcontainers").Update(ctx, debug),
		`container "debug" image "docker.io/library/busybox:1" is not from an allowed registry`)
	debug.Spec.EphemeralContainers[0].Image = mirroredNginx
	if err := cp.Client.SubResource("ephemeralcontainers").Update(ctx, debug); err != nil {
		t.Errorf("a compliant ephemeral container: %v", err)
	}

	resized := update(func(p *corev1.Pod) {
		p.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = resource.MustParse("64")
		p.Spec.Containers[0].Resources.Limits[corev1.ResourceCPU] = resource.MustParse("64")
	})
	wantDenied(t, "resize to 64 CPU", cp.Client.SubResource("resize").Update(ctx, resized), `quota: pod requests 64 CPU`)

	// The status subresource keeps the stored spec but takes labels and
	// annotations: judged as any update where it changes them.
	wantDenied(t, "status update adding a reserved label", cp.Client.Status().Update(ctx, update(func(p *corev1.Pod) {
		p.Labels["platform.strata.dev/tier"] = "gold"
	})), `label "platform.strata.dev/tier" is reserved for the platform`)
	wantDenied(t, "status update adding another tenant's IAM role", cp.Client.Status().Update(ctx, update(func(p *corev1.Pod) {
		p.Annotations = map[string]string{"iam.amazonaws.com/role": "arn:aws:iam::444455556666:role/spark-geo"}
	})), `IAM role "arn:aws:iam::444455556666:role/spark-geo" (from user (annotation iam.amazonaws.com/role)) is not allowed`)
	if err := cp.Client.Status().Update(ctx, update(func(p *corev1.Pod) { p.Labels["reviewed"] = "yes" })); err != nil {
		t.Errorf("a harmless label through status: %v", err)
	}
	if err := cp.Client.Status().Update(ctx, update(func(p *corev1.Pod) {
		p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: "example.com/Checked", Status: corev1.ConditionTrue})
	})); err != nil {
		t.Errorf("a status-only update: %v", err)
	}
	if p := update(func(*corev1.Pod) {}); p.Labels["platform.strata.dev/tier"] != "" || p.Annotations["iam.amazonaws.com/role"] != "" || p.Labels["reviewed"] != "yes" {
		t.Errorf("after the status updates, labels %v and annotations %v", p.Labels, p.Annotations)
	}
	// Ending a pod, which quota then stops counting, is its node's and
	// the cluster's controllers' to write.
	running := update(func(p *corev1.Pod) { p.Status.Phase = corev1.PodRunning })
	if err := cp.Client.Status().Update(ctx, running); err != nil {
		t.Fatalf("a running phase: %v", err)
	}
	wantDenied(t, "a tenant ends its running pod", cp.Client.Status().Update(ctx, update(func(p *corev1.Pod) { p.Status.Phase = corev1.PodSucceeded })),
		`quota: pod "ways-in": status.phase Succeeded written by`)
	gc := impersonating(t, "system:serviceaccount:kube-system:pod-garbage-collector", "system:serviceaccounts")
	allow(t, "e2e-ends-pods", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods/status"}, Verbs: []string{"get", "update"}},
		rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: "kube-system", Name: "pod-garbage-collector"})
	if err := gc.Status().Update(ctx, update(func(p *corev1.Pod) { p.Status.Phase = corev1.PodFailed })); err != nil {
		t.Errorf("the pod garbage collector fails the pod: %v", err)
	}

	// A Spark executor cannot leave its app's count by relabelling.
	exec := examplePod(t, "executor.yaml", "ways-in-exec-1")
	if err := cp.Client.Create(ctx, exec); err != nil {
		t.Fatal(err)
	}
	var stored corev1.Pod
	if err := cp.Client.Get(ctx, client.ObjectKeyFromObject(exec), &stored); err != nil {
		t.Fatal(err)
	}
	for _, label := range []string{"spark-app-selector", "spark-role"} {
		p := stored.DeepCopy()
		delete(p.Labels, label)
		wantDenied(t, "removing "+label, cp.Client.Update(ctx, p), `label "`+label+`" cannot be changed on an existing pod`)
		wantDenied(t, "removing "+label+" through status", cp.Client.Status().Update(ctx, p.DeepCopy()), `label "`+label+`" cannot be changed on an existing pod`)
	}
}

// TestNamespaceExemptionIsAdminOnly: a tenant that may edit its own
// Namespace (as some multi-tenancy tools allow) still cannot opt it out of
// the pod policies, nor move it to another tenant's layers by the labels
// they match on.
func TestNamespaceExemptionIsAdminOnly(t *testing.T) {
	ctx := context.Background()
	allow(t, "tenant-edits-namespaces", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get", "update", "patch"}},
		rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "alice"})
	alice := impersonating(t, "alice")
	var ns corev1.Namespace
	if err := alice.Get(ctx, client.ObjectKey{Name: "etl"}, &ns); err != nil {
		t.Fatal(err)
	}
	ns.Labels["strata.dev/exempt"] = "true"
	wantDenied(t, "tenant labels its namespace exempt", alice.Update(ctx, &ns), "only platform admins")
	// Nor may it pick another tenant's layers by the label they match on.
	// (Should the guard let it, the namespace gets its group back for the
	// tests after this one.)
	t.Cleanup(func() {
		var etl corev1.Namespace
		if err := cp.Client.Get(ctx, client.ObjectKey{Name: "etl"}, &etl); err == nil && etl.Labels["group"] != "core-data" {
			etl.Labels["group"] = "core-data"
			_ = cp.Client.Update(ctx, &etl)
		}
		_ = cp.Client.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "alice-geo"}})
	})
	for _, group := range []string{"geo", ""} {
		if err := alice.Get(ctx, client.ObjectKey{Name: "etl"}, &ns); err != nil {
			t.Fatal(err)
		}
		if group == "" {
			delete(ns.Labels, "group")
		} else {
			ns.Labels["group"] = group
		}
		// The example's Layers select on group, and the policies read it:
		// either policy's denial names it.
		wantDenied(t, "tenant relabels its namespace group="+group, alice.Update(ctx, &ns),
			"the Namespace label group ")
		wantDenied(t, "tenant relabels its namespace group="+group, alice.Update(ctx, &ns),
			"only platform admins (group strata:platform-admins) may set, change or remove it")
	}
	// Other labels stay the tenant's to edit.
	if err := alice.Get(ctx, client.ObjectKey{Name: "etl"}, &ns); err != nil {
		t.Fatal(err)
	}
	ns.Labels["owner"] = "alice"
	if err := alice.Update(ctx, &ns); err != nil {
		t.Errorf("tenant edits another label: %v", err)
	}
	if ns.Labels["group"] != "core-data" {
		t.Errorf("the namespace's group is %q", ns.Labels["group"])
	}
	// A tenant that may create Namespaces cannot create one in a group.
	allow(t, "e2e-tenant-creates-namespaces", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"create"}},
		rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "alice"})
	wantDenied(t, "tenant creates a namespace in geo's group", alice.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "alice-geo",
		Labels: map[string]string{"group": "geo"}}}), "the Namespace label group ")

	// A key a Layer selects on is kept as soon as the Layer exists, with no
	// list to keep in the guard, whatever the operator: here adding the
	// label would take the namespace out of the Layer.
	layer := &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "e2e-not-paused"}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.ClusterOverrides,
		Match: v1alpha1.Match{Namespaces: []string{"etl", "e2e-former-tenant", "e2e-by-label"}, NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "e2e.strata.dev/paused", Operator: metav1.LabelSelectorOpDoesNotExist},
			{Key: corev1.LabelMetadataName, Operator: metav1.LabelSelectorOpIn, Values: []string{"etl", "e2e-by-label"}}}}},
		Config: &v1alpha1.Config{Labels: map[string]string{"e2e-not-paused": "true"}}}}
	createLayer(t, layer, "etl")
	setPaused := func() error {
		if err := alice.Get(ctx, client.ObjectKey{Name: "etl"}, &ns); err != nil {
			t.Fatal(err)
		}
		ns.Labels["e2e.strata.dev/paused"] = "true"
		return alice.Update(ctx, &ns)
	}
	var err error
	const keptBy = "decides which Strata layers apply to the namespace"
	for range 150 { // the API server reads Layers, the policy's parameters, through its own watch
		if err = setPaused(); err != nil && strings.Contains(err.Error(), keptBy) {
			break
		}
		if err == nil { // not kept yet: put it back and try again
			delete(ns.Labels, "e2e.strata.dev/paused")
			if err := cp.Client.Update(ctx, &ns); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	wantDenied(t, "tenant sets a label a Layer selects on", err,
		`the Namespace label e2e.strata.dev/paused decides which Strata layers apply to the namespace (Layer e2e-not-paused selects by it); only platform admins`)
	// Nor may it create a namespace a Layer names, and get that Layer.
	former := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "e2e-former-tenant"}}
	t.Cleanup(func() { _ = cp.Client.Delete(ctx, former) })
	wantDenied(t, "tenant creates a namespace a Layer names", alice.Create(ctx, former.DeepCopy()),
		`the Namespace e2e-former-tenant is one Strata layers apply to (Layer e2e-not-paused names it); only platform admins (group strata:platform-admins) may create it`)
	// Or one its selector names by the label the API server gives every
	// namespace its name in; that label decides nothing else: a namespace
	// of another name is the tenant's to create.
	wantDenied(t, "tenant creates a namespace a Layer's selector names", alice.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "e2e-by-label"}}),
		`the Namespace e2e-by-label is one Strata layers apply to (Layer e2e-not-paused names it)`)
	unnamed := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "e2e-unnamed"}}
	t.Cleanup(func() { _ = cp.Client.Delete(ctx, unnamed) })
	if err := alice.Create(ctx, unnamed); err != nil {
		t.Errorf("tenant creates a namespace no Layer names: %v", err)
	}
	// With the Layer gone, the label is the tenant's again.
	if err := cp.Client.Delete(ctx, layer); err != nil {
		t.Fatal(err)
	}
	waitForLayerGone(t, layer, "etl")
	for range 150 {
		if err = setPaused(); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Errorf("tenant sets a label no Layer selects on: %v", err)
	}
	if err := alice.Create(ctx, former.DeepCopy()); err != nil {
		t.Errorf("tenant creates a namespace no Layer names: %v", err)
	}
	if err := cp.Client.Get(ctx, client.ObjectKey{Name: "etl"}, &ns); err == nil {
		delete(ns.Labels, "e2e.strata.dev/paused")
		_ = cp.Client.Update(ctx, &ns)
	}
}

// TestNamespaceSubresourcesAreGuarded: the status and finalize
// subresources of a Namespace take its labels and annotations from what
// they are sent, as the Namespace itself does; a tenant given them cannot
// exempt its namespace, change its group or pin its pods through them.
func TestNamespaceSubresourcesAreGuarded(t *testing.T) {
	ctx := context.Background()
	allow(t, "e2e-tenant-updates-namespace-subresources", rbacv1.PolicyRule{APIGroups: []string{""},
		Resources: []string{"namespaces/status", "namespaces/finalize"}, Verbs: []string{"update", "patch"}},
		rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "alice"})
	alice := impersonating(t, "alice")
	t.Cleanup(func() { // should a write get through, the namespace is put back for the tests after this one
		var etl corev1.Namespace
		if err := cp.Client.Get(ctx, client.ObjectKey{Name: "etl"}, &etl); err == nil {
			delete(etl.Labels, "strata.dev/exempt")
			delete(etl.Annotations, overlay.NamespaceNodeSelectorAnnotation)
			etl.Labels["group"] = "core-data"
			_ = cp.Client.Update(ctx, &etl)
		}
	})
	for _, tc := range []struct {
		what, subresource string
		edit              func(*corev1.Namespace)
		want              string
	}{
		{"labels its namespace exempt", "status", func(ns *corev1.Namespace) { ns.Labels["strata.dev/exempt"] = "true" }, "only platform admins"},
		{"labels its namespace exempt", "finalize", func(ns *corev1.Namespace) { ns.Labels["strata.dev/exempt"] = "true" }, "only platform admins"},
		{"relabels its namespace group=geo", "status", func(ns *corev1.Namespace) { ns.Labels["group"] = "geo" }, "the Namespace label group "},
		{"relabels its namespace group=geo", "finalize", func(ns *corev1.Namespace) { ns.Labels["group"] = "geo" }, "the Namespace label group "},
		{"pins its namespace's pods", "status", func(ns *corev1.Namespace) {
			metav1.SetMetaDataAnnotation(&ns.ObjectMeta, overlay.NamespaceNodeSelectorAnnotation, "node.strata.dev/pool=core")
		}, "the Namespace annotation " + overlay.NamespaceNodeSelectorAnnotation},
	} {
		var ns corev1.Namespace
		if err := cp.Client.Get(ctx, client.ObjectKey{Name: "etl"}, &ns); err != nil {
			t.Fatal(err)
		}
		tc.edit(&ns)
		wantDenied(t, "tenant "+tc.what+" through "+tc.subresource, alice.SubResource(tc.subresource).Update(ctx, &ns), tc.want)
	}
	// A label a Layer selects on is kept by the webhook, which knows the
	// Layers, through the subresources too.
	createLayer(t, &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "e2e-not-gold"}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.ClusterOverrides,
		Match: v1alpha1.Match{Namespaces: []string{"etl"}, NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "e2e.strata.dev/gold", Operator: metav1.LabelSelectorOpDoesNotExist}}}},
		Config: &v1alpha1.Config{Labels: map[string]string{"e2e-not-gold": "true"}}}}, "etl")
	t.Cleanup(func() {
		var etl corev1.Namespace
		if err := cp.Client.Get(ctx, client.ObjectKey{Name: "etl"}, &etl); err == nil && etl.Labels["e2e.strata.dev/gold"] != "" {
			delete(etl.Labels, "e2e.strata.dev/gold")
			_ = cp.Client.Update(ctx, &etl)
		}
	})
	for _, subresource := range []string{"status", "finalize"} {
		var ns corev1.Namespace
		if err := cp.Client.Get(ctx, client.ObjectKey{Name: "etl"}, &ns); err != nil {
			t.Fatal(err)
		}
		ns.Labels["e2e.strata.dev/gold"] = "true"
		wantDenied(t, "tenant sets a label a Layer selects on through "+subresource, alice.SubResource(subresource).Update(ctx, &ns),
			"the Namespace label e2e.strata.dev/gold decides which Strata layers apply to the namespace (Layer e2e-not-gold selects by it)")
	}
}

func ptr[T any](v T) *T { return &v }

// TestPlacementControllerPlacesAdmittedPods: Kueue admits a gated pod by
// an UPDATE that removes its gate and adds its flavor's node selector and
// toleration. With Kueue's service account in placementControllers that
// UPDATE is admitted although the selector's key is reserved and the
// toleration not allowed; the same UPDATE by anyone else is refused, and
// the placed pod's later updates are not refused for what Kueue put there.
func TestPlacementControllerPlacesAdmittedPods(t *testing.T) {
	ctx := context.Background()
	const kueueNS, kueueSA = "kueue-system", "kueue-controller-manager"
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kueue-placed"}}
	if err := cp.Client.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	layer := &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "e2e-placement"}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.NamespaceOverrides,
		Match: v1alpha1.Match{Namespaces: []string{ns.Name}}, Config: &v1alpha1.Config{Isolation: &v1alpha1.Isolation{
			ReservedNodeSelectors: []string{"flavor"}, AllowedTolerations: []v1alpha1.TolerationPattern{{Key: "team-gpu"}},
			PlacementControllers: []string{"system:serviceaccount:" + kueueNS + ":" + kueueSA}}}}}
	createLayer(t, layer, ns.Name)
	allow(t, "e2e-kueue-places-pods", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "update", "patch"}},
		rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: kueueNS, Name: kueueSA})
	kueue := impersonating(t, "system:serviceaccount:"+kueueNS+":"+kueueSA, "system:serviceaccounts")

	pod := examplePod(t, "executor.yaml", "placed-exec-1")
	pod.Namespace, pod.OwnerReferences = ns.Name, nil
	pod.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "kueue.x-k8s.io/admission"}}
	if err := cp.Client.Create(ctx, pod); err != nil {
		t.Fatalf("creating the gated pod: %v", err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(ctx, pod) })
	place := func(c client.Client) error {
		var p corev1.Pod
		if err := c.Get(ctx, client.ObjectKeyFromObject(pod), &p); err != nil {
			return err
		}
		p.Spec.SchedulingGates = nil
		if p.Spec.NodeSelector == nil {
			p.Spec.NodeSelector = map[string]string{}
		}
		p.Spec.NodeSelector["flavor"] = "gpu"
		p.Spec.Tolerations = append(p.Spec.Tolerations, corev1.Toleration{Key: "flavor", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule})
		return c.Update(ctx, &p)
	}
	wantDenied(t, "another user places the pod", place(cp.Client), `isolation: node selector "flavor=gpu" is reserved for the platform`)
	if err := place(kueue); err != nil {
		t.Fatalf("Kueue places the admitted pod: %v", err)
	}
	var placed corev1.Pod
	if err := cp.Client.Get(ctx, client.ObjectKeyFromObject(pod), &placed); err != nil {
		t.Fatal(err)
	}
	if placed.Spec.NodeSelector["flavor"] != "gpu" || len(placed.Spec.SchedulingGates) != 0 {
		t.Fatalf("the placed pod: node selector %v, gates %v", placed.Spec.NodeSelector, placed.Spec.SchedulingGates)
	}
	placed.Labels["owner"] = "alice"
	if err := cp.Client.Update(ctx, &placed); err != nil {
		t.Errorf("a later update of the placed pod: %v", err)
	}
}

// warnings collects the API server's warnings to a client.
type warnings struct {
	mu   sync.Mutex
	text []string
}

func (w *warnings) HandleWarningHeaderWithContext(_ context.Context, _ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.text = append(w.text, text)
}

// TestLayerWarningsReachTheClient: a Layer that names a service account
// of a tenant namespace a placement controller, a Spark key spark-submit
// ignores, a RuntimeClass that does not exist, the enforcement of a policy
// not loaded, a block of a role it does not match and a job setting in
// the executors' block, is admitted with a warning of each the client is
// shown, naming the field: the namespace's admins may impersonate that
// account; no job would get the key; every pod given the class would be
// refused; the last three apply to nothing. The webhook reads them as its
// ServiceAccount, under the shipped RBAC.
func TestLayerWarningsReachTheClient(t *testing.T) {
	ctx := context.Background()
	cfg := rest.CopyConfig(cp.Config)
	var got warnings
	cfg.WarningHandlerWithContext = &got
	c, err := client.New(cfg, client.Options{Scheme: cp.Client.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	layer := &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "e2e-placement-warning"}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.NamespaceOverrides,
		Match: v1alpha1.Match{Namespaces: []string{"nowhere"}, Roles: []v1alpha1.Role{v1alpha1.RoleExecutor}}, Config: &v1alpha1.Config{
			SparkConf:        map[string]string{"hive.metastore.uris": "thrift://hms:9083"},
			RuntimeClassName: ptr("e2e-no-such-class"),
			Isolation:        &v1alpha1.Isolation{PlacementControllers: []string{"system:serviceaccount:etl:placer"}},
			Enforcement:      map[string]v1alpha1.Enforcement{"qouta": v1alpha1.EnforcementWarn}},
		Driver:   &v1alpha1.Config{Labels: map[string]string{"tier": "gold"}},
		Executor: &v1alpha1.Config{SparkConf: map[string]string{"spark.sql.shuffle.partitions": "400"}}}}
	if err := c.Create(ctx, layer); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cp.Client.Delete(ctx, layer) })
	got.mu.Lock()
	defer got.mu.Unlock()
	for _, want := range []string{
		`spec.config.sparkConf[hive.metastore.uris]: spark-submit ignores keys that do not start with "spark."`,
		`spec.config.isolation.placementControllers[0]: "system:serviceaccount:etl:placer" is a service account of namespace "etl", which is not the platform's`,
		`spec.config.runtimeClassName: RuntimeClass "e2e-no-such-class" does not exist: the webhook refuses every pod this Layer gives a class that does not exist`,
		`spec.config.enforcement[qouta]: no policy named "qouta" is loaded (baseline, isolation, quota)`,
		`spec.driver: spec.match.roles [executor] leaves out driver pods, so no pod gets these settings`,
		`spec.executor.sparkConf[spark.sql.shuffle.partitions]: the job reads this key from the driver's composition`,
	} {
		if !slices.ContainsFunc(got.text, func(w string) bool { return strings.HasPrefix(w, want) }) {
			t.Errorf("warnings %q, want one starting %q", got.text, want)
		}
	}
}

// executorPatchedBy creates a Layer named layer whose pod patch is patch,
// for etl's executors, then the example executor named pod through the
// API server: the layer's own patch must not get its pod refused.
func executorPatchedBy(t *testing.T, layer string, patch []byte, pod string) *corev1.Pod {
	t.Helper()
	createLayer(t, &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: layer}, Spec: v1alpha1.LayerSpec{
		Tier: v1alpha1.NamespaceOverrides, Match: v1alpha1.Match{Namespaces: []string{"etl"}, Roles: []v1alpha1.Role{v1alpha1.RoleExecutor}},
		Config: &v1alpha1.Config{PodPatch: &runtime.RawExtension{Raw: patch}}}}, "etl")
	exec := examplePod(t, "executor.yaml", pod)
	if err := cp.Client.Create(context.Background(), exec); err != nil {
		t.Fatalf("layer %s's pod patch refused its own pod: %v", layer, err)
	}
	return exec
}

// TestPodPatchIsThePlatforms: a Layer's pod patch that gives etl's
// executors a label under a reserved prefix and a toleration outside
// etl's allowlist: the pods it composes are stored through the API server
// (the validating webhook judges them as the layers' values, not the
// tenant's); a tenant who writes the same label itself, on a pod the patch
// does not reach, is refused.
func TestPodPatchIsThePlatforms(t *testing.T) {
	ctx := context.Background()
	patch := []byte(`{"metadata":{"labels":{"platform.strata.dev/network":"batch"}},
		"spec":{"tolerations":[{"key":"node.strata.dev/dedicated","operator":"Equal","value":"etl","effect":"NoSchedule"}]}}`)
	pod := executorPatchedBy(t, "e2e-pod-patch", patch, "pod-patch-exec-1")
	if pod.Labels["platform.strata.dev/network"] != "batch" || !slices.ContainsFunc(pod.Spec.Tolerations, func(t corev1.Toleration) bool {
		return t.Key == "node.strata.dev/dedicated"
	}) {
		t.Errorf("the stored pod lacks the patch's label or toleration: %v %v", pod.Labels, pod.Spec.Tolerations)
	}
	driver := examplePod(t, "driver.yaml", "pod-patch-driver")
	driver.Labels["platform.strata.dev/network"] = "batch"
	wantDenied(t, "a driver writing the reserved label itself", cp.Client.Create(ctx, driver),
		`label "platform.strata.dev/network" is reserved for the platform`)
}

// TestLayerPodAffinityIsThePlatforms: a Layer's pod patch that spreads
// etl's executors away from every namespace's executors of their own app
// (namespaceSelector {}, matchLabelKeys spark-app-selector), where tenants'
// pod affinity is held to their namespace: the API server merges the
// term's matchLabelKeys into its labelSelector as it creates the pod, and
// the validating webhook still reads the term as the layer's.
func TestLayerPodAffinityIsThePlatforms(t *testing.T) {
	patch := []byte(`{"spec":{"affinity":{"podAntiAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":10,"podAffinityTerm":{
		"topologyKey":"kubernetes.io/hostname","namespaceSelector":{},"labelSelector":{"matchLabels":{"spark-role":"executor"}},
		"matchLabelKeys":["spark-app-selector"]}}]}}}}`)
	pod := executorPatchedBy(t, "e2e-spread", patch, "spread-exec-1")
	terms := pod.Spec.Affinity.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution
	if len(terms) != 1 || !slices.ContainsFunc(terms[0].PodAffinityTerm.LabelSelector.MatchExpressions, func(e metav1.LabelSelectorRequirement) bool {
		return e.Key == "spark-app-selector" && slices.Equal(e.Values, []string{pod.Labels["spark-app-selector"]})
	}) {
		t.Errorf("the stored term has no expression from its matchLabelKeys: %+v", terms)
	}
}

// TestRuntimeReadings: through the API server, an image is mirrored as the
// container runtime reads it (docker.io/nginx is an official image), and a
// tenant's node affinity on a node's name is refused while node selectors
// are reserved, as spec.nodeName is.
func TestRuntimeReadings(t *testing.T) {
	ctx := context.Background()
	exec := examplePod(t, "executor.yaml", "runtime-readings-exec")
	exec.Spec.Containers[0].Image = "docker.io/nginx:1.27"
	if err := cp.Client.Create(ctx, exec); err != nil {
		t.Fatalf("an official image written with its registry: %v", err)
	}
	var stored corev1.Pod
	if err := cp.Client.Get(ctx, client.ObjectKeyFromObject(exec), &stored); err != nil {
		t.Fatal(err)
	}
	if got := stored.Spec.Containers[0].Image; got != mirroredNginx {
		t.Errorf("docker.io/nginx:1.27 stored as %q, want %q", got, mirroredNginx)
	}

	pinned := plainPod("runtime-readings-pinned", "etl", mirroredNginx)
	pinned.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
		NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchFields: []corev1.NodeSelectorRequirement{
			{Key: "metadata.name", Operator: corev1.NodeSelectorOpIn, Values: []string{"core-node-1"}}}}}}}}
	wantDenied(t, "a node named by affinity", cp.Client.Create(ctx, pinned),
		`required node affinity on a node's field "metadata.name In core-node-1" names nodes`)
	pinned.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0].MatchFields[0].Operator = corev1.NodeSelectorOpNotIn
	if err := cp.Client.Create(ctx, pinned); err != nil {
		t.Errorf("a node kept off by affinity: %v", err)
	}
}

// TestPodAffinityReach: through the API server, a tenant's pod whose
// required anti-affinity selects drivers in every namespace (which would
// keep every other tenant's drivers off its node) is refused, and the same
// term bounded to its own namespace by name is admitted; so is one whose
// affinity places it by a reserved node label.
func TestPodAffinityReach(t *testing.T) {
	ctx := context.Background()
	pod := plainPod("affinity-reach", "etl", mirroredNginx)
	term := corev1.PodAffinityTerm{TopologyKey: corev1.LabelHostname, NamespaceSelector: &metav1.LabelSelector{},
		LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"spark-role": "driver"}}}
	pod.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{term}}}
	wantDenied(t, "anti-affinity to every namespace's drivers", cp.Client.Create(ctx, pod),
		`podAntiAffinity required term (topologyKey "kubernetes.io/hostname", pods spark-role=driver) selects pods in any namespace its namespaceSelector "{}" matches`)
	pod.Spec.Affinity.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution[0].NamespaceSelector = &metav1.LabelSelector{
		MatchLabels: map[string]string{corev1.LabelMetadataName: "etl"}}
	if err := cp.Client.Create(ctx, pod); err != nil {
		t.Errorf("anti-affinity to its own namespace's drivers, by name: %v", err)
	}

	// Affinity by a reserved node label selects the nodes the selected
	// pods run on: the platform's.
	beside := plainPod("affinity-reach-beside", "etl", mirroredNginx)
	beside.Spec.Affinity = &corev1.Affinity{PodAffinity: &corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
		TopologyKey: "node.strata.dev/pool", LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"spark-role": "driver"}}}}}}
	wantDenied(t, "affinity by a reserved node label", cp.Client.Create(ctx, beside),
		`places the pod on nodes by the value of node label "node.strata.dev/pool", which is reserved for the platform`)
}

// TestUnreadRoleRefused: through the API server, a pod whose AWS_ROLE_ARN
// comes from a Secret, which admission cannot read, wholly or in part, is
// refused where only some roles are allowed.
func TestUnreadRoleRefused(t *testing.T) {
	pod := plainPod("unread-role", "etl", mirroredNginx)
	pod.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "AWS_ROLE_ARN", ValueFrom: &corev1.EnvVarSource{
		SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "aws"}, Key: "role"}}}}
	wantDenied(t, "AWS_ROLE_ARN from a Secret", cp.Client.Create(context.Background(), pod),
		`IAM role "<unread: key \"role\" of Secret \"aws\">"`)

	// An allowed role's prefix with the rest taken from a Secret: the
	// kubelet expands $(REST) when it starts the container.
	parts := plainPod("unread-role-parts", "etl", mirroredNginx)
	parts.Spec.Containers[0].Env = []corev1.EnvVar{
		{Name: "REST", ValueFrom: pod.Spec.Containers[0].Env[0].ValueFrom},
		{Name: "AWS_ROLE_ARN", Value: "arn:aws:iam::111122223333:role/spark-etl$(REST)"}}
	wantDenied(t, "AWS_ROLE_ARN expanded from a Secret", cp.Client.Create(context.Background(), parts),
		`IAM role "<unread: \"arn:aws:iam::111122223333:role/spark-etl$(REST)\" takes a variable of the container's environment>"`)
}

// TestEphemeralContainerMirrored: through the API server, an ephemeral
// container added to a Spark pod (as kubectl debug adds it) gets its image
// from the cluster's mirror, as the pod's containers did, and passes the
// registries the pod is held to; before, it was refused for pulling
// straight from Docker Hub.
func TestEphemeralContainerMirrored(t *testing.T) {
	ctx := context.Background()
	exec := examplePod(t, "executor.yaml", "debug-mirror-exec")
	if err := cp.Client.Create(ctx, exec); err != nil {
		t.Fatal(err)
	}
	exec.Spec.EphemeralContainers = append(exec.Spec.EphemeralContainers, corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
		Name: "debugger", Image: "busybox:1.36"}})
	if err := cp.Client.SubResource("ephemeralcontainers").Update(ctx, exec); err != nil {
		t.Fatalf("a debug container with Docker Hub's busybox: %v", err)
	}
	var stored corev1.Pod
	if err := cp.Client.Get(ctx, client.ObjectKeyFromObject(exec), &stored); err != nil {
		t.Fatal(err)
	}
	if n := len(stored.Spec.EphemeralContainers); n != 1 || stored.Spec.EphemeralContainers[0].Image != "mirror.prod-a.internal/dockerhub/library/busybox:1.36" {
		t.Errorf("the stored ephemeral containers: %+v, want busybox from the mirror", stored.Spec.EphemeralContainers)
	}
}

// TestToolManagedNamespaceLabels: a label the webhook is told another
// admission controller keeps (--tool-managed-namespace-labels) may be set
// by a tenant's own request, as a multi-tenancy tool's mutating webhook
// sets it there, though a Layer selects by it; any other label a Layer
// selects by may not.
func TestToolManagedNamespaceLabels(t *testing.T) {
	ctx := context.Background()
	createLayer(t, &v1alpha1.Layer{ObjectMeta: metav1.ObjectMeta{Name: "e2e-by-tool-label"}, Spec: v1alpha1.LayerSpec{Tier: v1alpha1.NamespaceOverrides,
		Match: v1alpha1.Match{Namespaces: []string{"etl"}, NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: toolManagedLabel, Operator: metav1.LabelSelectorOpDoesNotExist},
			{Key: "e2e.strata.dev/not-tool-managed", Operator: metav1.LabelSelectorOpDoesNotExist}}}},
		Config: &v1alpha1.Config{Labels: map[string]string{"e2e-by-tool-label": "true"}}}}, "etl")
	allow(t, "e2e-tenant-creates-tool-namespaces", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"create"}},
		rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "alice"})
	alice := impersonating(t, "alice")
	tools := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "e2e-tool-labelled", Labels: map[string]string{toolManagedLabel: "alice"}}}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), tools) })
	if err := alice.Create(ctx, tools); err != nil {
		t.Errorf("a tenant's namespace with the tool's label: %v", err)
	}
	other := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "e2e-other-labelled", Labels: map[string]string{"e2e.strata.dev/not-tool-managed": "x"}}}
	t.Cleanup(func() { _ = cp.Client.Delete(context.Background(), other) })
	wantDenied(t, "a tenant's namespace with another selected label", alice.Create(ctx, other),
		"the Namespace label e2e.strata.dev/not-tool-managed decides which Strata layers apply to the namespace (Layer e2e-by-tool-label selects by it)")
}
