package manifest

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
)

const exampleRepo = "../../../examples/layers/clusters/prod-a"

func memFS(t *testing.T, files map[string]string) filesys.FileSystem {
	t.Helper()
	fsys := filesys.MakeFsInMemory()
	for name, content := range files {
		if err := fsys.MkdirAll(filepath.Dir(name)); err != nil {
			t.Fatal(err)
		}
		if err := fsys.WriteFile(name, []byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	return fsys
}

const layerYAML = `apiVersion: strata.dev/v1alpha1
kind: Layer
metadata:
  name: %s
spec:
  tier: %s
  config:
    labels: {team: %s}
`

func TestLoadRepoPlainDirectory(t *testing.T) {
	fsys := memFS(t, map[string]string{
		"/repo/b.yaml":     fmt.Sprintf(layerYAML, "b", "ClusterDefaults", "b"),
		"/repo/sub/a.yml":  fmt.Sprintf(layerYAML, "a", "PoolDefaults", "a") + "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: etl, labels: {group: x}}\n",
		"/repo/c.json":     `{"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass","metadata":{"name":"pc"},"value":5}`,
		"/repo/rc.yaml":    "apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata: {name: gvisor}\nhandler: runsc\nscheduling: {nodeSelector: {pool: sandbox}}\n",
		"/repo/other.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ignored}\n",
		"/repo/not-classes.yaml": "apiVersion: v1\nkind: PriorityClass\nmetadata: {name: wrong-group}\nvalue: 7\n---\n" +
			"apiVersion: scheduling.k8s.io/v1\nkind: Other\nmetadata: {name: other-kind}\n",
		"/repo/README.md":       "not read",
		"/repo/.git/HEAD.yaml":  "not: [read",
		"/repo/empty-docs.yaml": "---\n---\n",
	})
	in, err := LoadRepo(fsys, "/repo")
	if err != nil {
		t.Fatal(err)
	}
	var names, files []string
	for _, l := range in.Layers {
		names = append(names, l.Layer.Name)
		files = append(files, l.File)
	}
	if !reflect.DeepEqual(names, []string{"b", "a"}) || !reflect.DeepEqual(files, []string{"/repo/b.yaml", "/repo/sub/a.yml"}) {
		t.Errorf("layers %v from %v", names, files)
	}
	if len(in.Namespaces) != 1 || in.Namespaces[0].Labels["group"] != "x" {
		t.Errorf("namespaces = %+v", in.Namespaces)
	}
	if len(in.PriorityClasses) != 1 || in.PriorityClasses[0].Value != 5 {
		t.Errorf("priority classes = %+v", in.PriorityClasses)
	}
	if len(in.RuntimeClasses) != 1 || in.RuntimeClasses[0].Scheduling.NodeSelector["pool"] != "sandbox" {
		t.Errorf("runtime classes = %+v", in.RuntimeClasses)
	}
	// The cluster's own configuration: its Namespaces and classes, every
	// other object skipped (the Layers too).
	cluster, err := LoadClusterConfig(fsys, []string{"/repo/sub/a.yml", "/repo/c.json", "/repo/rc.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if len(cluster.Layers) != 0 || len(cluster.Namespaces) != 1 || len(cluster.PriorityClasses) != 1 || len(cluster.RuntimeClasses) != 1 {
		t.Errorf("cluster config: %d layers, %d namespaces, %d priority classes, %d runtime classes, want 0, 1, 1, 1",
			len(cluster.Layers), len(cluster.Namespaces), len(cluster.PriorityClasses), len(cluster.RuntimeClasses))
	}
}

func TestLoadRepoKustomizationInMemory(t *testing.T) {
	fsys := memFS(t, map[string]string{
		"/repo/base/kustomization.yaml":    "resources: [layer.yaml]\n",
		"/repo/base/layer.yaml":            fmt.Sprintf(layerYAML, "base", "PoolDefaults", "base"),
		"/repo/overlay/kustomization.yaml": "resources: [../base]\nnamePrefix: prod-\nbuildMetadata: [originAnnotations]\n",
	})
	in, err := LoadRepo(fsys, "/repo/overlay")
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Layers) != 1 || in.Layers[0].Layer.Name != "prod-base" {
		t.Fatalf("layers = %+v", in.Layers)
	}
	if got := in.Layers[0].File; got != "/repo/base/layer.yaml" {
		t.Errorf("file from origin annotation = %q", got)
	}
	if in.Layers[0].Layer.Annotations != nil {
		t.Errorf("origin annotation kept: %v", in.Layers[0].Layer.Annotations)
	}
}

// TestKustomizeAndPlainDirectoryAgree builds the example repository with
// kustomize, writes every built object into a plain directory, loads that
// the plain way and checks both compose the example pods identically.
func TestKustomizeAndPlainDirectoryAgree(t *testing.T) {
	disk := filesys.MakeFsOnDisk()
	viaKustomize, err := LoadRepo(disk, exampleRepo)
	if err != nil {
		t.Fatal(err)
	}
	if len(viaKustomize.Layers) < 5 {
		t.Fatalf("example repo built only %d layers", len(viaKustomize.Layers))
	}
	docs, err := repoDocuments(disk, exampleRepo)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for i, d := range docs {
		y, err := yaml.JSONToYAML(d.Raw)
		if err != nil {
			t.Fatal(err)
		}
		files[fmt.Sprintf("/plain/%02d-%s.yaml", i, strings.ToLower(d.Kind))] = string(y)
	}
	viaPlain, err := LoadRepo(memFS(t, files), "/plain")
	if err != nil {
		t.Fatal(err)
	}
	snapK, err := overlay.Compile(viaKustomize)
	if err != nil {
		t.Fatal(err)
	}
	snapP, err := overlay.Compile(viaPlain)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"driver.yaml", "executor.yaml", "geo-executor.yaml"} {
		data, err := disk.ReadFile(filepath.Join("../../../examples/pods", f))
		if err != nil {
			t.Fatal(err)
		}
		pods, err := DecodePods(f, data)
		if err != nil {
			t.Fatal(err)
		}
		for _, pod := range pods {
			k, err := mutate.Compose(snapK, mutate.Cluster{Name: "prod-a", Pool: "batch"}, pod)
			if err != nil {
				t.Fatal(err)
			}
			p, err := mutate.Compose(snapP, mutate.Cluster{Name: "prod-a", Pool: "batch"}, pod)
			if err != nil {
				t.Fatal(err)
			}
			kj, _ := json.Marshal(k.Pod)
			pj, _ := json.Marshal(p.Pod)
			if string(kj) != string(pj) {
				t.Errorf("%s: kustomize and plain directory compose differently:\n%s\n%s", f, kj, pj)
			}
			if len(k.Composition.Layers) == 0 {
				t.Errorf("%s: no layer matched; the comparison proves nothing", f)
			}
		}
	}
}

func TestLoadRepoErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		dir   string
		want  []string
	}{
		{name: "unknown field",
			files: map[string]string{"/r/l.yaml": "apiVersion: strata.dev/v1alpha1\nkind: Layer\nmetadata: {name: x}\nspec: {tier: PoolDefaults, tierr: 1}\n"},
			want:  []string{`/r/l.yaml: Layer "x": unknown field "spec.tierr"`}},
		{name: "unknown config field",
			files: map[string]string{"/r/l.yaml": "apiVersion: strata.dev/v1alpha1\nkind: Layer\nmetadata: {name: x}\nspec: {tier: PoolDefaults, driver: {sidecar: []}}\n"},
			want:  []string{`/r/l.yaml: Layer "x": unknown field "spec.driver.sidecar"`}},
		{name: "wrong type",
			files: map[string]string{"/r/l.yaml": "apiVersion: strata.dev/v1alpha1\nkind: Layer\nmetadata: {name: x}\nspec: {tier: PoolDefaults, order: first}\n"},
			want:  []string{`/r/l.yaml: Layer "x": spec.order: expected int32, got JSON string`}},
		{name: "a quantity that is none",
			files: map[string]string{"/r/l.yaml": "apiVersion: strata.dev/v1alpha1\nkind: Layer\nmetadata: {name: x}\nspec:\n  tier: PoolDefaults\n  config:\n    limits: {maxPodCPU: \"2\", maxPodMemory: 10QB}\n"},
			want:  []string{`/r/l.yaml: Layer "x": spec.config.limits.maxPodMemory: "10QB": not a quantity: a number with an optional suffix, such as 500m, 2, 1.5Gi or 4e3`}},
		{name: "wrong type in a list's element",
			// YAML 1.1, as kubectl reads it: an unquoted y is true.
			files: map[string]string{"/r/l.yaml": "apiVersion: strata.dev/v1alpha1\nkind: Layer\nmetadata: {name: x}\nspec:\n  tier: PoolDefaults\n  config:\n    env:\n    - {name: A, value: x}\n    - {name: B, value: y}\n"},
			want:  []string{`/r/l.yaml: Layer "x": spec.config.env[1].value: expected string, got JSON bool (in YAML, quote a string that reads as a boolean: an unquoted true, false, yes, no, on, off, y or n is one)`}},
		{name: "duplicate field",
			files: map[string]string{"/r/l.json": `{"apiVersion":"strata.dev/v1alpha1","kind":"Layer","metadata":{"name":"x"},"spec":{"tier":"PoolDefaults","tier":"ClusterDefaults"}}`},
			want:  []string{`/r/l.json: line 1: spec.tier is set twice (first on line 1)`}},
		{name: "duplicate key in YAML",
			files: map[string]string{"/r/l.yaml": "apiVersion: strata.dev/v1alpha1\nkind: Layer\nmetadata: {name: x}\nspec:\n  tier: PoolDefaults\n  config:\n    labels: {a: b}\n    labels: {c: d}\n"},
			want:  []string{`/r/l.yaml: line 8: spec.config.labels is set twice (first on line 7)`}},
		{name: "duplicate key in a kustomization's file",
			files: map[string]string{"/r/kustomization.yaml": "resources: [l.yaml]\n",
				"/r/l.yaml": "apiVersion: strata.dev/v1alpha1\nkind: Layer\nmetadata: {name: x}\nspec:\n  tier: PoolDefaults\n  tier: ClusterDefaults\n"},
			want: []string{`/r/l.yaml: line 6: spec.tier is set twice (first on line 5)`}},
		{name: "a misspelt Strata kind",
			files: map[string]string{"/r/l.yaml": "apiVersion: strata.dev/v1alpha1\nkind: Layers\nmetadata: {name: x}\n"},
			want:  []string{`/r/l.yaml: Layers "x": apiVersion "strata.dev/v1alpha1" kind "Layers": not a Strata object (want apiVersion strata.dev/v1alpha1 kind Layer)`}},
		{name: "a PriorityClass of a version no API server serves",
			files: map[string]string{"/r/pc.yaml": "apiVersion: scheduling.k8s.io/v1beta1\nkind: PriorityClass\nmetadata: {name: hi}\nvalue: 10\n"},
			want:  []string{`/r/pc.yaml: PriorityClass "hi": apiVersion "scheduling.k8s.io/v1beta1" of kind PriorityClass: Strata reads scheduling.k8s.io/v1 (as the API server stores it: kubectl get -o yaml)`}},
		{name: "a Namespace of a version that is none",
			files: map[string]string{"/r/ns.yaml": "apiVersion: v2\nkind: Namespace\nmetadata: {name: etl}\n"},
			want:  []string{`/r/ns.yaml: Namespace "etl": apiVersion "v2" of kind Namespace: Strata reads v1`}},
		{name: "an admission policy of an alpha version",
			files: map[string]string{"/r/map.yaml": "apiVersion: admissionregistration.k8s.io/v1alpha1\nkind: MutatingAdmissionPolicy\nmetadata: {name: m}\n"},
			want: []string{`/r/map.yaml: MutatingAdmissionPolicy "m": apiVersion "admissionregistration.k8s.io/v1alpha1" of kind MutatingAdmissionPolicy: ` +
				`Strata reads admissionregistration.k8s.io/v1 or admissionregistration.k8s.io/v1beta1`}},
		{name: "a Layer of another group",
			files: map[string]string{"/r/l.yaml": "apiVersion: strata.io/v1alpha1\nkind: Layer\nmetadata: {name: x}\n"},
			want:  []string{`/r/l.yaml: Layer "x": apiVersion "strata.io/v1alpha1" kind "Layer": not a Strata object`}},
		{name: "a quantity of a huge exponent, which would take minutes to decode",
			files: map[string]string{"/r/l.yaml": "apiVersion: strata.dev/v1alpha1\nkind: Layer\nmetadata: {name: x}\nspec: {tier: PoolDefaults, config: {limits: {maxPodCPU: \"1e-999999999\"}}}\n"},
			want:  []string{`/r/l.yaml: Layer "x": spec.config.limits.maxPodCPU: "1e-999999999": a quantity of more than 64 characters or of an exponent beyond ±99`}},
		{name: "bad version",
			files: map[string]string{"/r/l.yaml": "apiVersion: strata.dev/v1\nkind: Layer\nmetadata: {name: x}\nspec: {tier: PoolDefaults}\n"},
			want:  []string{`/r/l.yaml: Layer "x": apiVersion: unsupported version "strata.dev/v1" (want strata.dev/v1alpha1)`}},
		{name: "bad yaml",
			files: map[string]string{"/r/l.yaml": "apiVersion: v1\nkind: [\n"},
			want:  []string{`/r/l.yaml: document 1: not valid YAML or JSON`}},
		{name: "not an object",
			files: map[string]string{"/r/l.yaml": "- a\n- b\n"},
			want:  []string{`/r/l.yaml: document 1: expected a Kubernetes object`}},
		{name: "every error reported",
			files: map[string]string{
				"/r/a.yaml": "apiVersion: strata.dev/v1alpha1\nkind: Layer\nmetadata: {name: a}\nspec: {tier: PoolDefaults, x: 1}\n",
				"/r/b.yaml": "apiVersion: strata.dev/v1alpha1\nkind: Layer\nmetadata: {name: b}\nspec: {tier: PoolDefaults, z: 1}\n",
			},
			want: []string{`/r/a.yaml: Layer "a": unknown field "spec.x"`, `/r/b.yaml: Layer "b": unknown field "spec.z"`}},
		{name: "missing directory", files: map[string]string{"/r/x.yaml": ""}, dir: "/nope",
			want: []string{"/nope: not a directory"}},
		{name: "kustomize error",
			files: map[string]string{"/r/kustomization.yaml": "resources: [missing.yaml]\n"},
			want:  []string{"/r: kustomize build:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tt.dir
			if dir == "" {
				dir = "/r"
			}
			_, err := LoadRepo(memFS(t, tt.files), dir)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// An admission policy or binding written in v1beta1, which the API server
// serves and stores as v1, is read as v1: not left among the params, where
// the dry run would not know it was in force. A kind of that name in
// another group is a param.
func TestLoadRepoReadsServedBetaVersions(t *testing.T) {
	fsys := memFS(t, map[string]string{"/r/all.yaml": `apiVersion: admissionregistration.k8s.io/v1beta1
kind: ValidatingAdmissionPolicy
metadata: {name: strata-namespace-placement}
spec:
  failurePolicy: Fail
  validations: [{expression: "true"}]
---
apiVersion: admissionregistration.k8s.io/v1beta1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: strata-namespace-placement}
spec: {policyName: strata-namespace-placement, validationActions: [Deny]}
---
apiVersion: admissionregistration.k8s.io/v1beta1
kind: MutatingAdmissionPolicy
metadata: {name: m}
spec: {reinvocationPolicy: Never}
---
apiVersion: admissionregistration.k8s.io/v1beta1
kind: MutatingAdmissionPolicyBinding
metadata: {name: m}
spec: {policyName: m}
---
apiVersion: tenancy.example.com/v1
kind: Namespace
metadata: {name: a-param}
`})
	in, err := LoadRepo(fsys, "/r")
	if err != nil {
		t.Fatal(err)
	}
	got := []int{len(in.AdmissionPolicies), len(in.AdmissionPolicyBindings), len(in.MutatingPolicies.Policies), len(in.MutatingPolicies.Bindings), len(in.MutatingPolicies.Params), len(in.Namespaces)}
	if !reflect.DeepEqual(got, []int{1, 1, 1, 1, 1, 0}) {
		t.Fatalf("read %v policies, bindings, mutating policies, their bindings, params and Namespaces; want 1, 1, 1, 1, 1, 0", got)
	}
	for _, v := range []string{in.AdmissionPolicies[0].APIVersion, in.AdmissionPolicyBindings[0].APIVersion, in.MutatingPolicies.Policies[0].APIVersion, in.MutatingPolicies.Bindings[0].APIVersion} {
		if v != "admissionregistration.k8s.io/v1" {
			t.Errorf("read as %q, want admissionregistration.k8s.io/v1", v)
		}
	}
	if in.MutatingPolicies.Params[0].GetName() != "a-param" {
		t.Errorf("params %v, want a-param", in.MutatingPolicies.Params)
	}
}
