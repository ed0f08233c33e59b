package mutate

import (
	"context"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/manifest"
)

// layerWarningsRepo is a repository whose Layer breaks what each of the
// API server's later admissions requires of the pods it composes in etl:
// the class it names tolerates a taint etl's whitelist does not cover
// (PodTolerationRestriction, seen only with the RuntimeClass), its
// sidecar runs as root where restricted is enforced (PodSecurity), and
// requests more CPU than etl's LimitRange allows a container (LimitRanger).
const layerWarningsRepo = `
apiVersion: strata.dev/v1alpha1
kind: Layer
metadata: {name: sandboxed}
spec:
  tier: ClusterOverrides
  match: {namespaces: [etl]}
  config:
    runtimeClassName: gvisor
    sidecars:
    - name: shipper
      image: fluent/fluent-bit:3.1.9
      resources: {requests: {cpu: "2", memory: 64Mi}, limits: {cpu: "2", memory: 64Mi}}
---
apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata: {name: gvisor}
handler: runsc
scheduling:
  tolerations:
  - {key: sandbox, operator: Exists, effect: NoSchedule}
---
apiVersion: v1
kind: Namespace
metadata:
  name: etl
  labels: {pod-security.kubernetes.io/enforce: restricted}
  annotations:
    scheduler.alpha.kubernetes.io/tolerationsWhitelist: '[{"key":"spark","operator":"Exists"}]'
---
apiVersion: v1
kind: LimitRange
metadata: {name: small, namespace: etl}
spec:
  limits:
  - type: Container
    max: {cpu: "1"}
`

// The composer warns of a repository's Layers exactly as the Layer webhook
// warns of each, judged against the snapshot of everything else: a
// warning of a kind the webhook gives and the dry run would not (the
// RuntimeClass's tolerations, which a repository's own classes give)
// fails here.
func TestLayerWarningsOfAreTheWebhooks(t *testing.T) {
	fsys := filesys.MakeFsInMemory()
	if err := fsys.WriteFile("repo/all.yaml", []byte(layerWarningsRepo)); err != nil {
		t.Fatal(err)
	}
	in, err := manifest.LoadRepo(fsys, "repo")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cluster := Cluster{Name: "prod-a", Pool: "batch"}
	served, err := overlay.Compile(in)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range in.Layers {
		for _, w := range LayerWarnings(ctx, &in.Layers[i].Layer, cluster, served) {
			want = append(want, in.Layers[i].Describe()+w)
		}
	}
	for _, kind := range []string{"PodTolerationRestriction", "Pod Security", "LimitRange"} {
		if !slices.ContainsFunc(want, func(w string) bool { return strings.Contains(w, kind) }) {
			t.Errorf("the webhook's warnings name no %s refusal, which the test means to hold the dry run to:\n%s", kind, strings.Join(want, "\n"))
		}
	}
	if got := LayerWarningsOf(ctx, in, cluster); !slices.Equal(got, want) {
		t.Errorf("the composer warns\n%s\nthe webhook\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
