package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"gomodules.xyz/jsonpatch/v2"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	psadmission "k8s.io/pod-security-admission/admission/api"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/pkg/policy"
)

func newTestHandlers(t testing.TB, layers ...v1alpha1.Layer) (*PodMutator, *LayerValidator, *Store) {
	t.Helper()
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	store := &Store{}
	if layers != nil {
		store.swap(compiled(t, layers...))
	}
	return &PodMutator{Store: store, Cluster: mutate.Cluster{Name: "c", Pool: "p"}, Metrics: m},
		&LayerValidator{Metrics: m}, store
}

// compiled is the snapshot of layers.
func compiled(t testing.TB, layers ...v1alpha1.Layer) *overlay.Snapshot {
	t.Helper()
	in := overlay.Inputs{}
	for _, l := range layers {
		in.Layers = append(in.Layers, overlay.LayerSource{Layer: l})
	}
	snap, err := overlay.Compile(in)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func teamLayer() v1alpha1.Layer {
	l := v1alpha1.Layer{Spec: v1alpha1.LayerSpec{Tier: v1alpha1.NamespaceOverrides, Config: &v1alpha1.Config{Labels: map[string]string{"team": "etl"}}}}
	l.Name = "ns-etl"
	return l
}

func podRequest(t testing.TB, pod *corev1.Pod) admission.Request {
	t.Helper()
	raw, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	return rawRequest(raw, pod.Namespace)
}

func rawRequest(raw []byte, namespace string) admission.Request {
	return admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID: "1", Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}, Namespace: namespace,
		Operation: admissionv1.Create, Object: runtime.RawExtension{Raw: raw},
	}}
}

// opsOf is the JSON patch a response carries, decoded; none when it
// carries none.
func opsOf(t testing.TB, resp admission.Response) []jsonpatch.Operation {
	t.Helper()
	if len(resp.Patches) > 0 {
		t.Fatalf("the response leaves its patch for controller-runtime to encode: %v", resp.Patches)
	}
	if len(resp.Patch) == 0 {
		return nil
	}
	if resp.PatchType == nil || *resp.PatchType != admissionv1.PatchTypeJSONPatch {
		t.Fatalf("a patch of type %v", resp.PatchType)
	}
	var ops []jsonpatch.Operation
	if err := json.Unmarshal(resp.Patch, &ops); err != nil {
		t.Fatalf("the response's patch: %v\n%s", err, resp.Patch)
	}
	return ops
}

func pod(labels map[string]string) *corev1.Pod {
	return &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "p", Labels: labels},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "i"}}},
	}
}

func TestPodMutatorComposesSparkPods(t *testing.T) {
	h, _, _ := newTestHandlers(t, teamLayer())
	// The namespace comes from the request: a pod created without one has none in its body.
	resp := h.Handle(context.Background(), podRequest(t, pod(map[string]string{"spark-role": "driver", "team": "analytics"})))
	if !resp.Allowed || len(opsOf(t, resp)) == 0 {
		t.Fatalf("allowed %v patches %v result %v", resp.Allowed, opsOf(t, resp), resp.Result)
	}
	if want := `metadata.labels.team "analytics" overridden by NamespaceOverrides layer "ns-etl"`; len(resp.Warnings) != 1 || resp.Warnings[0] != want {
		t.Errorf("warnings = %q", resp.Warnings)
	}
	if resp.AuditAnnotations[auditLayersKey] != "ns-etl" {
		t.Errorf("audit annotations = %v", resp.AuditAnnotations)
	}
	if got := testutil.ToFloat64(h.Metrics.admissions.WithLabelValues("pod", outcomePatched)); got != 1 {
		t.Errorf("patched admissions = %v, want 1", got)
	}
	if got := testutil.CollectAndCount(h.Metrics.latency); got != 1 {
		t.Errorf("latency series = %d, want 1", got)
	}
}

// TestPodMutatorOnUpdates: an update adding an ephemeral container to a
// Spark pod gets only that container's image mirrored; any other update,
// which the webhook is not registered for, is answered unchanged rather
// than composed (the stored pod's spec is immutable).
func TestPodMutatorOnUpdates(t *testing.T) {
	l := teamLayer()
	l.Spec.Config.ImageMirrors = []v1alpha1.ImageMirror{{From: "docker.io", To: "mirror.internal"}}
	h, _, _ := newTestHandlers(t, l)
	old := pod(map[string]string{"spark-role": "executor"})
	old.Namespace = "etl"
	debugged := old.DeepCopy()
	debugged.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "d", Image: "busybox"}}}
	update := func(sub string, p *corev1.Pod) admission.Request {
		req := podRequest(t, p)
		req.Operation, req.SubResource = admissionv1.Update, sub
		req.OldObject.Raw, _ = json.Marshal(old)
		return req
	}
	resp := h.Handle(context.Background(), update(ephemeralContainers, debugged))
	ops := opsOf(t, resp)
	if !resp.Allowed || len(ops) != 1 || ops[0].Path != "/spec/ephemeralContainers/0/image" || ops[0].Value != "mirror.internal/library/busybox" {
		t.Errorf("an ephemeral container added: allowed %v, patch %+v", resp.Allowed, ops)
	}
	if resp := h.Handle(context.Background(), update("", debugged)); !resp.Allowed || len(opsOf(t, resp)) != 0 {
		t.Errorf("an update of the pod: allowed %v, patch %+v", resp.Allowed, opsOf(t, resp))
	}
}

func TestPodMutatorLeavesOtherPods(t *testing.T) {
	h, _, _ := newTestHandlers(t, teamLayer())
	resp := h.Handle(context.Background(), podRequest(t, pod(map[string]string{"app": "web"})))
	if !resp.Allowed || len(opsOf(t, resp)) != 0 {
		t.Fatalf("allowed %v patches %v", resp.Allowed, opsOf(t, resp))
	}
	if got := testutil.ToFloat64(h.Metrics.admissions.WithLabelValues("pod", outcomeAllowed)); got != 1 {
		t.Errorf("allowed admissions = %v, want 1", got)
	}
}

func TestPodMutatorErrors(t *testing.T) {
	noSnapshot, _, _ := newTestHandlers(t)
	resp := noSnapshot.Handle(context.Background(), podRequest(t, pod(map[string]string{"spark-role": "driver"})))
	if resp.Allowed || resp.Result.Code != http.StatusServiceUnavailable {
		t.Errorf("without a snapshot: allowed %v code %d", resp.Allowed, resp.Result.Code)
	}
	h, _, _ := newTestHandlers(t, teamLayer())
	resp = h.Handle(context.Background(), rawRequest([]byte(`{"metadata": [}`), "etl"))
	if resp.Allowed || resp.Result.Code != http.StatusBadRequest {
		t.Errorf("bad body: allowed %v code %d", resp.Allowed, resp.Result.Code)
	}
	if got := testutil.ToFloat64(h.Metrics.admissions.WithLabelValues("pod", outcomeError)); got != 1 {
		t.Errorf("error admissions = %v, want 1", got)
	}
	missing := "nowhere"
	l := teamLayer()
	l.Spec.Config.PriorityClassName = &missing
	denying, _, _ := newTestHandlers(t, l)
	resp = denying.Handle(context.Background(), podRequest(t, pod(map[string]string{"spark-role": "executor"})))
	if resp.Allowed || resp.Result.Code != http.StatusInternalServerError || !strings.Contains(resp.Result.Message, `PriorityClass "nowhere" not found`) {
		t.Errorf("unknown class: allowed %v code %d message %q", resp.Allowed, resp.Result.Code, resp.Result.Message)
	}
	// A layer that cannot be applied is Strata's failure, not a verdict on the pod.
	if got := testutil.ToFloat64(denying.Metrics.admissions.WithLabelValues("pod", outcomeError)); got != 1 {
		t.Errorf("error admissions = %v, want 1", got)
	}
}

// TestPodMutatorRefusesAnInvalidCompositionAsFinal: a composition the
// API server would refuse (here a layer's mount of a volume the pod lacks)
// is answered 422 Invalid with the field and the layer, counted as
// invalid, not as the webhook's error; a tenant's Spark container named
// as a layer's sidecar is refused alike. The same layers compose a pod
// that meets neither.
func TestPodMutatorRefusesAnInvalidCompositionAsFinal(t *testing.T) {
	l := teamLayer()
	l.Spec.Config.VolumeMounts = []corev1.VolumeMount{{Name: "nothere", MountPath: "/nothere"}}
	mounting, _, _ := newTestHandlers(t, l)
	executor := pod(map[string]string{"spark-role": "executor"})
	executor.Spec.Containers[0].Name = "spark-kubernetes-executor"
	resp := mounting.Handle(context.Background(), podRequest(t, executor))
	want := `spec.containers[spark-kubernetes-executor].volumeMounts[/nothere]: names volume "nothere", which the pod does not have (NamespaceOverrides layer "ns-etl")`
	if resp.Allowed || resp.Result.Code != http.StatusUnprocessableEntity || resp.Result.Reason != metav1.StatusReasonInvalid || !strings.Contains(resp.Result.Message, want) {
		t.Errorf("allowed %v, result %+v: want 422 Invalid saying %q", resp.Allowed, resp.Result, want)
	}

	l = teamLayer()
	l.Spec.Config.Sidecars = []corev1.Container{{Name: "main", Image: "fluent/fluent-bit:3.1"}}
	sidecar, _, _ := newTestHandlers(t, l)
	named := pod(map[string]string{"spark-role": "executor"})
	named.Spec.Containers[0] = corev1.Container{Name: "main", Image: "apache/spark:3.5.3", Args: []string{"executor"},
		Env: []corev1.EnvVar{{Name: v1alpha1.SparkExecutorIDVariable, Value: "1"}}}
	resp = sidecar.Handle(context.Background(), podRequest(t, named))
	want = `spec.containers[main]: a layer's sidecar of that name would replace the pod's Spark container`
	if resp.Allowed || resp.Result.Code != http.StatusUnprocessableEntity || !strings.Contains(resp.Result.Message, want) {
		t.Errorf("a Spark container named as a sidecar: allowed %v, result %+v: want 422 saying %q", resp.Allowed, resp.Result, want)
	}
	if resp := sidecar.Handle(context.Background(), podRequest(t, executor)); !resp.Allowed {
		t.Errorf("a Spark container of Spark's name beside the sidecar: refused %+v", resp.Result)
	}
	for _, h := range []*PodMutator{mounting, sidecar} {
		if invalid, errs := testutil.ToFloat64(h.Metrics.admissions.WithLabelValues("pod", outcomeInvalid)),
			testutil.ToFloat64(h.Metrics.admissions.WithLabelValues("pod", outcomeError)); invalid != 1 || errs != 0 {
			t.Errorf("counted %v invalid and %v errors, want 1 and 0", invalid, errs)
		}
	}
}

func TestPodMutatorSecondPassIsEmpty(t *testing.T) {
	h, _, _ := newTestHandlers(t, teamLayer())
	in := pod(map[string]string{"spark-role": "driver"})
	in.Namespace = "etl"
	first := h.Handle(context.Background(), podRequest(t, in))
	res, err := mutate.Compose(h.Store.Load().Snapshot, h.Cluster, in)
	if err != nil || len(opsOf(t, first)) != len(res.Patch) {
		t.Fatalf("handler and mutate.Compose disagree: %v %d %d", err, len(opsOf(t, first)), len(res.Patch))
	}
	second := h.Handle(context.Background(), podRequest(t, res.Pod))
	if !second.Allowed || len(opsOf(t, second)) != 0 {
		t.Fatalf("second pass patches %v", opsOf(t, second))
	}
}

func TestLayerValidator(t *testing.T) {
	_, v, _ := newTestHandlers(t)
	layerRequest := func(l v1alpha1.Layer, op admissionv1.Operation) admission.Request {
		l.APIVersion, l.Kind = v1alpha1.GroupVersion.String(), v1alpha1.LayerKind
		raw, _ := json.Marshal(l)
		return admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{UID: "1", Operation: op, Object: runtime.RawExtension{Raw: raw}}}
	}
	if resp := v.Handle(context.Background(), layerRequest(teamLayer(), admissionv1.Create)); !resp.Allowed {
		t.Errorf("valid layer denied: %v", resp.Result)
	}
	bad := teamLayer()
	bad.Name = "ns-typo"
	bad.Spec.Tier = "NamespaceDefaults"
	bad.Spec.Config.Limits = &v1alpha1.Limits{MaxPodCPU: ptrQuantity("-1")}
	resp := v.Handle(context.Background(), layerRequest(bad, admissionv1.Update))
	want := `Layer.strata.dev "ns-typo" is invalid: [spec.tier: Unsupported value: "NamespaceDefaults": supported values: "PoolDefaults", "ClusterDefaults", "ClusterOverrides", "NamespaceOverrides", spec.config.limits.maxPodCPU: Invalid value: "-1": must not be negative]`
	if resp.Allowed || resp.Result.Code != http.StatusUnprocessableEntity || resp.Result.Reason != metav1.StatusReasonInvalid || resp.Result.Message != want {
		t.Errorf("bad layer: allowed %v result %+v, want 422 Invalid %q", resp.Allowed, resp.Result, want)
	}
	if c := resp.Result.Details.Causes; len(c) != 2 || c[0].Field != "spec.tier" || c[1].Field != "spec.config.limits.maxPodCPU" {
		t.Errorf("causes %+v, want one per field, in order", c)
	}
	// The schemaless parts of the CRD keep unknown fields; the validator refuses them.
	raw := []byte(`{"apiVersion":"strata.dev/v1alpha1","kind":"Layer","metadata":{"name":"sc"},"spec":{"tier":"PoolDefaults","config":{"sidecars":[{"name":"log","imagee":"fluent-bit"}]}}}`)
	resp = v.Handle(context.Background(), admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{UID: "1", Name: "sc", Operation: admissionv1.Create, Object: runtime.RawExtension{Raw: raw}}})
	if want := `unknown field "spec.config.sidecars[0].imagee"`; resp.Allowed || resp.Result.Code != http.StatusUnprocessableEntity || !strings.Contains(resp.Result.Message, want) {
		t.Errorf("unknown sidecar field: allowed %v message %q, want %q", resp.Allowed, resp.Result.Message, want)
	}
	del := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{UID: "1", Operation: admissionv1.Delete}}
	if resp := v.Handle(context.Background(), del); !resp.Allowed {
		t.Errorf("delete denied: %v", resp.Result)
	}
	// Refused as the API server refuses an invalid object: 422, counted
	// as invalid, not as a denial or the webhook's error.
	if got := testutil.ToFloat64(v.Metrics.admissions.WithLabelValues("layer", outcomeInvalid)); got != 2 {
		t.Errorf("invalid layer admissions = %v, want 2", got)
	}
}

func TestStoreGenerations(t *testing.T) {
	var s Store
	if s.Load() != nil {
		t.Fatal("new store serves a snapshot")
	}
	snap, _ := overlay.Compile(overlay.Inputs{})
	if g := s.swap(snap).Generation; g != 1 {
		t.Fatalf("first generation %d", g)
	}
	if g := s.swap(snap).Generation; g != 2 || s.Load().Generation != 2 {
		t.Fatalf("second generation %d", g)
	}
}

func newTestPodValidator(t testing.TB, layers ...v1alpha1.Layer) *PodValidator {
	t.Helper()
	mutator, _, store := newTestHandlers(t, layers...)
	policies, err := NewPolicyStore(context.Background(), "", mutator.Metrics, logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	return &PodValidator{Store: store, Policies: policies, Ledger: policy.NewLedger(time.Minute), Live: policy.NewTracker(),
		Synced: func() bool { return true }, Cluster: mutator.Cluster, Metrics: mutator.Metrics}
}

// TestVerdictIsBounded: a pod with 500 tolerations outside the allowlist
// is refused naming the first maxViolationLines and counting the rest, each
// line cut to maxViolationBytes on a character's boundary; every violation
// is still counted.
func TestVerdictIsBounded(t *testing.T) {
	l := teamLayer()
	l.Spec.Config.Isolation = &v1alpha1.Isolation{AllowedTolerations: []v1alpha1.TolerationPattern{{Key: "spot"}}}
	v := newTestPodValidator(t, l)
	many := pod(map[string]string{"spark-role": "executor", "spark-app-selector": "a"})
	many.Namespace = "etl"
	for i := range 500 {
		many.Spec.Tolerations = append(many.Spec.Tolerations, corev1.Toleration{Key: fmt.Sprintf("taint-%03d", i), Operator: corev1.TolerationOpExists})
	}
	many.Spec.Tolerations[0].Key = "k" + strings.Repeat("é", 3000) // a key the API server would refuse; the webhook still answers boundedly
	resp := v.Handle(context.Background(), podRequest(t, many))
	lines := strings.Split(resp.Result.Message, "\n")
	if resp.Allowed || len(lines) != maxViolationLines+1 || lines[maxViolationLines] != "and 480 more violations" {
		t.Fatalf("allowed %v, %d lines, last %q", resp.Allowed, len(lines), lines[len(lines)-1])
	}
	for i, line := range lines {
		if len(line) > maxViolationBytes+len("… (cut)") || !utf8.ValidString(line) {
			t.Errorf("line %d: %d bytes, valid UTF-8 %v", i, len(line), utf8.ValidString(line))
		}
	}
	if !strings.HasSuffix(lines[0], "… (cut)") {
		t.Errorf("the long line is not marked cut: %q", lines[0][len(lines[0])-20:])
	}
	if got := testutil.ToFloat64(v.Metrics.violations.WithLabelValues("isolation", "deny")); got != 500 {
		t.Errorf("deny violations counted %v, want 500", got)
	}
	for n, want := range map[int]string{maxViolationLines: "", maxViolationLines + 1: "and 1 more violation", maxViolationLines + 2: "and 2 more violations"} {
		got := bounded(make([]string, n))
		if last := got[len(got)-1]; last != want {
			t.Errorf("%d violations: last line %q, want %q", n, last, want)
		}
	}
}

func TestPodValidator(t *testing.T) {
	l := teamLayer()
	l.Spec.Config.Limits = &v1alpha1.Limits{MaxPodCPU: ptrQuantity("1")}
	// The baseline rolls out in warn while the rest stays deny.
	l.Spec.Config.Enforcement = map[string]v1alpha1.Enforcement{"baseline": v1alpha1.EnforcementWarn}
	v := newTestPodValidator(t, l)
	big := pod(map[string]string{"spark-role": "driver"})
	big.Namespace = "etl"
	big.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4")}
	big.Spec.HostNetwork = true
	resp := v.Handle(context.Background(), podRequest(t, big))
	if resp.Allowed || !strings.Contains(resp.Result.Message, `quota: pod requests 4 CPU; namespace "etl" allows at most 1 per pod (NamespaceOverrides layer "ns-etl")`) {
		t.Fatalf("allowed %v message %q", resp.Allowed, resp.Result.Message)
	}
	if len(resp.Warnings) != 1 || !strings.Contains(resp.Warnings[0], "hostNetwork=true") {
		t.Errorf("warn policy: warnings %q", resp.Warnings)
	}
	if got := testutil.ToFloat64(v.Metrics.violations.WithLabelValues("quota", "deny")); got != 1 {
		t.Errorf("deny violations counted %v", got)
	}
	if v.Ledger.Reserved() != 0 {
		t.Error("a denied pod was reserved")
	}
	// dryrun: admitted, no warning, logged and counted.
	dry := teamLayer()
	dry.Spec.Config.Limits = &v1alpha1.Limits{MaxPodCPU: ptrQuantity("1")}
	dry.Spec.Config.Enforcement = map[string]v1alpha1.Enforcement{"quota": v1alpha1.EnforcementDryRun, "baseline": v1alpha1.EnforcementDryRun}
	dv := newTestPodValidator(t, dry)
	if resp := dv.Handle(context.Background(), podRequest(t, big)); !resp.Allowed || len(resp.Warnings) != 0 {
		t.Errorf("dryrun: allowed %v warnings %q", resp.Allowed, resp.Warnings)
	}
	if got := testutil.ToFloat64(dv.Metrics.violations.WithLabelValues("quota", "dryrun")); got != 1 {
		t.Errorf("dryrun violations counted %v", got)
	}
	if dv.Ledger.Reserved() != 1 {
		t.Errorf("an admitted pod was not reserved: %d", dv.Ledger.Reserved())
	}
	// A server-side dry run and an UPDATE are judged but reserve nothing:
	// neither adds a pod to the namespace.
	// (Pods of names of their own: a reservation replaces one of its name.)
	other := func(name string) admission.Request {
		p := big.DeepCopy()
		p.Name = name
		return podRequest(t, p)
	}
	dryRun, yes := other("dry-run"), true
	dryRun.DryRun = &yes
	update := other("updated")
	update.Operation, update.OldObject = admissionv1.Update, update.Object
	for name, req := range map[string]admission.Request{"dry run": dryRun, "update": update} {
		if resp := dv.Handle(context.Background(), req); !resp.Allowed || dv.Ledger.Reserved() != 1 {
			t.Errorf("%s: allowed %v, %d reserved, want 1 (the create's)", name, resp.Allowed, dv.Ledger.Reserved())
		}
	}
	// Layers served but no policies loaded (or the other way round): an
	// error, never a pod let through unjudged.
	noPolicies := newTestPodValidator(t, l)
	noPolicies.Policies = &PolicyStore{}
	noLayers := newTestPodValidator(t, l)
	noLayers.Store = &Store{}
	for name, v := range map[string]*PodValidator{"no policies": noPolicies, "no layers": noLayers} {
		if resp := v.Handle(context.Background(), podRequest(t, big)); resp.Allowed || resp.Result.Code != http.StatusServiceUnavailable {
			t.Errorf("%s: allowed %v code %d", name, resp.Allowed, resp.Result.Code)
		}
	}
	notSynced := newTestPodValidator(t, l)
	notSynced.Synced = func() bool { return false }
	if resp := notSynced.Handle(context.Background(), podRequest(t, big)); resp.Allowed || resp.Result.Code != http.StatusServiceUnavailable {
		t.Errorf("before the watch of pods synced: allowed %v code %d", resp.Allowed, resp.Result.Code)
	}
	web := pod(map[string]string{"app": "web"})
	web.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m")}
	if resp := v.Handle(context.Background(), podRequest(t, web)); !resp.Allowed {
		t.Errorf("non-Spark pod within the limits denied: %v", resp.Result)
	}
}

func ptrQuantity(s string) *resource.Quantity {
	q := resource.MustParse(s)
	return &q
}

// TestLayerWarnsOfEnforcementOfNoPolicy: a Layer whose enforcement names
// a policy the webhook has not loaded (a misspelt name) is admitted with a
// warning naming it and the policies loaded; one naming a loaded policy is
// not warned of.
func TestLayerWarnsOfEnforcementOfNoPolicy(t *testing.T) {
	m, _, _ := newTestHandlers(t)
	policies, err := NewPolicyStore(context.Background(), "", m.Metrics, logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	v := &LayerValidator{Metrics: m.Metrics, Policies: policies}
	for enforcement, warned := range map[string]bool{"qouta": true, "quota": false} {
		l := teamLayer()
		l.APIVersion, l.Kind = v1alpha1.GroupVersion.String(), v1alpha1.LayerKind
		l.Spec.Config.Enforcement = map[string]v1alpha1.Enforcement{enforcement: v1alpha1.EnforcementWarn}
		raw, err := json.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		resp := v.Handle(context.Background(), admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
			UID: "1", Name: l.Name, Operation: admissionv1.Create, Object: runtime.RawExtension{Raw: raw}}})
		if !resp.Allowed {
			t.Fatalf("%s: refused: %v", enforcement, resp.Result)
		}
		want := `spec.config.enforcement[qouta]: no policy named "qouta" is loaded (baseline, isolation, quota), so this applies to nothing`
		if got := slices.Contains(resp.Warnings, want); got != warned {
			t.Errorf("%s: warnings %q, want %q: %v", enforcement, resp.Warnings, want, warned)
		}
	}
}

// TestLayerWarnsByThePodSecurityDefault: a Layer whose sidecar breaks the
// level the PodSecurity admission's configuration gives namespaces without
// labels is warned of when written; not where nothing is configured, nor
// where the configuration exempts the namespace.
func TestLayerWarnsByThePodSecurityDefault(t *testing.T) {
	privileged := teamLayer()
	privileged.Name = "shipper"
	privileged.Spec.Config.Sidecars = []corev1.Container{{Name: "shipper", Image: "shipper:1", SecurityContext: &corev1.SecurityContext{Privileged: new(true)}}}
	privileged.APIVersion, privileged.Kind = v1alpha1.GroupVersion.String(), v1alpha1.LayerKind
	raw, err := json.Marshal(privileged)
	if err != nil {
		t.Fatal(err)
	}
	req := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{UID: "1", Name: privileged.Name, Operation: admissionv1.Create, Object: runtime.RawExtension{Raw: raw}}}
	baseline := psadmission.PodSecurityDefaults{Enforce: "baseline", EnforceVersion: "latest"}
	for _, tc := range []struct {
		name string
		cfg  *psadmission.PodSecurityConfiguration
		warn bool
	}{
		{"the default level", &psadmission.PodSecurityConfiguration{Defaults: baseline}, true},
		{"no configuration", nil, false},
		{"an exempt namespace", &psadmission.PodSecurityConfiguration{Defaults: baseline, Exemptions: psadmission.PodSecurityExemptions{Namespaces: []string{"etl"}}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap, err := overlay.Compile(overlay.Inputs{Namespaces: []corev1.Namespace{{ObjectMeta: metav1.ObjectMeta{Name: "etl"}}}, Admission: overlay.Admission{PodSecurity: tc.cfg}})
			if err != nil {
				t.Fatal(err)
			}
			m, _, _ := newTestHandlers(t)
			v := &LayerValidator{Metrics: m.Metrics, Store: NewStore(snap), Cluster: mutate.Cluster{Name: "c", Pool: "p"}}
			resp := v.Handle(context.Background(), req)
			if !resp.Allowed {
				t.Fatalf("refused: %v", resp.Result)
			}
			warned := slices.ContainsFunc(resp.Warnings, func(w string) bool {
				return strings.Contains(w, `break the Pod Security "baseline:latest" enforced there`) && strings.Contains(w, `"etl"`)
			})
			if warned != tc.warn {
				t.Errorf("warnings %q, want a Pod Security warning: %v", resp.Warnings, tc.warn)
			}
		})
	}
}

// TestPodWarningsLeaveOutWhatAnExemptUserIsNotRefused: the PodSecurity
// admission admits a pod a user it exempts creates, so that user is not
// warned of a refusal; another user is. The layer's override is told to
// both.
func TestPodWarningsLeaveOutWhatAnExemptUserIsNotRefused(t *testing.T) {
	l := teamLayer()
	l.Spec.Config.Sidecars = []corev1.Container{{Name: "shipper", Image: "shipper:1", SecurityContext: &corev1.SecurityContext{Privileged: new(true)}}}
	const submitter = "system:serviceaccount:spark:submitter"
	snap, err := overlay.Compile(overlay.Inputs{
		Layers:     []overlay.LayerSource{{Layer: l}},
		Namespaces: []corev1.Namespace{{ObjectMeta: metav1.ObjectMeta{Name: "etl"}}},
		Admission: overlay.Admission{PodSecurity: &psadmission.PodSecurityConfiguration{
			Defaults:   psadmission.PodSecurityDefaults{Enforce: "baseline", EnforceVersion: "latest"},
			Exemptions: psadmission.PodSecurityExemptions{Usernames: []string{submitter}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	h, _, _ := newTestHandlers(t)
	h.Store = NewStore(snap)
	p := pod(map[string]string{"spark-role": "driver", "team": "analytics"})
	p.Namespace = "etl"
	for _, tc := range []struct {
		user string
		warn bool
	}{{submitter, false}, {"system:serviceaccount:spark:other", true}} {
		t.Run(tc.user, func(t *testing.T) {
			req := podRequest(t, p)
			req.UserInfo.Username = tc.user
			resp := h.Handle(context.Background(), req)
			if !resp.Allowed || len(opsOf(t, resp)) == 0 {
				t.Fatalf("allowed %v, operations %v: %v", resp.Allowed, opsOf(t, resp), resp.Result)
			}
			warned := slices.ContainsFunc(resp.Warnings, func(w string) bool {
				return strings.HasPrefix(w, `Pod Security "baseline:latest" (enforced on namespace "etl")`)
			})
			if warned != tc.warn {
				t.Errorf("warnings %q, want a Pod Security warning: %v", resp.Warnings, tc.warn)
			}
			if !slices.Contains(resp.Warnings, `metadata.labels.team "analytics" overridden by NamespaceOverrides layer "ns-etl"`) {
				t.Errorf("warnings %q lack the label's override", resp.Warnings)
			}
		})
	}
}
