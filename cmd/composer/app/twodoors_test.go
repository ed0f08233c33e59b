package app

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	webhook "github.com/strata-dev/strata/cmd/webhook/app"
	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/manifest"
	"github.com/strata-dev/strata/pkg/policy"
)

// TestGoldenThroughTheWebhook is the second door of the golden suite: each
// golden case's pod goes through the webhook's PodMutator.Handle, as an
// AdmissionRequest, and its patch must be the golden -o patch, byte for
// byte. So the dry run never says other than what the webhook does.
func TestGoldenThroughTheWebhook(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			snap, m := snapshotOfRepo(t, filepath.Join(examples, "layers", tc.layers)), webhookMetrics(t)
			h := &webhook.PodMutator{Store: webhook.NewStore(snap), Cluster: mutate.Cluster{Name: tc.cluster, Pool: tc.pool},
				Metrics: m}
			data, err := os.ReadFile(filepath.Join(examples, "pods", tc.pods))
			if err != nil {
				t.Fatal(err)
			}
			pods, err := manifest.DecodePods(tc.pods, data)
			if err != nil || len(pods) != 1 {
				t.Fatalf("%d pods, %v", len(pods), err)
			}
			raw, err := json.Marshal(pods[0])
			if err != nil {
				t.Fatal(err)
			}
			resp := h.Handle(context.Background(), admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
				UID: "golden", Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}, Namespace: pods[0].Namespace,
				Operation: admissionv1.Create, Object: runtime.RawExtension{Raw: raw}}})
			if !resp.Allowed {
				t.Fatalf("denied: %+v", resp.Result)
			}
			checkPatchGolden(t, tc.name, resp.Patch)
		})
	}
}

// TestConnectGoldenThroughTheWebhook is the second door for SparkConnects:
// each golden SparkConnect goes through the webhook's ConnectMutator.Handle,
// as an AdmissionRequest, and its patch and warnings must be the composer's:
// the golden -o patch byte for byte, the -o explain warnings.
func TestConnectGoldenThroughTheWebhook(t *testing.T) {
	for _, tc := range appGoldenCases {
		if tc.app != connectExample {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			snap, m := snapshotOfRepo(t, filepath.Join(examples, "layers", tc.layers)), webhookMetrics(t)
			h := &webhook.ConnectMutator{Store: webhook.NewStore(snap), Cluster: mutate.Cluster{Name: tc.cluster, Pool: tc.pool}, Metrics: m}
			data, err := os.ReadFile(filepath.Join(examples, "apps", tc.app))
			if err != nil {
				t.Fatal(err)
			}
			objects, err := manifest.DecodeObjects(tc.app, data)
			if err != nil || len(objects) != 1 || objects[0].Connect == nil {
				t.Fatalf("%d objects, %v", len(objects), err)
			}
			resp := h.Handle(context.Background(), admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
				UID: "golden", Kind: metav1.GroupVersionKind{Group: "sparkoperator.k8s.io", Version: "v1alpha1", Kind: "SparkConnect"},
				Namespace: objects[0].Namespace(), Operation: admissionv1.Create, Object: runtime.RawExtension{Raw: objects[0].Raw}}})
			if !resp.Allowed {
				t.Fatalf("denied: %+v", resp.Result)
			}
			checkPatchGolden(t, tc.name, resp.Patch)
			if warned := goldenWarnings(t, tc.name); !slices.Equal(resp.Warnings, warned) {
				t.Errorf("the webhook's warnings %q, the composer's %q", resp.Warnings, warned)
			}
		})
	}
}

// TestAppGoldenThroughTheWebhook is the second door for SparkApplications
// and ScheduledSparkApplications: each golden application goes through the
// webhook's AppMutator.Handle, and its patch and warnings must be the
// composer's: the golden -o patch byte for byte, the -o explain warnings.
// A schedule goes through ScheduledAppValidator.Handle, which changes
// nothing and warns its creator of every run as -o explain does.
func TestAppGoldenThroughTheWebhook(t *testing.T) {
	ctx := context.Background()
	for _, tc := range appGoldenCases {
		if tc.app == connectExample {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			snap, m := snapshotOfRepo(t, filepath.Join(examples, "layers", tc.layers)), webhookMetrics(t)
			cluster := mutate.Cluster{Name: tc.cluster, Pool: tc.pool}
			data, err := os.ReadFile(filepath.Join(examples, "apps", tc.app))
			if err != nil {
				t.Fatal(err)
			}
			objects, err := manifest.DecodeObjects(tc.app, data)
			if err != nil || len(objects) != 1 || objects[0].App == nil {
				t.Fatalf("%d objects, %v", len(objects), err)
			}
			raw, err := yaml.YAMLToJSON(data)
			if err != nil {
				t.Fatal(err)
			}
			req := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
				UID: "golden", Kind: metav1.GroupVersionKind{Group: "sparkoperator.k8s.io", Version: "v1beta2", Kind: "SparkApplication"},
				Namespace: objects[0].Namespace(), Operation: admissionv1.Create, Object: runtime.RawExtension{Raw: raw}}}
			var resp admission.Response
			if objects[0].Schedule.Name == "" {
				resp = (&webhook.AppMutator{Store: webhook.NewStore(snap), Cluster: cluster, Metrics: m}).Handle(ctx, req)
				checkPatchGolden(t, tc.name, resp.Patch)
			} else {
				policies, err := webhook.NewPolicyStore(ctx, "", m, logr.Discard())
				if err != nil {
					t.Fatal(err)
				}
				req.Kind.Kind = "ScheduledSparkApplication"
				resp = (&webhook.ScheduledAppValidator{Store: webhook.NewStore(snap), Policies: policies, Cluster: cluster, Metrics: m}).Handle(ctx, req)
				if len(resp.Patches) != 0 || len(resp.Patch) != 0 {
					t.Errorf("the schedule was changed: %s", resp.Patch)
				}
			}
			if !resp.Allowed {
				t.Fatalf("denied: %+v", resp.Result)
			}
			if want := goldenWarnings(t, tc.name); !slices.Equal(resp.Warnings, want) {
				t.Errorf("the webhook's warnings %q, the composer's %q", resp.Warnings, want)
			}
		})
	}
}

// goldenWarnings are the warnings of the golden -o explain of case name.
func goldenWarnings(t *testing.T, name string) []string {
	t.Helper()
	explained, err := os.ReadFile(filepath.Join(golden, name+".explain.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var warned []string
	for _, l := range strings.Split(string(explained), "\n") {
		if w, ok := strings.CutPrefix(l, "Warning: "); ok {
			warned = append(warned, w)
		}
	}
	return warned
}

// checkPatchGolden fails t unless patch, a webhook's answer (none: an
// empty patch), is the golden -o patch of case name, byte for byte.
func checkPatchGolden(t *testing.T, name string, patch []byte) {
	t.Helper()
	if len(patch) == 0 {
		patch = []byte("[]")
	}
	var got bytes.Buffer
	if err := writeIndentedJSON(&got, json.RawMessage(patch)); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(golden, name+".patch.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != string(want) {
		t.Errorf("the webhook's patch differs from the composer's golden %s:\n--- webhook\n%s\n--- golden\n%s", name, got.String(), want)
	}
}

// snapshotOfRepo is the layer repository at dir, compiled.
func snapshotOfRepo(t *testing.T, dir string) *overlay.Snapshot {
	t.Helper()
	in, err := manifest.LoadRepo(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := overlay.Compile(in)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// webhookMetrics are the webhook's metrics on a registry of their own.
func webhookMetrics(t *testing.T) *webhook.Metrics {
	t.Helper()
	m, err := webhook.NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestEveryGoldenFileIsUsed fails on a golden file no case writes: a stale
// file would otherwise go on passing for a case that no longer exists.
func TestEveryGoldenFileIsUsed(t *testing.T) {
	entries, err := os.ReadDir(golden)
	if err != nil {
		t.Fatal(err)
	}
	var used []string
	for _, tc := range goldenCases {
		for _, ext := range []string{".yaml", ".patch.json", ".explain.txt"} {
			used = append(used, tc.name+ext)
		}
	}
	for _, tc := range appGoldenCases {
		for _, ext := range []string{".yaml", ".patch.json", ".explain.txt", ".conf"} {
			used = append(used, tc.name+ext)
		}
	}
	used = append(used, "conf-etl-submit.properties", "conf-etl-submit-executor.submit")
	used = append(used, "diff-etl-change.txt")
	for _, tc := range dryRunCases {
		used = append(used, "dryrun-"+tc.name+".txt")
	}
	for _, e := range entries {
		if !slices.Contains(used, e.Name()) && !strings.HasPrefix(e.Name(), ".") {
			t.Errorf("%s/%s belongs to no golden case", golden, e.Name())
		}
	}
}

// TestPodGroupsThroughTheWebhook is the second door for PodGroups: each
// PodGroup of the dry run's file goes through the webhook's
// PodGroupValidator.Handle, as an AdmissionRequest, and its answer must be
// the composer's verdict: allowed or not, with the same denials.
func TestPodGroupsThroughTheWebhook(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join("testdata", "dryrun")
	snap, m := snapshotOfRepo(t, filepath.Join(dir, "podgroups")), webhookMetrics(t)
	policies, err := webhook.NewPolicyStore(ctx, "", m, logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	cluster := mutate.Cluster{Name: "prod-a", Pool: "batch"}
	h := &webhook.PodGroupValidator{Store: webhook.NewStore(snap), Policies: policies, Cluster: cluster, Metrics: m}
	check := &policy.Check{Engine: policies.Load(), Snapshot: snap, Cluster: cluster}
	file := filepath.Join(dir, "pods", "podgroups.yaml")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	objects, err := manifest.DecodeObjects(file, data)
	if err != nil {
		t.Fatal(err)
	}
	denied := 0
	for _, obj := range objects {
		pg := obj.PodGroup
		if pg == nil {
			t.Fatalf("%s holds a %+v, want only PodGroups", file, obj)
		}
		want, err := judge(ctx, check, &composed{podGroup: pg, raw: obj.Raw}, nil, authenticationv1.UserInfo{})
		if err != nil {
			t.Fatal(err)
		}
		var denials []string
		for _, v := range want.Violations {
			denials = append(denials, v.Message)
		}
		resp := h.Handle(ctx, admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
			UID: "golden", Kind: metav1.GroupVersionKind{Group: "scheduling.volcano.sh", Version: "v1beta1", Kind: "PodGroup"}, Namespace: pg.Namespace,
			Operation: admissionv1.Create, Object: runtime.RawExtension{Raw: obj.Raw}}})
		got := ""
		if resp.Result != nil {
			got = resp.Result.Message
		}
		if resp.Allowed != want.Allowed() || (!resp.Allowed && got != strings.Join(denials, "\n")) {
			t.Errorf("PodGroup %s: the webhook answers allowed=%v %q, the composer allowed=%v %q", pg.Name, resp.Allowed, got, want.Allowed(), denials)
		}
		if !resp.Allowed {
			denied++
		}
	}
	if denied == 0 || denied == len(objects) {
		t.Errorf("%d of %d PodGroups denied: the file must hold both verdicts", denied, len(objects))
	}
}
