package mutate

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/test/fixtures"
)

// TestPlacementWarning: a node selector or toleration the layers set that
// the namespace's PodNodeSelector or PodTolerationRestriction placement
// refuses (a conflict with the namespace's node selector, its annotation's
// or the cluster's default; an entry outside its whitelists) is warned
// of, in Compose and Admit alike; what the pod held already, and a key of
// the namespace's selector the pod as written lacks, are not.
func TestPlacementWarning(t *testing.T) {
	const (
		batchPool = `{tier: ClusterOverrides, config: {nodeSelector: {pool: batch}}}`
		gpuToler  = `{tier: ClusterOverrides, config: {tolerations: [{key: gpu, operator: Exists, effect: NoSchedule}]}}`
		spotToler = `{tier: ClusterOverrides, config: {tolerations: [{key: spot, operator: Exists, effect: NoSchedule}]}}`
	)
	pinned := map[string]string{overlay.NamespaceNodeSelectorAnnotation: "pool=core"}
	spotOnly := map[string]string{overlay.NamespaceTolerationsWhitelistAnnotation: `[{"key":"spot","operator":"Exists"}]`}
	for _, tc := range []struct {
		name        string
		layer       string
		annotations map[string]string
		cluster     overlay.ClusterPlacement
		written     func(*corev1.Pod)
		// want is part of the warning; "" for none.
		want string
	}{
		{name: "an override of the namespace's selector", layer: batchPool, annotations: pinned,
			written: func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"pool": "core"} },
			want:    `The API server will refuse the pod for what the layers set of its placement in namespace "etl": PodNodeSelector: node selector pool=batch conflicts with the namespace's pool=core`},
		{name: "an override of the cluster's default selector", layer: batchPool, cluster: overlay.ClusterPlacement{NodeSelector: map[string]string{"pool": "shared"}},
			written: func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"pool": "shared"} },
			want:    `node selector pool=batch conflicts with the namespace's pool=shared`},
		{name: "the namespace's key the pod as written lacks", layer: batchPool, annotations: pinned},
		{name: "the namespace's own value", layer: `{tier: ClusterOverrides, config: {nodeSelector: {pool: core}}}`, annotations: pinned,
			written: func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"pool": "core"} }},
		{name: "another key beside the namespace's", layer: `{tier: ClusterOverrides, config: {nodeSelector: {zone: a}}}`, annotations: pinned,
			written: func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"pool": "core"} }},
		{name: "outside the namespace's selector whitelist", layer: `{tier: ClusterOverrides, config: {nodeSelector: {pool: batch, zone: a}}}`,
			cluster: overlay.ClusterPlacement{NodeSelectorWhitelists: map[string]map[string]string{"etl": {"pool": "batch"}}},
			want:    `PodNodeSelector: node selector zone=a is not in the namespace's whitelist pool=batch`},
		{name: "within the namespace's selector whitelist", layer: batchPool,
			cluster: overlay.ClusterPlacement{NodeSelectorWhitelists: map[string]map[string]string{"etl": {"pool": "batch"}}}},
		{name: "another namespace's selector whitelist", layer: batchPool,
			cluster: overlay.ClusterPlacement{NodeSelectorWhitelists: map[string]map[string]string{"ml": {"pool": "gpu"}}}},
		{name: "a toleration outside the namespace's whitelist", layer: gpuToler, annotations: spotOnly,
			want: `PodTolerationRestriction: toleration "gpu:NoSchedule op=Exists" is not covered by the namespace's whitelist`},
		{name: "a toleration outside the cluster's whitelist", layer: gpuToler,
			cluster: overlay.ClusterPlacement{TolerationsWhitelist: []corev1.Toleration{{Key: "spot", Operator: corev1.TolerationOpExists}}},
			want:    `toleration "gpu:NoSchedule op=Exists" is not covered`},
		{name: "a namespace whose empty whitelist replaces the cluster's", layer: gpuToler,
			annotations: map[string]string{overlay.NamespaceTolerationsWhitelistAnnotation: ""},
			cluster:     overlay.ClusterPlacement{TolerationsWhitelist: []corev1.Toleration{{Key: "spot", Operator: corev1.TolerationOpExists}}}},
		{name: "a toleration the whitelist covers", layer: spotToler, annotations: spotOnly},
		{name: "the tenant's own toleration", layer: spotToler, annotations: spotOnly,
			written: func(p *corev1.Pod) {
				p.Spec.Tolerations = []corev1.Toleration{{Key: "gpu", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}}
			}},
		{name: "no placement", layer: batchPool, written: func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"pool": "core"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := fixtures.InputsOf(t, map[string]string{"l": tc.layer})
			in.Namespaces = []corev1.Namespace{{ObjectMeta: metav1.ObjectMeta{Name: "etl", Annotations: tc.annotations}}}
			in.ClusterPlacement = tc.cluster
			snap, err := overlay.Compile(in)
			if err != nil {
				t.Fatal(err)
			}
			pod := executorPod()
			if tc.written != nil {
				tc.written(pod)
			}
			for name, compose := range map[string]func(*overlay.Snapshot, Cluster, *corev1.Pod) (*Result, error){"Compose": Compose, "Admit": Admit} {
				res, err := compose(snap, cluster, pod)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, w := range res.Warnings {
					if strings.Contains(w, "will refuse the pod for what the layers set of its placement") {
						got = append(got, w)
					}
				}
				switch {
				case tc.want == "" && len(got) > 0:
					t.Errorf("%s: warned %q, want no placement warning", name, got)
				case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)):
					t.Errorf("%s: warned %q, want one containing %q", name, got, tc.want)
				}
			}
		})
	}
}
