package mutate

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/strata-dev/strata/pkg/overlay/quantity"
)

// quotaPod is a pod of a Spark container sized by spark (requests, then
// limits, each as pairs) and a sidecar "log-shipper" sized by sidecar.
func quotaPod(spark, sidecar corev1.ResourceRequirements) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "exec-1", Namespace: "etl"}, Spec: corev1.PodSpec{
		Containers:     []corev1.Container{{Name: "spark-kubernetes-executor", Resources: spark}},
		InitContainers: []corev1.Container{{Name: "log-shipper", Resources: sidecar, RestartPolicy: new(corev1.ContainerRestartPolicyAlways)}},
	}}
}

// TestQuotaRefusals holds QuotaRefusals to the API server's ResourceQuota
// admission, case by case: a quota that bounds cpu or memory requires
// each container to request (or limit) what it bounds, in the plugin's
// words, of the pods in its scopes; nothing else is required.
func TestQuotaRefusals(t *testing.T) {
	sized := corev1.ResourceRequirements{Requests: resources("cpu", "2", "memory", "8Gi"), Limits: resources("memory", "8Gi")}
	requestsOnly := corev1.ResourceRequirements{Requests: resources("cpu", "20m", "memory", "64Mi")}
	quota := func(hard corev1.ResourceList, scopes ...corev1.ResourceQuotaScope) *corev1.ResourceQuota {
		return &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "compute", Namespace: "etl"}, Spec: corev1.ResourceQuotaSpec{Hard: hard, Scopes: scopes}}
	}
	selected := func(hard corev1.ResourceList, reqs ...corev1.ScopedResourceSelectorRequirement) *corev1.ResourceQuota {
		q := quota(hard)
		q.Spec.ScopeSelector = &corev1.ScopeSelector{MatchExpressions: reqs}
		return q
	}
	class := func(op corev1.ScopeSelectorOperator, values ...string) corev1.ScopedResourceSelectorRequirement {
		return corev1.ScopedResourceSelectorRequirement{ScopeName: corev1.ResourceQuotaScopePriorityClass, Operator: op, Values: values}
	}
	withClass := func(p *corev1.Pod, name string) *corev1.Pod { p.Spec.PriorityClassName = name; return p }
	for _, tc := range []struct {
		name   string
		quotas []*corev1.ResourceQuota
		pod    *corev1.Pod
		want   []string
	}{
		{name: "a sidecar without a memory limit", quotas: []*corev1.ResourceQuota{quota(resources("limits.memory", "100Gi"))}, pod: quotaPod(sized, requestsOnly),
			want: []string{"failed quota: compute: must specify limits.memory for: log-shipper"}},
		{name: "each resource, each container in name order", quotas: []*corev1.ResourceQuota{quota(resources("limits.cpu", "10", "requests.memory", "1Ti", "pods", "10"))},
			pod:  quotaPod(corev1.ResourceRequirements{}, corev1.ResourceRequirements{}),
			want: []string{"failed quota: compute: must specify limits.cpu for: log-shipper,spark-kubernetes-executor; requests.memory for: log-shipper,spark-kubernetes-executor"}},
		// The API server's defaults copy a limit to a missing request.
		{name: "a limit is a request", quotas: []*corev1.ResourceQuota{quota(resources("cpu", "10", "requests.memory", "1Ti"))},
			pod: quotaPod(sized, corev1.ResourceRequirements{Limits: resources("cpu", "100m", "memory", "128Mi")})},
		{name: "what no container must say", quotas: []*corev1.ResourceQuota{quota(resources("pods", "10", "ephemeral-storage", "1Ti", "requests.nvidia.com/gpu", "4"))},
			pod: quotaPod(corev1.ResourceRequirements{}, corev1.ResourceRequirements{})},
		{name: "each quota", quotas: []*corev1.ResourceQuota{quota(resources("limits.memory", "1Ti")),
			{ObjectMeta: metav1.ObjectMeta{Name: "cpu"}, Spec: corev1.ResourceQuotaSpec{Hard: resources("limits.cpu", "100")}}},
			pod: quotaPod(sized, requestsOnly),
			want: []string{"failed quota: compute: must specify limits.memory for: log-shipper",
				"failed quota: cpu: must specify limits.cpu for: log-shipper,spark-kubernetes-executor"}},
		// What the quota controller records wins over the spec.
		{name: "the quota's status", quotas: []*corev1.ResourceQuota{{ObjectMeta: metav1.ObjectMeta{Name: "compute"},
			Spec: corev1.ResourceQuotaSpec{Hard: resources("limits.memory", "1Ti")}, Status: corev1.ResourceQuotaStatus{Hard: resources("pods", "10")}}},
			pod: quotaPod(sized, requestsOnly)},
		{name: "pod-level resources", quotas: []*corev1.ResourceQuota{quota(resources("limits.memory", "1Ti"))},
			pod: func() *corev1.Pod {
				p := quotaPod(corev1.ResourceRequirements{}, corev1.ResourceRequirements{})
				p.Spec.Resources = &corev1.ResourceRequirements{Limits: resources("memory", "9Gi")}
				return p
			}()},
		{name: "BestEffort: not a best-effort pod", quotas: []*corev1.ResourceQuota{quota(resources("limits.memory", "1Ti"), corev1.ResourceQuotaScopeBestEffort)},
			pod: quotaPod(sized, requestsOnly)},
		{name: "NotBestEffort", quotas: []*corev1.ResourceQuota{quota(resources("limits.memory", "1Ti"), corev1.ResourceQuotaScopeNotBestEffort)},
			pod: quotaPod(sized, requestsOnly), want: []string{"failed quota: compute: must specify limits.memory for: log-shipper"}},
		{name: "BestEffort: a best-effort pod", quotas: []*corev1.ResourceQuota{quota(resources("limits.memory", "1Ti"), corev1.ResourceQuotaScopeBestEffort)},
			pod:  quotaPod(corev1.ResourceRequirements{}, corev1.ResourceRequirements{}),
			want: []string{"failed quota: compute: must specify limits.memory for: log-shipper,spark-kubernetes-executor"}},
		{name: "Terminating: no deadline", quotas: []*corev1.ResourceQuota{quota(resources("limits.memory", "1Ti"), corev1.ResourceQuotaScopeTerminating)},
			pod: quotaPod(sized, requestsOnly)},
		{name: "Terminating: a deadline", quotas: []*corev1.ResourceQuota{quota(resources("limits.memory", "1Ti"), corev1.ResourceQuotaScopeTerminating)},
			pod: func() *corev1.Pod {
				p := quotaPod(sized, requestsOnly)
				p.Spec.ActiveDeadlineSeconds = new(int64(3600))
				return p
			}(), want: []string{"failed quota: compute: must specify limits.memory for: log-shipper"}},
		{name: "NotTerminating", quotas: []*corev1.ResourceQuota{quota(resources("limits.memory", "1Ti"), corev1.ResourceQuotaScopeNotTerminating)},
			pod: quotaPod(sized, requestsOnly), want: []string{"failed quota: compute: must specify limits.memory for: log-shipper"}},
		{name: "a class In", quotas: []*corev1.ResourceQuota{selected(resources("limits.memory", "1Ti"), class(corev1.ScopeSelectorOpIn, "spark-executor"))},
			pod: withClass(quotaPod(sized, requestsOnly), "spark-executor"), want: []string{"failed quota: compute: must specify limits.memory for: log-shipper"}},
		{name: "a class not In", quotas: []*corev1.ResourceQuota{selected(resources("limits.memory", "1Ti"), class(corev1.ScopeSelectorOpIn, "spark-driver"))},
			pod: withClass(quotaPod(sized, requestsOnly), "spark-executor")},
		{name: "no class, In", quotas: []*corev1.ResourceQuota{selected(resources("limits.memory", "1Ti"), class(corev1.ScopeSelectorOpIn, ""))},
			pod: quotaPod(sized, requestsOnly)},
		{name: "no class, NotIn", quotas: []*corev1.ResourceQuota{selected(resources("limits.memory", "1Ti"), class(corev1.ScopeSelectorOpNotIn, "spark-driver"))},
			pod: quotaPod(sized, requestsOnly), want: []string{"failed quota: compute: must specify limits.memory for: log-shipper"}},
		{name: "a class NotIn", quotas: []*corev1.ResourceQuota{selected(resources("limits.memory", "1Ti"), class(corev1.ScopeSelectorOpNotIn, "spark-driver"))},
			pod: withClass(quotaPod(sized, requestsOnly), "spark-driver")},
		{name: "a class Exists", quotas: []*corev1.ResourceQuota{selected(resources("limits.memory", "1Ti"), class(corev1.ScopeSelectorOpExists))},
			pod: withClass(quotaPod(sized, requestsOnly), "spark-driver"), want: []string{"failed quota: compute: must specify limits.memory for: log-shipper"}},
		{name: "no class, Exists", quotas: []*corev1.ResourceQuota{selected(resources("limits.memory", "1Ti"), class(corev1.ScopeSelectorOpExists))},
			pod: quotaPod(sized, requestsOnly)},
		{name: "no class, DoesNotExist", quotas: []*corev1.ResourceQuota{selected(resources("limits.memory", "1Ti"), class(corev1.ScopeSelectorOpDoesNotExist))},
			pod: quotaPod(sized, requestsOnly), want: []string{"failed quota: compute: must specify limits.memory for: log-shipper"}},
		{name: "every requirement", quotas: []*corev1.ResourceQuota{selected(resources("limits.memory", "1Ti"), class(corev1.ScopeSelectorOpExists),
			corev1.ScopedResourceSelectorRequirement{ScopeName: corev1.ResourceQuotaScopeTerminating, Operator: corev1.ScopeSelectorOpExists})},
			pod: withClass(quotaPod(sized, requestsOnly), "spark-driver")},
		{name: "cross-namespace affinity: none", quotas: []*corev1.ResourceQuota{quota(resources("limits.memory", "1Ti"), corev1.ResourceQuotaScopeCrossNamespacePodAffinity)},
			pod: quotaPod(sized, requestsOnly)},
		{name: "cross-namespace affinity", quotas: []*corev1.ResourceQuota{quota(resources("limits.memory", "1Ti"), corev1.ResourceQuotaScopeCrossNamespacePodAffinity)},
			pod: func() *corev1.Pod {
				p := quotaPod(sized, requestsOnly)
				p.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{
					{Weight: 1, PodAffinityTerm: corev1.PodAffinityTerm{TopologyKey: "kubernetes.io/hostname", NamespaceSelector: &metav1.LabelSelector{}}}}}}
				return p
			}(), want: []string{"failed quota: compute: must specify limits.memory for: log-shipper"}},
		{name: "a scope of claims", quotas: []*corev1.ResourceQuota{quota(resources("limits.memory", "1Ti"), corev1.ResourceQuotaScopeVolumeAttributesClass)},
			pod: quotaPod(sized, requestsOnly)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, r := range QuotaRefusals(tc.quotas, tc.pod) {
				got = append(got, r.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("%q, want %q", got, tc.want)
			}
		})
	}
}

// FuzzResourceQuota runs the ResourceQuota admission's prediction on a
// pod and a ResourceQuota of arbitrary JSON, as the composer decodes them
// (quantities bounded first), what the containers leave unsaid and what
// is left of the quota: it must never panic, judge alike twice, and name
// a quota and a reason in each refusal.
func FuzzResourceQuota(f *testing.F) {
	f.Add([]byte(`{"metadata":{"name":"q"},"spec":{"hard":{"limits.cpu":"4","requests.memory":"1Gi"},"scopes":["NotTerminating"],"scopeSelector":{"matchExpressions":[{"scopeName":"PriorityClass","operator":"NotIn","values":["a"]}]}}}`),
		[]byte(`{"spec":{"containers":[{"name":"c","resources":{"limits":{"memory":"2Gi"}}}],"initContainers":[{"name":"s","restartPolicy":"Always"}]}}`))
	f.Add([]byte(`{"metadata":{"name":"q"},"spec":{"hard":{"cpu":"1"},"scopes":["CrossNamespacePodAffinity"]},"status":{"hard":{"memory":"1","pods":"1"},"used":{"memory":"1e18","pods":"1"}}}`),
		[]byte(`{"spec":{"activeDeadlineSeconds":-1,"affinity":{"podAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[{"namespaces":["x"]}]}},"containers":[{"name":"c"}]}}`))
	f.Fuzz(func(t *testing.T, quotaJSON, podJSON []byte) {
		var q corev1.ResourceQuota
		var pod corev1.Pod
		for _, d := range []struct {
			data []byte
			into any
		}{{quotaJSON, &q}, {podJSON, &pod}} {
			if quantity.CheckJSON(d.data, reflect.TypeOf(d.into).Elem()) != nil || json.Unmarshal(d.data, d.into) != nil {
				return
			}
		}
		quotas := []*corev1.ResourceQuota{&q}
		first, second := append(QuotaRefusals(quotas, &pod), QuotaExceeded(quotas, &pod)...), append(QuotaRefusals(quotas, &pod), QuotaExceeded(quotas, &pod)...)
		if !reflect.DeepEqual(first, second) {
			t.Fatalf("judged %v, then %v", first, second)
		}
		for _, r := range first {
			if r.Quota != q.Name || r.Reason == "" {
				t.Fatalf("refusal %+v of quota %q", r, q.Name)
			}
		}
	})
}

// TestQuotaExceeded holds QuotaExceeded to the ResourceQuota admission's
// words: of a quota whose scopes hold the pod, the resources of which
// the pod's usage and what the quota records as used pass its hard
// limit; nothing of a quota it fits, or one whose scopes leave it out.
func TestQuotaExceeded(t *testing.T) {
	pod := quotaPod(corev1.ResourceRequirements{Requests: resources("cpu", "2", "memory", "8Gi"), Limits: resources("cpu", "2", "memory", "8Gi")},
		corev1.ResourceRequirements{Requests: resources("cpu", "50m", "memory", "64Mi"), Limits: resources("cpu", "50m", "memory", "128Mi")})
	quota := func(hard, used corev1.ResourceList, scopes ...corev1.ResourceQuotaScope) *corev1.ResourceQuota {
		return &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "compute"}, Spec: corev1.ResourceQuotaSpec{Hard: hard, Scopes: scopes},
			Status: corev1.ResourceQuotaStatus{Hard: hard, Used: used}}
	}
	for _, tc := range []struct {
		name  string
		quota *corev1.ResourceQuota
		want  []string
	}{
		{name: "what is left", quota: quota(resources("limits.cpu", "100", "pods", "10"), resources("limits.cpu", "99", "pods", "3")),
			want: []string{"exceeded quota: compute, requested: limits.cpu=2050m, used: limits.cpu=99, limited: limits.cpu=100"}},
		{name: "each resource", quota: quota(resources("requests.memory", "8Gi", "pods", "3"), resources("requests.memory", "1Gi", "pods", "3")),
			want: []string{"exceeded quota: compute, requested: pods=1,requests.memory=8256Mi, used: pods=3,requests.memory=1Gi, limited: pods=3,requests.memory=8Gi"}},
		{name: "the pod alone, nothing recorded", quota: &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "compute"}, Spec: corev1.ResourceQuotaSpec{Hard: resources("limits.memory", "4Gi")}},
			want: []string{"exceeded quota: compute, requested: limits.memory=8320Mi, used: , limited: limits.memory=4Gi"}},
		{name: "fits", quota: quota(resources("limits.cpu", "100", "pods", "10"), resources("limits.cpu", "97", "pods", "3"))},
		{name: "out of its scopes", quota: quota(resources("pods", "1"), resources("pods", "1"), corev1.ResourceQuotaScopeTerminating)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, r := range QuotaExceeded([]*corev1.ResourceQuota{tc.quota}, pod) {
				got = append(got, r.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("%q, want %q", got, tc.want)
			}
		})
	}
}

// TestClaimQuotaExceeded holds ClaimQuotaExceeded to the plugin's words:
// a claim past what is left of a quota of storage, or of its storage
// class's, is refused; nothing of a quota it fits, one scoped to a
// VolumeAttributesClass (Spark's claims name none), or a claim of no size.
func TestClaimQuotaExceeded(t *testing.T) {
	spill := SparkClaim{Role: "executor", Volume: "spill", Size: "500Gi", StorageClass: "gp3"}
	quota := func(hard, used corev1.ResourceList) *corev1.ResourceQuota {
		q := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "storage"}, Spec: corev1.ResourceQuotaSpec{Hard: hard}}
		if used != nil {
			q.Status = corev1.ResourceQuotaStatus{Hard: hard, Used: used}
		}
		return q
	}
	for _, tc := range []struct {
		name  string
		quota *corev1.ResourceQuota
		claim SparkClaim
		want  []string
	}{
		{"past what is left", quota(resources("requests.storage", "1Ti"), resources("requests.storage", "600Gi")), spill,
			[]string{"exceeded quota: storage, requested: requests.storage=500Gi, used: requests.storage=600Gi, limited: requests.storage=1Ti"}},
		{"its class's", quota(resources("gp3.storageclass.storage.k8s.io/requests.storage", "100Gi", "persistentvolumeclaims", "10"), nil), spill,
			[]string{"exceeded quota: storage, requested: gp3.storageclass.storage.k8s.io/requests.storage=500Gi, used: , limited: gp3.storageclass.storage.k8s.io/requests.storage=100Gi"}},
		{"room left", quota(resources("requests.storage", "1Ti"), resources("requests.storage", "100Gi")), spill, nil},
		{"another class's", quota(resources("standard.storageclass.storage.k8s.io/requests.storage", "1Gi"), nil), spill, nil},
		{"a quota of a VolumeAttributesClass", func() *corev1.ResourceQuota {
			q := quota(resources("requests.storage", "1Gi"), nil)
			q.Spec.ScopeSelector = &corev1.ScopeSelector{MatchExpressions: []corev1.ScopedResourceSelectorRequirement{
				{ScopeName: corev1.ResourceQuotaScopeVolumeAttributesClass, Operator: corev1.ScopeSelectorOpExists}}}
			return q
		}(), spill, nil},
		{"no size", quota(resources("requests.storage", "1Gi"), nil), SparkClaim{Role: "executor", Volume: "spill", Size: "big"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, r := range ClaimQuotaExceeded([]*corev1.ResourceQuota{tc.quota}, tc.claim) {
				got = append(got, r.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}
