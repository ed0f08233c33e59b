package app

import (
	"path/filepath"
	"strings"
	"testing"
)

// quotaConfig is a ResourceQuota of namespace etl bounding hard, as a
// cluster's configuration holds it.
func quotaConfig(hard string) string {
	return `apiVersion: v1
kind: ResourceQuota
metadata: {name: compute, namespace: etl}
spec:
  hard: {` + hard + `}
`
}

// TestResourceQuotaInTheDryRun: given the cluster's ResourceQuotas, the
// composer warns of a Layer whose sidecar a quota would refuse, and its
// --validate refuses, in the API server's words, a pod one of
// whose containers (the layer's sidecar) leaves unsaid what a quota of
// its namespace bounds, and an application by the pods it launches; not
// where the quota bounds nothing a container must say. A ResourceQuota
// without a namespace is bad input naming the file and the object.
func TestResourceQuotaInTheDryRun(t *testing.T) {
	dir, _, pod := limitsRepo(t)
	write := writerIn(t, dir)
	cpu := write("cluster/cpu.yaml", quotaConfig(`limits.cpu: "100"`))
	app := write("app.yaml", reportApp("etl", "4g"))
	compose := func(file, config string) run {
		return composer(t, "", "compose", "-f", file, "--layers", filepath.Join(dir, "layers"), "--cluster", "c", "--pool", "p", "--cluster-config", config, "--validate", "-o", "json")
	}
	r := compose(pod, cpu)
	const refusal = "resource-quota: failed quota: compute: must specify limits.cpu for: log-shipper,spark-kubernetes-executor (the API server's ResourceQuota admission"
	if r.code != ExitDenied || !strings.Contains(r.err, refusal) {
		t.Errorf("a pod: exit %d, stderr:\n%s\nwant %q", r.code, r.err, refusal)
	}
	// The composer reading the repository warns of the Layer that adds
	// the sidecar.
	if want := `Warning: ` + filepath.Join(dir, "layers", "layer.yaml") + `: Layer "log-shipper": spec: the API server will refuse the Spark driver and executor pods this Layer composes in namespace "etl": ` +
		`failed quota: compute: must specify limits.cpu for: log-shipper`; !strings.Contains(r.err, want) {
		t.Errorf("stderr:\n%s\nwant %q", r.err, want)
	}
	r = compose(app, cpu)
	const launched = `resource-quota: SparkApplication "report": executor pod: failed quota: compute: must specify limits.cpu for: log-shipper`
	if r.code != ExitDenied || !strings.Contains(r.err, launched) {
		t.Errorf("an application: exit %d, stderr:\n%s\nwant %q", r.code, r.err, launched)
	}
	pods := write("cluster/pods.yaml", quotaConfig(`pods: "100", requests.ephemeral-storage: 1Ti`))
	if r := compose(pod, pods); r.code != ExitOK || strings.Contains(r.err, "resource-quota") {
		t.Errorf("a quota of pods and ephemeral storage: exit %d, stderr:\n%s", r.code, r.err)
	}
	bad := write("cluster/bad.yaml", strings.Replace(quotaConfig(`pods: "1"`), ", namespace: etl", "", 1))
	r = compose(pod, bad)
	if want := bad + `: ResourceQuota "compute": metadata.namespace: Required value`; r.code != ExitInput || !strings.Contains(r.err, want) {
		t.Errorf("exit %d, stderr:\n%s\nwant %q", r.code, r.err, want)
	}
}

// TestResourceQuotaInPolicyTests: a suite's cases are judged by the
// ResourceQuotas of its layers directory.
func TestResourceQuotaInPolicyTests(t *testing.T) {
	dir, _, _ := limitsRepo(t)
	write := writerIn(t, dir)
	write("layers/quota.yaml", quotaConfig(`limits.cpu: "100"`))
	file := write("t.yaml", `apiVersion: strata.dev/v1alpha1
kind: PolicyTest
metadata: {name: quotas}
layers: layers
cluster: c
pool: p
cases:
  - name: the sidecar without a cpu limit
    pod: pod.yaml
    expect:
      allowed: false
      violations:
      - policy: resource-quota
        message: "resource-quota: failed quota: compute: must specify limits.cpu for: log-shipper,spark-kubernetes-executor (the API server's ResourceQuota admission refuses the pod last, after the validating webhooks)"
`)
	if r := composer(t, "", "test", file); r.code != ExitOK || !strings.Contains(r.out, "1 passed, 0 failed") {
		t.Errorf("exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	// Without the quota, the case fails: nothing refuses the pod.
	write("layers/quota.yaml", "")
	if r := composer(t, "", "test", file); r.code != ExitDenied || !strings.Contains(r.out, "0 passed, 1 failed") {
		t.Errorf("without the ResourceQuota: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
}

// TestLimitedResourcesInPolicyTests: a suite's admission configuration
// may limit a priority class to namespaces with a quota of it (the
// ResourceQuota admission's limitedResources): a layer giving pods that
// class has them refused, in the API server's words, where no quota of
// the suite's layers directory covers it, and admitted where one does.
func TestLimitedResourcesInPolicyTests(t *testing.T) {
	dir, _, _ := limitsRepo(t)
	write := writerIn(t, dir)
	write("layers/critical.yaml", `apiVersion: strata.dev/v1alpha1
kind: Layer
metadata: {name: critical}
spec:
  tier: NamespaceOverrides
  match: {namespaces: [etl]}
  config: {priorityClassName: spark-critical}
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: spark-critical}
value: 900000
`)
	write("admission.yaml", `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: ResourceQuota
  configuration:
    apiVersion: apiserver.config.k8s.io/v1
    kind: ResourceQuotaConfiguration
    limitedResources:
    - resource: pods
      matchScopes: [{scopeName: PriorityClass, operator: In, values: [spark-critical]}]
`)
	file := write("t.yaml", `apiVersion: strata.dev/v1alpha1
kind: PolicyTest
metadata: {name: limited}
layers: layers
admission: admission.yaml
cluster: c
pool: p
cases:
  - name: a limited class without its quota
    pod: pod.yaml
    expect:
      allowed: false
      violations:
      - policy: resource-quota
        message: "resource-quota: insufficient quota to match these scopes: [{PriorityClass In [spark-critical]}] (the API server's ResourceQuota admission refuses the pod last, after the validating webhooks)"
`)
	if r := composer(t, "", "test", file); r.code != ExitOK || !strings.Contains(r.out, "1 passed, 0 failed") {
		t.Errorf("exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	// Composing from the repository warns of the Layer that gives the
	// class, in the namespace it holds that no quota covers it in.
	write("layers/namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: etl}\n")
	r := composer(t, "", "compose", "-f", filepath.Join(dir, "pod.yaml"), "--layers", filepath.Join(dir, "layers"), "--cluster", "c", "--pool", "p",
		"--cluster-config", filepath.Join(dir, "admission.yaml"), "--validate", "-o", "json")
	if want := `Layer "critical": spec: the API server will refuse the Spark driver and executor pods this Layer composes in namespace "etl": ` +
		`insufficient quota to match these scopes: [{PriorityClass In [spark-critical]}]`; r.code != ExitDenied || !strings.Contains(r.err, want) {
		t.Errorf("compose: exit %d, stderr:\n%s\nwant %q", r.code, r.err, want)
	}
	// A quota of the class covers it: nothing refuses the pod.
	write("layers/quota.yaml", `apiVersion: v1
kind: ResourceQuota
metadata: {name: critical, namespace: etl}
spec:
  hard: {pods: "10"}
  scopeSelector: {matchExpressions: [{scopeName: PriorityClass, operator: In, values: [spark-critical]}]}
`)
	if r := composer(t, "", "test", file); r.code != ExitDenied || !strings.Contains(r.out, "0 passed, 1 failed") {
		t.Errorf("with the ResourceQuota: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
}

// TestUnreadableLimitedScope: a priority class scope of limitedResources
// the ResourceQuota admission cannot read (In without values, which the
// API server does not validate) has it judge no pod by any quota: the dry
// run admits the pod a quota of cpu limits would refuse, and warns why.
func TestUnreadableLimitedScope(t *testing.T) {
	dir, _, pod := limitsRepo(t)
	write := writerIn(t, dir)
	quota := write("cluster/cpu.yaml", quotaConfig(`limits.cpu: "100"`))
	admission := func(scope string) string {
		return write("cluster/admission.yaml", `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: ResourceQuota
  configuration:
    apiVersion: apiserver.config.k8s.io/v1
    kind: ResourceQuotaConfiguration
    limitedResources:
    - resource: pods
      matchScopes: [`+scope+`]
`)
	}
	compose := func(config string) run {
		return composer(t, "", "compose", "-f", pod, "--layers", filepath.Join(dir, "layers"), "--cluster", "c", "--pool", "p",
			"--cluster-config", quota+","+config, "--validate", "-o", "json")
	}
	if r := compose(admission(`{scopeName: PriorityClass, operator: In, values: [spark-critical]}`)); r.code != ExitDenied || !strings.Contains(r.err, "resource-quota: failed quota: compute") {
		t.Errorf("a readable scope: exit %d, stderr:\n%s", r.code, r.err)
	}
	r := compose(admission(`{scopeName: PriorityClass, operator: In}`))
	if r.code != ExitOK || strings.Contains(r.err, "resource-quota") {
		t.Errorf("an unreadable scope: exit %d, stderr:\n%s", r.code, r.err)
	}
	// And says so.
	if want := "Warning: the API server's ResourceQuota admission cannot read limitedResources[0].matchScopes[0]: " +
		"values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty, and so judges no pod of any namespace by any ResourceQuota"; !strings.Contains(r.err, want) {
		t.Errorf("stderr:\n%s\nwant %q", r.err, want)
	}
}
