package overlay

import (
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

func str(s string) *string { return &s }

// layer builds a Layer that matches everything.
func layer(name string, tier v1alpha1.Tier, order int32, config, driver, executor *v1alpha1.Config) LayerSource {
	l := v1alpha1.Layer{Spec: v1alpha1.LayerSpec{Tier: tier, Order: order, Config: config, Driver: driver, Executor: executor}}
	l.Name = name
	return LayerSource{Layer: l}
}

func mustCompile(t *testing.T, in Inputs) *Snapshot {
	t.Helper()
	s, err := Compile(in)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return s
}

var driverTarget = Target{Cluster: "c1", Pool: "p1", Namespace: "ns1", Role: v1alpha1.RoleDriver}

// TestComposeScalarPrecedence checks the tier order for a string field: a
// default fills what is unset, a later default beats an earlier one, the
// user beats every default, an override beats the user and a later override
// beats an earlier one.
func TestComposeScalarPrecedence(t *testing.T) {
	pc := func(v string) *v1alpha1.Config { return &v1alpha1.Config{PriorityClassName: str(v)} }
	tests := []struct {
		name       string
		layers     []LayerSource
		user       *string
		want       string // "" with wantUnset
		wantUnset  bool
		wantWinner string
		wantBeaten []string
	}{
		{name: "nothing set", wantUnset: true},
		{name: "user only", user: str("u"), want: "u", wantWinner: "user"},
		{name: "pool default fills unset",
			layers: []LayerSource{layer("pool", v1alpha1.PoolDefaults, 0, pc("pool"), nil, nil)},
			want:   "pool", wantWinner: `PoolDefaults layer "pool"`},
		{name: "cluster default beats pool default",
			layers: []LayerSource{
				layer("cd", v1alpha1.ClusterDefaults, 0, pc("cluster"), nil, nil),
				layer("pd", v1alpha1.PoolDefaults, 0, pc("pool"), nil, nil),
			},
			want: "cluster", wantWinner: `ClusterDefaults layer "cd"`, wantBeaten: []string{`PoolDefaults layer "pd"`}},
		{name: "user beats every default",
			layers: []LayerSource{
				layer("cd", v1alpha1.ClusterDefaults, 0, pc("cluster"), nil, nil),
				layer("pd", v1alpha1.PoolDefaults, 0, pc("pool"), nil, nil),
			},
			user: str("u"), want: "u", wantWinner: "user",
			wantBeaten: []string{`PoolDefaults layer "pd"`, `ClusterDefaults layer "cd"`}},
		{name: "cluster override beats user",
			layers: []LayerSource{layer("co", v1alpha1.ClusterOverrides, 0, pc("override"), nil, nil)},
			user:   str("u"), want: "override", wantWinner: `ClusterOverrides layer "co"`, wantBeaten: []string{"user"}},
		{name: "namespace override beats cluster override",
			layers: []LayerSource{
				layer("no", v1alpha1.NamespaceOverrides, 0, pc("ns"), nil, nil),
				layer("co", v1alpha1.ClusterOverrides, 99, pc("cluster"), nil, nil),
				layer("pd", v1alpha1.PoolDefaults, 0, pc("pool"), nil, nil),
			},
			user: str("u"), want: "ns", wantWinner: `NamespaceOverrides layer "no"`,
			wantBeaten: []string{`PoolDefaults layer "pd"`, "user", `ClusterOverrides layer "co"`}},
		{name: "override can set the empty string",
			layers: []LayerSource{layer("co", v1alpha1.ClusterOverrides, 0, pc(""), nil, nil)},
			user:   str("u"), want: "", wantWinner: `ClusterOverrides layer "co"`, wantBeaten: []string{"user"}},
		{name: "higher order wins inside a tier",
			layers: []LayerSource{
				layer("a", v1alpha1.ClusterOverrides, 20, pc("a20"), nil, nil),
				layer("b", v1alpha1.ClusterOverrides, 10, pc("b10"), nil, nil),
			},
			want: "a20", wantWinner: `ClusterOverrides layer "a"`, wantBeaten: []string{`ClusterOverrides layer "b"`}},
		{name: "name breaks order ties",
			layers: []LayerSource{
				layer("zeta", v1alpha1.PoolDefaults, 5, pc("zeta"), nil, nil),
				layer("alpha", v1alpha1.PoolDefaults, 5, pc("alpha"), nil, nil),
			},
			want: "zeta", wantWinner: `PoolDefaults layer "zeta"`, wantBeaten: []string{`PoolDefaults layer "alpha"`}},
		{name: "role block beats config block of the same layer",
			layers: []LayerSource{layer("pd", v1alpha1.PoolDefaults, 0, pc("all"), pc("drivers"), pc("executors"))},
			want:   "drivers", wantWinner: `PoolDefaults layer "pd"`, wantBeaten: []string{`PoolDefaults layer "pd"`}},
		{name: "a default's role block still loses to the user",
			layers: []LayerSource{layer("cd", v1alpha1.ClusterDefaults, 0, nil, pc("drivers"), nil)},
			user:   str("u"), want: "u", wantWinner: "user", wantBeaten: []string{`ClusterDefaults layer "cd"`}},
		{name: "executor block does not apply to drivers",
			layers: []LayerSource{layer("co", v1alpha1.ClusterOverrides, 0, nil, nil, pc("executors"))},
			user:   str("u"), want: "u", wantWinner: "user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustCompile(t, Inputs{Layers: tt.layers})
			res := s.Compose(driverTarget, v1alpha1.Config{PriorityClassName: tt.user})
			got := res.Config.PriorityClassName
			if tt.wantUnset {
				if got != nil {
					t.Fatalf("priorityClassName = %q, want unset", *got)
				}
				if _, ok := res.Provenance.Lookup(FieldKey(PathPriorityClassName)); ok {
					t.Fatalf("provenance recorded for an unset field")
				}
				return
			}
			if got == nil || *got != tt.want {
				t.Fatalf("priorityClassName = %v, want %q", got, tt.want)
			}
			f, ok := res.Provenance.Lookup(FieldKey(PathPriorityClassName))
			if !ok {
				t.Fatalf("no provenance for %s", PathPriorityClassName)
			}
			if f.Winner.String() != tt.wantWinner {
				t.Errorf("winner = %s, want %s", f.Winner, tt.wantWinner)
			}
			var beaten []string
			for _, b := range f.Beaten {
				beaten = append(beaten, b.Source.String())
			}
			if !reflect.DeepEqual(beaten, tt.wantBeaten) {
				t.Errorf("beaten = %q, want %q", beaten, tt.wantBeaten)
			}
		})
	}
}

// TestComposeMapPrecedence checks that maps merge key by key under the tier rules.
func TestComposeMapPrecedence(t *testing.T) {
	labels := func(kv ...string) *v1alpha1.Config {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return &v1alpha1.Config{Labels: m, Annotations: m, NodeSelector: m, SparkConf: m}
	}
	s := mustCompile(t, Inputs{Layers: []LayerSource{
		layer("pd", v1alpha1.PoolDefaults, 0, labels("a", "pool", "b", "pool", "c", "pool"), labels("d", "pool-driver"), nil),
		layer("cd", v1alpha1.ClusterDefaults, 0, labels("b", "cluster"), nil, labels("e", "cluster-executor")),
		layer("co", v1alpha1.ClusterOverrides, 0, labels("c", "override", "u2", "override"), nil, nil),
		layer("no", v1alpha1.NamespaceOverrides, 0, labels("c", "ns"), nil, nil),
	}})
	user := labels("b", "user", "u1", "user", "u2", "user")
	res := s.Compose(driverTarget, *user)
	want := map[string]string{"a": "pool", "b": "user", "c": "ns", "d": "pool-driver", "u1": "user", "u2": "override"}
	for name, got := range map[string]map[string]string{
		PathLabels: res.Config.Labels, PathAnnotations: res.Config.Annotations,
		PathNodeSelector: res.Config.NodeSelector, PathSparkConf: res.Config.SparkConf,
	} {
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
		winners := map[string]string{"a": `PoolDefaults layer "pd"`, "b": "user", "c": `NamespaceOverrides layer "no"`,
			"d": `PoolDefaults layer "pd"`, "u1": "user", "u2": `ClusterOverrides layer "co"`}
		for k, w := range winners {
			f, ok := res.Provenance.Lookup(MapKey(name, k))
			if !ok || f.Winner.String() != w {
				t.Errorf("%s: winner %v (found %v), want %s", KeyPath(name, k), f.Winner, ok, w)
			}
		}
	}
	// The user map must not be modified by composition.
	if user.Labels["c"] != "" {
		t.Errorf("user map modified: %v", user.Labels)
	}
}

// TestComposeTolerations checks the keyed merge of tolerations by (key, effect).
func TestComposeTolerations(t *testing.T) {
	tol := func(key, value string, effect corev1.TaintEffect) corev1.Toleration {
		return corev1.Toleration{Key: key, Operator: corev1.TolerationOpEqual, Value: value, Effect: effect}
	}
	tols := func(ts ...corev1.Toleration) *v1alpha1.Config { return &v1alpha1.Config{Tolerations: ts} }
	s := mustCompile(t, Inputs{Layers: []LayerSource{
		layer("pd", v1alpha1.PoolDefaults, 0, tols(tol("pool", "default", corev1.TaintEffectNoSchedule), tol("gpu", "default", corev1.TaintEffectNoSchedule)), nil, nil),
		layer("co", v1alpha1.ClusterOverrides, 0, tols(tol("gpu", "override", corev1.TaintEffectNoExecute)), nil, nil),
		layer("no", v1alpha1.NamespaceOverrides, 0, tols(tol("pool", "ns", corev1.TaintEffectNoSchedule)), nil, nil),
	}})
	user := v1alpha1.Config{Tolerations: []corev1.Toleration{tol("gpu", "user", corev1.TaintEffectNoSchedule), tol("pool", "user", corev1.TaintEffectNoSchedule)}}
	res := s.Compose(driverTarget, user)
	want := []corev1.Toleration{
		tol("pool", "ns", corev1.TaintEffectNoSchedule),     // default, user, then ns override
		tol("gpu", "user", corev1.TaintEffectNoSchedule),    // user beats the default with the same key/effect
		tol("gpu", "override", corev1.TaintEffectNoExecute), // another effect: another element
	}
	if !reflect.DeepEqual(res.Config.Tolerations, want) {
		t.Fatalf("tolerations =\n%v\nwant\n%v", res.Config.Tolerations, want)
	}
	f, _ := res.Provenance.Lookup(ElementKey(PathTolerations, "gpu/NoSchedule"))
	if f.Winner.String() != "user" || len(f.Beaten) != 1 || f.Beaten[0].Source.Layer != "pd" {
		t.Errorf("gpu/NoSchedule provenance = %+v", f)
	}
	f, _ = res.Provenance.Lookup(ElementKey(PathTolerations, "pool/NoSchedule"))
	if f.Winner.Layer != "no" || len(f.Beaten) != 2 {
		t.Errorf("pool/NoSchedule provenance = %+v", f)
	}
}

func TestComposeLayersInAppliedOrder(t *testing.T) {
	s := mustCompile(t, Inputs{Layers: []LayerSource{
		layer("no", v1alpha1.NamespaceOverrides, 0, nil, nil, nil),
		layer("co-b", v1alpha1.ClusterOverrides, 1, nil, nil, nil),
		layer("co-a", v1alpha1.ClusterOverrides, 1, nil, nil, nil),
		layer("pd", v1alpha1.PoolDefaults, 100, nil, nil, nil),
		layer("cd", v1alpha1.ClusterDefaults, -5, nil, nil, nil),
	}})
	got := strings.Join(s.Compose(driverTarget, v1alpha1.Config{}).Layers, ",")
	if want := "pd,cd,co-a,co-b,no"; got != want {
		t.Fatalf("layers = %s, want %s", got, want)
	}
}

func TestMatch(t *testing.T) {
	with := func(name string, m v1alpha1.Match) LayerSource {
		ls := layer(name, v1alpha1.PoolDefaults, 0, nil, nil, nil)
		ls.Layer.Spec.Match = m
		return ls
	}
	s := mustCompile(t, Inputs{
		Layers: []LayerSource{
			with("all", v1alpha1.Match{}),
			with("empty-lists-match-all", v1alpha1.Match{Pools: []string{}, Roles: []v1alpha1.Role{}}),
			with("pool", v1alpha1.Match{Pools: []string{"p1", "p9"}}),
			with("other-pool", v1alpha1.Match{Pools: []string{"p2"}}),
			with("cluster", v1alpha1.Match{Clusters: []string{"c1"}}),
			with("other-cluster", v1alpha1.Match{Clusters: []string{"c2"}}),
			with("ns", v1alpha1.Match{Namespaces: []string{"ns1"}}),
			with("other-ns", v1alpha1.Match{Namespaces: []string{"ns2"}}),
			with("selector", v1alpha1.Match{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"group": "geo"}}}),
			with("other-selector", v1alpha1.Match{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"group": "etl"}}}),
			with("name-label", v1alpha1.Match{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{corev1.LabelMetadataName: "ns1"}}}),
			with("driver", v1alpha1.Match{Roles: []v1alpha1.Role{v1alpha1.RoleDriver}}),
			with("executor", v1alpha1.Match{Roles: []v1alpha1.Role{v1alpha1.RoleExecutor}}),
			with("all-fields", v1alpha1.Match{Pools: []string{"p1"}, Clusters: []string{"c1"}, Namespaces: []string{"ns1"}, Roles: []v1alpha1.Role{v1alpha1.RoleDriver},
				NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "group", Operator: metav1.LabelSelectorOpIn, Values: []string{"geo"}}}}}),
			with("one-field-off", v1alpha1.Match{Pools: []string{"p1"}, Clusters: []string{"c1"}, Namespaces: []string{"ns1"}, Roles: []v1alpha1.Role{v1alpha1.RoleExecutor}}),
		},
		Namespaces: []corev1.Namespace{{ObjectMeta: metav1.ObjectMeta{Name: "ns1", Labels: map[string]string{"group": "geo"}}}},
	})
	var got []string
	for _, l := range s.Match(driverTarget) {
		got = append(got, l.Name)
	}
	want := []string{"all", "all-fields", "cluster", "driver", "empty-lists-match-all", "name-label", "ns", "pool", "selector"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("matched %v, want %v", got, want)
	}
}

func TestComposeIsDeterministic(t *testing.T) {
	in := Inputs{Layers: []LayerSource{
		layer("a", v1alpha1.PoolDefaults, 0, &v1alpha1.Config{Labels: map[string]string{"x": "1", "y": "2", "z": "3"}}, nil, nil),
		layer("b", v1alpha1.ClusterOverrides, 0, &v1alpha1.Config{Labels: map[string]string{"y": "4"}}, nil, nil),
	}}
	first := mustCompile(t, in).Compose(driverTarget, v1alpha1.Config{Labels: map[string]string{"x": "u"}})
	for range 20 {
		again := mustCompile(t, in).Compose(driverTarget, v1alpha1.Config{Labels: map[string]string{"x": "u"}})
		if !reflect.DeepEqual(first.Provenance.Fields(), again.Provenance.Fields()) || !reflect.DeepEqual(first.Config, again.Config) {
			t.Fatal("composition differs between runs")
		}
	}
}

func TestKeyPath(t *testing.T) {
	for in, want := range map[[2]string]string{
		{"metadata.labels", "team"}:                   "metadata.labels.team",
		{"metadata.labels", "app.kubernetes.io/name"}: `metadata.labels["app.kubernetes.io/name"]`,
		{"sparkConf", `a"b`}:                          `sparkConf["a\"b"]`,
	} {
		if got := KeyPath(in[0], in[1]); got != want {
			t.Errorf("KeyPath(%q, %q) = %s, want %s", in[0], in[1], got, want)
		}
	}
}

// TestPlainKeyIsTheRegexp holds plainKey to the expression it replaces,
// over edge cases and every 1- and 2-byte key.
func TestPlainKeyIsTheRegexp(t *testing.T) {
	oracle := regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	keys := []string{"", "team", "app.kubernetes.io/name", "a-b_C9", "é", "a\x00", "a\n", "日本", " a", "a "}
	for i := range 256 {
		keys = append(keys, string([]byte{byte(i)}), "a"+string([]byte{byte(i)}))
	}
	for _, k := range keys {
		if got, want := plainKey(k), oracle.MatchString(k); got != want {
			t.Errorf("plainKey(%q) = %v, want %v", k, got, want)
		}
	}
}

func TestWithNamespace(t *testing.T) {
	l := layer("geo", v1alpha1.NamespaceOverrides, 0, &v1alpha1.Config{Labels: map[string]string{"team": "geo"}}, nil, nil)
	l.Layer.Spec.Match.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"group": "geo"}}
	s := mustCompile(t, Inputs{Layers: []LayerSource{l}})
	target := Target{Namespace: "new", Role: v1alpha1.RoleDriver}
	if s.KnowsNamespace("new") || len(s.Match(target)) != 0 {
		t.Fatal("unknown namespace matched a selector")
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "new", Labels: map[string]string{"group": "geo"}}}
	with := s.WithNamespace(ns)
	if !with.KnowsNamespace("new") || len(with.Match(target)) != 1 {
		t.Fatal("WithNamespace did not make the selector match")
	}
	if s.KnowsNamespace("new") {
		t.Fatal("WithNamespace changed the original snapshot")
	}
}

// TestEveryConfigFieldIsInTheTable: every field of v1alpha1.Config, by its
// JSON name, is in Fields, once, with a provenance path; so a field added
// to Config cannot be left out of the fold (and, through the pod table's
// test, out of rendering and reading back).
func TestEveryConfigFieldIsInTheTable(t *testing.T) {
	inTable := map[string]ConfigField{}
	for _, f := range Fields() {
		if _, dup := inTable[f.Name]; dup {
			t.Errorf("field %s is in Fields twice", f.Name)
		}
		if f.Path == "" || f.fold == nil {
			t.Errorf("field %s has no path or no fold", f.Name)
		}
		inTable[f.Name] = f
	}
	typ := reflect.TypeFor[v1alpha1.Config]()
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		if _, ok := inTable[name]; !ok {
			t.Errorf("Config.%s (%s) is not in Fields: give it a fold and a provenance path", typ.Field(i).Name, name)
		}
		delete(inTable, name)
	}
	for name := range inTable {
		t.Errorf("Fields has %s, which is not a field of Config", name)
	}
}

// TestFieldOf: every provenance path names its field: a map key, a list
// element, a sub-field.
func TestFieldOf(t *testing.T) {
	for path, want := range map[string]string{
		"metadata.labels.team": "labels", `metadata.annotations["iam.amazonaws.com/role"]`: "annotations",
		"spec.sidecars[log-shipper]": "sidecars", "spec.sidecarMode": "sidecarMode", "iam.role": "iam",
		"limits.maxPodCPU": "limits", "podPatch[NamespaceOverrides layer \"x\"]": "podPatch", "spark.env[A]": "env",
		"spark.envFrom[configMap/x]": "envFrom",
	} {
		if f, ok := FieldOf(path); !ok || f.Name != want {
			t.Errorf("FieldOf(%s) = %s, %v; want %s", path, f.Name, ok, want)
		}
	}
	for _, path := range []string{"spec.containers[x].image", "metadata.labelsx", ""} {
		if f, ok := FieldOf(path); ok {
			t.Errorf("FieldOf(%s) = %s, want none", path, f.Name)
		}
	}
}

// TestKeyString: every kind of provenance key renders as explain, warnings
// and the policy input show it.
func TestKeyString(t *testing.T) {
	for key, want := range map[Key]string{
		FieldKey(PathPriorityClassName):                           "spec.priorityClassName",
		MapKey(PathLabels, "team"):                                "metadata.labels.team",
		MapKey(PathAnnotations, "iam.amazonaws.com/role"):         `metadata.annotations["iam.amazonaws.com/role"]`,
		ElementKey(PathTolerations, "gpu/NoSchedule"):             "spec.tolerations[gpu/NoSchedule]",
		SubKey(PathLimits, "maxPodCPU"):                           "limits.maxPodCPU",
		SubKey(PathIAM, "role"):                                   "iam.role",
		ElementKey("spec.containers", "spark").WithSub("image"):   "spec.containers[spark].image",
		MapKey(PathEnforcement, "quota"):                          "enforcement.quota",
		ElementKey(PathPodPatch, `NamespaceOverrides layer "ns"`): `podPatch[NamespaceOverrides layer "ns"]`,
	} {
		if got := key.String(); got != want {
			t.Errorf("%#v renders %s, want %s", key, got, want)
		}
	}
}

// TestShadowLayerBlocksNothing: a Shadow layer that does not compile is
// an error to a dry run, but never refuses a pod: it changes none.
func TestShadowLayerBlocksNothing(t *testing.T) {
	var l v1alpha1.Layer
	l.Name = "broken-shadow"
	l.Spec = v1alpha1.LayerSpec{Tier: v1alpha1.ClusterOverrides, Mode: v1alpha1.ModeShadow,
		Config: &v1alpha1.Config{Labels: map[string]string{"bad key": "x"}}}
	snap, err := Compile(Inputs{Layers: []LayerSource{{Layer: l}}})
	if err == nil {
		t.Fatal("a broken Shadow layer compiled without an error")
	}
	if err := snap.Blocked(Target{Namespace: "etl", Role: v1alpha1.RoleDriver}); err != nil {
		t.Errorf("a broken Shadow layer blocks pods: %v", err)
	}
	l.Spec.Mode = "Dark"
	if errs := ValidateLayer(&l); len(errs) == 0 || errs[0].Field != "spec.mode" {
		t.Errorf("an unknown mode: %v", errs)
	}
}

// TestComposeOnly: composing some fields gives each of them what Compose
// gives, with its provenance, and leaves every other field unset; sparkConf
// folds into the metadata when it is composed with it, and not otherwise.
func TestComposeOnly(t *testing.T) {
	defaults := &v1alpha1.Config{Labels: map[string]string{"team": "data"}, Env: []corev1.EnvVar{{Name: "A", Value: "1"}},
		SparkConf: map[string]string{"spark.kubernetes.executor.label.billing": "7"}}
	overrides := &v1alpha1.Config{Labels: map[string]string{"tier": "gold"}, Limits: &v1alpha1.Limits{MaxExecutorsPerApp: new(int32)}}
	s := mustCompile(t, Inputs{Layers: []LayerSource{
		layer("d", v1alpha1.ClusterDefaults, 0, defaults, nil, nil),
		layer("o", v1alpha1.ClusterOverrides, 0, overrides, nil, nil),
	}})
	target := Target{Namespace: "etl", Role: v1alpha1.RoleExecutor}
	user := v1alpha1.Config{Labels: map[string]string{"team": "mine", "own": "x"}, Env: []corev1.EnvVar{{Name: "B", Value: "2"}}}
	whole := s.Compose(target, user)
	for _, tc := range []struct {
		fields []string
		labels map[string]string
	}{
		{[]string{"labels", "sparkConf", "limits"}, whole.Config.Labels},
		{[]string{"labels", "limits"}, map[string]string{"team": "mine", "own": "x", "tier": "gold"}},
	} {
		only, err := FieldsNamed(tc.fields...)
		if err != nil {
			t.Fatal(err)
		}
		got := s.ComposeOnly(target, user, only)
		if !reflect.DeepEqual(got.Config.Labels, tc.labels) || !reflect.DeepEqual(got.Config.Limits, whole.Config.Limits) {
			t.Errorf("%v: labels %v, limits %v; want %v, %v", tc.fields, got.Config.Labels, got.Config.Limits, tc.labels, whole.Config.Limits)
		}
		if got.Config.Env != nil || got.Config.SparkConf != nil && !slices.Contains(tc.fields, "sparkConf") {
			t.Errorf("%v: fields not asked for composed: env %v, sparkConf %v", tc.fields, got.Config.Env, got.Config.SparkConf)
		}
		closed := slices.Contains(tc.fields, "sparkConf") // every field that folds into labels is asked for
		asked := 0
		for _, f := range whole.Provenance.Fields() {
			if root, _ := FieldOf(f.Path); slices.Contains(tc.fields, root.Name) {
				asked++
			}
		}
		if n := len(got.Provenance.Fields()); closed && n != asked {
			t.Errorf("%v: %d values explained, Compose explains %d of these fields", tc.fields, n, asked)
		}
		for _, f := range got.Provenance.Fields() {
			if w, ok := whole.Provenance.Lookup(f.Key); closed && (!ok || w.Winner != f.Winner || w.Value != f.Value) {
				t.Errorf("%v: %s is %s set by %v, Compose says %s by %v", tc.fields, f.Path, f.Value, f.Winner, w.Value, w.Winner)
			}
			if root, _ := FieldOf(f.Path); !slices.Contains(tc.fields, root.Name) {
				t.Errorf("%v: provenance of %s recorded", tc.fields, f.Path)
			}
		}
		if !reflect.DeepEqual(got.Layers, whole.Layers) {
			t.Errorf("%v: layers %v, want %v", tc.fields, got.Layers, whole.Layers)
		}
	}
	if _, err := FieldsNamed("labels", "nope"); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("an unknown field: %v", err)
	}
}

// TestBrokenLayerBlocksWhatItMatches: a Layer that does not compile
// refuses the pods it would match, by its match as written where that is
// valid (a namespace selector among it), and every pod on a match field
// that is itself invalid.
func TestBrokenLayerBlocksWhatItMatches(t *testing.T) {
	broken := func(name string, m v1alpha1.Match) LayerSource {
		var l v1alpha1.Layer
		l.Name, l.Spec = name, v1alpha1.LayerSpec{Tier: v1alpha1.ClusterOverrides, Match: m,
			Config: &v1alpha1.Config{Labels: map[string]string{"bad key": "x"}}}
		return LayerSource{Layer: l}
	}
	ns := func(name, team string) corev1.Namespace {
		var n corev1.Namespace
		n.Name, n.Labels = name, map[string]string{"team": team}
		return n
	}
	for _, c := range []struct {
		layer   LayerSource
		blocked []string // of the namespaces etl, web, ops
	}{
		{broken("by-selector", v1alpha1.Match{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "data"}}}), []string{"etl"}},
		{broken("by-name", v1alpha1.Match{Namespaces: []string{"web"}}), []string{"web"}},
		{broken("bad-selector", v1alpha1.Match{Namespaces: []string{"web"},
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "bad value!"}}}), []string{"web"}},
		{broken("bad-namespaces", v1alpha1.Match{Namespaces: []string{"Not A Name"},
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "web"}}}), []string{"web"}},
	} {
		snap, err := Compile(Inputs{Layers: []LayerSource{c.layer}, Namespaces: []corev1.Namespace{ns("etl", "data"), ns("web", "web"), ns("ops", "ops")}})
		if err == nil {
			t.Fatalf("%s: compiled", c.layer.Layer.Name)
		}
		var blocked []string
		for _, n := range []string{"etl", "web", "ops"} {
			if err := snap.Blocked(Target{Namespace: n, Role: v1alpha1.RoleExecutor}); err != nil {
				if !strings.Contains(err.Error(), strconv.Quote(c.layer.Layer.Name)) {
					t.Errorf("%s: %v, want it named", c.layer.Layer.Name, err)
				}
				blocked = append(blocked, n)
			}
		}
		if !slices.Equal(blocked, c.blocked) {
			t.Errorf("%s blocks pods in %v, want %v", c.layer.Layer.Name, blocked, c.blocked)
		}
	}
}

// TestRenderValues: how explain shows a toleration and an environment
// variable: every part that is set, and nothing else.
func TestRenderValues(t *testing.T) {
	seconds := int64(30)
	for _, c := range []struct {
		got, want string
	}{
		{RenderToleration(&corev1.Toleration{}), "(empty)"},
		{RenderToleration(&corev1.Toleration{Key: "gpu"}), "gpu"},
		{RenderToleration(&corev1.Toleration{Key: "gpu", Value: "a100", Effect: corev1.TaintEffectNoSchedule}), "gpu=a100:NoSchedule"},
		{RenderToleration(&corev1.Toleration{Operator: corev1.TolerationOpExists}), " op=Exists"},
		{RenderToleration(&corev1.Toleration{Key: "gpu", Operator: corev1.TolerationOpEqual, TolerationSeconds: &seconds}), "gpu for 30s"},
		{RenderEnv(&corev1.EnvVar{Name: "A", Value: `x "y"`}), `"x \"y\""`},
		{RenderEnv(&corev1.EnvVar{Name: "A"}), `""`},
		{RenderEnv(&corev1.EnvVar{Name: "A", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}),
			`from {"fieldRef":{"fieldPath":"metadata.name"}}`},
	} {
		if c.got != c.want {
			t.Errorf("rendered %q, want %q", c.got, c.want)
		}
	}
}
