package mutate

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	psadmission "k8s.io/pod-security-admission/admission/api"
	psaapi "k8s.io/pod-security-admission/api"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/test/fixtures"
)

// TestPodSecurityWarning: a composed pod that the Pod Security level its
// namespace enforces refuses, where the pod as written is not refused for
// the same reasons, is warned of in the plugin's words, with what the
// layers added and which layer added it; Admit warns as Compose does. A
// check the tenant's own pod fails already, for the same containers, is
// the plugin's to tell. Nothing is warned of where nothing is enforced.
func TestPodSecurityWarning(t *testing.T) {
	const (
		privilegedSidecar = `{tier: ClusterOverrides, config: {sidecars: [{name: shipper, image: shipper:1, securityContext: {privileged: true}}]}}`
		hostPathVolume    = `{tier: ClusterOverrides, config: {volumes: [{name: varlog, hostPath: {path: /var/log}}]}}`
		compliantSidecar  = `{tier: ClusterOverrides, config: {sidecars: [{name: shipper, image: shipper:1}]}}`
	)
	privileged := func(pod *corev1.Pod) {
		pod.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: new(true)}
	}
	for _, tc := range []struct {
		name    string
		layer   string
		level   map[string]string
		written func(*corev1.Pod)
		// config is the plugin's configuration; nil: its default.
		config *psadmission.PodSecurityConfiguration
		// want are the parts of the warning; none: no warning.
		want []string
	}{
		{name: "a privileged sidecar under baseline", layer: privilegedSidecar, level: map[string]string{psaapi.EnforceLevelLabel: "baseline"},
			want: []string{`Pod Security "baseline:latest" (enforced on namespace "etl") is broken by what the layers added: privileged (container "shipper" must not set securityContext.privileged=true); ` +
				`added: sidecar "shipper" (ClusterOverrides layer "l"). The API server's PodSecurity admission will refuse the pod unless its configuration exempts it`}},
		{name: "only what the broken checks name", layer: `{tier: ClusterOverrides, config: {sidecars: [{name: shipper, image: shipper:1, securityContext: {privileged: true}}, {name: tailer, image: tailer:1}]}}`,
			level: map[string]string{psaapi.EnforceLevelLabel: "baseline"},
			want:  []string{`; added: sidecar "shipper" (ClusterOverrides layer "l"). The API server's`}},
		{name: "a hostPath volume under baseline", layer: hostPathVolume, level: map[string]string{psaapi.EnforceLevelLabel: "baseline", psaapi.EnforceVersionLabel: "v1.30"},
			want: []string{`Pod Security "baseline:v1.30"`, `hostPath volumes (volume "varlog")`, `added: volume "varlog" (ClusterOverrides layer "l")`}},
		{name: "a pod patch that shares the host's network", layer: `{tier: ClusterOverrides, config: {podPatch: {spec: {hostNetwork: true}}}}`,
			level: map[string]string{psaapi.EnforceLevelLabel: "baseline"},
			want:  []string{`host namespaces (hostNetwork=true)`, `added: the pod patch of ClusterOverrides layer "l"`}},
		{name: "an unreadable level is restricted", layer: compliantSidecar, level: map[string]string{psaapi.EnforceLevelLabel: "strict"},
			// The tenant's pod fails restricted for its own containers; the
			// sidecar joins their list.
			want: []string{`Pod Security "restricted:latest"`, `"shipper"`}},
		{name: "the configuration's default", layer: privilegedSidecar,
			config: &psadmission.PodSecurityConfiguration{Defaults: psadmission.PodSecurityDefaults{Enforce: "baseline", EnforceVersion: "latest"}},
			want:   []string{`Pod Security "baseline:latest" (enforced on namespace "etl")`, `sidecar "shipper" (ClusterOverrides layer "l")`}},
		{name: "a namespace the configuration exempts", layer: privilegedSidecar, level: map[string]string{psaapi.EnforceLevelLabel: "baseline"},
			config: &psadmission.PodSecurityConfiguration{Exemptions: psadmission.PodSecurityExemptions{Namespaces: []string{"etl"}}}},
		{name: "a RuntimeClass the configuration exempts", layer: privilegedSidecar, level: map[string]string{psaapi.EnforceLevelLabel: "baseline"},
			config:  &psadmission.PodSecurityConfiguration{Exemptions: psadmission.PodSecurityExemptions{RuntimeClasses: []string{"kata"}}},
			written: func(pod *corev1.Pod) { pod.Spec.RuntimeClassName = new("kata") }},
		{name: "another RuntimeClass", layer: privilegedSidecar, level: map[string]string{psaapi.EnforceLevelLabel: "baseline"},
			config:  &psadmission.PodSecurityConfiguration{Exemptions: psadmission.PodSecurityExemptions{RuntimeClasses: []string{"kata"}}},
			written: func(pod *corev1.Pod) { pod.Spec.RuntimeClassName = new("runc") },
			want:    []string{`Pod Security "baseline:latest"`}},
		{name: "nothing enforced", layer: privilegedSidecar},
		{name: "privileged enforced", layer: privilegedSidecar, level: map[string]string{psaapi.EnforceLevelLabel: "privileged"}},
		{name: "what the tenant broke itself", layer: compliantSidecar, level: map[string]string{psaapi.EnforceLevelLabel: "baseline"}, written: privileged},
		{name: "a layer's break beside the tenant's own", layer: privilegedSidecar, level: map[string]string{psaapi.EnforceLevelLabel: "baseline"}, written: privileged,
			want: []string{`privileged (containers "shipper", "user-proxy" must not set securityContext.privileged=true)`, `sidecar "shipper" (ClusterOverrides layer "l")`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap := layerInEtl(t, tc.layer, tc.level, tc.config)
			pod := executorPod()
			if tc.written != nil {
				tc.written(pod)
			}
			res := composeOK(t, snap, pod)
			var got []string
			for _, w := range res.Warnings {
				if strings.Contains(w, "Pod Security") {
					got = append(got, w)
				}
			}
			if len(tc.want) == 0 {
				if len(got) > 0 {
					t.Fatalf("warnings %q, want none of Pod Security", got)
				}
			} else {
				if len(got) != 1 {
					t.Fatalf("warnings %q, want one of Pod Security", res.Warnings)
				}
				for _, part := range tc.want {
					if !strings.Contains(got[0], part) {
						t.Errorf("warning %q\nlacks %q", got[0], part)
					}
				}
			}
			if want := strings.Join(got, ""); res.PodSecurityWarning != want {
				t.Errorf("PodSecurityWarning %q, want %q", res.PodSecurityWarning, want)
			}
			admitted, err := Admit(snap, cluster, pod)
			if err != nil || !reflect.DeepEqual(admitted.Warnings, res.Warnings) {
				t.Errorf("Admit's warnings %q (%v), Compose's %q", admitted.Warnings, err, res.Warnings)
			}
		})
	}
}

// TestWarningsForExemptUser: a user the plugin's configuration exempts
// creates the pod the plugin would refuse otherwise; it is not told of a
// refusal that will not come, and is still told of its overridden values.
// Any other user, and every user with no configuration, is.
func TestWarningsForExemptUser(t *testing.T) {
	const layer = `{tier: ClusterOverrides, config: {env: [{name: LOG_LEVEL, value: info}], sidecars: [{name: shipper, image: shipper:1, securityContext: {privileged: true}}]}}`
	baseline := map[string]string{psaapi.EnforceLevelLabel: "baseline"}
	exempting := &psadmission.PodSecurityConfiguration{Exemptions: psadmission.PodSecurityExemptions{Usernames: []string{"system:serviceaccount:spark:submitter"}}}
	for _, tc := range []struct {
		name        string
		config      *psadmission.PodSecurityConfiguration
		user        string
		podSecurity bool
	}{
		{name: "an exempt user", config: exempting, user: "system:serviceaccount:spark:submitter"},
		{name: "another user", config: exempting, user: "system:serviceaccount:spark:other", podSecurity: true},
		{name: "no user known", config: exempting, podSecurity: true},
		{name: "no configuration", user: "system:serviceaccount:spark:submitter", podSecurity: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap := layerInEtl(t, layer, baseline, tc.config)
			res, err := Admit(snap, cluster, executorPod())
			if err != nil {
				t.Fatal(err)
			}
			if res.PodSecurityWarning == "" {
				t.Fatalf("no Pod Security warning among %q", res.Warnings)
			}
			before := slices.Clone(res.Warnings)
			got := res.WarningsFor(snap, tc.user)
			if !slices.Equal(res.Warnings, before) {
				t.Fatalf("WarningsFor changed Warnings: %q, were %q", res.Warnings, before)
			}
			want := res.Warnings
			if !tc.podSecurity {
				want = slices.DeleteFunc(slices.Clone(want), func(w string) bool { return w == res.PodSecurityWarning })
			}
			if !slices.Equal(got, want) {
				t.Errorf("warnings for %q: %q\nwant %q", tc.user, got, want)
			}
			if !slices.ContainsFunc(got, func(w string) bool {
				return strings.Contains(w, "LOG_LEVEL")
			}) {
				t.Errorf("warnings for %q lack LOG_LEVEL's override: %q", tc.user, got)
			}
		})
	}
}

// TestPodSecurityDenial: the plugin's words for a pod, and none for a pod
// that meets the level.
func TestPodSecurityDenial(t *testing.T) {
	lv, ok := PodSecurityEnforced(nil, "etl", map[string]string{psaapi.EnforceLevelLabel: "baseline"})
	if !ok {
		t.Fatal("baseline not enforced")
	}
	pod := executorPod()
	if got, err := PodSecurityDenial(lv, pod); err != nil || got != "" {
		t.Fatalf("denial %q (%v) of a baseline pod", got, err)
	}
	pod.Spec.HostPID = true
	got, err := PodSecurityDenial(lv, pod)
	if want := `violates PodSecurity "baseline:latest": host namespaces (hostPID=true)`; err != nil || got != want {
		t.Fatalf("denial %q (%v), want %q", got, err, want)
	}
	if _, ok := PodSecurityEnforced(nil, "etl", nil); ok {
		t.Error("a namespace without labels enforces a level")
	}
}

// TestPodSecurityEnforced: the level the plugin enforces on a namespace,
// by its labels, else by its configuration's default, none where the
// configuration exempts the namespace.
func TestPodSecurityEnforced(t *testing.T) {
	cfg := &psadmission.PodSecurityConfiguration{
		Defaults:   psadmission.PodSecurityDefaults{Enforce: "baseline", EnforceVersion: "v1.30"},
		Exemptions: psadmission.PodSecurityExemptions{Namespaces: []string{"kube-system"}},
	}
	for _, tc := range []struct {
		name   string
		cfg    *psadmission.PodSecurityConfiguration
		ns     string
		labels map[string]string
		want   string // "" when nothing is enforced
	}{
		{name: "no configuration, no label", ns: "etl"},
		{name: "no configuration, a label", ns: "etl", labels: map[string]string{psaapi.EnforceLevelLabel: "restricted"}, want: "restricted:latest"},
		{name: "the default", cfg: cfg, ns: "etl", want: "baseline:v1.30"},
		{name: "a label over the default", cfg: cfg, ns: "etl", labels: map[string]string{psaapi.EnforceLevelLabel: "privileged"}},
		{name: "a label's version over the default's", cfg: cfg, ns: "etl", labels: map[string]string{psaapi.EnforceVersionLabel: "v1.29"}, want: "baseline:v1.29"},
		{name: "an unreadable label", cfg: cfg, ns: "etl", labels: map[string]string{psaapi.EnforceLevelLabel: "strict"}, want: "restricted:v1.30"},
		{name: "an exempt namespace", cfg: cfg, ns: "kube-system", labels: map[string]string{psaapi.EnforceLevelLabel: "restricted"}},
		{name: "an unreadable default", cfg: &psadmission.PodSecurityConfiguration{Defaults: psadmission.PodSecurityDefaults{Enforce: "strict"}}, ns: "etl", want: "restricted:latest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lv, ok := PodSecurityEnforced(tc.cfg, tc.ns, tc.labels)
			if got := map[bool]string{true: lv.String()}[ok]; got != tc.want {
				t.Errorf("enforced %q, want %q", got, tc.want)
			}
		})
	}
	exempt := &psadmission.PodSecurityConfiguration{Exemptions: psadmission.PodSecurityExemptions{
		RuntimeClasses: []string{"kata"}, Usernames: []string{"system:serviceaccount:spark-operator:spark-operator"}}}
	for _, tc := range []struct {
		cfg   *psadmission.PodSecurityConfiguration
		class *string
		user  string
		want  bool
	}{
		{cfg: nil, class: new("kata")},
		{cfg: exempt, class: new("kata"), want: true},
		{cfg: exempt, class: new("runc")},
		{cfg: exempt},
		{cfg: exempt, user: "system:serviceaccount:spark-operator:spark-operator", want: true},
		{cfg: exempt, user: "alice"},
	} {
		if got := PodSecurityExempts(tc.cfg, tc.class, tc.user); got != tc.want {
			t.Errorf("PodSecurityExempts(%+v, %v, %q) = %v, want %v", tc.cfg, tc.class, tc.user, got, tc.want)
		}
	}
}

// layerInLabelledEtl is the snapshot of the Layer "l" of spec (YAML) and
// namespace etl labelled labels.
func layerInLabelledEtl(t *testing.T, spec string, labels map[string]string) *overlay.Snapshot {
	t.Helper()
	return layerInEtl(t, spec, labels, nil)
}

// layerInEtl is layerInLabelledEtl on a cluster whose PodSecurity
// admission is configured with config (nil: its default).
func layerInEtl(t *testing.T, spec string, labels map[string]string, config *psadmission.PodSecurityConfiguration) *overlay.Snapshot {
	t.Helper()
	in := fixtures.InputsOf(t, map[string]string{"l": spec})
	in.Namespaces = []corev1.Namespace{{ObjectMeta: metav1.ObjectMeta{Name: "etl", Labels: labels}}}
	in.PodSecurity = config
	snap, err := overlay.Compile(in)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}
