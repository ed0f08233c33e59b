package policy

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/fixtures"
)

// TestCheckApp judges the example app composed on prod-a: it fits; with the
// namespace nearly full of live pods, the whole app does not (and the
// message counts every executor); one executor alone would have fitted.
func TestCheckApp(t *testing.T) {
	check, _ := exampleCheck(t)
	res, err := mutate.ComposeApp(check.Snapshot, check.Cluster, fixtures.App(t, "etl-report.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	app := &res.App.App
	pods, d, err := check.App(context.Background(), app, Request{Operation: "CREATE"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Allowed() || len(pods) != 2 {
		t.Fatalf("the example app: %+v, %d pods judged", d, len(pods))
	}
	live := TrackerOf([]LivePod{{Key: "etl/other", Namespace: "etl", Usage: Usage{CPUMilli: 195000, Pods: 1}}})
	_, d, err = check.App(context.Background(), app, Request{Operation: "CREATE"}, live)
	if err != nil {
		t.Fatal(err)
	}
	want := `quota: app "etl-report" would bring namespace "etl" to 204330m CPU with all its executors`
	if d.Allowed() || len(d.Violations) != 1 || !strings.Contains(d.Violations[0].Message, want) {
		t.Errorf("with 195 CPU live: %+v, want one violation %q", d.Violations, want)
	}
	// Suspended, it runs nothing until it resumes (judged again then): it
	// is judged in a namespace that runs nothing else, so a queue can hold
	// it while etl is full; what could never fit is still refused.
	suspended := *app
	suspended.Spec.Suspend = new(bool)
	*suspended.Spec.Suspend = true
	if _, d, err = check.App(context.Background(), &suspended, Request{Operation: "CREATE"}, live); err != nil || !d.Allowed() {
		t.Errorf("suspended, with 195 CPU live: %v %+v, want allowed", err, d.Violations)
	}
	wide := suspended
	wide.Spec.Executor.Instances = new(int32)
	*wide.Spec.Executor.Instances = 21
	if _, d, err = check.App(context.Background(), &wide, Request{Operation: "CREATE"}, live); err != nil || d.Allowed() ||
		d.Violations[0].Check != "maxExecutorsPerApp" {
		t.Errorf("suspended, 21 executors: %v %+v, want refused by maxExecutorsPerApp", err, d.Violations)
	}
	// A size Spark would refuse is a denial that says which.
	bad := *app // a copy whose sparkConf is replaced
	bad.Spec.SparkConf = map[string]string{"spark.executor.memoryOverhead": "lots"}
	if _, d, err = check.App(context.Background(), &bad, Request{Operation: "CREATE"}, nil); err != nil || d.Allowed() ||
		!strings.Contains(d.Violations[0].Message, `spark.executor.memoryOverhead: "lots" is not a Spark memory size`) {
		t.Errorf("a bad size: %v %+v", err, d)
	}
}

// TestAppViolationsNameTheirPod: what one launched pod breaks alone is
// tagged with the pod it is, at the end of its message; what both pods
// break alike, and what the application breaks as a whole, is not.
func TestAppViolationsNameTheirPod(t *testing.T) {
	check, _ := exampleCheck(t)
	app := fixtures.App(t, "etl-report.yaml").App.DeepCopy()
	app.Spec.Driver.Cores = new(int32)
	*app.Spec.Driver.Cores = 20
	app.Spec.Executor.Memory = new(string)
	*app.Spec.Executor.Memory = "70g"
	app.Spec.Executor.Instances = new(int32)
	*app.Spec.Executor.Instances = 21
	app.Labels = map[string]string{"platform.strata.dev/tier": "gold"}
	_, d, err := check.App(context.Background(), app, Request{Operation: "CREATE"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range d.Violations {
		got = append(got, v.Message)
	}
	for _, want := range []struct{ start, end string }{
		{`quota: pod requests 20`, `allows at most 16 per pod (NamespaceOverrides layer "ns-etl") [driver pod]`},
		{`quota: pod requests 7`, `allows at most 64Gi per pod (NamespaceOverrides layer "ns-etl") [executor pods]`},
		{`quota: app "etl-report" asks for up to 21 executors`, `(NamespaceOverrides layer "ns-etl")`},
		{`quota: app "etl-report" would bring namespace "etl" to`, `(NamespaceOverrides layer "ns-etl")`},
		{`isolation: label "platform.strata.dev/tier" is reserved`, `(ClusterOverrides layer "prod-a-overrides")`},
	} {
		if !slices.ContainsFunc(got, func(m string) bool { return strings.HasPrefix(m, want.start) && strings.HasSuffix(m, want.end) }) {
			t.Errorf("no violation %q...%q in:\n%s", want.start, want.end, strings.Join(got, "\n"))
		}
	}
	if len(got) != 5 {
		t.Errorf("%d violations, want 5:\n%s", len(got), strings.Join(got, "\n"))
	}
}

// TestAppEnvVarsAreJudged: a role the app asks for in a section's envVars
// (the operator passes them as spark.kubernetes.driverEnv.* after
// sparkConf, so the driver runs with them) is judged at submission as the
// driver pod would be: refused, not admitted to have its pod refused.
func TestAppEnvVarsAreJudged(t *testing.T) {
	check, _ := exampleCheck(t)
	app := fixtures.App(t, "etl-report.yaml").App.DeepCopy()
	app.Spec.Driver.EnvVars = map[string]string{"AWS_ROLE_ARN": "arn:aws:iam::999999999999:role/admin"}
	d := composedVerdict(t, check, app, nil)
	want := `IAM role "arn:aws:iam::999999999999:role/admin" (from user (env AWS_ROLE_ARN of container "spark-kubernetes-driver")) is not allowed in namespace "etl"`
	if d.Allowed() || !slices.ContainsFunc(d.Violations, func(v Violation) bool { return strings.Contains(v.Message, want) }) {
		t.Errorf("violations %+v, want one containing %q", d.Violations, want)
	}
}

// BenchmarkCheckApp is the SparkApplication policy webhook's work after
// decoding: the launched pods built, each judged, and the app as a whole.
func BenchmarkCheckApp(b *testing.B) {
	check, _ := exampleCheck(b)
	res, err := mutate.ComposeApp(check.Snapshot, check.Cluster, fixtures.App(b, "etl-report.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := check.App(context.Background(), &res.App.App, Request{Operation: "CREATE"}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScheduledRun is the ScheduledSparkApplication policy webhook's
// work after the review is decoded: the run built from the schedule
// (sparkv1beta2.RunOf), composed, and judged as an app.
func BenchmarkScheduledRun(b *testing.B) {
	check, _ := exampleCheck(b)
	spec, err := json.Marshal(fixtures.App(b, "etl-report.yaml").App.Spec)
	if err != nil {
		b.Fatal(err)
	}
	raw := []byte(`{"apiVersion":"sparkoperator.k8s.io/v1beta2","kind":"ScheduledSparkApplication",
		"metadata":{"name":"nightly","namespace":"etl"},"spec":{"schedule":"@daily","template":` + string(spec) + `}}`)
	b.ReportAllocs()
	for b.Loop() {
		run, schedule, err := sparkv1beta2.RunOf(raw)
		if err != nil {
			b.Fatal(err)
		}
		composed, err := mutate.ComposeApp(check.Snapshot, check.Cluster, run)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := check.ScheduledRun(context.Background(), schedule, &composed.App.App, Request{Operation: "CREATE"}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestAppTemplateCounts: the containers of an executor's pod template run
// in every executor, so they count toward the whole application's limits,
// which only the submission checks: without them an app of 4 executors
// whose template adds 12 CPU to each would be admitted under a maxAppCPU
// it exceeds by far.
func TestAppTemplateCounts(t *testing.T) {
	check, _ := exampleCheck(t)
	in := fixtures.App(t, "etl-report.yaml")
	in.App.Spec.Executor.Template = &corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{
		{Name: "spark-kubernetes-executor"},
		{Name: "miner", Image: "mirror.prod-a.internal/miner:1", Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("12")}}},
	}}}
	res, err := mutate.ComposeApp(check.Snapshot, check.Cluster, in)
	if err != nil {
		t.Fatal(err)
	}
	app := &res.App.App
	if app.Spec.Executor.Template == nil {
		t.Fatal("composition dropped the template")
	}
	live := TrackerOf([]LivePod{{Key: "etl/other", Namespace: "etl", Usage: Usage{CPUMilli: 150000, Pods: 1}}})
	_, d, err := check.App(context.Background(), app, Request{Operation: "CREATE"}, live)
	if err != nil {
		t.Fatal(err)
	}
	want := `quota: app "etl-report" would bring namespace "etl" to 207330m CPU with all its executors`
	if d.Allowed() || len(d.Violations) != 1 || !strings.Contains(d.Violations[0].Message, want) {
		t.Errorf("with a template's 12 CPU in each of 4 executors and 150 CPU live: %+v, want one violation %q", d.Violations, want)
	}
}

// TestAppOperatorSettingsAreJudged: what the operator's pod webhook sets on
// an app's pods (affinity, host network, security contexts), and the
// volumes and environment Spark adds from its settings, are judged at
// submission, as the pods will be: a required node affinity onto nodes
// reserved for the platform, the host's network or its filesystem, another
// tenant's IAM role, refuses the app before it starts instead of leaving
// its pods refused one by one.
func TestAppOperatorSettingsAreJudged(t *testing.T) {
	check, _ := exampleCheck(t)
	yes := true
	for name, tc := range map[string]struct {
		set  func(s *sparkv1beta2.Spec)
		want string
	}{
		"reserved nodes by affinity": {func(s *sparkv1beta2.Spec) {
			s.Executor.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
				NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "node.strata.dev/pool", Operator: corev1.NodeSelectorOpIn, Values: []string{"core"}}}}}}}}
		}, `required node affinity "node.strata.dev/pool In core" is reserved for the platform`},
		"an IAM role from a Secret by a Spark setting": {func(s *sparkv1beta2.Spec) {
			s.SparkConf["spark.kubernetes.driver.secretKeyRef.AWS_ROLE_ARN"] = "aws:role"
		}, `isolation: IAM role "<unread: key \"role\" of Secret \"aws\">" (from user (env AWS_ROLE_ARN of container "spark-kubernetes-driver"))`},
		"an IAM role from a Secret by the section's envSecretKeyRefs": {func(s *sparkv1beta2.Spec) {
			s.Driver.EnvSecretKeyRefs = map[string]sparkv1beta2.NameKey{"AWS_ROLE_ARN": {Name: "aws", Key: "role"}}
		}, `isolation: IAM role "<unread: key \"role\" of Secret \"aws\">" (from user (env AWS_ROLE_ARN of container "spark-kubernetes-driver"))`},
		"other tenants' executors kept off its nodes": {func(s *sparkv1beta2.Spec) {
			s.Executor.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
				TopologyKey: corev1.LabelHostname, NamespaceSelector: &metav1.LabelSelector{}, LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"spark-role": "executor"}}}}}}
		}, `isolation: podAntiAffinity required term (topologyKey "kubernetes.io/hostname", pods spark-role=executor) selects pods in any namespace`},
		"the host's network":           {func(s *sparkv1beta2.Spec) { s.Executor.HostNetwork = &yes }, "hostNetwork"},
		"a privileged Spark container": {func(s *sparkv1beta2.Spec) { s.Executor.SecurityContext = &corev1.SecurityContext{Privileged: &yes} }, "privileged"},
		"a lifecycle hook on another host": {func(s *sparkv1beta2.Spec) {
			s.Executor.Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{HTTPGet: &corev1.HTTPGetAction{Host: "169.254.169.254", Port: intstr.FromInt32(80)}}}
		}, `baseline: container "spark-kubernetes-executor" must not set a probe or lifecycle host ("169.254.169.254")`},
		"the driver's lifecycle hook on another host": {func(s *sparkv1beta2.Spec) {
			s.Driver.Lifecycle = &corev1.Lifecycle{PostStart: &corev1.LifecycleHandler{HTTPGet: &corev1.HTTPGetAction{Host: "10.0.0.1", Port: intstr.FromInt32(80)}}}
		}, `baseline: container "spark-kubernetes-driver" must not set a probe or lifecycle host ("10.0.0.1")`},
		"an unconfined pod": {func(s *sparkv1beta2.Spec) {
			s.Driver.PodSecurityContext = &corev1.PodSecurityContext{SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}}
		}, `baseline: pod must not set securityContext.seccompProfile.type to "Unconfined"`},
		"the host's filesystem by a Spark setting": {func(s *sparkv1beta2.Spec) {
			s.SparkConf["spark.kubernetes.executor.volumes.hostPath.root.mount.path"] = "/host"
			s.SparkConf["spark.kubernetes.executor.volumes.hostPath.root.options.path"] = "/"
		}, `baseline: volume "root" must not be a hostPath volume`},
		"another tenant's IAM role by a Spark setting": {func(s *sparkv1beta2.Spec) {
			s.SparkConf["spark.kubernetes.driverEnv.AWS_ROLE_ARN"] = "arn:aws:iam::444455556666:role/spark-geo"
		}, `isolation: IAM role "arn:aws:iam::444455556666:role/spark-geo"`},
	} {
		in := fixtures.App(t, "etl-report.yaml")
		if in.App.Spec.SparkConf == nil {
			in.App.Spec.SparkConf = map[string]string{}
		}
		tc.set(&in.App.Spec)
		d := composedVerdict(t, check, &in.App, nil)
		found := false
		for _, v := range d.Violations {
			found = found || strings.Contains(v.Message, tc.want)
		}
		if d.Allowed() || !found {
			t.Errorf("%s: %+v, want a denial containing %q", name, d.Violations, tc.want)
		}
	}
}

// TestAppUpdateJudgesPodsAsCreated: an app whose spec is updated is
// submitted again and its pods created anew, so they are judged as
// created: a template's spec.nodeName, which only a pod's creation can
// set, is refused on the app's UPDATE as on its CREATE.
func TestAppUpdateJudgesPodsAsCreated(t *testing.T) {
	check, _ := exampleCheck(t)
	in := fixtures.App(t, "etl-report.yaml")
	in.App.Spec.Executor.Template = &corev1.PodTemplateSpec{Spec: corev1.PodSpec{NodeName: "core-node-1", Containers: []corev1.Container{{Name: "spark-kubernetes-executor"}}}}
	res, err := mutate.ComposeApp(check.Snapshot, check.Cluster, in)
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range []string{"CREATE", "UPDATE"} {
		_, d, err := check.App(context.Background(), &res.App.App, Request{Operation: op}, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := `spec.nodeName "core-node-1" bypasses node selection`
		if d.Allowed() || !strings.Contains(fmt.Sprint(d.Violations), want) {
			t.Errorf("%s: %+v, want a denial containing %q", op, d.Violations, want)
		}
	}
}

// TestScheduledRun judges a schedule of the example app by its run,
// composed: it fits; a schedule whose runs would each need
// more executors than an app may run in etl is refused, the message naming
// the schedule. What is live plays no part: the same run is admitted with
// the namespace full, since a run is judged against what is live when the
// operator creates it.
func TestScheduledRun(t *testing.T) {
	check, _ := exampleCheck(t)
	scheduled := func(instances int) *sparkv1beta2.Object {
		t.Helper()
		app := fixtures.App(t, "etl-report.yaml").App
		n := int32(instances)
		app.Spec.Executor.Instances = &n
		spec, err := json.Marshal(app.Spec)
		if err != nil {
			t.Fatal(err)
		}
		raw := fmt.Sprintf(`{"apiVersion":"sparkoperator.k8s.io/v1beta2","kind":"ScheduledSparkApplication",
			"metadata":{"name":"nightly","namespace":"etl"},"spec":{"schedule":"@daily","template":%s}}`, spec)
		run, _, err := sparkv1beta2.RunOf([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		return run
	}
	composedRun := func(run *sparkv1beta2.Object) *mutate.AppResult {
		t.Helper()
		res, err := mutate.ComposeApp(check.Snapshot, check.Cluster, run)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	composed := composedRun(scheduled(4))
	nightly := sparkv1beta2.Schedule{Name: "nightly", Cron: "@daily"}
	d, err := check.ScheduledRun(context.Background(), nightly, &composed.App.App, Request{Operation: "CREATE"})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Allowed() {
		t.Errorf("a schedule whose runs fit: %+v", d.Violations)
	}
	// The same app, submitted with the namespace full, is refused; the
	// schedule is not.
	full := TrackerOf([]LivePod{{Key: "etl/other", Namespace: "etl", Usage: Usage{CPUMilli: 199000, Pods: 1}}})
	if _, d, err := check.App(context.Background(), &composed.App.App, Request{Operation: "CREATE"}, full); err != nil || d.Allowed() {
		t.Fatalf("the run with the namespace full: %v %+v, want refused", err, d)
	}

	d, err = check.ScheduledRun(context.Background(), nightly, &composedRun(scheduled(500)).App.App, Request{Operation: "CREATE"})
	if err != nil {
		t.Fatal(err)
	}
	const want = ` (each run of ScheduledSparkApplication "nightly")`
	if d.Allowed() || d.Violations[0].Check != "maxExecutorsPerApp" {
		t.Fatalf("a schedule of 500 executors per run: %+v, want maxExecutorsPerApp first", d.Violations)
	}
	for _, v := range d.Violations {
		if !strings.HasPrefix(v.Message, "quota: ") || !strings.HasSuffix(v.Message, want) {
			t.Errorf("message %q, want it to start with the policy and end %q", v.Message, want)
		}
	}
	// Judged in the run's namespace when the request names none.
	if !slices.ContainsFunc(d.Violations, func(v Violation) bool { return strings.Contains(v.Message, `would bring namespace "etl" to`) }) {
		t.Errorf("no violation names the run's namespace: %+v", d.Violations)
	}
}

// TestAppBatchSchedulerIsJudged: the operator hands an app's batch
// scheduler, with its own credentials, the queue and the PodGroup's
// priority class the app asks for; each is held to the rule it would be
// held to on a pod: the queue to reservedLabelPrefixes (as the launched
// pods carry it), the class to allowedPriorityClasses, but for the
// classes the layers give the pods and the cluster's default.
func TestAppBatchSchedulerIsJudged(t *testing.T) {
	classes := schedulingClasses()
	c := tenantCheck(t, map[string]string{
		"iso": `{tier: ClusterOverrides, config: {isolation: {allowedPriorityClasses: [spark-low], reservedLabelPrefixes: [scheduling.volcano.sh/]}}}`,
		"drv": `{tier: ClusterOverrides, match: {roles: [driver]}, config: {priorityClassName: platform-critical}}`,
	}, classes...)
	judge := func(options sparkv1beta2.BatchSchedulerOptions) string {
		t.Helper()
		in, err := sparkv1beta2.FromApp(&sparkv1beta2.SparkApplication{})
		if err != nil {
			t.Fatal(err)
		}
		in.App.Name, in.App.Namespace = "a", "etl"
		in.App.Spec.BatchScheduler, in.App.Spec.BatchSchedulerOptions = new("volcano"), &options
		res, err := mutate.ComposeApp(c.Snapshot, c.Cluster, in)
		if err != nil {
			t.Fatal(err)
		}
		return appVerdict(t, c, &res.App.App)
	}
	for class, want := range map[string]string{
		"platform-critical":       "",
		"spark-low":               "",
		"default":                 "",
		"system-cluster-critical": `isolation: spec.batchSchedulerOptions.priorityClassName "system-cluster-critical" (the app's PodGroup) is not allowed for tenants; allowed: spark-low (ClusterOverrides layer "iso")`,
	} {
		if got := judge(sparkv1beta2.BatchSchedulerOptions{PriorityClassName: &class}); got != want {
			t.Errorf("PodGroup class %s:\n got %q\nwant %q", class, got, want)
		}
	}
	want := `isolation: annotation "scheduling.volcano.sh/queue-name" is reserved for the platform`
	if got := judge(sparkv1beta2.BatchSchedulerOptions{Queue: new("other-team")}); !strings.HasPrefix(got, want) || strings.Count(got, "\n") != 0 {
		t.Errorf("a tenant's queue:\n got %q\nwant %q...", got, want)
	}
}

// TestAppBatchSchedulerResources: what the operator has Volcano hold for
// an app's PodGroup (spec.batchSchedulerOptions.resources, its
// minResources) is held to the app's and the namespace's limits, as a
// PodGroup's own minResources is; the app's pods themselves fit.
func TestAppBatchSchedulerResources(t *testing.T) {
	c := tenantCheck(t, map[string]string{
		"quota": `{tier: ClusterOverrides, config: {limits: {maxAppMemory: 64Gi, namespaceMemory: 128Gi}}}`,
	})
	judge := func(resources corev1.ResourceList) string {
		t.Helper()
		in, err := sparkv1beta2.FromApp(&sparkv1beta2.SparkApplication{})
		if err != nil {
			t.Fatal(err)
		}
		in.App.Name, in.App.Namespace = "a", "etl"
		in.App.Spec.BatchScheduler, in.App.Spec.BatchSchedulerOptions = new("volcano"), &sparkv1beta2.BatchSchedulerOptions{Resources: resources}
		res, err := mutate.ComposeApp(c.Snapshot, c.Cluster, in)
		if err != nil {
			t.Fatal(err)
		}
		return appVerdict(t, c, &res.App.App)
	}
	for _, tc := range []struct {
		held corev1.ResourceList
		want string
	}{
		{nil, ""},
		{corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Gi"), corev1.ResourceCPU: resource.MustParse("1000")}, ""},
		{corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("65Gi")},
			`quota: app "a": spec.batchSchedulerOptions.resources has Volcano hold 65Gi memory for its PodGroup before it places any of its pods; namespace "etl" allows at most 64Gi per app (ClusterOverrides layer "quota")`},
		{corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Ei")},
			`quota: app "a": spec.batchSchedulerOptions.resources has Volcano hold 1Ei memory for its PodGroup before it places any of its pods; namespace "etl" allows at most 64Gi per app (ClusterOverrides layer "quota")` + "\n" +
				`quota: app "a": spec.batchSchedulerOptions.resources has Volcano hold 1Ei memory for its PodGroup before it places any of its pods; namespace "etl" allows at most 128Gi for the whole namespace (ClusterOverrides layer "quota")`},
	} {
		if got := judge(tc.held); got != tc.want {
			t.Errorf("resources %v:\n got %q\nwant %q", tc.held, got, tc.want)
		}
	}
}

// TestMulCapped: an app's executors times each one's size never wraps,
// however many executors a tenant asks for.
func TestMulCapped(t *testing.T) {
	const limit = MaxCountableMemoryBytes
	for _, c := range []struct{ per, n, want int64 }{
		{0, math.MaxInt64, 0},
		{3, 4, 12},
		{3, limit / 3, limit - 1}, // 2^50 is not a multiple of 3
		{limit, 1, limit},
		{limit, 2, limit},
		{1 << 40, 1 << 40, limit}, // 2^80: past int64
		{limit, math.MaxInt64, limit},
		{1, math.MaxInt64, limit},
	} {
		if got := mulCapped(c.per, c.n, limit); got != c.want {
			t.Errorf("mulCapped(%d, %d, %d) = %d, want %d", c.per, c.n, limit, got, c.want)
		}
	}
}

// TestAppWithoutExecutors: an app of no executors (dynamic allocation
// off) is bounded: its size is its driver's, and it is admitted.
func TestAppWithoutExecutors(t *testing.T) {
	check, _ := exampleCheck(t)
	app := fixtures.App(t, "etl-report.yaml").App
	app.Spec.Executor.Instances = new(int32(0))
	app.Spec.DynamicAllocation = nil
	if d := composedVerdict(t, check, &app, NewTracker()); !d.Allowed() {
		t.Fatalf("an app of no executors: %+v", d.Violations)
	}
}

// TestAppJudgesPodsAsStored: an application's pods are judged as the pod
// webhook will store them, composed: a container of a role's pod template
// runs its image through the layers' mirror, as its pod will, so a
// registry allowlist of the mirror admits it; one the mirror does not
// cover is refused at submission, as its pods would be.
func TestAppJudgesPodsAsStored(t *testing.T) {
	c := tenantCheck(t, map[string]string{"registries": `{tier: ClusterOverrides, config: {
  imageMirrors: [{from: docker.io/, to: mirror.internal/dockerhub/}], isolation: {allowedRegistries: [mirror.internal/]}}}`})
	for image, allowed := range map[string]bool{"docker.io/fluent/fluent-bit:3": true, "quay.io/team/tool:1": false} {
		in := fixtures.App(t, "etl-report.yaml")
		delete(in.App.Spec.Driver.Annotations, v1alpha1.IAMRoleAnnotation) // no role to judge
		in.App.Spec.Executor.Template = &corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{
			{Name: "spark-kubernetes-executor"}, {Name: "shipper", Image: image}}}}
		if d := composedVerdict(t, c, &in.App, nil); d.Allowed() != allowed {
			t.Errorf("a template's container of %s: allowed %v (%+v), want %v", image, d.Allowed(), d.Violations, allowed)
		}
		// An image volume the executors mount is pulled as an image is.
		in = fixtures.App(t, "etl-report.yaml")
		delete(in.App.Spec.Driver.Annotations, v1alpha1.IAMRoleAnnotation)
		in.App.Spec.Volumes = append(in.App.Spec.Volumes, corev1.Volume{Name: "kit", VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: image}}})
		in.App.Spec.Executor.VolumeMounts = append(in.App.Spec.Executor.VolumeMounts, corev1.VolumeMount{Name: "kit", MountPath: "/kit"})
		d := composedVerdict(t, c, &in.App, nil)
		if d.Allowed() != allowed || !allowed && !strings.Contains(d.Violations[0].Message, `volume "kit" image "`+image+`" is not from an allowed registry`) {
			t.Errorf("an image volume of %s: allowed %v (%+v), want %v", image, d.Allowed(), d.Violations, allowed)
		}
	}
}

// TestAppTooLargeToCount: an application whose pods would ask for more
// than Strata counts is refused at submission as those pods would be,
// whatever the limits and their enforcement, naming what Spark would
// write on the pod; one at the bounds is counted.
func TestAppTooLargeToCount(t *testing.T) {
	c := tenantCheck(t, map[string]string{"dryrun": `{tier: ClusterOverrides, config: {enforcement: {quota: dryrun}}}`})
	for _, tc := range []struct {
		name string
		conf map[string]string
		want []string
	}{
		{"request.cores as written", map[string]string{"spark.kubernetes.executor.request.cores": "1e18"},
			[]string{`quota: executor pod: pod requests 1e18 CPU, more than Strata counts (at most 1099511627776m)`}},
		{"the driver's cores", map[string]string{"spark.driver.cores": "2147483647"},
			[]string{`quota: driver pod: pod requests 2147483647 CPU, more than Strata counts (at most 1099511627776m)`}},
		{"memory and overhead in MiB", map[string]string{"spark.executor.memory": "1p", "spark.executor.memoryOverhead": "1m"},
			[]string{`quota: executor pod: pod requests 1073741825Mi memory, more than Strata counts (at most 1Pi)`}},
		{"beyond an int64 of bytes, as the API server reads Spark's request", map[string]string{"spark.executor.memoryOverhead": "9223372036854775807"},
			[]string{`quota: executor pod: pod requests 9223372036854775807 memory, more than Strata counts (at most 1Pi)`}},
		{"at the bounds", map[string]string{"spark.kubernetes.executor.request.cores": "1099511627776m", "spark.executor.memory": "1073741440m", "spark.executor.memoryOverhead": "384m"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := fixtures.App(t, "etl-report.yaml").App
			app.Spec.Executor = sparkv1beta2.ExecutorSpec{}
			app.Spec.Driver = sparkv1beta2.DriverSpec{}
			app.Spec.SparkConf = tc.conf
			_, d, err := c.App(context.Background(), &app, Request{Operation: "CREATE"}, NewTracker())
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range d.Violations {
				if v.Check == countableCheck {
					if v.Enforcement != v1alpha1.EnforcementDeny {
						t.Errorf("%q is %s, want deny", v.Message, v.Enforcement)
					}
					got = append(got, v.Message)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("refused for its size: %q, want %q", got, tc.want)
			}
		})
	}
}

// composedVerdict is check's verdict on app created, composed as the
// mutating webhook leaves it, with live.
func composedVerdict(t *testing.T, check *Check, app *sparkv1beta2.SparkApplication, live LiveState) Decision {
	t.Helper()
	obj, err := sparkv1beta2.FromApp(app)
	if err != nil {
		t.Fatal(err)
	}
	res, err := mutate.ComposeApp(check.Snapshot, check.Cluster, obj)
	if err != nil {
		t.Fatal(err)
	}
	_, d, err := check.App(context.Background(), &res.App.App, Request{Operation: "CREATE"}, live)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestAppMonitoringAnnotationsAreJudged: the annotations the Spark
// Operator's Prometheus monitoring writes on the pods of the roles whose
// metrics it exposes are judged with the application: under a prefix
// reserved for the platform, it is refused at submission, not pod by pod.
func TestAppMonitoringAnnotationsAreJudged(t *testing.T) {
	c := tenantCheck(t, map[string]string{"iso": `{tier: ClusterOverrides, config: {isolation: {reservedLabelPrefixes: ["prometheus.io/"]}}}`})
	monitored := func(d Decision) (found []string) {
		for _, v := range d.Violations {
			if strings.Contains(v.Message, `annotation "prometheus.io/scrape" is reserved for the platform`) {
				found = append(found, v.Message)
			}
		}
		return found
	}
	in := fixtures.App(t, "etl-report.yaml") // exposes both roles' metrics
	if got := monitored(composedVerdict(t, c, &in.App, nil)); len(got) == 0 {
		t.Errorf("the exporter's annotations are not judged with the app")
	}
	in.App.Spec.Monitoring.ExposeDriverMetrics, in.App.Spec.Monitoring.ExposeExecutorMetrics = false, false
	if got := monitored(composedVerdict(t, c, &in.App, nil)); len(got) != 0 {
		t.Errorf("no role's metrics exposed, yet judged: %q", got)
	}
}
