package mutate

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	resourcequotaapi "k8s.io/apiserver/pkg/admission/plugin/resourcequota/apis/resourcequota"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/quantity"
	"github.com/strata-dev/strata/test/fixtures"
)

// TestUncoveredRefusals holds UncoveredRefusals to the ResourceQuota
// admission's limitedResources, case by case: a limited resource the pod
// consumes needs a quota whose scopes hold the pod with a hard limit of
// it; a limited scope the pod is in needs a quota selecting the pod by a
// scope of that name; in the plugin's words.
func TestUncoveredRefusals(t *testing.T) {
	gpu := corev1.ResourceRequirements{Requests: resources("cpu", "2", "nvidia.com/gpu", "1"), Limits: resources("nvidia.com/gpu", "1")}
	sized := corev1.ResourceRequirements{Requests: resources("cpu", "2", "memory", "8Gi"), Limits: resources("memory", "8Gi")}
	class := func(op corev1.ScopeSelectorOperator, values ...string) corev1.ScopedResourceSelectorRequirement {
		return corev1.ScopedResourceSelectorRequirement{ScopeName: corev1.ResourceQuotaScopePriorityClass, Operator: op, Values: values}
	}
	quota := func(name string, hard corev1.ResourceList, reqs ...corev1.ScopedResourceSelectorRequirement) *corev1.ResourceQuota {
		q := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "etl"}, Spec: corev1.ResourceQuotaSpec{Hard: hard}}
		if len(reqs) > 0 {
			q.Spec.ScopeSelector = &corev1.ScopeSelector{MatchExpressions: reqs}
		}
		return q
	}
	withClass := func(p *corev1.Pod, name string) *corev1.Pod { p.Spec.PriorityClassName = name; return p }
	gpus := []resourcequotaapi.LimitedResource{{Resource: "pods", MatchContains: []string{"nvidia.com/gpu"}}}
	critical := []resourcequotaapi.LimitedResource{{Resource: "pods", MatchScopes: []corev1.ScopedResourceSelectorRequirement{class(corev1.ScopeSelectorOpIn, "spark-critical")}}}
	for _, tc := range []struct {
		name    string
		limited []resourcequotaapi.LimitedResource
		quotas  []*corev1.ResourceQuota
		pod     *corev1.Pod
		want    []string
	}{
		{name: "a GPU without a quota", limited: gpus, pod: quotaPod(gpu, sized),
			want: []string{"insufficient quota to consume: requests.nvidia.com/gpu"}},
		{name: "a GPU whose quota bounds other things", limited: gpus, quotas: []*corev1.ResourceQuota{quota("compute", resources("requests.cpu", "100"))},
			pod: quotaPod(gpu, sized), want: []string{"insufficient quota to consume: requests.nvidia.com/gpu"}},
		{name: "a GPU under a quota of GPUs", limited: gpus, quotas: []*corev1.ResourceQuota{quota("gpus", resources("requests.nvidia.com/gpu", "0"))},
			pod: quotaPod(gpu, sized)},
		// A limit alone is a request, as the API server's defaults leave it.
		{name: "a GPU limited only", limited: gpus, pod: quotaPod(corev1.ResourceRequirements{Limits: resources("nvidia.com/gpu", "2")}, sized),
			want: []string{"insufficient quota to consume: requests.nvidia.com/gpu"}},
		{name: "a GPU under a quota whose scopes miss the pod", limited: gpus,
			quotas: []*corev1.ResourceQuota{quota("gpus", resources("requests.nvidia.com/gpu", "8"), class(corev1.ScopeSelectorOpExists))},
			pod:    quotaPod(gpu, sized), want: []string{"insufficient quota to consume: requests.nvidia.com/gpu"}},
		{name: "no GPU", limited: gpus, pod: quotaPod(sized, sized)},
		{name: "a GPU limited for another resource", limited: []resourcequotaapi.LimitedResource{{Resource: "persistentvolumeclaims", MatchContains: []string{"gpu"}}},
			pod: quotaPod(gpu, sized)},
		{name: "every resource named, in order", limited: []resourcequotaapi.LimitedResource{{Resource: "pods", MatchContains: []string{"memory", "cpu"}}},
			quotas: []*corev1.ResourceQuota{quota("compute", resources("limits.memory", "1Ti"))}, pod: quotaPod(sized, sized),
			want: []string{"insufficient quota to consume: cpu,memory,requests.cpu,requests.memory"}},
		{name: "a limited class without a quota", limited: critical, pod: withClass(quotaPod(sized, sized), "spark-critical"),
			want: []string{"insufficient quota to match these scopes: [{PriorityClass In [spark-critical]}]"}},
		{name: "a limited class, a quota of it", limited: critical,
			quotas: []*corev1.ResourceQuota{quota("critical", resources("pods", "10"), class(corev1.ScopeSelectorOpIn, "spark-critical", "system"))},
			pod:    withClass(quotaPod(sized, sized), "spark-critical")},
		// A quota of any class covers the scope's name, as the plugin
		// compares them.
		{name: "a limited class, a quota of every class", limited: critical,
			quotas: []*corev1.ResourceQuota{quota("classes", resources("pods", "10"), class(corev1.ScopeSelectorOpExists))},
			pod:    withClass(quotaPod(sized, sized), "spark-critical")},
		{name: "a limited class, a quota of another", limited: critical,
			quotas: []*corev1.ResourceQuota{quota("batch", resources("pods", "10"), class(corev1.ScopeSelectorOpIn, "spark-batch"))},
			pod:    withClass(quotaPod(sized, sized), "spark-critical"),
			want:   []string{"insufficient quota to match these scopes: [{PriorityClass In [spark-critical]}]"}},
		{name: "another class", limited: critical, pod: withClass(quotaPod(sized, sized), "spark-batch")},
		{name: "both", limited: slices.Concat(gpus, critical), pod: withClass(quotaPod(gpu, sized), "spark-critical"),
			want: []string{"insufficient quota to consume: requests.nvidia.com/gpu", "insufficient quota to match these scopes: [{PriorityClass In [spark-critical]}]"}},
		{name: "nothing limited", quotas: []*corev1.ResourceQuota{quota("compute", resources("requests.cpu", "1"))}, pod: quotaPod(gpu, sized)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, r := range UncoveredRefusals(tc.limited, tc.quotas, tc.pod) {
				if !r.Uncovered || r.Quota != "" {
					t.Errorf("refusal %+v: want Uncovered, no quota", r)
				}
				got = append(got, r.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestPodQuotaUnjudged: a priority class scope the plugin cannot read, in
// limitedResources, has it judge no pod; every other scope is read.
func TestPodQuotaUnjudged(t *testing.T) {
	scoped := func(s corev1.ScopedResourceSelectorRequirement) []resourcequotaapi.LimitedResource {
		return []resourcequotaapi.LimitedResource{{Resource: "pods", MatchScopes: []corev1.ScopedResourceSelectorRequirement{s}}}
	}
	for _, tc := range []struct {
		name  string
		scope corev1.ScopedResourceSelectorRequirement
		want  bool
	}{
		{"In a class", corev1.ScopedResourceSelectorRequirement{ScopeName: corev1.ResourceQuotaScopePriorityClass, Operator: corev1.ScopeSelectorOpIn, Values: []string{"high"}}, false},
		{"Exists", corev1.ScopedResourceSelectorRequirement{ScopeName: corev1.ResourceQuotaScopePriorityClass, Operator: corev1.ScopeSelectorOpExists}, false},
		{"Exists with values", corev1.ScopedResourceSelectorRequirement{ScopeName: corev1.ResourceQuotaScopePriorityClass, Operator: corev1.ScopeSelectorOpExists, Values: []string{"x"}}, false},
		{"DoesNotExist", corev1.ScopedResourceSelectorRequirement{ScopeName: corev1.ResourceQuotaScopePriorityClass, Operator: corev1.ScopeSelectorOpDoesNotExist}, false},
		{"BestEffort", corev1.ScopedResourceSelectorRequirement{ScopeName: corev1.ResourceQuotaScopeBestEffort, Operator: "Sometimes"}, false},
		{"In nothing", corev1.ScopedResourceSelectorRequirement{ScopeName: corev1.ResourceQuotaScopePriorityClass, Operator: corev1.ScopeSelectorOpIn}, true},
		{"NotIn no label value", corev1.ScopedResourceSelectorRequirement{ScopeName: corev1.ResourceQuotaScopePriorityClass, Operator: corev1.ScopeSelectorOpNotIn, Values: []string{"a b"}}, true},
		{"DoesNotExist with values", corev1.ScopedResourceSelectorRequirement{ScopeName: corev1.ResourceQuotaScopePriorityClass, Operator: corev1.ScopeSelectorOpDoesNotExist, Values: []string{"x"}}, true},
		{"an operator of none", corev1.ScopedResourceSelectorRequirement{ScopeName: corev1.ResourceQuotaScopePriorityClass, Operator: "Sometimes"}, true},
	} {
		if got := PodQuotaUnjudged(scoped(tc.scope)); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestLimitedResourceWarnings: where the ResourceQuota admission keeps a
// priority class to namespaces with a quota of it, a Layer giving Spark
// pods that class warns of the namespaces without one (a group of
// namespaces with quotas of other things, and those with none at all),
// not of the namespace whose quota covers it; an application created
// where none covers it is warned of the pods it launches; whoever writes
// a quota is warned until it covers the class.
func TestLimitedResourceWarnings(t *testing.T) {
	in := fixtures.InputsOf(t, map[string]string{"critical": `{tier: NamespaceOverrides, config: {priorityClassName: spark-critical}}`})
	for _, ns := range []string{"etl", "ml", "geo", "web"} {
		in.Namespaces = append(in.Namespaces, corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	}
	in.PriorityClassesPartial = true
	critical := corev1.ScopedResourceSelectorRequirement{ScopeName: corev1.ResourceQuotaScopePriorityClass, Operator: corev1.ScopeSelectorOpIn, Values: []string{"spark-critical"}}
	in.LimitedResources = []resourcequotaapi.LimitedResource{{Resource: "pods", MatchScopes: []corev1.ScopedResourceSelectorRequirement{critical}}}
	covering := corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "critical", Namespace: "ml"},
		Spec: corev1.ResourceQuotaSpec{Hard: resources("pods", "10"), ScopeSelector: &corev1.ScopeSelector{MatchExpressions: []corev1.ScopedResourceSelectorRequirement{critical}}}}
	counts := corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "counts", Namespace: "etl"}, Spec: corev1.ResourceQuotaSpec{Hard: resources("pods", "100")}}
	in.ResourceQuotas = []corev1.ResourceQuota{covering, counts}
	snap, err := overlay.Compile(in)
	if err != nil {
		t.Fatal(err)
	}
	const refusal = "insufficient quota to match these scopes: [{PriorityClass In [spark-critical]}]"
	got := LayerLimitWarnings(context.Background(), &in.Layers[0].Layer, cluster, snap)
	want := []string{`spec: the API server will refuse the Spark driver and executor pods this Layer composes in namespace "etl": ` + refusal,
		`spec: the API server will refuse the Spark driver and executor pods this Layer composes in namespace "geo" and 1 more bounded alike: ` + refusal}
	if !slices.Equal(got, want) {
		t.Errorf("the Layer's warnings %q\nwant %q", got, want)
	}

	res := composeTypedApp(t, snap, cluster, fixtures.App(t, "etl-report.yaml").App.DeepCopy())
	for _, role := range []string{"driver", "executor"} {
		want := role + `: the pod it launches: The API server will refuse the pod for its resources in namespace "etl": ` + refusal
		if !slices.Contains(res.Warnings, want) {
			t.Errorf("the application's warnings %q, want %q", res.Warnings, want)
		}
	}

	written := covering.DeepCopy()
	written.Namespace = "etl"
	if got := NamespaceLimitWarnings(snap.WithResourceQuota(written), cluster, "etl"); len(got) != 0 {
		t.Errorf("a quota covering the class: warnings %q, want none", got)
	}
	written.Spec.ScopeSelector.MatchExpressions[0].Values = []string{"spark-batch"}
	want = []string{`the API server will refuse the Spark driver and executor pods the layers compose in namespace "etl": ` + refusal}
	if got := NamespaceLimitWarnings(snap.WithResourceQuota(written), cluster, "etl"); !slices.Equal(got, want) {
		t.Errorf("a quota of another class: warnings %q\nwant %q", got, want)
	}
}

// FuzzUncoveredRefusals judges arbitrary pods, a tenant's, by arbitrary
// limitedResources and quotas: never a panic, the same refusals twice,
// each in the plugin's words.
func FuzzUncoveredRefusals(f *testing.F) {
	f.Add([]byte(`[{"resource":"pods","matchContains":["gpu"]},{"resource":"pods","matchScopes":[{"scopeName":"PriorityClass","operator":"In","values":["a"]}]}]`),
		[]byte(`{"metadata":{"name":"q"},"spec":{"hard":{"requests.nvidia.com/gpu":"4"},"scopeSelector":{"matchExpressions":[{"scopeName":"PriorityClass","operator":"NotIn","values":["a"]}]}}}`),
		[]byte(`{"spec":{"priorityClassName":"a","containers":[{"name":"c","resources":{"limits":{"nvidia.com/gpu":"1","hugepages-2Mi":"2Mi"}}}]}}`))
	f.Add([]byte(`[{"resource":"pods","matchContains":[""],"matchScopes":[{"scopeName":"BestEffort","operator":"Exists"}]}]`),
		[]byte(`{"metadata":{"name":"q"},"spec":{"hard":{"pods":"1"},"scopes":["BestEffort"]}}`),
		[]byte(`{"spec":{"overhead":{"cpu":"1"},"resources":{"requests":{"memory":"1e18"}},"containers":[{"name":"c"}]}}`))
	f.Fuzz(func(t *testing.T, limitedJSON, quotaJSON, podJSON []byte) {
		var (
			limited []resourcequotaapi.LimitedResource
			q       corev1.ResourceQuota
			pod     corev1.Pod
		)
		for _, d := range []struct {
			data []byte
			into any
		}{{limitedJSON, &limited}, {quotaJSON, &q}, {podJSON, &pod}} {
			if quantity.CheckJSON(d.data, reflect.TypeOf(d.into).Elem()) != nil || json.Unmarshal(d.data, d.into) != nil {
				return
			}
		}
		quotas := []*corev1.ResourceQuota{&q}
		first, second := UncoveredRefusals(limited, quotas, &pod), UncoveredRefusals(limited, quotas, &pod)
		if !reflect.DeepEqual(first, second) {
			t.Fatalf("judged %v, then %v", first, second)
		}
		for _, r := range first {
			if !r.Uncovered || !strings.HasPrefix(r.String(), "insufficient quota to ") {
				t.Fatalf("refusal %+v", r)
			}
		}
		_ = PodQuotaUnjudged(limited)
	})
}

// TestUncoveredClaimRefusals holds UncoveredClaimRefusals to the plugin:
// a storage class limited to namespaces with a quota of it needs a quota
// holding the claim that bounds each of the class's resources the claim
// consumes; a claim names no VolumeAttributesClass, so a quota scoped to
// one leaves it out, and a limited scope requiring none holds it.
func TestUncoveredClaimRefusals(t *testing.T) {
	spill := SparkClaim{Role: "executor", Volume: "spill", Size: "100Gi", StorageClass: "gp3"}
	vac := func(op corev1.ScopeSelectorOperator) corev1.ScopedResourceSelectorRequirement {
		return corev1.ScopedResourceSelectorRequirement{ScopeName: corev1.ResourceQuotaScopeVolumeAttributesClass, Operator: op}
	}
	quota := func(hard corev1.ResourceList, reqs ...corev1.ScopedResourceSelectorRequirement) *corev1.ResourceQuota {
		q := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "storage"}, Spec: corev1.ResourceQuotaSpec{Hard: hard}}
		if len(reqs) > 0 {
			q.Spec.ScopeSelector = &corev1.ScopeSelector{MatchExpressions: reqs}
		}
		return q
	}
	gp3 := []resourcequotaapi.LimitedResource{{Resource: "persistentvolumeclaims", MatchContains: []string{"gp3.storageclass.storage.k8s.io/"}}}
	const both = "insufficient quota to consume: gp3.storageclass.storage.k8s.io/persistentvolumeclaims,gp3.storageclass.storage.k8s.io/requests.storage"
	for _, tc := range []struct {
		name    string
		limited []resourcequotaapi.LimitedResource
		quotas  []*corev1.ResourceQuota
		claim   SparkClaim
		want    []string
	}{
		{name: "no quota", limited: gp3, claim: spill, want: []string{both}},
		{name: "a quota of its storage only", limited: gp3, claim: spill, quotas: []*corev1.ResourceQuota{quota(resources("gp3.storageclass.storage.k8s.io/requests.storage", "1Ti"))},
			want: []string{"insufficient quota to consume: gp3.storageclass.storage.k8s.io/persistentvolumeclaims"}},
		{name: "a quota of both", limited: gp3, claim: spill, quotas: []*corev1.ResourceQuota{quota(resources("gp3.storageclass.storage.k8s.io/requests.storage", "1Ti",
			"gp3.storageclass.storage.k8s.io/persistentvolumeclaims", "10"))}},
		{name: "a quota of a VolumeAttributesClass", limited: gp3, claim: spill, quotas: []*corev1.ResourceQuota{quota(resources("gp3.storageclass.storage.k8s.io/requests.storage", "1Ti",
			"gp3.storageclass.storage.k8s.io/persistentvolumeclaims", "10"), vac(corev1.ScopeSelectorOpExists))}, want: []string{both}},
		{name: "another class", limited: gp3, claim: SparkClaim{Role: "executor", Volume: "spill", Size: "100Gi", StorageClass: "standard"}},
		{name: "a size that is no quantity", limited: gp3, claim: SparkClaim{Role: "executor", Volume: "spill", Size: "big", StorageClass: "gp3"}},
		{name: "a limited scope of no class", claim: spill, limited: []resourcequotaapi.LimitedResource{{Resource: "persistentvolumeclaims",
			MatchScopes: []corev1.ScopedResourceSelectorRequirement{vac(corev1.ScopeSelectorOpDoesNotExist)}}},
			want: []string{"insufficient quota to match these scopes: [{VolumeAttributesClass DoesNotExist []}]"}},
		{name: "a limited scope of a class", claim: spill, limited: []resourcequotaapi.LimitedResource{{Resource: "persistentvolumeclaims",
			MatchScopes: []corev1.ScopedResourceSelectorRequirement{vac(corev1.ScopeSelectorOpExists)}}}},
		{name: "a pods' limit", claim: spill, limited: []resourcequotaapi.LimitedResource{{Resource: "pods", MatchContains: []string{"storage"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, r := range UncoveredClaimRefusals(tc.limited, tc.quotas, tc.claim) {
				got = append(got, r.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestLimitedResourcesWarnings: each scope selector requirement the
// plugin cannot read is named, with why and what it leaves unjudged; a
// configuration it reads warns of nothing.
func TestLimitedResourcesWarnings(t *testing.T) {
	limited := []resourcequotaapi.LimitedResource{
		{Resource: "pods", MatchScopes: []corev1.ScopedResourceSelectorRequirement{
			{ScopeName: corev1.ResourceQuotaScopePriorityClass, Operator: corev1.ScopeSelectorOpIn, Values: []string{"high"}},
			{ScopeName: corev1.ResourceQuotaScopePriorityClass, Operator: "Sometimes"}}},
		{Resource: "persistentvolumeclaims", MatchScopes: []corev1.ScopedResourceSelectorRequirement{
			{ScopeName: corev1.ResourceQuotaScopeVolumeAttributesClass, Operator: corev1.ScopeSelectorOpDoesNotExist, Values: []string{"gold"}}}},
	}
	got := LimitedResourcesWarnings(limited)
	want := []string{
		`the API server's ResourceQuota admission cannot read limitedResources[0].matchScopes[1]: operator "Sometimes" is not a scope selector operator, and so judges no pod of any namespace by any ResourceQuota`,
		`the API server's ResourceQuota admission cannot read limitedResources[1].matchScopes[0]: values: Invalid value: ["gold"]: values set must be empty for exists and does not exist, and so judges no PersistentVolumeClaim of any namespace by any ResourceQuota`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if got := LimitedResourcesWarnings(limited[:1]); len(got) != 1 {
		t.Errorf("one unreadable requirement: %q", got)
	}
	if got := LimitedResourcesWarnings([]resourcequotaapi.LimitedResource{{Resource: "pods", MatchContains: []string{"gpu"}}}); got != nil {
		t.Errorf("a readable configuration: %q", got)
	}
}
