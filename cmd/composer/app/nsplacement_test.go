package app

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/strata-dev/strata/test/fixtures"
)

// TestNamespacePlacementInTheDryRun: compose --validate judges a pod as the
// webhook does, what the namespace's PodNodeSelector and
// PodTolerationRestriction annotations give it being the platform's, from
// the Namespace --cluster-config (or --layers, or the cluster) gives while
// the shipped policy keeping those annotations to platform admins is among
// them, and notes what those annotations give.
func TestNamespacePlacementInTheDryRun(t *testing.T) {
	dir := t.TempDir()
	write := writerIn(t, dir)
	write("layers/layer.yaml", `apiVersion: strata.dev/v1alpha1
kind: Layer
metadata: {name: isolation}
spec:
  tier: ClusterOverrides
  config:
    isolation:
      reservedNodeSelectors: [node.strata.dev/pool=core]
      allowedTolerations: [{key: node.strata.dev/spot}]
`)
	pinned := write("cluster/pinned.yaml", `apiVersion: v1
kind: Namespace
metadata:
  name: pinned
  annotations:
    scheduler.alpha.kubernetes.io/node-selector: node.strata.dev/pool=core
    scheduler.alpha.kubernetes.io/defaultTolerations: '[{"key": "node.strata.dev/core", "operator": "Exists", "effect": "NoSchedule"}]'
`)
	bare := write("cluster/bare.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: pinned}\n")
	// The executor as the API server stores it in the pinned namespace.
	pod := write("pod.yaml", `apiVersion: v1
kind: Pod
metadata:
  name: exec-1
  namespace: pinned
  labels: {spark-role: executor, spark-app-selector: spark-1}
spec:
  nodeSelector: {node.strata.dev/pool: core}
  tolerations:
  - {key: node.strata.dev/core, operator: Exists, effect: NoSchedule}
  - {key: node.kubernetes.io/memory-pressure, operator: Exists, effect: NoSchedule}
  containers:
  - name: spark-kubernetes-executor
    image: apache/spark:3.5.3
    resources: {requests: {cpu: "1", memory: 1Gi}}
`)
	// The shipped policy that keeps the annotations to platform admins,
	// as the cluster holds it.
	guard := fixtures.NamespaceGuardFile()
	args := []string{"compose", "-f", pod, "--layers", filepath.Join(dir, "layers"), "--cluster", "c", "--pool", "p", "--validate", "--cluster-config"}
	// The composer does not add what the plugins would (whether a cluster
	// enables them is not among its inputs), and says so.
	const gives = `Note: Pod pinned/exec-1: Namespace "pinned" gives its pods node selector node.strata.dev/pool=core and tolerations "node.strata.dev/core:NoSchedule op=Exists" where the cluster enables the PodNodeSelector and PodTolerationRestriction admission plugins: not added here, --admission-plugins not naming them; `
	if r, want := composer(t, "", append(args, pinned+","+guard)...), gives+"from its annotations, judged as the platform's where a pod holds them\n"; r.code != ExitOK || r.err != want {
		t.Errorf("in the pinned namespace: exit %d, stderr:\n%s\nwant\n%s", r.code, r.err, want)
	}
	denied := func(r run) bool {
		return r.code == ExitDenied && strings.Contains(r.err, `node selector "node.strata.dev/pool=core" is reserved`) &&
			strings.Contains(r.err, `toleration "node.strata.dev/core:NoSchedule op=Exists" is not allowed`) && !strings.Contains(r.err, "memory-pressure")
	}
	if r := composer(t, "", append(args, bare+","+guard)...); !denied(r) || strings.Contains(r.err, "Note:") {
		t.Errorf("in a namespace without the annotations: exit %d, stderr:\n%s", r.code, r.err)
	}
	// Without the policy, a tenant may have written the annotations.
	if r := composer(t, "", append(args, pinned)...); !denied(r) ||
		!strings.Contains(r.err, gives+"from its annotations, judged as the tenant's where a pod holds them, the strata-namespace-placement policy not being in force\n") {
		t.Errorf("in the pinned namespace, the annotations unguarded: exit %d, stderr:\n%s", r.code, r.err)
	}

	// The API server's AdmissionConfiguration among the cluster's files
	// gives the cluster's defaults to a namespace without annotations:
	// the platform's, with or without the policy.
	admission := write("cluster/admission.yaml", `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodNodeSelector
  configuration: {podNodeSelectorPluginConfig: {clusterDefaultNodeSelector: node.strata.dev/pool=core}}
- name: PodTolerationRestriction
  configuration:
    apiVersion: podtolerationrestriction.admission.k8s.io/v1alpha1
    kind: Configuration
    default: [{key: node.strata.dev/core, operator: Exists, effect: NoSchedule}]
`)
	const defaults = `Note: Pod pinned/exec-1: Namespace "pinned" gives its pods node selector node.strata.dev/pool=core and tolerations "node.strata.dev/core:NoSchedule op=Exists" where the cluster enables the PodNodeSelector and PodTolerationRestriction admission plugins: not added here, --admission-plugins not naming them; from the cluster's defaults, judged as the platform's where a pod holds them` + "\n"
	for _, files := range []string{bare + "," + admission, bare + "," + guard + "," + admission} {
		if r := composer(t, "", append(args, files)...); r.code != ExitOK || r.err != defaults {
			t.Errorf("--cluster-config %s: exit %d, stderr:\n%s\nwant\n%s", files, r.code, r.err, defaults)
		}
	}
	// Where the namespace's annotation replaces a default, the pod's
	// holding it is the tenant's.
	own := write("cluster/own.yaml", `apiVersion: v1
kind: Namespace
metadata:
  name: pinned
  annotations: {scheduler.alpha.kubernetes.io/defaultTolerations: "[]"}
`)
	if r := composer(t, "", append(args, own+","+guard+","+admission)...); r.code != ExitDenied ||
		!strings.Contains(r.err, `Namespace "pinned" gives its pods node selector node.strata.dev/pool=core where the cluster enables`) ||
		!strings.Contains(r.err, `toleration "node.strata.dev/core:NoSchedule op=Exists" is not allowed`) || strings.Contains(r.err, "is reserved") {
		t.Errorf("the namespace's own tolerations: exit %d, stderr:\n%s", r.code, r.err)
	}
}

// TestClusterPlacementInPolicyTests: composer test takes the API server's
// AdmissionConfiguration (admission), whose placement plugins' defaults
// are the platform's where a case's pod holds them, as the webhook judges
// it; a namespace's own annotation replacing a default leaves the pod's
// holding it the tenant's.
func TestClusterPlacementInPolicyTests(t *testing.T) {
	dir := t.TempDir()
	write := writerIn(t, dir)
	write("layers/layer.yaml", `apiVersion: strata.dev/v1alpha1
kind: Layer
metadata: {name: isolation}
spec:
  tier: ClusterOverrides
  config:
    isolation:
      reservedNodeSelectors: [node.strata.dev/zone]
      allowedTolerations: [{key: node.strata.dev/spot}]
`)
	write("admission.yaml", `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodNodeSelector
  path: selector.yaml
`)
	write("selector.yaml", "podNodeSelectorPluginConfig: {clusterDefaultNodeSelector: node.strata.dev/zone=shared}\n")
	write("pod.yaml", `apiVersion: v1
kind: Pod
metadata:
  name: exec-1
  namespace: etl
  labels: {spark-role: executor, spark-app-selector: spark-1}
spec:
  nodeSelector: {node.strata.dev/zone: shared}
  containers:
  - name: spark-kubernetes-executor
    image: apache/spark:3.5.3
    resources: {requests: {cpu: "1", memory: 1Gi}}
`)
	const file = `apiVersion: strata.dev/v1alpha1
kind: PolicyTest
metadata: {name: cluster-placement}
layers: layers
admission: admission.yaml
cluster: c
pool: p
cases:
  - name: given the cluster's default
    pod: pod.yaml
    expect: {allowed: true}
`
	suite := write("t.yaml", file)
	if r := composer(t, "", "test", suite); r.code != ExitOK || !strings.Contains(r.out, "1 passed, 0 failed") {
		t.Errorf("the cluster's default: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	// Without the configuration, the same pod is the tenant's.
	write("t.yaml", strings.Replace(file, "admission: admission.yaml\n", "", 1))
	if r := composer(t, "", "test", suite); r.code == ExitOK || !strings.Contains(r.out, "0 passed, 1 failed") {
		t.Errorf("without the configuration: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
}

// TestPlacementRefusalInTheDryRun: compose -o explain warns, as the
// webhook does,
// that a layer's node selector conflicts with the one the pod's namespace
// is pinned to, which the API server's PodNodeSelector refuses.
func TestPlacementRefusalInTheDryRun(t *testing.T) {
	dir := t.TempDir()
	write := writerIn(t, dir)
	write("layers/layer.yaml", `apiVersion: strata.dev/v1alpha1
kind: Layer
metadata: {name: batch}
spec:
  tier: ClusterOverrides
  config: {nodeSelector: {node.strata.dev/pool: batch}}
`)
	ml := write("cluster/ml.yaml", `apiVersion: v1
kind: Namespace
metadata:
  name: ml
  annotations: {scheduler.alpha.kubernetes.io/node-selector: node.strata.dev/pool=gpu}
`)
	pod := write("pod.yaml", `apiVersion: v1
kind: Pod
metadata:
  name: exec-1
  namespace: ml
  labels: {spark-role: executor}
spec:
  nodeSelector: {node.strata.dev/pool: gpu}
  containers:
  - {name: spark-kubernetes-executor, image: apache/spark:3.5.3}
`)
	r := composer(t, "", "compose", "-f", pod, "--layers", filepath.Join(dir, "layers"), "--cluster", "c", "--pool", "p", "--cluster-config", ml, "-o", "explain")
	const want = `The API server will refuse the pod for what the layers set of its placement in namespace "ml": ` +
		`PodNodeSelector: node selector node.strata.dev/pool=batch conflicts with the namespace's node.strata.dev/pool=gpu`
	if !strings.Contains(r.out, "Warning: "+want) {
		t.Errorf("exit %d, stdout:\n%s\nwant a warning containing %q", r.code, r.out, want)
	}
	// And of the Layer, as the repository is read.
	layer := "Warning: " + filepath.Join(dir, "layers", "layer.yaml") + `: Layer "batch": spec: the API server will refuse the Spark driver and executor pods this Layer composes in namespace "ml": ` +
		`PodNodeSelector: node selector node.strata.dev/pool=batch conflicts with the namespace's node.strata.dev/pool=gpu`
	if !strings.Contains(r.err, layer) {
		t.Errorf("stderr:\n%s\nwant %q", r.err, layer)
	}
}
