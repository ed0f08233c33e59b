package policy

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psaplugin "k8s.io/pod-security-admission/admission"
	psadmission "k8s.io/pod-security-admission/admission/api"
	psaload "k8s.io/pod-security-admission/admission/api/load"
	psaapi "k8s.io/pod-security-admission/api"
	psametrics "k8s.io/pod-security-admission/metrics"
	psapolicy "k8s.io/pod-security-admission/policy"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/fixtures"
)

// TestWithPodSecurity: the composer's prediction of the API server's
// PodSecurity admission adds its refusal, in its words, to a CREATE the
// namespace's enforced level refuses, beside the policies' violations and
// in their order; nothing where the level is met, nothing is enforced, or
// on an UPDATE the plugin does not judge (TestPodSecurityOnUpdateAsThePlugin).
func TestWithPodSecurity(t *testing.T) {
	snap, err := overlay.Compile(overlay.Inputs{Namespaces: []corev1.Namespace{
		{ObjectMeta: metav1.ObjectMeta{Name: "guarded", Labels: map[string]string{psaapi.EnforceLevelLabel: "baseline"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "open"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	hostPID := func(ns string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: ns},
			Spec: corev1.PodSpec{HostPID: true, Containers: []corev1.Container{{Name: "main", Image: "busybox"}}}}
	}
	quota := Violation{Policy: "quota", Message: "quota: too large", Enforcement: v1alpha1.EnforcementDeny}
	refusal := Violation{Policy: PodSecurityPolicy, Enforcement: v1alpha1.EnforcementDeny,
		Message: `pod-security: violates PodSecurity "baseline:latest": host namespaces (hostPID=true) (the API server's PodSecurity admission, ` +
			`by the pod-security.kubernetes.io/enforce label of namespace "guarded", refuses the pod before any validating webhook, unless its configuration exempts it)`}
	met := hostPID("guarded")
	met.Spec.HostPID = false
	// A cluster whose PodSecurity admission enforces baseline where a
	// namespace has no label, and exempts a namespace, a RuntimeClass and
	// a user.
	configured, err := overlay.Compile(overlay.Inputs{Namespaces: []corev1.Namespace{
		{ObjectMeta: metav1.ObjectMeta{Name: "open"}}, {ObjectMeta: metav1.ObjectMeta{Name: "system"}},
	}, Admission: overlay.Admission{PodSecurity: &psadmission.PodSecurityConfiguration{
		Defaults:   psadmission.PodSecurityDefaults{Enforce: "baseline", EnforceVersion: "latest"},
		Exemptions: psadmission.PodSecurityExemptions{Namespaces: []string{"system"}, RuntimeClasses: []string{"kata"}, Usernames: []string{"ops"}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	byDefault := Violation{Policy: PodSecurityPolicy, Enforcement: v1alpha1.EnforcementDeny,
		Message: `pod-security: violates PodSecurity "baseline:latest": host namespaces (hostPID=true) (the API server's PodSecurity admission, ` +
			`by its configuration's default level, namespace "open" having no pod-security.kubernetes.io/enforce label, refuses the pod before any validating webhook, unless its configuration exempts it)`}
	kata := hostPID("open")
	kata.Spec.RuntimeClassName = new("kata")
	for _, tc := range []struct {
		name string
		pod  *corev1.Pod
		req  Request
		want []Violation
		// on is the snapshot; nil: the one of labels alone.
		on *overlay.Snapshot
	}{
		{name: "the configuration's default", pod: hostPID("open"), req: Request{Operation: "CREATE"}, want: []Violation{byDefault, quota}, on: configured},
		{name: "an exempt namespace", pod: hostPID("system"), req: Request{Operation: "CREATE"}, want: []Violation{quota}, on: configured},
		{name: "an exempt RuntimeClass", pod: kata, req: Request{Operation: "CREATE"}, want: []Violation{quota}, on: configured},
		{name: "an exempt user", pod: hostPID("open"), req: Request{Operation: "CREATE", UserInfo: authenticationv1.UserInfo{Username: "ops"}}, want: []Violation{quota}, on: configured},
		{name: "another user", pod: hostPID("open"), req: Request{Operation: "CREATE", UserInfo: authenticationv1.UserInfo{Username: "dev"}}, want: []Violation{byDefault, quota}, on: configured},
		{name: "refused", pod: hostPID("guarded"), req: Request{Operation: "CREATE"}, want: []Violation{refusal, quota}},
		{name: "met", pod: met, req: Request{Operation: "CREATE"}, want: []Violation{quota}},
		{name: "nothing enforced", pod: hostPID("open"), req: Request{Operation: "CREATE"}, want: []Violation{quota}},
		{name: "an update", pod: hostPID("guarded"), req: Request{Operation: "UPDATE", Old: met}, want: []Violation{quota}},
		{name: "the request's namespace", pod: hostPID(""), req: Request{Operation: "CREATE", Namespace: "guarded"}, want: []Violation{refusal, quota}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			on := snap
			if tc.on != nil {
				on = tc.on
			}
			d, err := withPodSecurity(Decision{Violations: []Violation{quota}}, on, tc.pod, tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(d.Violations, tc.want) {
				t.Errorf("violations %+v\nwant %+v", d.Violations, tc.want)
			}
		})
	}
}

// TestCheckPredictsPodSecurity: a Check with PodSecurity set (the
// composer's) adds the plugin's refusal to a pod, and to an application
// whose launched pods a layer's hostPath volume breaks, by pod; one
// without (the webhook's) adds nothing: the plugin judges before it.
func TestCheckPredictsPodSecurity(t *testing.T) {
	snap, cluster, app := nodeLogsInBaselineEtl(t, nil)
	pod, err := mutate.Compose(snap, cluster, fixtures.Pod(t, "executor.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const refusal = `violates PodSecurity "baseline:latest": hostPath volumes (volume "node-logs") (the API server's PodSecurity admission, ` +
		`by the pod-security.kubernetes.io/enforce label of namespace "etl", refuses the pod before any validating webhook, unless its configuration exempts it)`
	for _, predicts := range []bool{true, false} {
		check := &Check{Engine: builtinEngine(t), Snapshot: snap, Cluster: cluster, PodSecurity: predicts}
		_, d, err := check.Pod(context.Background(), pod.Pod, Request{Operation: "CREATE"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		if predicts {
			want = []string{"pod-security: " + refusal}
		}
		if got := podSecurityMessages(d); !slices.Equal(got, want) {
			t.Errorf("pod, PodSecurity %v: %q, want %q", predicts, got, want)
		}
		_, d, err = check.App(context.Background(), &app.App.App, Request{Operation: "CREATE"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		want = nil
		if predicts {
			want = []string{`pod-security: SparkApplication "etl-report": driver pod: ` + refusal, `pod-security: SparkApplication "etl-report": executor pod: ` + refusal}
		}
		if got := podSecurityMessages(d); !slices.Equal(got, want) {
			t.Errorf("app, PodSecurity %v: %q, want %q", predicts, got, want)
		}
	}
}

// nodeLogsInBaselineEtl is a snapshot whose layer gives every pod a
// hostPath volume, in namespace etl enforcing baseline, with the
// PodSecurity admission configured with cfg (nil: its default), and the
// example application composed with it.
func nodeLogsInBaselineEtl(t *testing.T, cfg *psadmission.PodSecurityConfiguration) (*overlay.Snapshot, mutate.Cluster, *mutate.AppResult) {
	t.Helper()
	in := fixtures.InputsOf(t, map[string]string{"logs": `{tier: ClusterOverrides, config: {volumes: [{name: node-logs, hostPath: {path: /var/log/spark}}]}}`})
	in.Namespaces = []corev1.Namespace{{ObjectMeta: metav1.ObjectMeta{Name: "etl", Labels: map[string]string{psaapi.EnforceLevelLabel: "baseline"}}}}
	in.PodSecurity = cfg
	snap, err := overlay.Compile(in)
	if err != nil {
		t.Fatal(err)
	}
	cluster := mutate.Cluster{Name: "prod-a", Pool: "batch"}
	app, err := mutate.ComposeApp(snap, cluster, fixtures.App(t, "etl-report.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return snap, cluster, app
}

// podSecurityMessages are the messages of d's pod-security violations.
func podSecurityMessages(d Decision) []string {
	var out []string
	for _, v := range d.Violations {
		if v.Policy == PodSecurityPolicy {
			out = append(out, v.Message)
		}
	}
	return out
}

// TestLaunchedPodsAreJudgedAsTheirCreators: the PodSecurity admission
// judges an application's launched pods as created by whoever creates
// them: the driver by the Spark Operator (not known, so not exempt), the
// executors by the driver's service account. An exempt driver service
// account spares the executors only; an exempt user writing the
// application spares neither, since it creates no pod.
func TestLaunchedPodsAreJudgedAsTheirCreators(t *testing.T) {
	const (
		driverSA = "system:serviceaccount:etl:spark-etl" // etl-report's spec.driver.serviceAccount
		writer   = "alice"
	)
	for _, tc := range []struct {
		name   string
		exempt []string
		user   string
		want   []v1alpha1.Role
	}{
		{name: "no user exempt", user: writer, want: []v1alpha1.Role{v1alpha1.RoleDriver, v1alpha1.RoleExecutor}},
		{name: "the driver's service account exempt", exempt: []string{driverSA}, want: []v1alpha1.Role{v1alpha1.RoleDriver}},
		{name: "the namespace's default service account exempt", exempt: []string{"system:serviceaccount:etl:default"},
			want: []v1alpha1.Role{v1alpha1.RoleDriver, v1alpha1.RoleExecutor}},
		{name: "the application's writer exempt", exempt: []string{writer}, user: writer,
			want: []v1alpha1.Role{v1alpha1.RoleDriver, v1alpha1.RoleExecutor}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap, cluster, app := nodeLogsInBaselineEtl(t, &psadmission.PodSecurityConfiguration{Exemptions: psadmission.PodSecurityExemptions{Usernames: tc.exempt}})
			check := &Check{Engine: builtinEngine(t), Snapshot: snap, Cluster: cluster, PodSecurity: true}
			_, d, err := check.App(context.Background(), &app.App.App, Request{Operation: "CREATE", UserInfo: authenticationv1.UserInfo{Username: tc.user}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, role := range tc.want {
				want = append(want, `pod-security: SparkApplication "etl-report": `+string(role)+` pod: violates PodSecurity "baseline:latest": hostPath volumes (volume "node-logs")`)
			}
			got := podSecurityMessages(d)
			if len(got) != len(want) {
				t.Fatalf("refusals %q, want %d: %q", got, len(want), want)
			}
			for i := range want {
				if !strings.HasPrefix(got[i], want[i]) {
					t.Errorf("refusal %q, want %q...", got[i], want[i])
				}
			}
		})
	}
}

// TestPodSecurityOnUpdateAsThePlugin: the composer's prediction of the
// PodSecurity admission on a pod's UPDATE is the plugin's own verdict
// (k8s.io/pod-security-admission's Admission.ValidatePod, over the same
// namespace), update by update: an image changed, a container or an
// ephemeral container added has it judge the whole pod; labels, resources
// and the ignored subresources (status, binding) do not.
func TestPodSecurityOnUpdateAsThePlugin(t *testing.T) {
	ns := corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "guarded", Labels: map[string]string{psaapi.EnforceLevelLabel: "baseline"}}}
	snap, err := overlay.Compile(overlay.Inputs{Namespaces: []corev1.Namespace{ns}})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := psaload.LoadFromData(nil) // the plugin's defaults
	if err != nil {
		t.Fatal(err)
	}
	eval, err := psapolicy.NewEvaluator(psapolicy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	plugin := &psaplugin.Admission{Configuration: cfg, Evaluator: eval, Metrics: noPodSecurityMetrics{},
		NamespaceGetter: namespaceOf{&ns}, PodLister: namespaceOf{&ns}}
	if err := plugin.CompleteConfiguration(); err != nil {
		t.Fatal(err)
	}
	if err := plugin.ValidateConfiguration(); err != nil {
		t.Fatal(err)
	}
	stored := func(privileged bool) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: ns.Name, Labels: map[string]string{"a": "1"}},
			Spec: corev1.PodSpec{
				InitContainers: []corev1.Container{{Name: "init", Image: "init:1"}},
				Containers:     []corev1.Container{{Name: "main", Image: "main:1", SecurityContext: &corev1.SecurityContext{Privileged: &privileged}}}}}
	}
	debug := func(privileged bool) corev1.EphemeralContainer {
		return corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debug", Image: "busybox:1",
			SecurityContext: &corev1.SecurityContext{Privileged: &privileged}}}
	}
	for _, tc := range []struct {
		name        string
		privileged  bool // the stored pod breaks baseline
		update      func(*corev1.Pod)
		subresource string
		refused     bool
	}{
		{"a label", true, func(p *corev1.Pod) { p.Labels["a"] = "2" }, "", false},
		{"the image", true, func(p *corev1.Pod) { p.Spec.Containers[0].Image = "main:2" }, "", true},
		{"the image of a pod that meets it", false, func(p *corev1.Pod) { p.Spec.Containers[0].Image = "main:2" }, "", false},
		{"an init container's image", true, func(p *corev1.Pod) { p.Spec.InitContainers[0].Image = "init:2" }, "", true},
		{"a container added", true, func(p *corev1.Pod) {
			p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "b", Image: "b:1"})
		}, "", true},
		{"resources", true, func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")}
		}, "resize", false},
		{"the image through status", true, func(p *corev1.Pod) { p.Spec.Containers[0].Image = "main:2" }, "status", false},
		{"the image through a binding", true, func(p *corev1.Pod) { p.Spec.Containers[0].Image = "main:2" }, "binding", false},
		{"an ephemeral container", true, func(p *corev1.Pod) { p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, debug(false)) }, "ephemeralcontainers", true},
		{"a privileged ephemeral container", false, func(p *corev1.Pod) { p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, debug(true)) }, "ephemeralcontainers", true},
		{"an ephemeral container that meets it", false, func(p *corev1.Pod) { p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, debug(false)) }, "ephemeralcontainers", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := stored(tc.privileged)
			pod := old.DeepCopy()
			tc.update(pod)
			resp := plugin.ValidatePod(context.Background(), &psaapi.AttributesRecord{Name: pod.Name, Namespace: pod.Namespace,
				Kind: corev1.SchemeGroupVersion.WithKind("Pod"), Resource: corev1.SchemeGroupVersion.WithResource("pods"), Subresource: tc.subresource,
				Operation: admissionv1.Update, Object: pod, OldObject: old, Username: "tenant"})
			d, err := withPodSecurity(Decision{}, snap, pod, Request{Operation: "UPDATE", SubResource: tc.subresource, Namespace: pod.Namespace,
				UserInfo: authenticationv1.UserInfo{Username: "tenant"}, Old: old})
			if err != nil {
				t.Fatal(err)
			}
			if predicted := len(d.Violations) > 0; predicted != !resp.Allowed || predicted != tc.refused {
				t.Errorf("predicted refused: %v (%v); the plugin allows: %v (%v); want refused: %v", predicted, d.Violations, resp.Allowed, resp.Result, tc.refused)
			}
		})
	}
}

// noPodSecurityMetrics records nothing of the plugin's evaluations.
type noPodSecurityMetrics struct{}

func (noPodSecurityMetrics) RecordEvaluation(psametrics.Decision, psaapi.LevelVersion, psametrics.Mode, psaapi.Attributes) {
}
func (noPodSecurityMetrics) RecordExemption(psaapi.Attributes)   {}
func (noPodSecurityMetrics) RecordError(bool, psaapi.Attributes) {}

// namespaceOf serves the plugin one namespace, of no pods.
type namespaceOf struct{ ns *corev1.Namespace }

func (n namespaceOf) GetNamespace(_ context.Context, name string) (*corev1.Namespace, error) {
	if name != n.ns.Name {
		return nil, fmt.Errorf("namespace %q not found", name)
	}
	return n.ns, nil
}

func (namespaceOf) ListPods(context.Context, string) ([]*corev1.Pod, error) { return nil, nil }
