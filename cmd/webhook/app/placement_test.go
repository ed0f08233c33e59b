package app

import (
	"bytes"
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/yaml"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// TestLayerWarningsReadTheCluster: the Layer webhook reads the
// Namespaces of a Layer's placement controllers, and the RuntimeClasses it
// names, from the cluster: one it cannot find does not exist, one it
// cannot read is warned of as such, and without a reader there is none of
// them to warn of; a Spark key spark-submit ignores is warned of either
// way. What each warning says is overlay's (TestLayerWarnings,
// TestPlacementWarnings, TestRuntimeClassWarnings there).
func TestLayerWarningsReadTheCluster(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := nodev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	namespaces := fake.NewClientBuilder().WithScheme(scheme).WithObjects(
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kueue-system", Labels: map[string]string{overlay.ExemptLabel: "true"}}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a"}},
		&nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "gvisor"}, Handler: "runsc"},
	).Build()
	l := &v1alpha1.Layer{Spec: v1alpha1.LayerSpec{
		Config: &v1alpha1.Config{SparkConf: map[string]string{"hive.metastore.uris": "thrift://hms:9083"},
			Isolation: &v1alpha1.Isolation{PlacementControllers: []string{
				"system:serviceaccount:kueue-system:kueue-controller-manager",
				"system:serviceaccount:team-a:placer",
			}}, RuntimeClassName: new("gvisor")},
		Executor: &v1alpha1.Config{Isolation: &v1alpha1.Isolation{PlacementControllers: []string{"system:serviceaccount:ghost:placer"}},
			RuntimeClassName: new("kata")},
	}}
	got := layerWarnings(context.Background(), namespaces, l)
	ignored := `spec.config.sparkConf[hive.metastore.uris]: spark-submit ignores keys that do not start with "spark." (a Hadoop setting is hadoopConf's, or spark.hadoop.<key>)`
	want := []string{
		ignored,
		`spec.config.isolation.placementControllers[1]: "system:serviceaccount:team-a:placer" is a service account of namespace "team-a", which is not the platform's (strata.dev/exempt=true): whoever administers it may impersonate the account and place pods on reserved nodes`,
		`spec.executor.isolation.placementControllers[0]: "system:serviceaccount:ghost:placer" is a service account of namespace "ghost", which does not exist: unless tenants administer it, label it strata.dev/exempt=true`,
		`spec.executor.runtimeClassName: RuntimeClass "kata" does not exist: the webhook refuses every pod this Layer gives a class that does not exist`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := layerWarnings(context.Background(), nil, l); !slices.Equal(got, []string{ignored}) {
		t.Errorf("without a reader: %q, want %q", got, ignored)
	}
	failing := fake.NewClientBuilder().WithScheme(scheme).WithInterceptorFuncs(interceptor.Funcs{
		Get: func(context.Context, client.WithWatch, client.ObjectKey, client.Object, ...client.GetOption) error {
			return errors.New("the API server is away")
		},
	}).Build()
	l.Spec.Config = nil
	want = []string{`spec.executor.isolation.placementControllers[0]: "system:serviceaccount:ghost:placer": cannot read Namespace "ghost" to tell whether tenants administer it: the API server is away`,
		`spec.executor.runtimeClassName: cannot read RuntimeClass "kata" to tell whether it exists: the API server is away`}
	if got := layerWarnings(context.Background(), failing, l); !slices.Equal(got, want) {
		t.Errorf("an unreadable Namespace and RuntimeClass: %q, want %q", got, want)
	}
}

// TestPlatformNamespacesAreTheManifests: overlay.PlatformNamespaces are exactly the
// namespaces every shipped webhook of namespaced objects leaves out by
// name.
func TestPlatformNamespacesAreTheManifests(t *testing.T) {
	data, err := os.ReadFile("../../../manifests/base/webhooks.yaml")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, doc := range bytes.Split(data, []byte("\n---\n")) {
		var cfg struct {
			Webhooks []struct {
				Name              string                `json:"name"`
				NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector"`
			} `json:"webhooks"`
		}
		if err := yaml.Unmarshal(doc, &cfg); err != nil {
			t.Fatal(err)
		}
		for _, w := range cfg.Webhooks {
			if w.NamespaceSelector == nil { // of Layers, cluster-scoped
				continue
			}
			seen++
			var named []string
			for _, e := range w.NamespaceSelector.MatchExpressions {
				if e.Key == corev1.LabelMetadataName && e.Operator == metav1.LabelSelectorOpNotIn {
					named = e.Values
				}
			}
			if want := overlay.PlatformNamespaces(); !slices.Equal(named, want) {
				t.Errorf("webhook %s leaves out %q by name, overlay.PlatformNamespaces %q", w.Name, named, want)
			}
		}
	}
	if seen < 5 {
		t.Fatalf("%d webhooks of namespaced objects read, want the five shipped", seen)
	}
}
