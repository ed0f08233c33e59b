package mutate

import (
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/yaml"
	psaapi "k8s.io/pod-security-admission/api"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// TestLayerPodSecurityWarnings: a Layer whose additions break the Pod
// Security level namespaces it matches enforce is warned of once per
// level, naming the first such namespace, the others, the broken checks
// and what it adds; nothing for what meets the level, for namespaces it
// does not match, another cluster's Layer or a Shadow one.
func TestLayerPodSecurityWarnings(t *testing.T) {
	enforcing := func(name, level string) corev1.Namespace {
		ns := corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
		if level != "" {
			ns.Labels = map[string]string{psaapi.EnforceLevelLabel: level}
		}
		return ns
	}
	namespaces := []corev1.Namespace{enforcing("a", "baseline"), enforcing("b", "baseline"), enforcing("c", "restricted"), enforcing("d", ""),
		enforcing("e", "baseline"), enforcing("f", "baseline"), enforcing("g", "baseline"), enforcing("h", "baseline"), enforcing("unmatched", "baseline")}
	served, err := overlay.Compile(overlay.Inputs{Namespaces: namespaces})
	if err != nil {
		t.Fatal(err)
	}
	const hostPath = `{volumes: [{name: node-logs, hostPath: {path: /var/log/spark}}]}`
	for _, tc := range []struct {
		name  string
		layer string
		want  []string
	}{
		{name: "a hostPath volume", layer: `{tier: ClusterOverrides, match: {namespaces: [a, b, c, d]}, config: ` + hostPath + `}`,
			want: []string{
				`spec: the Spark driver and executor pods this Layer composes in namespaces "a" and "b" break the Pod Security "baseline:latest" enforced there: hostPath volumes (volume "node-logs"); ` +
					`added: volume "node-logs" (ClusterOverrides layer "l"). The API server's PodSecurity admission will refuse them unless its configuration exempts them`,
				`spec: the Spark driver and executor pods this Layer composes in namespace "c" break the Pod Security "restricted:latest" enforced there: `,
			}},
		{name: "many namespaces", layer: `{tier: ClusterOverrides, match: {namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [unmatched, c]}]}}, config: ` + hostPath + `}`,
			want: []string{`in namespaces "a", "b", "e", "f" and 2 more break the Pod Security "baseline:latest"`}},
		{name: "an executor's block", layer: `{tier: ClusterDefaults, match: {namespaces: [a]}, executor: {sidecars: [{name: shipper, image: s:1, securityContext: {privileged: true}}]}}`,
			want: []string{`spec: the Spark executor pods this Layer composes in namespace "a" break the Pod Security "baseline:latest" enforced there: privileged (container "shipper" must not set securityContext.privileged=true); added: sidecar "shipper" (ClusterDefaults layer "l")`}},
		{name: "what meets the level", layer: `{tier: ClusterOverrides, match: {namespaces: [a, b]}, config: {labels: {team: x}, sidecars: [{name: shipper, image: s:1}]}}`},
		{name: "another cluster's", layer: `{tier: ClusterOverrides, match: {clusters: [other], namespaces: [a]}, config: ` + hostPath + `}`},
		{name: "a namespace that enforces nothing", layer: `{tier: ClusterOverrides, match: {namespaces: [d, unknown]}, config: ` + hostPath + `}`},
		{name: "a Shadow layer", layer: `{tier: ClusterOverrides, mode: Shadow, match: {namespaces: [a]}, config: ` + hostPath + `}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var l v1alpha1.Layer
			if err := yaml.Unmarshal([]byte(tc.layer), &l.Spec); err != nil {
				t.Fatal(err)
			}
			l.Name = "l"
			got := LayerPodSecurityWarnings(&l, cluster, served)
			if len(got) != len(tc.want) {
				t.Fatalf("warnings %q, want %d", got, len(tc.want))
			}
			for i, part := range tc.want {
				if !strings.Contains(got[i], part) {
					t.Errorf("warning %q\nlacks %q", got[i], part)
				}
			}
			if again := LayerPodSecurityWarnings(&l, cluster, served); !reflect.DeepEqual(again, got) {
				t.Errorf("warned %q, then %q", got, again)
			}
		})
	}
}
