package policy

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/fixtures"
)

// everyFieldLayers set every field the built-in policies' input explains,
// and the ones it does not: Spark keys that land in the metadata, the node
// selector and the service account, an IAM role, tolerations, a priority
// class, a pod patch's node affinity, limits, isolation and enforcement,
// next to sidecars, a hostPath volume, env, secrets and mirrors. Each is
// set by a default and by an override (only an override beats what a
// stored pod holds, which reads as the user's).
var everyFieldLayers = map[string]string{
	"defaults": `{tier: ClusterDefaults, config: {
		labels: {team: data, tier: batch}, annotations: {owner: platform},
		nodeSelector: {pool: batch}, tolerations: [{key: pool, operator: Equal, value: batch, effect: NoSchedule}],
		sparkConf: {spark.kubernetes.executor.label.cost-center: "42", spark.kubernetes.driver.annotation.audit: "on",
			spark.kubernetes.node.selector.zone: a, spark.kubernetes.executor.node.selector.disk: ssd,
			spark.kubernetes.authenticate.executor.serviceAccountName: spark-exec, spark.eventLog.enabled: "true"},
		iam: {role: "arn:aws:iam::111111111111:role/etl"},
		env: [{name: LOG_LEVEL, value: info}], secrets: [{secretName: token, mountPath: /etc/token}],
		imageMirrors: [{from: docker.io, to: mirror.internal/dockerhub}],
		limits: {maxPodCPU: "8", maxExecutorsPerApp: 50, namespacePods: 500},
		isolation: {allowedIAMRoles: ["arn:aws:iam::111111111111:role/*"], allowedRegistries: [mirror.internal, docker.io],
			reservedLabelPrefixes: [platform.strata.dev/], reservedNodeSelectors: [pool]}}}`,
	"agent": platformAgent,
	"drv": `{tier: ClusterOverrides, match: {roles: [driver]}, config: {priorityClassName: platform-critical,
		podPatch: {spec: {affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: pool, operator: In, values: [core]}]}]}}}}}}}`,
	"ns": `{tier: NamespaceOverrides, config: {labels: {tier: gold}, enforcement: {quota: warn}, sidecarMode: native,
		sparkConf: {spark.kubernetes.executor.label.billing: "7", spark.kubernetes.driver.label.billing: "7",
			spark.kubernetes.executor.node.selector.rack: r1, spark.kubernetes.driver.annotation.pager: "off"}}}`,
}

// TestExplainedFieldsGiveTheWholeInput: composing only explainedFields
// gives the built-in policies the input composing every field gives, on
// the example pods and on pods under layers that set every field, each as
// created, as stored, and with what a tenant adds: a layer's label with
// its value and with another, a toleration, a node selector, a priority
// class, an IAM role by annotation and by env. A field the input reads
// that is missing from explainedFields fails it. Pods without a Spark
// role, judged as both roles, too.
func TestExplainedFieldsGiveTheWholeInput(t *testing.T) {
	checks, pods := inputCorpus(t)
	edits := map[string]func(*corev1.Pod){
		"as composed":                    func(*corev1.Pod) {},
		"a layer's label, another value": func(p *corev1.Pod) { p.Labels["tier"] = "free" },
		"a layer's label, its value":     func(p *corev1.Pod) { p.Labels["team"] = "data" },
		"reserved label":                 func(p *corev1.Pod) { p.Labels["platform.strata.dev/x"] = "y" },
		"toleration": func(p *corev1.Pod) {
			p.Spec.Tolerations = append(p.Spec.Tolerations, corev1.Toleration{Key: "gpu", Operator: corev1.TolerationOpExists})
		},
		"node selector":  func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"pool": "core", "zone": "a"} },
		"priority class": func(p *corev1.Pod) { p.Spec.PriorityClassName = "platform-critical" },
		"IAM annotation": func(p *corev1.Pod) {
			p.Annotations = map[string]string{mutate.IAMRoleAnnotation: "arn:aws:iam::2:role/x"}
		},
		"IAM env": func(p *corev1.Pod) {
			p.Spec.Containers[0].Env = append(p.Spec.Containers[0].Env, corev1.EnvVar{Name: awsRoleEnv, Value: "arn:aws:iam::2:role/y"})
		},
	}
	compared := 0
	for _, cname := range slices.Sorted(maps.Keys(checks)) {
		c := checks[cname]
		left := 0
		for i := range overlay.Fields() {
			if !c.Engine.explained.Contains(i) {
				left++
			}
		}
		if left == 0 {
			t.Fatal("the built-in policies' input is composed of every field")
		}
		for _, created := range pods {
			stored := composed(t, c, created)
			for _, ename := range slices.Sorted(maps.Keys(edits)) {
				for stage, pod := range map[string]*corev1.Pod{"created": created, "stored": stored} {
					pod = pod.DeepCopy()
					if pod.Labels == nil {
						pod.Labels = map[string]string{}
					}
					edits[ename](pod)
					where := cname + "/" + pod.Name + "/" + stage + "/" + ename
					compared += sameInput(t, where, c, pod)
				}
			}
		}
	}
	if compared == 0 {
		t.Fatal("no Spark pod compared")
	}
}

// inputCorpus are the checks and pods the input is held to: the example
// cluster and layers that set every field, the example pods, plain Spark
// pods, and example pods without a Spark role (judged as both roles).
func inputCorpus(t *testing.T) (map[string]*Check, []*corev1.Pod) {
	t.Helper()
	checks := map[string]*Check{
		"prod-a": {Engine: builtinEngine(t), Snapshot: fixtures.Snapshot(t, "prod-a"), Cluster: mutate.Cluster{Name: "prod-a", Pool: "batch"}},
		"every field": tenantCheck(t, everyFieldLayers, schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "platform-critical"}, Value: 1000},
			schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "default"}, GlobalDefault: true}),
	}
	var pods []*corev1.Pod
	for _, file := range []string{"driver.yaml", "executor.yaml", "geo-executor.yaml", "tenant-debug-pod.yaml"} {
		pods = append(pods, fixtures.Pod(t, file))
	}
	pods = append(pods, sparkPod("driver"), sparkPod("executor"))
	for _, file := range []string{"driver.yaml", "executor.yaml"} { // judged as both roles
		plain := fixtures.Pod(t, file)
		plain.Name += "-plain"
		delete(plain.Labels, v1alpha1.RoleLabel)
		pods = append(pods, plain)
	}
	return checks, pods
}

// sameInput fails t unless pod's input, each view, is the same composed
// of explainedFields as of every field; it returns the views compared.
func sameInput(t *testing.T, where string, c *Check, pod *corev1.Pod) int {
	t.Helper()
	whole := *c.Engine
	whole.explained = overlay.FieldSet{}
	req := Request{Operation: "CREATE", Namespace: pod.Namespace}
	want, _, err := (&Check{Engine: &whole, Snapshot: c.Snapshot, Cluster: c.Cluster}).inputs(pod, req)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	got, _, err := c.inputs(pod, req)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d views, want %d", where, len(got), len(want))
	}
	for i := range got {
		g, err := got[i].value(&c.Engine.uses, c.Engine.conv)
		if err != nil {
			t.Fatal(err)
		}
		w, err := want[i].value(&c.Engine.uses, c.Engine.conv)
		if err != nil {
			t.Fatal(err)
		}
		if g.Compare(w) != 0 {
			t.Errorf("%s: the input differs:\n got %v\nwant %v", where, ast.NewTerm(g), ast.NewTerm(w))
		}
		dg, err := c.Engine.Evaluate(context.Background(), got[i])
		if err != nil {
			t.Fatal(err)
		}
		dw, err := whole.Evaluate(context.Background(), want[i])
		if err != nil {
			t.Fatal(err)
		}
		if len(dg.Violations) != len(dw.Violations) {
			t.Errorf("%s: %d violations, want %d", where, len(dg.Violations), len(dw.Violations))
		}
	}
	return len(got)
}

// TestBothRolesShareThePod: a pod without a Spark role is judged as both
// roles, by two inputs that share input.pod, converted once: each is the
// input built on its own, and both hold the same term.
func TestBothRolesShareThePod(t *testing.T) {
	c := &Check{Engine: builtinEngine(t), Snapshot: fixtures.Snapshot(t, "prod-a"), Cluster: mutate.Cluster{Name: "prod-a", Pool: "batch"}}
	pod := fixtures.Pod(t, "tenant-debug-pod.yaml")
	views, _, err := c.inputs(pod, Request{Operation: "CREATE", Namespace: pod.Namespace})
	if err != nil {
		t.Fatal(err)
	}
	if len(views) != 2 {
		t.Fatalf("%d views, want 2", len(views))
	}
	var terms []*ast.Term
	for i, in := range views {
		alone := *in
		alone.pod, alone.base, alone.baseValue = nil, nil, nil
		got, want := valueAndAlone(t, c.Engine, in, &alone)
		if got.Compare(want) != 0 {
			t.Errorf("view %d: the input differs from the one built alone:\n got %v\nwant %v", i, ast.NewTerm(got), ast.NewTerm(want))
		}
		terms = append(terms, got.(ast.Object).Get(ast.StringTerm("pod")))
	}
	if terms[0] == nil || terms[0] != terms[1] {
		t.Errorf("the views hold input.pod as %p and %p, want one term", terms[0], terms[1])
	}
}

// valueAndAlone are in's value, as e evaluates it, and alone's: in built
// without what a test shares between inputs.
func valueAndAlone(t *testing.T, e *Engine, in, alone *Input) (got, want ast.Value) {
	t.Helper()
	want, err := alone.value(&e.uses, e.conv)
	if err != nil {
		t.Fatal(err)
	}
	if got, err = in.value(&e.uses, e.conv); err != nil {
		t.Fatal(err)
	}
	return got, want
}
