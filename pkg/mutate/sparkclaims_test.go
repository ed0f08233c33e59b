package mutate

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	resourcequotaapi "k8s.io/apiserver/pkg/admission/plugin/resourcequota/apis/resourcequota"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/quantity"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/fixtures"
)

// claimConf is the keys of a volume of claim type of role named name,
// with props (mount.path, options.claimName, ...) set.
func claimConf(role v1alpha1.Role, name string, props map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range props {
		out["spark.kubernetes."+string(role)+".volumes.persistentVolumeClaim."+name+"."+k] = v
	}
	return out
}

// onDemand is a claim volume's keys as Spark's docs write an on-demand
// one, sized size.
func onDemand(size string) map[string]string {
	return map[string]string{"mount.path": "/data", "options.claimName": "OnDemand", "options.storageClass": "gp3", "options.sizeLimit": size}
}

// TestSparkClaims: a claim is created for a volume with a mount path, a
// claim name, a storage class and a size Spark takes, of the role its
// keys name; not for a volume missing any (its claim must exist, or Spark
// refuses the volume), nor of another role's keys.
func TestSparkClaims(t *testing.T) {
	without := func(key string) map[string]string {
		props := onDemand("500Gi")
		delete(props, key)
		return props
	}
	for _, tc := range []struct {
		name  string
		props map[string]string
		want  bool
	}{
		{name: "on demand", props: onDemand("500Gi"), want: true},
		{name: "a claim name of its own", props: map[string]string{"mount.path": "/data", "options.claimName": "spill-SPARK_EXECUTOR_ID", "options.storageClass": "gp3", "options.sizeLimit": "1Ti"}, want: true},
		{name: "bytes, 1 KiB or more", props: onDemand("1073741824"), want: true},
		{name: "not a quantity: a claim the API server refuses", props: onDemand("500GB"), want: true},
		{name: "bare digits under 1 KiB: Spark refuses the volume", props: onDemand("500")},
		{name: "bare digits beyond a long: Spark refuses the volume", props: onDemand("99999999999999999999")},
		{name: "no mount path", props: without("mount.path")},
		{name: "no claim name", props: without("options.claimName")},
		{name: "no storage class: the claim must exist", props: without("options.storageClass")},
		{name: "no size: the claim must exist", props: without("options.sizeLimit")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conf := claimConf(v1alpha1.RoleExecutor, "spill", tc.props)
			got := SparkClaims(conf, v1alpha1.RoleExecutor)
			var want []SparkClaim
			if tc.want {
				want = []SparkClaim{{Role: v1alpha1.RoleExecutor, Volume: "spill", Size: tc.props["options.sizeLimit"], StorageClass: "gp3"}}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("executor: %+v, want %+v", got, want)
			}
			if got := SparkClaims(conf, v1alpha1.RoleDriver); got != nil {
				t.Errorf("driver: %+v, want none: the keys are the executors'", got)
			}
		})
	}
	// In volume name order, whatever the keys' order.
	conf := claimConf(v1alpha1.RoleDriver, "b", onDemand("2Gi"))
	for k, v := range claimConf(v1alpha1.RoleDriver, "a", onDemand("1Gi")) {
		conf[k] = v
	}
	conf["spark.kubernetes.driver.volumes.emptyDir.c.mount.path"] = "/tmp"
	got := SparkClaims(conf, v1alpha1.RoleDriver)
	want := []SparkClaim{{Role: v1alpha1.RoleDriver, Volume: "a", Size: "1Gi", StorageClass: "gp3"}, {Role: v1alpha1.RoleDriver, Volume: "b", Size: "2Gi", StorageClass: "gp3"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("two volumes: %+v, want %+v", got, want)
	}
	if want := `the PersistentVolumeClaim Spark creates for volume "a" (spark.kubernetes.driver.volumes.persistentVolumeClaim.a.options.sizeLimit=1Gi)`; got[0].String() != want {
		t.Errorf("named %q, want %q", got[0].String(), want)
	}
}

// TestClaimRefusals: LimitRanger judges what a claim requests by each
// PersistentVolumeClaim item's min and max, in its words, and nothing
// else: not a Container or Pod item, not a limit.
func TestClaimRefusals(t *testing.T) {
	pvc := func(min, max corev1.ResourceList) corev1.LimitRangeItem {
		return corev1.LimitRangeItem{Type: corev1.LimitTypePersistentVolumeClaim, Min: min, Max: max}
	}
	for _, tc := range []struct {
		name  string
		size  string
		items []corev1.LimitRangeItem
		want  []string
	}{
		{name: "over the maximum", size: "500Gi", items: []corev1.LimitRangeItem{pvc(nil, resources("storage", "100Gi"))},
			want: []string{"maximum storage usage per PersistentVolumeClaim is 100Gi, but request is 500Gi"}},
		{name: "under the minimum", size: "500Mi", items: []corev1.LimitRangeItem{pvc(resources("storage", "1Gi"), resources("storage", "100Gi"))},
			want: []string{"minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi"}},
		{name: "within", size: "100Gi", items: []corev1.LimitRangeItem{pvc(resources("storage", "1Gi"), resources("storage", "100Gi"))}},
		{name: "as the API server reads the size", size: "1.5Gi", items: []corev1.LimitRangeItem{pvc(resources("storage", "2Gi"), nil)},
			want: []string{"minimum storage usage per PersistentVolumeClaim is 2Gi, but request is 1536Mi"}},
		{name: "bytes", size: "1073741824", items: []corev1.LimitRangeItem{pvc(nil, resources("storage", "512Mi"))},
			want: []string{"maximum storage usage per PersistentVolumeClaim is 512Mi, but request is 1073741824"}},
		// A bound of a resource a claim never requests refuses every claim.
		{name: "a resource no claim requests", size: "1Gi", items: []corev1.LimitRangeItem{pvc(resources("cpu", "1"), resources("cpu", "2"))},
			want: []string{"minimum cpu usage per PersistentVolumeClaim is 1.  No request is specified", "maximum cpu usage per PersistentVolumeClaim is 2.  No request is specified"}},
		{name: "a Container item", size: "500Gi", items: []corev1.LimitRangeItem{{Type: corev1.LimitTypeContainer, Max: resources("storage", "1Gi")}}},
		{name: "a Pod item", size: "500Gi", items: []corev1.LimitRangeItem{{Type: corev1.LimitTypePod, Max: resources("storage", "1Gi")}}},
		{name: "every item", size: "500Gi", items: []corev1.LimitRangeItem{pvc(nil, resources("storage", "100Gi")), pvc(nil, resources("storage", "200Gi"))},
			want: []string{"maximum storage usage per PersistentVolumeClaim is 100Gi, but request is 500Gi", "maximum storage usage per PersistentVolumeClaim is 200Gi, but request is 500Gi"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ranges := []*corev1.LimitRange{{ObjectMeta: metav1.ObjectMeta{Name: "storage", Namespace: "etl"}, Spec: corev1.LimitRangeSpec{Limits: tc.items}}}
			claim := SparkClaim{Role: v1alpha1.RoleExecutor, Volume: "spill", Size: tc.size}
			var got []string
			for _, r := range ClaimRefusals(ranges, claim) {
				if r.LimitRange != "storage" || r.Container != "" {
					t.Errorf("refusal %+v, want one of LimitRange \"storage\" and no container", r)
				}
				got = append(got, r.Reason)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("%q, want %q", got, tc.want)
			}
		})
	}
	// A size that is no quantity is no claim: Storage says why, and no
	// LimitRange is judged.
	bad := SparkClaim{Role: v1alpha1.RoleExecutor, Volume: "spill", Size: "500GB"}
	if _, err := bad.Storage(); err == nil || !strings.Contains(err.Error(), `its size "500GB" is no quantity`) {
		t.Errorf("Storage of %q: %v, want it refused", bad.Size, err)
	}
	ranges := []*corev1.LimitRange{{ObjectMeta: metav1.ObjectMeta{Name: "storage"}, Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{pvc(nil, resources("storage", "1Gi"))}}}}
	if got := ClaimRefusals(ranges, bad); got != nil {
		t.Errorf("refusals of %q: %+v, want none", bad.Size, got)
	}
	huge := SparkClaim{Role: v1alpha1.RoleExecutor, Volume: "spill", Size: "1e999999999"}
	if _, err := huge.Storage(); err == nil {
		t.Errorf("Storage of %q: no error, want its exponent refused before it is parsed", huge.Size)
	}
}

// TestClaimWarnings: where a LimitRange bounds claims, an application is
// warned of each role's claim it refuses (its own driver's, the
// executors' a layer gives), the Layer that gives one when it is
// written, and whoever writes the LimitRange; in another namespace, none.
func TestClaimWarnings(t *testing.T) {
	spill := `{tier: ClusterDefaults, executor: {sparkConf: {` +
		`"spark.kubernetes.executor.volumes.persistentVolumeClaim.spill.mount.path": /spill, ` +
		`"spark.kubernetes.executor.volumes.persistentVolumeClaim.spill.options.claimName": OnDemand, ` +
		`"spark.kubernetes.executor.volumes.persistentVolumeClaim.spill.options.storageClass": gp3, ` +
		`"spark.kubernetes.executor.volumes.persistentVolumeClaim.spill.options.sizeLimit": 500Gi}}}`
	in := fixtures.InputsOf(t, map[string]string{"spill": spill})
	in.LimitRanges = []corev1.LimitRange{{ObjectMeta: metav1.ObjectMeta{Name: "storage", Namespace: "etl"}, Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{
		{Type: corev1.LimitTypePersistentVolumeClaim, Min: resources("storage", "1Gi"), Max: resources("storage", "100Gi")}}}}}
	snap, err := overlay.Compile(in)
	if err != nil {
		t.Fatal(err)
	}
	const (
		executorClaim = `the PersistentVolumeClaim Spark creates for volume "spill" (spark.kubernetes.executor.volumes.persistentVolumeClaim.spill.options.sizeLimit=500Gi): ` +
			`LimitRange "storage": maximum storage usage per PersistentVolumeClaim is 100Gi, but request is 500Gi`
		driverClaim = `the PersistentVolumeClaim Spark creates for volume "scratch" (spark.kubernetes.driver.volumes.persistentVolumeClaim.scratch.options.sizeLimit=100Mi): ` +
			`LimitRange "storage": minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 100Mi`
	)
	for _, ns := range []string{"etl", "ml"} {
		app := fixtures.App(t, "etl-report.yaml").App.DeepCopy()
		app.Namespace = ns
		if app.Spec.SparkConf == nil {
			app.Spec.SparkConf = map[string]string{}
		}
		for k, v := range claimConf(v1alpha1.RoleDriver, "scratch", onDemand("100Mi")) {
			app.Spec.SparkConf[k] = v
		}
		res := composeTypedApp(t, snap, cluster, app)
		var got []string
		for _, w := range res.Warnings {
			if strings.Contains(w, "the claims it creates: ") {
				got = append(got, w)
			}
		}
		var want []string
		if ns == "etl" {
			want = []string{`driver: the claims it creates: In namespace "etl" the API server will refuse ` + driverClaim,
				`executor: the claims it creates: In namespace "etl" the API server will refuse ` + executorClaim}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: the application's warnings of claims %q, want %q", ns, got, want)
		}
	}
	layerWarnings := LayerLimitWarnings(context.Background(), &in.Layers[0].Layer, cluster, snap)
	if want := `spec: the API server will refuse the Spark executor pods this Layer composes in namespace "etl": ` + executorClaim; !slices.Equal(layerWarnings, []string{want}) {
		t.Errorf("the Layer's warnings %q, want %q", layerWarnings, want)
	}
	nsWarnings := NamespaceLimitWarnings(snap, cluster, "etl")
	if want := `the API server will refuse the Spark executor pods the layers compose in namespace "etl": ` + executorClaim; !slices.Equal(nsWarnings, []string{want}) {
		t.Errorf("the LimitRange's warnings %q, want %q", nsWarnings, want)
	}
	// A SparkConnect's server is a driver in client mode, whose pod the
	// operator creates: only its executors' claims are Spark's.
	conn, err := ComposeConnect(snap, cluster, connectJSON(t, func(spec map[string]any) {
		conf := spec["sparkConf"].(map[string]any)
		for k, v := range claimConf(v1alpha1.RoleDriver, "scratch", onDemand("100Mi")) {
			conf[k] = v
		}
	}), "")
	if err != nil {
		t.Fatal(err)
	}
	var connClaims []string
	for _, w := range conn.Warnings {
		if strings.Contains(w, "the claims it creates: ") {
			connClaims = append(connClaims, w)
		}
	}
	if want := []string{`executor: the claims it creates: In namespace "etl" the API server will refuse ` + executorClaim}; !slices.Equal(connClaims, want) {
		t.Errorf("the SparkConnect's warnings of claims %q, want %q", connClaims, want)
	}
	// A claim's size that is no quantity is warned of wherever it is.
	app := fixtures.App(t, "etl-report.yaml").App.DeepCopy()
	app.Namespace = "ml"
	app.Spec.SparkConf = claimConf(v1alpha1.RoleDriver, "scratch", onDemand("100MB"))
	res := composeTypedApp(t, snap, cluster, app)
	if want := `driver: the claims it creates: In namespace "ml" the API server will refuse the PersistentVolumeClaim Spark creates for volume "scratch" ` +
		`(spark.kubernetes.driver.volumes.persistentVolumeClaim.scratch.options.sizeLimit=100MB): its size "100MB" is no quantity`; !slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.HasPrefix(w, want) }) {
		t.Errorf("warnings %q, want one led by %q", res.Warnings, want)
	}
}

// FuzzSparkClaims: whatever Spark configuration a tenant writes, the
// claims read from it are of volumes it names in full, sized by a key it
// holds, and judging them never panics and is the same twice.
func FuzzSparkClaims(f *testing.F) {
	f.Add("spill", "/spill", "OnDemand", "gp3", "500Gi", "storage", "100Gi")
	f.Add("a.b", "", "x", "", "1e999999999", "cpu", "1")
	f.Add("spill", "/", "OnDemand", "gp3", "1023", "storage", "-1")
	// A cluster where every claim needs a covering quota, and none does.
	limitedClaims, err := overlay.Compile(overlay.Inputs{Admission: overlay.Admission{LimitedResources: []resourcequotaapi.LimitedResource{
		{Resource: "persistentvolumeclaims", MatchContains: []string{""}}}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, volume, path, claim, class, size, resource, bound string) {
		conf := map[string]string{}
		for k, v := range map[string]string{"mount.path": path, "options.claimName": claim, "options.storageClass": class, "options.sizeLimit": size} {
			if v != "" {
				conf["spark.kubernetes.executor.volumes.persistentVolumeClaim."+volume+"."+k] = v
			}
		}
		item := corev1.LimitRangeItem{Type: corev1.LimitTypePersistentVolumeClaim}
		if q, err := quantity.Parse(bound); err == nil {
			item.Max = corev1.ResourceList{corev1.ResourceName(resource): q}
			item.Min = item.Max
		}
		ranges := []*corev1.LimitRange{{ObjectMeta: metav1.ObjectMeta{Name: "storage"}, Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{item}}}}
		for _, c := range SparkClaims(conf, v1alpha1.RoleExecutor) {
			if conf[c.SizeKey()] != c.Size {
				t.Errorf("claim %+v: sized by %q, which the configuration holds as %q", c, c.SizeKey(), conf[c.SizeKey()])
			}
			first, second := ClaimRefusals(ranges, c), ClaimRefusals(ranges, c)
			if !reflect.DeepEqual(first, second) {
				t.Errorf("claim %+v: %v, then %v", c, first, second)
			}
			if _, ok := c.QuotaUsage(); ok && len(UncoveredClaimRefusals(limitedClaims.LimitedResources(), nil, c)) != 1 {
				t.Errorf("claim %+v: no refusal where every claim needs a covering quota", c)
			}
		}
		if got := claimRefusals(limitedClaims, "etl", conf, v1alpha1.RoleDriver); got != nil {
			t.Errorf("the driver's claims of the executors' keys: %q", got)
		}
	})
}
