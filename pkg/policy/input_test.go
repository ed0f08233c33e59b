package policy

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/policies"
	"github.com/strata-dev/strata/test/fixtures"
)

// builtinEngine compiles the built-in policies.
func builtinEngine(t testing.TB) *Engine {
	t.Helper()
	mods, err := LoadModules(policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	engine, err := NewEngine(context.Background(), mods)
	if err != nil {
		t.Fatal(err)
	}
	return engine
}

func exampleCheck(t testing.TB) (*Check, *corev1.Pod) {
	t.Helper()
	return &Check{Engine: builtinEngine(t), Snapshot: fixtures.Snapshot(t, "prod-a"), Cluster: mutate.Cluster{Name: "prod-a", Pool: "batch"}},
		fixtures.Pod(t, "executor.yaml")
}

// TestInputDocument builds the input for the example executor once
// composed (as the validating webhook sees it) and checks what policies
// read: limits with numbers and sources, the role's source, what the user
// wrote, the injected containers and the resources.
func TestInputDocument(t *testing.T) {
	check, pod := exampleCheck(t)
	pod.Spec.Tolerations = []corev1.Toleration{{Key: "team-gpu", Operator: corev1.TolerationOpExists}}
	pod.Labels["owner"] = "alice"
	first, err := mutate.Compose(check.Snapshot, check.Cluster, pod)
	if err != nil {
		t.Fatal(err)
	}
	res, err := mutate.Compose(check.Snapshot, check.Cluster, first.Pod) // the webhook's second look
	if err != nil {
		t.Fatal(err)
	}
	ns := &corev1.Namespace{}
	ns.Name, ns.Labels = "etl", map[string]string{"group": "core-data"}
	platform, err := mutate.PlatformParts(check.Snapshot, check.Cluster, first.Pod)
	if err != nil {
		t.Fatal(err)
	}
	// The API server records field owners before admission; the input leaves them out.
	first.Pod.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "spark", Operation: metav1.ManagedFieldsOperationUpdate,
		FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(`{"f:metadata":{"f:labels":{"f:owner":{}}}}`)}}
	in := &Input{Request: Request{Operation: "CREATE", Namespace: "etl"}, Pod: first.Pod, Composed: res, Namespace: ns,
		Inventory: Inventory{AppExecutors: 3}, Platform: platform}
	raw, err := in.document()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := toMap(raw) // what policies see: the document as JSON
	if err != nil {
		t.Fatal(err)
	}
	get := func(path ...string) any {
		var v any = doc
		for _, p := range path {
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[p]
		}
		return v
	}
	if got := get("config", "limits", "maxPodCPU", "number"); got != float64(16000) {
		t.Errorf("maxPodCPU number = %v, want 16000 millicores", got)
	}
	if got := get("config", "limits", "maxPodCPU", "source"); got != `NamespaceOverrides layer "ns-etl"` {
		t.Errorf("maxPodCPU source = %v", got)
	}
	// On the second look the role is the user's too, but a layer gives the same value: it stays the layer's.
	if got := get("config", "iamRole", "source"); got != `ClusterDefaults layer "ns-etl-defaults"` {
		t.Errorf("iamRole source = %v", got)
	}
	if got := get("config", "fields", "spec.priorityClassName", "source"); got != `PoolDefaults layer "pool-batch"` {
		t.Errorf("fields[spec.priorityClassName].source = %v", got)
	}
	if got := get("config", "values", "serviceAccountName"); got != "spark" {
		t.Errorf("values.serviceAccountName = %v", got)
	}
	if got := get("group"); got != "core-data" {
		t.Errorf("group = %v", got)
	}
	if got := get("inventory", "appExecutors"); got != float64(3) {
		t.Errorf("appExecutors = %v", got)
	}
	injected, _ := get("injected").(map[string]any)
	if injected["log-shipper"] != true || injected["metrics-exporter"] != true || injected["spark-kubernetes-executor"] != nil {
		t.Errorf("injected = %v", injected)
	}
	tolerations, _ := get("user", "tolerations").([]any)
	if len(tolerations) != 1 || !strings.HasPrefix(tolerations[0].(map[string]any)["display"].(string), "team-gpu") {
		t.Errorf("user tolerations = %v, want only the one the user wrote", tolerations)
	}
	var userLabels []string
	for _, m := range get("user", "metadata").([]any) {
		userLabels = append(userLabels, m.(map[string]any)["key"].(string))
	}
	if strings.Contains(strings.Join(userLabels, ","), "platform.strata.dev/") || !strings.Contains(strings.Join(userLabels, ","), "owner") {
		t.Errorf("user metadata = %v: layers' labels must not count as the user's", userLabels)
	}
	if got := get("pod", "metadata", "managedFields"); got != nil {
		t.Errorf("pod.metadata.managedFields = %v, want none", got)
	}
	if got := get("pod", "metadata", "labels", "owner"); got != "alice" || len(first.Pod.ManagedFields) != 1 {
		t.Errorf("pod.metadata.labels.owner = %v (want alice) and the pod keeps its managedFields (%d)", got, len(first.Pod.ManagedFields))
	}
	if got := get("resources", "cpuMilli"); got != float64(1070) {
		t.Errorf("cpuMilli = %v, want 1070 (the executor and its two native sidecars)", got)
	}
}

// TestTenantCannotHideBehindAPlatformSidecarName gives a tenant's
// privileged container the name of the platform's log shipper: it is the
// tenant's, and the baseline denies it.
func TestTenantCannotHideBehindAPlatformSidecarName(t *testing.T) {
	check, pod := exampleCheck(t)
	privileged := true
	pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: "log-shipper", Image: "fluent/fluent-bit:3.1.9",
		SecurityContext: &corev1.SecurityContext{Privileged: &privileged}})
	first, err := mutate.Compose(check.Snapshot, check.Cluster, pod)
	if err != nil {
		t.Fatal(err)
	}
	_, d, err := check.Pod(context.Background(), first.Pod, Request{Operation: "CREATE"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.Allowed() || len(d.Violations) != 1 || d.Violations[0].Check != "privileged" {
		t.Fatalf("decision %+v, want the privileged check to deny", d)
	}
	// The platform's own sidecars, unchanged, pass.
	_, pod = exampleCheck(t)
	first, err = mutate.Compose(check.Snapshot, check.Cluster, pod)
	if err != nil {
		t.Fatal(err)
	}
	if _, d, err = check.Pod(context.Background(), first.Pod, Request{Operation: "CREATE"}, nil); err != nil || !d.Allowed() {
		t.Fatalf("the example executor: %v %+v", err, d)
	}
}

func TestEngineErrors(t *testing.T) {
	ctx := context.Background()
	_, err := NewEngine(ctx, Modules{"site/bad.rego": "package strata.bad\n\nviolation contains x if {"})
	if err == nil || !strings.Contains(err.Error(), "site/bad.rego:") {
		t.Fatalf("parse error %v does not name the file", err)
	}
	_, err = NewEngine(ctx, Modules{"old.rego": "package strata.old\n\nviolation[x] { x := 1 }"})
	if err == nil {
		t.Fatal("Rego v0 syntax accepted")
	}
	e, err := NewEngine(ctx, Modules{"nomsg.rego": "package strata.nomsg\n\nimport rego.v1\n\nviolation contains {\"check\": \"x\"} if true\n"})
	if err != nil {
		t.Fatal(err)
	}
	check, pod := exampleCheck(t)
	check.Engine = e
	if _, _, err := check.Pod(ctx, pod, Request{}, nil); err == nil || !strings.Contains(err.Error(), "has no message") {
		t.Fatalf("violation without message: %v", err)
	}
	if _, err := LoadModules(os.DirFS(t.TempDir())); err == nil {
		t.Fatal("an empty policy directory loaded")
	}
}

// BenchmarkCheckPod is the validating webhook's work for the example
// executor, after decoding: compose for provenance, build the input,
// evaluate both policies, reserve.
func BenchmarkCheckPod(b *testing.B) {
	check, pod := exampleCheck(b)
	check.Ledger = NewLedger(0)
	benchmarkCheck(b, check, pod)
}

// BenchmarkCheckPlainPod is BenchmarkCheckPod for a pod without a Spark
// role (the example driver without its spark-role label, its image from
// the cluster's mirror), which is judged as both roles.
func BenchmarkCheckPlainPod(b *testing.B) {
	check, _ := exampleCheck(b)
	check.Ledger = NewLedger(0)
	pod := fixtures.Pod(b, "driver.yaml")
	delete(pod.Labels, v1alpha1.RoleLabel)
	for i := range pod.Spec.Containers {
		pod.Spec.Containers[i].Image = "mirror.prod-a.internal/apache/spark:3.5.3"
	}
	benchmarkCheck(b, check, pod)
}

// BenchmarkCheckPodConcurrently is BenchmarkCheckPod with the executors
// of one application judged side by side, as a fan-out brings them: each
// reserved for a millisecond, so most find that another was reserved
// since they started, and quota judges them again under the Ledger's lock
// (Engine.Reevaluate).
func BenchmarkCheckPodConcurrently(b *testing.B) {
	check, pod := exampleCheck(b)
	check.Ledger = NewLedger(time.Millisecond)
	res, err := mutate.Compose(check.Snapshot, check.Cluster, pod)
	if err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			p := *res.Pod // judging does not change the pod; a name of its own makes it a pod of its own
			p.Name = fmt.Sprintf("%s-%d", res.Pod.Name, n.Add(1))
			if _, d, err := check.Pod(context.Background(), &p, Request{Operation: "CREATE"}, nil); err != nil || !d.Allowed() {
				b.Errorf("%v %+v", err, d)
				return
			}
		}
	})
}

// BenchmarkCheckPodWithoutPolicies is BenchmarkCheckPod with one policy
// that reads nothing of the input: what judging a pod costs besides
// evaluating the built-in policies and converting what they read (the
// composition that explains the pod, its platform parts, the quota
// ledger). Next to BenchmarkCheckPod it bounds what compiling the built-in
// checks could save.
func BenchmarkCheckPodWithoutPolicies(b *testing.B) {
	check, pod := exampleCheck(b)
	check.Ledger = NewLedger(0)
	engine, err := NewEngine(context.Background(), Modules{"none.rego": "package strata.none\n\nviolation contains \"never\" if false\n"})
	if err != nil {
		b.Fatal(err)
	}
	check.Engine = engine
	benchmarkCheck(b, check, pod)
}

// BenchmarkCheckLargePod judges the example executor with 40,000
// environment variables (about 1 MiB): linear work, a small multiple of
// decoding it (see pkg/mutate's BenchmarkDecodeLargePod).
func BenchmarkCheckLargePod(b *testing.B) {
	check, pod := exampleCheck(b)
	spark := &pod.Spec.Containers[0]
	for i := range 40000 {
		spark.Env = append(spark.Env, corev1.EnvVar{Name: fmt.Sprintf("SPARK_USER_VAR_%05d", i), Value: "some-value"})
	}
	benchmarkCheck(b, check, pod)
}

// BenchmarkCheckLargeAffinity judges the example executor with one pod
// anti-affinity term as large as a pod holds (about 1.5 MiB): a
// namespaceSelector bounded by name twice over 40,000 names, and 20,000
// merged matchLabelKeys. Linear work, like BenchmarkCheckLargePod; reading
// the reach or the key by comparing every value with every other takes
// seconds a term.
func BenchmarkCheckLargeAffinity(b *testing.B) {
	check, pod := exampleCheck(b)
	names := []string{"etl"}
	for i := range 40000 {
		names = append(names, fmt.Sprintf("namespace-%05d", i))
	}
	term := corev1.PodAffinityTerm{TopologyKey: corev1.LabelHostname, NamespaceSelector: &metav1.LabelSelector{
		MatchLabels: map[string]string{corev1.LabelMetadataName: "etl"},
		MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: corev1.LabelMetadataName, Operator: metav1.LabelSelectorOpIn, Values: names},
			{Key: corev1.LabelMetadataName, Operator: metav1.LabelSelectorOpIn, Values: slices.Clone(names)}}},
		LabelSelector: &metav1.LabelSelector{}}
	for i := range 20000 {
		key := fmt.Sprintf("label-%05d", i)
		term.MatchLabelKeys = append(term.MatchLabelKeys, key)
		term.LabelSelector.MatchExpressions = append(term.LabelSelector.MatchExpressions,
			metav1.LabelSelectorRequirement{Key: key, Operator: metav1.LabelSelectorOpIn, Values: []string{"v"}})
	}
	pod.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{term}}}
	benchmarkCheck(b, check, pod)
}

// benchmarkCheck composes pod once, as the mutating webhook does, then
// measures judging the composed pod.
func benchmarkCheck(b *testing.B, check *Check, pod *corev1.Pod) {
	b.Helper()
	res, err := mutate.Compose(check.Snapshot, check.Cluster, pod)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, d, err := check.Pod(ctx, res.Pod, Request{Operation: "CREATE"}, nil); err != nil || !d.Allowed() {
			b.Fatalf("%v %+v", err, d)
		}
	}
}

// BenchmarkCheckPodInventory judges the example executor against live
// inventories of 100, 10,000 and 50,000 pods (fixtures.LivePods): the
// inventory is read per namespace and application, so its size must not
// show.
func BenchmarkCheckPodInventory(b *testing.B) {
	for _, n := range []int{100, 10000, 50000} {
		check, pod := exampleCheck(b)
		check.Ledger = NewLedger(time.Minute)
		live := NewTracker()
		for _, p := range fixtures.LivePods(n) {
			live.Upsert(p)
		}
		res, err := mutate.Compose(check.Snapshot, check.Cluster, pod)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("pods=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, d, err := check.Pod(context.Background(), res.Pod, Request{Operation: "CREATE"}, live); err != nil || !d.Allowed() {
					b.Fatalf("%v %+v", err, d)
				}
			}
		})
	}
}
