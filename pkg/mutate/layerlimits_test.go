package mutate

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	resourcequotaapi "k8s.io/apiserver/pkg/admission/plugin/resourcequota/apis/resourcequota"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/quantity"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/fixtures"
)

// TestAppLimitWarning: a SparkApplication in a namespace of LimitRanges is
// warned, role by role, of the pods it launches that LimitRanger would
// refuse, or the API server's validation: for a layer's sidecar under a
// minimum, for its own executors' memory over a maximum, and for a
// default limit under the cores Spark requests (the example's executors
// have 2); not where the defaults reach
// what the layers add, nor in another namespace.
func TestAppLimitWarning(t *testing.T) {
	sidecar := `{tier: ClusterDefaults, config: {sidecars: [{name: shipper, image: fluent/fluent-bit:3.1.9, resources: {requests: {cpu: 50m}}}]}}`
	for _, tc := range []struct {
		name  string
		layer string // the sidecar's when empty
		item  corev1.LimitRangeItem
		ns    string
		// want is a part of each role's warning, by role; none when empty.
		want map[string]string
	}{
		{name: "a sidecar under the minimum", item: corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Min: resources("cpu", "100m")},
			want: map[string]string{"driver": `container "shipper": minimum cpu usage per Container is 100m, but request is 50m`,
				"executor": `container "shipper": minimum cpu usage per Container is 100m, but request is 50m`}},
		{name: "the executors' memory over the maximum", item: corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Max: resources("memory", "4Gi")},
			want: map[string]string{"executor": `container "spark-kubernetes-executor": maximum memory usage per Container is 4Gi, but limit is`}},
		{name: "a default limit under the driver's cores", item: corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Default: resources("cpu", "500m"), DefaultRequest: resources("cpu", "10m")},
			want: map[string]string{"driver": `spec.containers[0].resources.requests: Invalid value: "1": must be less than or equal to cpu limit of 500m`,
				"executor": `spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 500m`}},
		{name: "a default under a maximum", item: corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Default: resources("cpu", "4"), Max: resources("cpu", "4")}},
		// A container a pod patch adds is the pod webhook's: the
		// defaults reach it on the API server's second round.
		{name: "a pod patch's container under a maximum", layer: `{tier: ClusterDefaults, config: {podPatch: {spec: {initContainers: [{name: warm-up, image: busybox:1.36}]}}}}`,
			item: corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Default: resources("cpu", "4"), Max: resources("cpu", "4")}},
		{name: "another namespace", ns: "ml", item: corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Min: resources("cpu", "100m")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			layer := tc.layer
			if layer == "" {
				layer = sidecar
			}
			in := fixtures.InputsOf(t, map[string]string{"l": layer})
			ns := tc.ns
			if ns == "" {
				ns = "etl"
			}
			in.LimitRanges = []corev1.LimitRange{{ObjectMeta: metav1.ObjectMeta{Name: "bounds", Namespace: ns}, Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{tc.item}}}}
			snap, err := overlay.Compile(in)
			if err != nil {
				t.Fatal(err)
			}
			res := composeTypedApp(t, snap, cluster, fixtures.App(t, "etl-report.yaml").App.DeepCopy())
			got := map[string]string{}
			for _, w := range res.Warnings {
				role, rest, _ := strings.Cut(w, ": ")
				if strings.HasPrefix(rest, `the pod it launches: The API server will refuse the pod for its resources in namespace "etl": `) {
					got[role] = rest
				}
			}
			for role, part := range tc.want {
				if !strings.Contains(got[role], part) {
					t.Errorf("%s: warning %q, want one containing %q", role, got[role], part)
				}
			}
			for role, w := range got {
				if _, ok := tc.want[role]; !ok {
					t.Errorf("%s: unexpected warning %q", role, w)
				}
			}
		})
	}
}

// FuzzAppLimitWarnings composes arbitrary SparkApplications in a namespace
// whose LimitRange bounds, defaults and ratios every resource the launched
// pods hold, with a layer that adds a sidecar and a pod patch's
// container: what the webhook warns of an application's sizes, given
// whatever a tenant writes, is an error or a composition, never a panic.
func FuzzAppLimitWarnings(f *testing.F) {
	in := fixtures.InputsOf(f, map[string]string{"l": `{tier: ClusterDefaults, config: {sidecars: [{name: shipper, image: fluent/fluent-bit:3.1.9, resources: {requests: {cpu: 50m}}}],
  podPatch: {spec: {initContainers: [{name: warm-up, image: busybox:1.36}]}}}}`})
	in.LimitRanges = []corev1.LimitRange{{ObjectMeta: metav1.ObjectMeta{Name: "bounds", Namespace: "etl"}, Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{
		{Type: corev1.LimitTypeContainer, Min: resources("cpu", "100m"), Max: resources("memory", "8Gi", "cpu", "4"), MaxLimitRequestRatio: resources("memory", "2")},
		{Type: corev1.LimitTypePod, Max: resources("memory", "16Gi", "ephemeral-storage", "1Ti")},
		{Type: corev1.LimitTypePersistentVolumeClaim, Min: resources("storage", "1Gi"), Max: resources("storage", "100Gi")}}}}}
	snap, err := overlay.Compile(in)
	if err != nil {
		f.Fatal(err)
	}
	seed, err := fixtures.App(f, "etl-report.yaml").Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"metadata":{"namespace":"etl"},"spec":{"driver":{"cores":3,"coreLimit":"1m","memory":"900000000000000g"},"executor":{"memoryOverhead":"-1"},"sparkConf":{"spark.executor.cores":"9223372036854775807"}}}`))
	f.Add([]byte(`{"metadata":{"namespace":"etl"},"spec":{"sparkConf":{"spark.kubernetes.executor.volumes.persistentVolumeClaim.a.mount.path":"/a",` +
		`"spark.kubernetes.executor.volumes.persistentVolumeClaim.a.options.claimName":"OnDemand","spark.kubernetes.executor.volumes.persistentVolumeClaim.a.options.storageClass":"gp3",` +
		`"spark.kubernetes.executor.volumes.persistentVolumeClaim.a.options.sizeLimit":"1e99999"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if quantity.MayHoldUnbounded(data) && quantity.CheckJSON(data, reflect.TypeFor[sparkv1beta2.SparkApplication]()) != nil {
			return
		}
		obj, err := sparkv1beta2.Decode(data)
		if err != nil {
			return
		}
		_, _ = ComposeApp(snap, cluster, obj)
	})
}

// BenchmarkLayerLimitWarnings is the Layer webhook's work on a Layer that
// adds a sidecar to every Spark pod, in a cluster whose namespaces hold
// LimitRanges: of one shape (one group), and each of its own (as many
// groups as namespaces), beside the LimitRange webhook's work on one
// namespace.
func BenchmarkLayerLimitWarnings(b *testing.B) {
	layer := `{tier: ClusterDefaults, config: {sidecars: [{name: shipper, image: fluent/fluent-bit:3.1.9, resources: {requests: {cpu: 50m}}}]}}`
	in := fixtures.InputsOf(b, map[string]string{"shipper": layer})
	l := &in.Layers[0].Layer
	for _, tc := range []struct {
		name     string
		distinct bool
	}{{"namespaces=100/groups=1", false}, {"namespaces=100/groups=100", true}} {
		in := in
		in.LimitRanges = nil
		for i := range 100 {
			min := "100m"
			if tc.distinct {
				min = fmt.Sprintf("%dm", 100+i)
			}
			in.LimitRanges = append(in.LimitRanges, corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Name: "bounds", Namespace: fmt.Sprintf("team-%03d", i)},
				Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{Type: corev1.LimitTypeContainer, Min: resources("cpu", min)}}}})
		}
		snap, err := overlay.Compile(in)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("layer/"+tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if len(LayerLimitWarnings(context.Background(), l, cluster, snap)) == 0 {
					b.Fatal("no warning")
				}
			}
		})
	}
	// Every namespace's quota of cpu limits, as a platform stamps them,
	// amounts apart: one group.
	quotas := in
	quotas.LimitRanges = nil
	for i := range 10000 {
		quotas.ResourceQuotas = append(quotas.ResourceQuotas, corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "compute", Namespace: fmt.Sprintf("team-%05d", i)},
			Spec: corev1.ResourceQuotaSpec{Hard: resources("limits.cpu", fmt.Sprint(100+i))}})
	}
	quotaSnap, err := overlay.Compile(quotas)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("layer/quotas=10000/groups=1", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if len(LayerLimitWarnings(context.Background(), l, cluster, quotaSnap)) == 0 {
				b.Fatal("no warning")
			}
		}
	})
	// 10,000 namespaces of no bounds where the ResourceQuota admission
	// keeps a class the layer gives to namespaces with a quota of it: one
	// more group, scanned until the layer matches.
	class := in
	class.LimitRanges = nil
	critical := "spark-critical"
	classLayer := *l
	classLayer.Spec.Config = &v1alpha1.Config{PriorityClassName: &critical}
	class.Layers = []overlay.LayerSource{{Layer: classLayer}}
	class.PriorityClassesPartial = true
	class.LimitedResources = []resourcequotaapi.LimitedResource{{Resource: "pods", MatchScopes: []corev1.ScopedResourceSelectorRequirement{
		{ScopeName: corev1.ResourceQuotaScopePriorityClass, Operator: corev1.ScopeSelectorOpIn, Values: []string{critical}}}}}
	for i := range 10000 {
		class.Namespaces = append(class.Namespaces, corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("team-%05d", i)}})
	}
	classSnap, err := overlay.Compile(class)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("layer/limited/namespaces=10000", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if len(LayerLimitWarnings(context.Background(), &classLayer, cluster, classSnap)) == 0 {
				b.Fatal("no warning")
			}
		}
	})
	b.Run("limitrange", func(b *testing.B) {
		in := in
		snap, err := overlay.Compile(in)
		if err != nil {
			b.Fatal(err)
		}
		lr := &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Name: "bounds", Namespace: "etl"},
			Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{Type: corev1.LimitTypeContainer, Min: resources("cpu", "100m")}}}}
		b.ReportAllocs()
		for b.Loop() {
			if len(NamespaceLimitWarnings(snap.WithLimitRange(lr), cluster, "etl")) == 0 {
				b.Fatal("no warning")
			}
		}
	})
}

// TestLayerLimitWarningsStopAtTheDeadline: past the request's deadline the
// Layer webhook's LimitRange warnings stop, and say how much they left.
func TestLayerLimitWarningsStopAtTheDeadline(t *testing.T) {
	in := fixtures.InputsOf(t, map[string]string{"shipper": `{tier: ClusterDefaults, config: {sidecars: [{name: shipper, image: fluent/fluent-bit:3.1.9, resources: {requests: {cpu: 50m}}}]}}`})
	for i, min := range []string{"100m", "200m"} {
		in.LimitRanges = append(in.LimitRanges, corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Name: "bounds", Namespace: fmt.Sprintf("team-%d", i)},
			Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{Type: corev1.LimitTypeContainer, Min: resources("cpu", min)}}}})
	}
	snap, err := overlay.Compile(in)
	if err != nil {
		t.Fatal(err)
	}
	l := &in.Layers[0].Layer
	if got := LayerLimitWarnings(context.Background(), l, cluster, snap); len(got) != 2 {
		t.Fatalf("in time: %q, want a warning of each group", got)
	}
	done, cancel := context.WithCancel(context.Background())
	cancel()
	want := "spec: the LimitRanges and ResourceQuotas of 2 groups of namespaces not checked against this Layer: the request's deadline passed"
	if got := LayerLimitWarnings(done, l, cluster, snap); len(got) != 1 || got[0] != want {
		t.Errorf("past the deadline: %q, want %q", got, want)
	}
}

// TestLayerWarningsOfAClassNotYetCreated: a Layer naming a PriorityClass
// the cluster does not hold yet (a GitOps sync may apply it first) is
// still warned of what the LimitRanges refuse of what it adds: the class
// is left to its own checks.
func TestLayerWarningsOfAClassNotYetCreated(t *testing.T) {
	in := fixtures.InputsOf(t, map[string]string{"shipper": `{tier: ClusterDefaults, config: {priorityClassName: not-yet, sidecars: [{name: shipper, image: fluent/fluent-bit:3.1.9, resources: {requests: {cpu: 50m}}}]}}`})
	in.LimitRanges = []corev1.LimitRange{{ObjectMeta: metav1.ObjectMeta{Name: "bounds", Namespace: "etl"},
		Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{Type: corev1.LimitTypeContainer, Min: resources("cpu", "100m")}}}}}
	served, err := overlay.Compile(overlay.Inputs{LimitRanges: in.LimitRanges})
	if err != nil {
		t.Fatal(err)
	}
	got := LayerLimitWarnings(context.Background(), &in.Layers[0].Layer, cluster, served)
	const want = `spec: the API server will refuse the Spark driver and executor pods this Layer composes in namespace "etl": LimitRange "bounds": container "shipper": minimum cpu usage per Container is 100m, but request is 50m`
	if len(got) != 1 || got[0] != want {
		t.Errorf("warnings %q\nwant %q", got, want)
	}
}
