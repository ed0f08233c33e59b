package mutate

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/fixtures"
)

// TestOutgrownQuotas: an application outgrows a quota where its driver
// and its executors, at its full size, use more of a resource than the
// quota holds, counting the pods in the quota's scopes only, each
// resource as the pod evaluator counts it; not where they fit, nor when
// nothing bounds its executors.
func TestOutgrownQuotas(t *testing.T) {
	sized := func(class string, requests, limits corev1.ResourceList) *corev1.Pod {
		return &corev1.Pod{Spec: corev1.PodSpec{PriorityClassName: class, Containers: []corev1.Container{{Name: "spark",
			Resources: corev1.ResourceRequirements{Requests: requests, Limits: limits}}}}}
	}
	pods := map[v1alpha1.Role]*corev1.Pod{
		v1alpha1.RoleDriver:   sized("spark-driver", resources("cpu", "1", "memory", "1Gi"), resources("cpu", "1", "memory", "1Gi")),
		v1alpha1.RoleExecutor: sized("spark-executor", resources("cpu", "1500m", "memory", "4Gi"), resources("cpu", "2", "memory", "4Gi")),
	}
	quota := func(hard corev1.ResourceList) *corev1.ResourceQuota {
		return &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "compute"}, Spec: corev1.ResourceQuotaSpec{Hard: hard}}
	}
	executorsOnly := quota(resources("requests.cpu", "10"))
	executorsOnly.Spec.ScopeSelector = &corev1.ScopeSelector{MatchExpressions: []corev1.ScopedResourceSelectorRequirement{
		{ScopeName: corev1.ResourceQuotaScopePriorityClass, Operator: corev1.ScopeSelectorOpIn, Values: []string{"spark-executor"}}}}
	for _, tc := range []struct {
		name      string
		quota     *corev1.ResourceQuota
		executors int64
		want      string
	}{
		{name: "cpu limits", quota: quota(resources("limits.cpu", "10")), executors: 5, want: `ResourceQuota "compute": limits.cpu 11 of 10`},
		{name: "cpu requests, in thousandths", quota: quota(resources("requests.cpu", "8", "cpu", "8")), executors: 5, want: `ResourceQuota "compute": cpu 8500m of 8, requests.cpu 8500m of 8`},
		{name: "memory", quota: quota(resources("requests.memory", "8Gi", "limits.memory", "40Gi")), executors: 2, want: `ResourceQuota "compute": requests.memory 9Gi of 8Gi`},
		{name: "pods", quota: quota(resources("pods", "5", "count/pods", "10")), executors: 5, want: `ResourceQuota "compute": pods 6 of 5`},
		{name: "fits", quota: quota(resources("limits.cpu", "11", "pods", "6")), executors: 5},
		{name: "the executors of a scope", quota: executorsOnly, executors: 7, want: `ResourceQuota "compute": requests.cpu 10500m of 10`},
		{name: "the driver out of the scope", quota: executorsOnly, executors: 6},
		{name: "unbounded executors", quota: quota(resources("pods", "1")), executors: -1},
		// 1Gi and 2^62 executors of 4Gi: 2^30 + 2^94 bytes.
		{name: "more executors than a quantity holds", quota: quota(resources("limits.memory", "1Ti")), executors: 1 << 62,
			want: `ResourceQuota "compute": limits.memory 19807040628566084399459729408 of 1Ti`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := outgrownQuotas([]*corev1.ResourceQuota{tc.quota}, pods, nil, tc.executors)
			var want []string
			if tc.want != "" {
				want = []string{tc.want}
			}
			if !slices.Equal(got, want) {
				t.Errorf("%q, want %q", got, want)
			}
		})
	}
}

// TestOutgrownQuotasOfClaims: the claims Spark creates for the driver
// and for each executor count against the quotas without a scope of pods,
// by their storage, their number and their storage class's.
func TestOutgrownQuotasOfClaims(t *testing.T) {
	pods := map[v1alpha1.Role]*corev1.Pod{v1alpha1.RoleDriver: {}, v1alpha1.RoleExecutor: {}}
	claims := map[v1alpha1.Role][]SparkClaim{
		v1alpha1.RoleDriver:   {{Role: v1alpha1.RoleDriver, Volume: "scratch", Size: "50Gi", StorageClass: "gp3"}},
		v1alpha1.RoleExecutor: {{Role: v1alpha1.RoleExecutor, Volume: "spill", Size: "100Gi", StorageClass: "gp3"}, {Role: v1alpha1.RoleExecutor, Volume: "bad", Size: "1GB", StorageClass: "gp3"}},
	}
	quota := func(hard corev1.ResourceList, scopes ...corev1.ResourceQuotaScope) *corev1.ResourceQuota {
		return &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "storage"}, Spec: corev1.ResourceQuotaSpec{Hard: hard, Scopes: scopes}}
	}
	withoutClass := quota(resources("requests.storage", "1Ti"))
	withoutClass.Spec.ScopeSelector = &corev1.ScopeSelector{MatchExpressions: []corev1.ScopedResourceSelectorRequirement{
		{ScopeName: corev1.ResourceQuotaScopeVolumeAttributesClass, Operator: corev1.ScopeSelectorOpDoesNotExist}}}
	for _, tc := range []struct {
		name  string
		quota *corev1.ResourceQuota
		want  string
	}{
		{name: "storage", quota: quota(resources("requests.storage", "1Ti")), want: `ResourceQuota "storage": requests.storage 1050Gi of 1Ti`},
		{name: "claims", quota: quota(resources("persistentvolumeclaims", "10", "count/persistentvolumeclaims", "11")), want: `ResourceQuota "storage": persistentvolumeclaims 11 of 10`},
		{name: "the storage class's", quota: quota(resources("gp3.storageclass.storage.k8s.io/requests.storage", "500Gi", "io2.storageclass.storage.k8s.io/requests.storage", "1Gi")),
			want: `ResourceQuota "storage": gp3.storageclass.storage.k8s.io/requests.storage 1050Gi of 500Gi`},
		{name: "a scope of pods", quota: quota(resources("requests.storage", "1Ti"), corev1.ResourceQuotaScopeNotTerminating)},
		{name: "claims without a volume attributes class", quota: withoutClass, want: `ResourceQuota "storage": requests.storage 1050Gi of 1Ti`},
		{name: "fits", quota: quota(resources("requests.storage", "2Ti", "persistentvolumeclaims", "11"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := outgrownQuotas([]*corev1.ResourceQuota{tc.quota}, pods, claims, 10)
			var want []string
			if tc.want != "" {
				want = []string{tc.want}
			}
			if !slices.Equal(got, want) {
				t.Errorf("%q, want %q", got, want)
			}
		})
	}
}

// TestAppOutgrowsAQuota: an application whose executors at its full size
// need more than a quota of its namespace holds is warned, of the pods as
// the webhook composes them (the example layers' sidecars counted).
func TestAppOutgrowsAQuota(t *testing.T) {
	in := fixtures.InputsOf(t, map[string]string{"l": `{tier: ClusterDefaults, config: {sidecars: [{name: shipper, image: fluent/fluent-bit:3.1.9, resources: {requests: {cpu: 50m}}}]}}`})
	in.ResourceQuotas = []corev1.ResourceQuota{{ObjectMeta: metav1.ObjectMeta{Name: "compute", Namespace: "etl"}, Spec: corev1.ResourceQuotaSpec{Hard: resources("pods", "3", "requests.cpu", "1000")}}}
	snap, err := overlay.Compile(in)
	if err != nil {
		t.Fatal(err)
	}
	app := fixtures.App(t, "etl-report.yaml").App.DeepCopy()
	res := composeTypedApp(t, snap, cluster, app)
	size, err := SizeOf(&app.Spec)
	if err != nil {
		t.Fatal(err)
	}
	if size.Executors < 3 {
		t.Fatalf("the example runs %d executors; the test wants more than the quota's pods", size.Executors)
	}
	want := `executor: the pods it launches: At its full size (its driver and ` + itoa(size.Executors) + ` executors) the application needs more than the ResourceQuotas of namespace "etl" hold, whatever else runs there: ResourceQuota "compute": pods ` + itoa(size.Executors+1) + ` of 3; the API server will refuse the pods past them`
	if !slices.Contains(res.Warnings, want) {
		t.Errorf("warnings %q, want %q", res.Warnings, want)
	}
	app.Namespace = "ml"
	for _, w := range composeTypedApp(t, snap, cluster, app).Warnings {
		if strings.Contains(w, "full size") {
			t.Errorf("in a namespace without quotas: %q", w)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestConnectBoundWarnings: a SparkConnect's creator is warned of its
// server pod and its executor pods the namespace's LimitRanges would
// refuse for what the layers add, and of its outgrowing a quota at its
// full size (its server, and its dynamic allocation's most executors).
func TestConnectBoundWarnings(t *testing.T) {
	in := fixtures.InputsOf(t, map[string]string{"l": `{tier: ClusterDefaults, config: {sidecars: [{name: shipper, image: fluent/fluent-bit:3.1.9, resources: {requests: {cpu: 50m}}}]}}`})
	in.LimitRanges = []corev1.LimitRange{{ObjectMeta: metav1.ObjectMeta{Name: "bounds", Namespace: "etl"}, Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{
		{Type: corev1.LimitTypeContainer, Min: resources("cpu", "100m")}}}}}
	in.ResourceQuotas = []corev1.ResourceQuota{{ObjectMeta: metav1.ObjectMeta{Name: "compute", Namespace: "etl"}, Spec: corev1.ResourceQuotaSpec{Hard: resources("pods", "10")}}}
	snap, err := overlay.Compile(in)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ComposeConnect(snap, cluster, connectJSON(t, nil), "")
	if err != nil {
		t.Fatal(err)
	}
	const refusal = `The API server will refuse the pod for its resources in namespace "etl": LimitRange "bounds": container "shipper": minimum cpu usage per Container is 100m, but request is 50m`
	for _, want := range []string{"the server pod: " + refusal, "an executor pod: " + refusal,
		`its pods: At its full size (its server and 50 executors) the application needs more than the ResourceQuotas of namespace "etl" hold, whatever else runs there: ResourceQuota "compute": pods 51 of 10; the API server will refuse the pods past them`} {
		if !slices.Contains(res.Warnings, want) {
			t.Errorf("warnings %q, want %q", res.Warnings, want)
		}
	}
}
