package app

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/pkg/policy"
)

// TestPodsAreJudgedWithTheLayersThatComposedThem: a Layer that gives
// executors a toleration, where tenants may write only "spot", is applied
// or deleted while pods are created. A pod composed with it (by a replica
// ahead, or just before its deletion) is admitted by a replica that
// serves the Layers without it, judged with the snapshot that composed
// it: one served lately, or the one served next. What the tenant writes
// is still refused, and so is a pod whose Layers no snapshot matches.
func TestPodsAreJudgedWithTheLayersThatComposedThem(t *testing.T) {
	rules := teamLayer()
	rules.Spec.Config.Isolation = &v1alpha1.Isolation{AllowedTolerations: []v1alpha1.TolerationPattern{{Key: "spot"}}}
	gpu := v1alpha1.Layer{Spec: v1alpha1.LayerSpec{Tier: v1alpha1.ClusterOverrides,
		Config: &v1alpha1.Config{Tolerations: []corev1.Toleration{{Key: "gpu", Operator: corev1.TolerationOpExists}}}}}
	gpu.Name = "gpu-pool"
	with, without := compiled(t, rules, gpu), compiled(t, rules)
	exec := pod(map[string]string{"spark-role": "executor", "spark-app-selector": "a"})
	exec.Namespace = "etl"
	composedBy := func(snap *overlay.Snapshot) *corev1.Pod {
		res, err := mutate.Admit(snap, mutate.Cluster{Name: "c", Pool: "p"}, exec)
		if err != nil {
			t.Fatal(err)
		}
		return res.Pod
	}
	withGPU := composedBy(with)
	if withGPU.Annotations[v1alpha1.LayersAnnotation] != "gpu-pool,ns-etl" {
		t.Fatalf("composed with layers %q", withGPU.Annotations[v1alpha1.LayersAnnotation])
	}
	tenantGPU := composedBy(without)
	tenantGPU.Spec.Tolerations = append(tenantGPU.Spec.Tolerations, corev1.Toleration{Key: "gpu", Operator: corev1.TolerationOpExists})

	judge := func(t *testing.T, v *PodValidator, p *corev1.Pod, within time.Duration) admission.Response {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), within)
		defer cancel()
		p = p.DeepCopy()
		p.Name = "p-" + t.Name()
		return v.Handle(ctx, podRequest(t, p))
	}
	t.Run("the Layer deleted: the snapshot served before", func(t *testing.T) {
		v := newTestPodValidator(t, rules, gpu)
		v.Store.swap(without)
		if resp := judge(t, v, withGPU, 5*time.Second); !resp.Allowed {
			t.Fatalf("refused: %v", resp.Result.Message)
		}
		if got := testutil.ToFloat64(v.Metrics.judgedAtComposition); got != 1 {
			t.Errorf("judged at composition %v times, want 1", got)
		}
		if resp := judge(t, v, tenantGPU, 5*time.Second); resp.Allowed || resp.Result.Code != http.StatusForbidden {
			t.Errorf("a toleration the tenant wrote: allowed %v, %v", resp.Allowed, resp.Result)
		}
	})
	t.Run("the Layer created: the snapshot served next", func(t *testing.T) {
		v := newTestPodValidator(t, rules)
		go func() {
			time.Sleep(50 * time.Millisecond)
			v.Store.swap(without) // another change first: not the pod's Layers
			time.Sleep(50 * time.Millisecond)
			v.Store.swap(with)
		}()
		if resp := judge(t, v, withGPU, 5*time.Second); !resp.Allowed {
			t.Fatalf("refused: %v", resp.Result.Message)
		}
		if v.Ledger.Reserved() != 1 {
			t.Errorf("%d reservations, want the admitted pod's", v.Ledger.Reserved())
		}
	})
	t.Run("Layers no snapshot matches", func(t *testing.T) {
		v := newTestPodValidator(t, rules)
		start := time.Now()
		if resp := judge(t, v, withGPU, 200*time.Millisecond); resp.Allowed || resp.Result.Code != http.StatusForbidden {
			t.Fatalf("allowed %v, %v", resp.Allowed, resp.Result)
		}
		if waited := time.Since(start); waited > 2*composingWait {
			t.Errorf("waited %v", waited)
		}
		if got := testutil.ToFloat64(v.Metrics.judgedAtComposition); got != 0 {
			t.Errorf("judged at composition %v times", got)
		}
		// A pod that names no Layer this replica lacks (here none: no
		// mutation composed it) does not wait for another snapshot.
		raw := exec.DeepCopy()
		raw.Spec.Tolerations = []corev1.Toleration{{Key: "gpu", Operator: corev1.TolerationOpExists}}
		start = time.Now()
		if resp := judge(t, v, raw, 5*time.Second); resp.Allowed {
			t.Fatal("admitted")
		}
		if waited := time.Since(start); waited >= composingWait {
			t.Errorf("a pod naming no other Layers waited %v", waited)
		}
	})
	t.Run("a value of an applied Layer changed", func(t *testing.T) {
		reserved := teamLayer()
		reserved.Spec.Config.Isolation = &v1alpha1.Isolation{ReservedLabelPrefixes: []string{"platform.strata.dev/"}}
		tier := func(v string) v1alpha1.Layer {
			l := v1alpha1.Layer{Spec: v1alpha1.LayerSpec{Tier: v1alpha1.ClusterOverrides,
				Config: &v1alpha1.Config{Labels: map[string]string{"platform.strata.dev/tier": v}}}}
			l.Name = "tier"
			return l
		}
		v1, v2 := compiled(t, reserved, tier("gold")), compiled(t, reserved, tier("silver"))
		gold := composedBy(v1)
		ahead := newTestPodValidator(t, reserved, tier("gold"))
		ahead.Store.swap(v2)
		if resp := judge(t, ahead, gold, 5*time.Second); !resp.Allowed {
			t.Errorf("this replica ahead: refused: %v", resp.Result.Message)
		}
		behind := newTestPodValidator(t, reserved, tier("silver"))
		go func() {
			time.Sleep(50 * time.Millisecond)
			behind.Store.swap(v2) // another change first: not the pod's
			time.Sleep(50 * time.Millisecond)
			behind.Store.swap(v1)
		}()
		if resp := judge(t, behind, gold, 5*time.Second); !resp.Allowed {
			t.Errorf("this replica behind: refused: %v", resp.Result.Message)
		}
		// What the newest Layers compose is judged by them alone: a tenant's
		// own label under the prefix, which gold never gave, is refused.
		v := newTestPodValidator(t, reserved, tier("gold"))
		v.Store.swap(v2)
		own := composedBy(v2)
		own.Labels["platform.strata.dev/owner"] = "me"
		if resp := judge(t, v, own, 5*time.Second); resp.Allowed {
			t.Error("a tenant's label under the reserved prefix is admitted")
		}
	})
	t.Run("a SparkApplication", func(t *testing.T) {
		v := newTestPodValidator(t, rules, gpu)
		apps := &AppValidator{Store: v.Store, Policies: v.Policies, Live: v.Live, Synced: v.Synced, Cluster: v.Cluster, Metrics: v.Metrics}
		obj, err := decodeApp([]byte(appJSON(2)), "etl")
		if err != nil {
			t.Fatal(err)
		}
		res, err := mutate.ComposeApp(with, v.Cluster, obj)
		if err != nil {
			t.Fatal(err)
		}
		values, err := res.App.Values()
		if err != nil {
			t.Fatal(err)
		}
		composed, err := json.Marshal(values)
		if err != nil {
			t.Fatal(err)
		}
		v.Store.swap(without)
		if resp := apps.Handle(context.Background(), appRequest(admissionv1.Create, string(composed), "")); !resp.Allowed {
			t.Fatalf("refused: %v", resp.Result.Message)
		}
		if got := testutil.ToFloat64(v.Metrics.judgedAtComposition); got != 1 {
			t.Errorf("judged at composition %v times, want 1", got)
		}
		tenant := strings.Replace(appJSON(2), `"executor":{`, `"executor":{"tolerations":[{"key":"gpu","operator":"Exists"}],`, 1)
		if resp := apps.Handle(context.Background(), appRequest(admissionv1.Create, tenant, "")); resp.Allowed {
			t.Error("a toleration the tenant wrote is admitted")
		}
	})
	t.Run("an update is judged with the newest Layers", func(t *testing.T) {
		v := newTestPodValidator(t, rules, gpu)
		v.Store.swap(without)
		old := withGPU.DeepCopy()
		old.Spec.Tolerations = nil
		_, decision, resp := v.judgeWith(context.Background(), v.Store.Load(), v.Policies.Load(), withGPU, policy.Request{Operation: "UPDATE", Old: old})
		if resp != nil || decision.Allowed() {
			t.Fatalf("an UPDATE adding the deleted Layer's toleration: allowed %v, error %v", decision.Allowed(), resp)
		}
		if other := v.composingSnapshot(context.Background(), v.Store.Load(), withGPU, policy.Request{Operation: "UPDATE", Old: old}, nil); other != nil {
			t.Errorf("an UPDATE judged with generation %d", other.Generation)
		}
	})
}

// TestStoreKeepsWhatItServedLately: the snapshots replaced in the last
// keptFor, at most keptSnapshots, newest first.
func TestStoreKeepsWhatItServedLately(t *testing.T) {
	snap, _ := overlay.Compile(overlay.Inputs{})
	var s Store
	start := time.Now()
	for i := range keptSnapshots + 3 {
		s.swapAt(snap, start.Add(time.Duration(i)*time.Second))
	}
	recent := s.Recent()
	if len(recent) != keptSnapshots || recent[0].Generation != int64(keptSnapshots+2) || recent[len(recent)-1].Generation != 3 {
		t.Fatalf("recent: %d snapshots, from generation %d to %d", len(recent), recent[0].Generation, recent[len(recent)-1].Generation)
	}
	s.swapAt(snap, start.Add(keptFor+time.Duration(keptSnapshots+5)*time.Second))
	if recent := s.Recent(); len(recent) != 1 || recent[0].Generation != int64(keptSnapshots+3) {
		t.Fatalf("after %v: %d snapshots kept", keptFor, len(recent))
	}
}
