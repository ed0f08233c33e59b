package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/mutate/mutatingpolicy"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1alpha1"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/manifest"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/pkg/policy"
	"github.com/strata-dev/strata/pkg/policy/volcanov1beta1"
)

func newTestCommand(_ context.Context, streams Streams) *cobra.Command {
	var opts testOptions
	cmd := &cobra.Command{
		Use:   "test DIR",
		Short: "Run the policy test cases (kind PolicyTest) of the YAML files below DIR",
		Long: `Test runs every PolicyTest file below DIR: for each case it composes the pod
or SparkApplication with the repository's layers, runs the policies as the
webhook does (an application as a whole and by its pods; a Volcano PodGroup,
which no layer composes, by the policies' PodGroup rules), and compares the
verdict and the violations with what the case expects, and, where the case
names them (expect.stored), fields of what the API server stores. Exit
status 0 when every case passes, 1 when one fails, 2 for bad input.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.runPattern != "" {
				re, err := regexp.Compile(opts.runPattern)
				if err != nil {
					return badInput(fmt.Errorf("--run: %w", err))
				}
				opts.run = re
			}
			return runTests(cmd.Context(), args[0], opts, streams.Out, streams.Err)
		},
	}
	cmd.Flags().StringVar(&opts.junit, "junit", "", "also write the results to FILE as a JUnit XML report (a testsuite per PolicyTest, a testcase per case), as CI systems read test results")
	cmd.Flags().StringVar(&opts.runPattern, "run", "", "run only the cases whose name, SUITE/CASE as printed, the regular expression matches (go test -run's way)")
	return cmd
}

// testOptions are composer test's flags.
type testOptions struct {
	// junit is the file of the JUnit report; "" for none.
	junit string
	// runPattern is --run as given, run it compiled: the cases to run,
	// by SUITE/CASE; nil for all.
	runPattern string
	run        *regexp.Regexp
}

// runTests runs the PolicyTests below dir (those of opts.run), printing
// each case's result on w, and, with opts.junit set, writing them there as
// a JUnit report. What the Layer webhook would warn of in the Layers the
// suites read (overlay.LayerWarnings, and an enforcement of a policy the
// suite's policies lack) goes to warn, each warning once.
func runTests(ctx context.Context, dir string, opts testOptions, w, warn io.Writer) error {
	out := &stickyWriter{w: w}
	warned := map[string]bool{}
	warnOnce := func(text string) {
		if !warned[text] {
			warned[text] = true
			_, _ = fmt.Fprintf(warn, "Warning: %s\n", text) // diagnostics
		}
	}
	files, err := testFiles(dir)
	if err != nil {
		return badInput(err)
	}
	passed, failed := 0, 0
	var results []suiteResult
	for _, file := range files {
		suites, err := ReadPolicyTests(file)
		if err != nil {
			return badInput(err)
		}
		for _, suite := range suites {
			r, err := runSuite(ctx, file, suite, opts.run, out, warnOnce)
			if err != nil {
				return badInput(err)
			}
			results = append(results, r)
			passed, failed = passed+r.passed(), failed+r.failed()
		}
	}
	switch {
	case passed+failed == 0 && opts.run != nil:
		return badInput(fmt.Errorf("%s: no PolicyTest case matches --run %q", dir, opts.run))
	case passed+failed == 0:
		return badInput(fmt.Errorf("%s: no PolicyTest cases found", dir))
	}
	_, _ = fmt.Fprintf(out, "%d passed, %d failed\n", passed, failed)
	if out.err != nil {
		return fmt.Errorf("writing the results: %w", out.err)
	}
	if opts.junit != "" {
		if err := writeJUnit(opts.junit, results); err != nil {
			return err
		}
	}
	if failed > 0 {
		return &deniedError{err: fmt.Errorf("%d of %d policy test cases failed", failed, passed+failed)}
	}
	return nil
}

func testFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	slices.Sort(files)
	return files, nil
}

// runSuite runs t's cases, of file, those run matches (nil: all), printing
// each one's result on out, and giving warn what its Layers are warned of.
// A suite none of whose cases is run is not read further.
func runSuite(ctx context.Context, file string, t *PolicyTest, run *regexp.Regexp, out io.Writer, warn func(string)) (suiteResult, error) {
	result := suiteResult{file: file, name: t.Metadata.Name}
	cases := slices.DeleteFunc(slices.Clone(t.Cases), func(c PolicyTestCase) bool { return run != nil && !run.MatchString(t.Metadata.Name+"/"+c.Name) })
	if len(cases) == 0 {
		return result, nil
	}
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(filepath.Dir(file), p)
	}
	in, err := manifest.LoadRepo(filesys.MakeFsOnDisk(), rel(t.Layers))
	if err != nil {
		return result, err
	}
	for _, f := range []struct{ name, value string }{{"admission", t.Admission}, {"podSecurity", t.PodSecurity}} {
		if f.value == "" {
			continue
		}
		if t.Admission != "" && t.PodSecurity != "" {
			return result, fmt.Errorf("%s: PolicyTest %q: admission and podSecurity: want one (podSecurity is admission's former name)", file, t.Metadata.Name)
		}
		a, err := manifest.LoadAdmission(filesys.MakeFsOnDisk(), rel(f.value))
		if err != nil {
			return result, fmt.Errorf("%s: PolicyTest %q: %s: %w", file, t.Metadata.Name, f.name, err)
		}
		in.Admission = a
	}
	clusters, pools := manifest.Names(in)
	for _, c := range []struct {
		field, value string
		known        []string
	}{{"cluster", t.Cluster, clusters}, {"pool", t.Pool, pools}} {
		if len(c.known) > 0 && !slices.Contains(c.known, c.value) {
			return result, fmt.Errorf("%s: PolicyTest %q: %s: %q is named by no Layer of %s, so its layers would apply to no case; the Layers name: %s",
				file, t.Metadata.Name, c.field, c.value, t.Layers, strings.Join(c.known, ", "))
		}
	}
	engine, err := loadEngine(ctx, rel(t.Policies))
	if err != nil {
		return result, err
	}
	cluster := mutate.Cluster{Name: t.Cluster, Pool: t.Pool, SparkOperator: t.OperatorUser}
	for _, w := range slices.Concat(repositoryWarnings(ctx, in, cluster, "is not in "+t.Layers), in.EnforcementWarnings(engine.Policies())) {
		warn(w)
	}
	placement, err := mutate.ParsePlacementPlugins(t.AdmissionPlugins)
	if err != nil { // validatePolicyTest refused it already
		return result, fmt.Errorf("%s: PolicyTest %q: admissionPlugins: %w", file, t.Metadata.Name, err)
	}
	env := &suiteEnv{in: in, engine: engine, cluster: cluster, placement: placement, appliers: newTestAppliers(), snapshots: map[string]suiteSnapshot{}}
	defer env.appliers.Close()
	for _, c := range cases {
		name := t.Metadata.Name + "/" + c.Name
		file, want := rel(c.Pod), "Pod"
		switch {
		case c.App != "":
			file, want = rel(c.App), sparkv1beta2.Kind
		case c.PodGroup != "":
			file, want = rel(c.PodGroup), volcanov1beta1.Kind
		case c.Connect != "":
			file, want = rel(c.Connect), sparkv1alpha1.Kind
		}
		problems, err := runCase(ctx, env, file, want, &c)
		if err != nil {
			return result, fmt.Errorf("%s: case %q: %w", file, c.Name, err)
		}
		result.cases = append(result.cases, caseResult{name: c.Name, problems: problems})
		if len(problems) == 0 {
			_, _ = fmt.Fprintf(out, "PASS  %s\n", name) // a stickyWriter: checked once, at the end
			continue
		}
		_, _ = fmt.Fprintf(out, "FAIL  %s\n", name)
		for _, p := range problems {
			_, _ = fmt.Fprintf(out, "      %s\n", p)
		}
	}
	return result, nil
}

// suiteEnv is what a suite's cases share: its repository, policies and
// cluster, the appliers of its MutatingAdmissionPolicies, and its
// snapshots.
type suiteEnv struct {
	in        overlay.Inputs
	engine    *policy.Engine
	cluster   mutate.Cluster
	placement mutate.PlacementPlugins
	appliers  *testAppliers
	// snapshots are in compiled with a case's namespace labels, by
	// snapshotKey: one for every case without labels of its own.
	snapshots map[string]suiteSnapshot
}

// suiteSnapshot is the suite's repository compiled with a case's
// namespace labels, and its Namespaces.
type suiteSnapshot struct {
	snap       *overlay.Snapshot
	namespaces []corev1.Namespace
}

// snapshot is env's repository compiled with labels given namespace (a
// case's namespaceLabels), compiled once per distinct labels: compiling a
// repository of thousands of Layers for each of hundreds of cases would
// be most of a suite's time.
func (env *suiteEnv) snapshot(namespace string, labels map[string]string) (suiteSnapshot, error) {
	key := ""
	if len(labels) > 0 {
		b, err := json.Marshal(struct {
			Namespace string
			Labels    map[string]string
		}{namespace, labels})
		if err != nil {
			return suiteSnapshot{}, err
		}
		key = string(b)
	}
	if s, ok := env.snapshots[key]; ok {
		return s, nil
	}
	in := env.in
	in.Namespaces = withNamespaceLabels(in.Namespaces, []string{namespace}, labels)
	snap, err := overlay.Compile(in)
	if err != nil {
		return suiteSnapshot{}, err
	}
	s := suiteSnapshot{snap: snap, namespaces: in.Namespaces}
	env.snapshots[key] = s
	return s, nil
}

func runCase(ctx context.Context, env *suiteEnv, file, kind string, c *PolicyTestCase) ([]string, error) {
	engine, cluster, placement := env.engine, env.cluster, env.placement
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	objects, err := manifest.DecodeObjects(file, data)
	if err != nil {
		return nil, err
	}
	if len(objects) != 1 || !objects[0].Is(kind) {
		return nil, fmt.Errorf("%s: want exactly one %s, got %d objects", file, kind, len(objects))
	}
	obj := objects[0]
	namespace, appLabel := obj.Namespace(), ""
	if obj.Pod != nil {
		appLabel = obj.Pod.Labels["spark-app-selector"]
	}
	compiled, err := env.snapshot(namespace, c.NamespaceLabels)
	if err != nil {
		return nil, err
	}
	snap := compiled.snap
	applier, applierKey, err := env.appliers.get(ctx, snap, objects, compiled.namespaces, c.User, c.Groups)
	if err != nil {
		return nil, err
	}
	request := policy.Request{Operation: "CREATE", Namespace: namespace}
	request.UserInfo = userInfo(c.User, c.Groups)
	switch {
	case c.Inventory == nil:
	case obj.Schedule.Name != "":
		return nil, fmt.Errorf("%s: inventory: a ScheduledSparkApplication is judged by its run in a namespace that runs nothing else, as the webhook judges it; judge a run against live pods as a SparkApplication", file)
	case obj.App != nil && obj.App.App.Spec.Suspended():
		return nil, fmt.Errorf("%s: inventory: a suspended SparkApplication is judged in a namespace that runs nothing else, as the webhook judges it; judge it against live pods without spec.suspend, as it is when it resumes", file)
	}
	live := liveFor(namespace, appLabel, c.Inventory)
	// decide is the case's verdict with applier's policies (nil for none),
	// and what the API server stores of the object (nil where it refuses
	// it before the webhooks), as storedProblems reads it.
	decide := func(applier *mutatingpolicy.Applier) (policy.Decision, any, error) {
		request := request
		check := &policy.Check{Engine: engine, Snapshot: snap, Cluster: cluster, PodSecurity: true, LimitRanger: true, ResourceQuota: true, Placement: placement,
			Mutating: mutatingAdmission(applier)}
		switch {
		case obj.PodGroup != nil:
			if c.Inventory != nil && c.Inventory.WaitingGangs != nil {
				check.PodGroups = waitingGangs(namespace, c.Inventory)
			}
			created, err := createPodGroup(ctx, applier, obj, c.User)
			if err != nil {
				return policy.Decision{}, nil, fmt.Errorf("%s: %w", file, err)
			}
			d, err := created.verdict(ctx, check, request)
			if created.refused != nil {
				return d, nil, err
			}
			return d, json.RawMessage(created.raw), err
		case obj.Connect != nil:
			created, err := createConnect(ctx, snap, cluster, applier, obj.Raw, namespace, c.User)
			if err != nil {
				return policy.Decision{}, nil, fmt.Errorf("%s: %w", file, err)
			}
			d, err := created.verdict(ctx, check, request, live)
			if created.refused != nil {
				return d, nil, err
			}
			return d, created.stored.Object, err
		case obj.App != nil:
			created, err := createApp(ctx, snap, cluster, applier, obj, c.User)
			if err != nil {
				return policy.Decision{}, nil, fmt.Errorf("%s: %w", file, err)
			}
			d, err := created.verdict(ctx, check, live, userInfo(c.User, c.Groups))
			if err != nil || created.refused != nil {
				return d, nil, err
			}
			values, err := created.stored.Values()
			return d, values, err
		}
		created, err := createPod(ctx, check, obj.Pod, c.User)
		switch {
		case err != nil:
			return policy.Decision{}, nil, fmt.Errorf("%s: %w", file, err)
		case created.refused != nil:
			// A refusal before the webhooks is a verdict.
			return created.refused.Decision(), nil, nil
		}
		stored := created.stored
		pod := policy.ServerDefaults(created.stored)
		if c.Update != nil {
			// The mutating webhook composes creations only: the update is
			// judged as it will be stored.
			request.Operation, request.Old, request.UserInfo = "UPDATE", pod, userInfo(c.Update.User, c.Update.Groups)
			if pod, err = updated(pod, c.Update.Patch); err != nil {
				return policy.Decision{}, nil, fmt.Errorf("update.patch: %w", err)
			}
			// The API server's validation refuses an update of what a
			// pod's spec may not change before any validating webhook.
			if vs := policy.PodUpdateRefusals(request.Old, pod); len(vs) > 0 {
				return policy.Decision{Violations: vs}, nil, nil
			}
			stored = pod
		}
		_, d, err := check.Pod(ctx, pod, request, live)
		return d, stored, err
	}
	decision, stored, err := decide(applier)
	if err != nil {
		return nil, err
	}
	problems := unexpected(decision, c.Expect)
	if len(c.Expect.Stored) > 0 && decision.Allowed() {
		more, err := storedProblems(stored, c.Expect.Stored, "")
		if err != nil {
			return nil, err
		}
		problems = append(problems, more...)
	}
	if applier != nil && applier.Bound() > 1 {
		// The API server's order of the policies is not fixed: the case's
		// verdict must hold in either.
		reversed, err := env.appliers.reverse(ctx, applierKey)
		if err != nil {
			return nil, err
		}
		other, otherStored, err := decide(reversed)
		if err != nil {
			return nil, err
		}
		if !slices.Equal(verdictKeys(other), verdictKeys(decision)) {
			problems = append(problems, fmt.Sprintf("the verdict depends on the order the API server applies the cluster's MutatingAdmissionPolicies in, which is not fixed: applied in the reverse order of their names, %s",
				strings.Join(verdictKeys(other), "; ")))
		} else if len(c.Expect.Stored) > 0 && other.Allowed() {
			// What is stored must hold in either order too.
			more, err := storedProblems(otherStored, c.Expect.Stored, " (the cluster's MutatingAdmissionPolicies applied in the reverse order of their names; the API server's order is not fixed)")
			if err != nil {
				return nil, err
			}
			problems = append(problems, more...)
		}
	}
	return problems, nil
}

// verdictKeys is d as unexpected compares it: allowed or not, then each
// violation as [policy/enforcement] message, sorted.
func verdictKeys(d policy.Decision) []string {
	out := []string{fmt.Sprintf("allowed: %v", d.Allowed())}
	var vs []string
	for _, v := range d.Violations {
		vs = append(vs, violationKey(v))
	}
	slices.Sort(vs)
	return append(out, vs...)
}

// violationKey names v as a case's expectation does.
func violationKey(v policy.Violation) string {
	return fmt.Sprintf("[%s/%s] %s", v.Policy, v.Enforcement, v.Message)
}

// unexpected is what of decision differs from want, each a line of the
// case's report.
func unexpected(decision policy.Decision, want TestExpectation) []string {
	var problems []string
	if decision.Allowed() != want.Allowed {
		problems = append(problems, fmt.Sprintf("allowed: got %v, want %v", decision.Allowed(), want.Allowed))
	}
	got, wanted := map[string]bool{}, map[string]bool{}
	for _, v := range decision.Violations {
		got[violationKey(v)] = true
	}
	for _, v := range want.Violations {
		if v.Enforcement == "" {
			v.Enforcement = v1alpha1.EnforcementDeny
		}
		wanted[violationKey(v)] = true
	}
	for _, k := range slices.Sorted(maps.Keys(wanted)) {
		if !got[k] {
			problems = append(problems, "missing violation: "+k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if !wanted[k] {
			problems = append(problems, "unexpected violation: "+k)
		}
	}
	return problems
}

// updated is pod with the strategic merge patch applied, and the API
// server's defaults of what it adds.
func updated(pod *corev1.Pod, patch []byte) (*corev1.Pod, error) {
	doc, err := json.Marshal(pod)
	if err != nil {
		return nil, err
	}
	if doc, err = overlay.PatchPod(doc, patch); err != nil {
		return nil, err
	}
	out := &corev1.Pod{}
	if err := json.Unmarshal(doc, out); err != nil {
		return nil, err
	}
	return policy.ServerDefaults(out), nil
}

// liveFor turns a test case's inventory into live pods of namespace: the
// app's executors (of the spark-app-selector of the pod judged), the
// first holding what the app requests (an app's driver holds it when it
// has no executors), and other pods up to the namespace's count, the
// first holding the rest of what the namespace requests.
func liveFor(namespace, app string, inv *TestInventory) policy.LiveState {
	if inv == nil {
		return nil
	}
	var appUsage policy.Usage
	if q := inv.App.CPU; q != nil {
		appUsage.CPUMilli = q.MilliValue()
	}
	if q := inv.App.Memory; q != nil {
		appUsage.MemoryBytes = q.Value()
	}
	var live []policy.LivePod
	for i := range inv.AppExecutors {
		live = append(live, policy.LivePod{Key: fmt.Sprintf("%s/inventory-exec-%d", namespace, i), Namespace: namespace, App: app, Executor: true, Usage: policy.Usage{Pods: 1}})
	}
	if len(live) == 0 && appUsage != (policy.Usage{}) {
		live = append(live, policy.LivePod{Key: namespace + "/inventory-driver", Namespace: namespace, App: app, Usage: policy.Usage{Pods: 1}})
	}
	if len(live) > 0 {
		live[0].Usage.CPUMilli, live[0].Usage.MemoryBytes = appUsage.CPUMilli, appUsage.MemoryBytes
	}
	rest := policy.LivePod{Key: namespace + "/inventory", Namespace: namespace}
	if q := inv.Namespace.CPU; q != nil {
		rest.Usage.CPUMilli = max(q.MilliValue()-appUsage.CPUMilli, 0)
	}
	if q := inv.Namespace.Memory; q != nil {
		rest.Usage.MemoryBytes = max(q.Value()-appUsage.MemoryBytes, 0)
	}
	if others := inv.Namespace.Pods - int64(len(live)); others > 0 {
		rest.Usage.Pods = 1
		for i := range others - 1 {
			live = append(live, policy.LivePod{Key: fmt.Sprintf("%s/inventory-%d", namespace, i), Namespace: namespace, Usage: policy.Usage{Pods: 1}})
		}
	}
	return policy.TrackerOf(append(live, rest))
}

// waitingGangs is a lookup of namespace's PodGroups holding, as one gang
// waiting to run, what the inventory's waitingGangs say.
func waitingGangs(namespace string, inv *TestInventory) policy.PodGroupLookup {
	held := corev1.ResourceList{}
	if q := inv.WaitingGangs.CPU; q != nil {
		held[corev1.ResourceCPU] = *q
	}
	if q := inv.WaitingGangs.Memory; q != nil {
		held[corev1.ResourceMemory] = *q
	}
	gang := volcanov1beta1.PodGroup{Name: "inventory-waiting-gangs", Namespace: namespace, Phase: "Pending", MinResources: held}
	return func(context.Context, string) ([]volcanov1beta1.PodGroup, error) {
		return []volcanov1beta1.PodGroup{gang}, nil
	}
}

// stickyWriter remembers the first write error, so output written in many
// places is checked once, at the end.
type stickyWriter struct {
	w   io.Writer
	err error
}

func (s *stickyWriter) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.w.Write(p)
	s.err = err
	return n, err
}
