package app

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/mutate/mutatingpolicy"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1alpha1"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/manifest"
	"github.com/strata-dev/strata/pkg/policy"
	"github.com/strata-dev/strata/pkg/policy/volcanov1beta1"
	"github.com/strata-dev/strata/policies"
)

// Output formats of `composer compose`.
const (
	outputYAML    = "yaml"
	outputJSON    = "json"
	outputPatch   = "patch"
	outputExplain = "explain"
	// outputSparkConf prints each SparkApplication's effective Spark
	// configuration as spark-defaults.conf lines.
	outputSparkConf = "spark-conf"
)

// composed is one input object and its composition: a pod, or a
// SparkApplication; or a PodGroup, which no layer composes (the webhook
// judges one, it changes none).
type composed struct {
	pod    *corev1.Pod
	podRes *mutate.Result
	// stored is the pod the API server stores (policy.Reinvoked): podRes's
	// pod after the API server's admission plugins ran again on what the
	// webhook changed.
	stored *corev1.Pod
	// shadow is what Shadow layers would change of the pod.
	shadow []mutate.ShadowChange
	app    *sparkv1beta2.Object
	appRes *mutate.AppResult
	// appBeforePolicies is the composition of the SparkApplication (the
	// SparkConnect's job) as written, where the cluster's
	// MutatingAdmissionPolicies changed it (appRes, connectRes are
	// theirs), for -o explain, which tells their values from the user's
	// by it; nil otherwise.
	appBeforePolicies *mutate.AppResult
	// storedApp is the SparkApplication the API server stores
	// (appCreation): appRes's, or what the cluster's
	// MutatingAdmissionPolicies changed of it on the API server's second
	// pass, composed again.
	storedApp *sparkv1beta2.Object
	// schedule is the ScheduledSparkApplication's when app is its run.
	schedule sparkv1beta2.Schedule
	// podGroup is a Volcano PodGroup, and raw that PodGroup as written
	// (JSON), which is what is printed.
	podGroup *volcanov1beta1.PodGroup
	raw      []byte
	// connect is a SparkConnect, connectRes its composition, and
	// storedConnect what the API server stores (connectCreation).
	connect       *sparkv1alpha1.SparkConnect
	connectRes    *mutate.ConnectResult
	storedConnect *mutate.ConnectResult
	// classNote says what the API server's RuntimeClass plugin changed
	// of the pod before the webhook sees it; "" when nothing.
	classNote string
	// placementNote says what the pod's namespace gives it through the
	// plugins the composer does not run; "" when nothing.
	placementNote string
	// refused is the admission plugins' refusal of the pod or
	// SparkApplication before any webhook (RuntimeClass's, the placement
	// plugins of --admission-plugins, a MutatingAdmissionPolicy's); the
	// object is composed all the same.
	refused *policy.RefusedError
	// mutatingNotes name the cluster's MutatingAdmissionPolicies that may
	// apply to the object, where the dry run does not apply them, and say
	// when they changed a pod or a SparkApplication (mutatingNotes).
	mutatingNotes []string
	// beforePolicies is the pod before the MutatingAdmissionPolicies
	// changed it; nil when they did not.
	beforePolicies *corev1.Pod
}

// ref names the object in messages: Pod ns/name, SparkApplication
// ns/name, ScheduledSparkApplication ns/name.
func (c *composed) ref() string {
	if c.schedule.Name != "" {
		return "ScheduledSparkApplication " + c.app.App.Namespace + "/" + c.schedule.Name
	}
	if c.app != nil {
		return "SparkApplication " + c.app.App.Namespace + "/" + c.app.App.Name
	}
	if c.podGroup != nil {
		return "PodGroup " + c.podGroup.Namespace + "/" + c.podGroup.Name
	}
	if c.connect != nil {
		return sparkv1alpha1.Kind + " " + c.connect.Metadata.Namespace + "/" + c.connect.Metadata.Name
	}
	return "Pod " + podRef(c.pod)
}

type composeOptions struct {
	podFile     string
	repo        repoFlags
	output      string
	validate    bool
	policiesDir string
	// user creates the objects, as the API server names users; "" for
	// not known; groups are its groups (--as-group).
	user   string
	groups []string
	fsys   filesys.FileSystem
}

func newComposeCommand(ctx context.Context, streams Streams) *cobra.Command {
	o := &composeOptions{fsys: filesys.MakeFsOnDisk()}
	cmd := &cobra.Command{
		Use:   "compose -f FILE --layers DIR --cluster NAME --pool NAME [-o yaml|json|patch|explain|spark-conf]",
		Short: "Compose the layers of a repository onto pods and SparkApplications and print the result",
		Long: `Compose reads Pods, SparkApplications, SparkConnects and Volcano PodGroups
(-f, YAML or JSON, a List, or multi-document YAML mixing them; a
ScheduledSparkApplication is read as the SparkApplication each of its runs
is; "-" reads standard input) and a layer repository (--layers: a
kustomization, built in-process as kubectl kustomize builds it, or a
directory of YAML/JSON files), composes every Spark pod, every
SparkApplication and every SparkConnect's Spark configuration exactly as the
admission webhook does, and prints the composed objects (-o yaml, json), the
JSON Patch the webhook returns (-o patch, one array per object), which layer
set every value (-o explain), or each SparkApplication's and SparkConnect's
effective Spark configuration, one key=value line per key (-o spark-conf, a
spark-defaults.conf). No layer composes a PodGroup: it is printed as
written, and --validate judges it as the webhook does.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context(), streams) },
	}
	f := cmd.Flags()
	f.StringVarP(&o.podFile, "filename", "f", "", "file of Pods, SparkApplications, SparkConnects and PodGroups (YAML or JSON, a List or multi-document YAML); - for standard input")
	o.repo.add(cmd)
	addAdmissionPluginsFlag(cmd, &o.repo.admissionPlugins)
	f.StringVarP(&o.output, "output", "o", outputYAML, "output format: yaml, json, patch, explain or spark-conf")
	f.BoolVar(&o.validate, "validate", false, "also run the policies on every pod, Spark or not, SparkApplication and PodGroup, as the webhook does: violations on stderr, exit 1 when one denies")
	f.StringVar(&o.policiesDir, "policies", "", "directory of Rego policies to use instead of the built-in ones (with --validate)")
	f.StringSliceVar(&o.groups, "as-group", nil, "the groups of the user of --as, beyond those the API server gives every user and a service account: what a MutatingAdmissionPolicy reads of request.userInfo and asks the cluster's authorizer about (with --kubeconfig); repeat or comma-separate")
	f.StringVar(&o.repo.cluster.SparkOperator, "operator-user", "", "the Spark Operator's user, as the API server names it (system:serviceaccount:NAMESPACE:NAME): who creates an application's driver pod, a SparkConnect's server pod and a ScheduledSparkApplication's runs, as the PodSecurity admission's exemptions and the MutatingAdmissionPolicies see them; by default the webhook's --spark-operator-user where --kubeconfig reads the cluster's identity from its Deployment, else not known (exempt from nothing)")
	f.StringVar(&o.user, "as", "", "who creates the objects, as the API server names users (system:serviceaccount:NAMESPACE:NAME for a service account): the request's user the policies see and the PodSecurity admission's configuration may exempt, as the webhook sees it; a SparkApplication's and SparkConnect's pods are created by the operator and the driver, whoever writes them")
	_ = cmd.MarkFlagRequired("filename")
	return cmd
}

func (o *composeOptions) run(ctx context.Context, streams Streams) error {
	if !slices.Contains([]string{outputYAML, outputJSON, outputPatch, outputExplain, outputSparkConf}, o.output) {
		return badInput(fmt.Errorf("-o: unknown output format %q (want yaml, json, patch, explain or spark-conf)", o.output))
	}
	if op := o.repo.cluster.SparkOperator; op != "" {
		if err := mutate.CheckUserName(op); err != nil {
			return badInput(fmt.Errorf("--operator-user: %w", err))
		}
	}
	// A misspelt user is one no request comes from: the policies and the
	// PodSecurity exemptions would judge another user than meant.
	if o.user != "" {
		if err := mutate.CheckUserName(o.user); err != nil {
			return badInput(fmt.Errorf("--as: %w", err))
		}
	}
	objects, err := o.readObjects(streams.In)
	if err != nil {
		return badInput(err)
	}
	snap, err := o.repo.snapshot(ctx, o.fsys, streams.Err, namespacesOf(objects))
	if err != nil {
		return badInput(err)
	}
	// What judging needs is read before anything is printed: bad policies
	// or a cluster whose pods cannot be read are an error, not a
	// composition printed and then an error.
	var (
		engine *policy.Engine
		live   policy.LiveState
	)
	if o.validate {
		if engine, err = loadEngine(ctx, o.policiesDir); err != nil {
			return badInput(err)
		}
		for _, w := range (overlay.Inputs{Layers: o.repo.layers}).EnforcementWarnings(engine.Policies()) {
			_, _ = fmt.Fprintf(streams.Err, "Warning: %s\n", w) // diagnostics
		}
		if live, err = o.repo.liveState(ctx); err != nil {
			return badInput(err)
		}
	}
	// Each object is composed on its own, so on every core; the results,
	// notes and the first failure come in the objects' order (inOrder).
	workers := runtime.GOMAXPROCS(0)
	access := clusterAccess{reader: o.repo.reader, authorizer: o.repo.authorizer, groups: map[string][]string{o.user: o.groups}}
	applier, err := mutatingApplier(ctx, snap, objects, access, o.repo.namespaces)
	if err != nil {
		return badInput(err)
	}
	var reversed *mutatingpolicy.Applier
	if applier != nil {
		defer applier.Close()
		if applier.Bound() > 1 {
			// Their order may matter; the API server's is not fixed.
			if reversed, err = applier.Reversed(ctx); err != nil {
				return badInput(err)
			}
			defer reversed.Close()
		}
	}
	results, err := inOrder(len(objects), workers, func(i int) (composed, error) {
		return o.compose(ctx, snap, mutatingAppliers{applier, reversed}, objects[i])
	})
	for i := range results {
		for _, n := range append([]string{results[i].classNote, results[i].placementNote}, results[i].mutatingNotes...) {
			if n != "" {
				_, _ = fmt.Fprintf(streams.Err, "Note: %s: %s\n", results[i].ref(), n) // diagnostics
			}
		}
	}
	if err != nil {
		return err
	}
	if err := o.print(streams.Out, results); err != nil {
		return err
	}
	for i := range results {
		if r := &results[i]; r.podRes != nil {
			for _, n := range r.podRes.Notes {
				_, _ = fmt.Fprintf(streams.Err, "Note: %s: %s\n", r.ref(), n) // diagnostics
			}
		}
		if r := &results[i]; r.schedule.Name != "" {
			_, _ = fmt.Fprintf(streams.Err, "Note: %s: printed is SparkApplication %q, each of its runs as the webhook composes it when the operator creates it (named for its start time); the schedule itself is stored as written\n", // diagnostics
				r.ref(), r.app.App.Name)
		}
		if r := &results[i]; r.connect != nil {
			_, _ = fmt.Fprintf(streams.Err, "Note: %s: composed is its Spark configuration; its server and executor pods are composed as pods when they are created\n", r.ref()) // diagnostics
		}
		if r := &results[i]; r.podGroup != nil && !o.validate {
			as := "as written"
			if slices.Contains(r.mutatingNotes, podGroupChangedByPolicies) {
				as = "as the cluster's MutatingAdmissionPolicies leave it"
			}
			_, _ = fmt.Fprintf(streams.Err, "Note: %s: printed %s: no layer composes a PodGroup; the webhook judges its priority class and queue (--validate)\n", r.ref(), as) // diagnostics
		}
	}
	if !o.validate {
		return refusedBeforeWebhooks(streams.Err, results)
	}
	check := &policy.Check{Engine: engine, Snapshot: snap, Cluster: o.repo.cluster, PodSecurity: true, LimitRanger: true, ResourceQuota: true, Placement: o.repo.placement,
		Mutating: mutatingAdmission(applier)}
	if o.repo.reader != nil {
		// A run is judged with its schedule, a PodGroup's hold with the
		// namespace's other gangs waiting to run, and an application with
		// the Services and Ingresses the operator would take over, as the
		// webhook judges them.
		check.Schedules = policy.SchedulesIn(o.repo.reader)
		check.PodGroups = policy.PodGroupsIn(o.repo.reader)
		check.Owners = policy.OwnersIn(o.repo.reader)
	}
	// Each object is judged against live alone (nothing is reserved), so
	// on every core too.
	decisions, err := inOrder(len(results), workers, func(i int) (policy.Decision, error) {
		d, err := judge(ctx, check, &results[i], live, userInfo(o.user, o.groups))
		if err != nil {
			return d, badInput(fmt.Errorf("%s: %w", results[i].ref(), err))
		}
		return d, nil
	})
	denied := 0
	for i, decision := range decisions {
		for _, v := range decision.Violations {
			_, _ = fmt.Fprintf(streams.Err, "%s: %s: %s\n", results[i].ref(), v.Enforcement, v.Message) // diagnostics; the exit status carries the verdict
		}
		if !decision.Allowed() {
			denied++
		}
	}
	if err != nil {
		return err
	}
	if denied > 0 {
		return &deniedError{err: fmt.Errorf("%d of %d objects denied by policy", denied, len(results))}
	}
	return nil
}

// compose composes obj, as the webhook does: a pod as the API server's
// admission plugins before the webhooks send it (RuntimeClass's, and the
// placement plugins --admission-plugins names: policy.AdmitPod), then the
// cluster's MutatingAdmissionPolicies (applier's; nil for none), with what Shadow layers would change of
// it; a SparkApplication; a PodGroup as written.
func (o *composeOptions) compose(ctx context.Context, snap *overlay.Snapshot, appliers mutatingAppliers, obj manifest.Object) (composed, error) {
	applier := appliers.byName
	var r composed
	if err := overBounds(obj); err != nil {
		return r, &deniedError{err: fmt.Errorf("%s: %s: %w", o.fileName(), objectRef(obj), err)}
	}
	r.mutatingNotes = mutatingNotes(snap, obj, applier)
	var err error
	if obj.App != nil {
		r.app, r.schedule = obj.App, obj.Schedule
		c, err := createApp(ctx, snap, o.repo.cluster, applier, obj, o.user)
		if err != nil {
			return r, o.objectFailed(err)
		}
		r.appRes, r.storedApp, r.refused, r.schedule = c.composed, c.stored, c.refused, c.schedule
		if c.policiesChanged() && c.refused == nil {
			r.mutatingNotes = append(r.mutatingNotes, changedByPolicies)
		}
		if c.policiesChanged() && c.refused == nil && o.output == outputExplain {
			if r.appBeforePolicies, err = mutate.ComposeApp(snap, o.repo.cluster, obj.App); err != nil {
				return r, badInput(fmt.Errorf("%s: %w", o.fileName(), err))
			}
		}
		if (c.policiesChanged() || c.refused != nil) && appliers.appOrderMatters(ctx, snap, o.repo.cluster, obj, c, o.user) {
			r.mutatingNotes = append(r.mutatingNotes, orderMatters)
		}
		return r, nil
	}
	if obj.PodGroup != nil {
		c, err := createPodGroup(ctx, applier, obj, o.user)
		if err != nil {
			return r, o.objectFailed(err)
		}
		r.podGroup, r.raw, r.refused = &c.podGroup, c.raw, c.refused
		if c.changed && c.refused == nil {
			r.mutatingNotes = append(r.mutatingNotes, podGroupChangedByPolicies)
		}
		if (c.changed || c.refused != nil) && appliers.podGroupOrderMatters(ctx, obj, c, o.user) {
			r.mutatingNotes = append(r.mutatingNotes, orderMatters)
		}
		return r, nil
	}
	if obj.Connect != nil {
		r.connect = obj.Connect
		c, err := createConnect(ctx, snap, o.repo.cluster, applier, obj.Raw, obj.Connect.Metadata.Namespace, o.user)
		if err != nil {
			return r, o.objectFailed(err)
		}
		r.connectRes, r.storedConnect, r.refused = c.composed, c.stored, c.refused
		if c.changed && c.refused == nil {
			r.mutatingNotes = append(r.mutatingNotes, changedByPolicies)
		}
		if c.changed && c.refused == nil && o.output == outputExplain {
			before, err := mutate.ComposeConnect(snap, o.repo.cluster, obj.Raw, obj.Connect.Metadata.Namespace)
			if err != nil {
				return r, badInput(fmt.Errorf("%s: %w", o.fileName(), err))
			}
			r.appBeforePolicies = before.Job
		}
		if (c.changed || c.refused != nil) && appliers.connectOrderMatters(ctx, snap, o.repo.cluster, obj.Raw, obj.Connect.Metadata.Namespace, c, o.user) {
			r.mutatingNotes = append(r.mutatingNotes, orderMatters)
		}
		return r, nil
	}
	check := &policy.Check{Snapshot: snap, Cluster: o.repo.cluster, Placement: o.repo.placement, Mutating: mutatingAdmission(applier)}
	c, err := createPod(ctx, check, obj.Pod, o.user)
	if err != nil {
		return r, badInput(fmt.Errorf("%s: %w", o.fileName(), err))
	}
	// A refusal is a verdict, judged with the others; what the layers
	// would do is shown all the same, where the pod can be composed.
	r.pod, r.classNote, r.refused, r.podRes, r.stored = c.admitted, c.classNote, c.refused, c.composed, c.stored
	if c.changed {
		r.beforePolicies = c.beforePolicies
		r.mutatingNotes = append(r.mutatingNotes, changedByPolicies)
		if appliers.podOrderMatters(ctx, check, obj.Pod, c, o.user) {
			r.mutatingNotes = append(r.mutatingNotes, orderMatters)
		}
	}
	r.placementNote = policy.NamespacePlacementNote(snap, r.pod, o.repo.placement)
	if r.podRes == nil {
		return r, nil
	}
	// As the webhook answers the user who creates the pod.
	r.podRes.Warnings = r.podRes.WarningsFor(snap, o.user)
	if o.repo.placement.PodNodeSelector {
		for _, k := range slices.Sorted(maps.Keys(snap.NamespacePlacement(obj.Pod.Namespace).NodeSelector)) {
			if _, own := obj.Pod.Spec.NodeSelector[k]; !own {
				r.podRes.Pinned = append(r.podRes.Pinned, k)
			}
		}
	}
	if r.shadow, err = mutate.ShadowOf(snap, o.repo.cluster, r.pod, r.podRes); err != nil {
		return r, badInput(fmt.Errorf("%s: Shadow layers: %w", o.fileName(), err))
	}
	return r, nil
}

// changedByPolicies notes an object the cluster's MutatingAdmissionPolicies
// change.
const changedByPolicies = "the cluster's MutatingAdmissionPolicies change it in the API server before the webhooks, as printed (-o explain names them as the source of what they set)"

// podGroupChangedByPolicies notes a PodGroup the cluster's
// MutatingAdmissionPolicies change (no layer composes one: -o explain has
// nothing to name).
const podGroupChangedByPolicies = "the cluster's MutatingAdmissionPolicies change it in the API server before the webhook judges it, as printed"

// orderMatters notes an object the cluster's MutatingAdmissionPolicies
// have the API server store otherwise in another order.
const orderMatters = "the cluster's MutatingAdmissionPolicies give it other values applied in another order: two of them change the same field, and the API server's order is not fixed (the dry run applies them in the order of their names)"

// refusedBeforeWebhooks prints on w each object of results the admission
// plugins or the MutatingAdmissionPolicies refuse before any webhook, or
// leave the webhook unable to read, and is a denial when there is one:
// without --validate, the exit status still says that the API server
// refuses it.
func refusedBeforeWebhooks(w io.Writer, results []composed) error {
	refused := 0
	for i := range results {
		if r := &results[i]; r.refused != nil {
			refused++
			_, _ = fmt.Fprintf(w, "%s: %v\n", r.ref(), r.refused) // diagnostics; the exit status carries the verdict
		}
	}
	if refused > 0 {
		return &deniedError{err: fmt.Errorf("%d of %d objects refused by the API server's admission", refused, len(results))}
	}
	return nil
}

// overBounds is the webhook's refusal of obj before any work on it, over
// the documented bounds (mutate.CheckSize, mutate.CheckApp), or a key
// spark-submit would read as another (mutate.CheckApp); nil otherwise. The webhook denies such an object on admission, so the dry
// run does too, naming the bound.
func overBounds(obj manifest.Object) error {
	var err error
	switch {
	case obj.App != nil:
		err = mutate.CheckApp(&obj.App.App)
	case obj.Pod != nil:
		err = mutate.CheckSize(obj.Pod)
	case obj.Connect != nil:
		if n := len(obj.Raw); n > mutate.MaxPodBytes {
			err = fmt.Errorf("%s is %d bytes; Strata admits at most %d", sparkv1alpha1.Kind, n, mutate.MaxPodBytes)
		} else {
			err = mutate.CheckConnect(&obj.Connect.Spec)
		}
	}
	if err != nil {
		if obj.Schedule.Name != "" {
			err = fmt.Errorf("%w%s", err, policy.EachRun(obj.Schedule))
		}
		return fmt.Errorf("denied by the webhook before any work: %w", err)
	}
	return nil
}

// objectFailed is err, the failure of an object of the file composed: bad
// input (a refusal is a verdict, composed.refused).
func (o *composeOptions) objectFailed(err error) error {
	return badInput(fmt.Errorf("%s: %w", o.fileName(), err))
}

// userInfo is the user named name, in groups, as the API server's
// authenticators give it to the webhooks (mutatingpolicy.UserOf): with a
// service account's groups and system:authenticated. The zero user for
// "", one not known.
func userInfo(name string, groups []string) authenticationv1.UserInfo {
	u := mutatingpolicy.UserOf(name, groups)
	return authenticationv1.UserInfo{Username: u.GetName(), Groups: u.GetGroups()}
}

// objectRef names obj as a report names it.
func objectRef(obj manifest.Object) string {
	c := composed{app: obj.App, schedule: obj.Schedule, podGroup: obj.PodGroup, pod: obj.Pod, connect: obj.Connect}
	return c.ref()
}

// judge runs the policies on a composed object, as the validating webhooks
// do on user's CREATE (a zero user for one not known).
func judge(ctx context.Context, check *policy.Check, r *composed, live policy.LiveState, user authenticationv1.UserInfo) (policy.Decision, error) {
	created := func(namespace string) policy.Request {
		return policy.Request{Operation: "CREATE", Namespace: namespace, UserInfo: user}
	}
	if r.refused != nil {
		return r.refused.Decision(), nil
	}
	if r.appRes != nil {
		return judgeApp(ctx, check, r.schedule, &r.storedApp.App, live, user)
	}
	if r.podGroup != nil {
		return check.PodGroup(ctx, *r.podGroup, created(r.podGroup.Namespace))
	}
	if r.connectRes != nil {
		c := r.storedConnect.Connect
		return check.Connect(ctx, c, created(c.Metadata.Namespace), live)
	}
	// The webhook judges the pod as the API server stores it.
	_, d, err := check.Pod(ctx, policy.ServerDefaults(r.stored), created(r.stored.Namespace), live)
	return d, err
}

// judgeApp judges a composed application as the validating webhooks do on
// a CREATE: the run of the ScheduledSparkApplication schedule
// (policy.Check.ScheduledRun, what is live playing no part), or a
// SparkApplication against live, as the webhook sees it after the Spark
// Operator's defaulting webhook (policy.OperatorDefaults), written by user
// (a zero user for one not known).
func judgeApp(ctx context.Context, check *policy.Check, schedule sparkv1beta2.Schedule, app *sparkv1beta2.SparkApplication, live policy.LiveState, user authenticationv1.UserInfo) (policy.Decision, error) {
	req := policy.Request{Operation: "CREATE", Namespace: app.Namespace, UserInfo: user}
	var (
		d   policy.Decision
		err error
	)
	if schedule.Name != "" {
		d, err = check.ScheduledRun(ctx, schedule, app, req)
	} else {
		_, d, err = check.App(ctx, policy.OperatorDefaults(app), req, live)
	}
	if mutate.IsInvalidComposition(err) {
		// Its pods composed as the API server would refuse them: the
		// webhook refuses the application, 422 Invalid.
		return policy.CompositionInvalid(sparkv1beta2.Kind, err).Decision(), nil
	}
	return d, err
}

// namespacesOf are the namespaces of the objects, in order, each once.
func namespacesOf(objects []manifest.Object) []string {
	var out []string
	for i := range objects {
		if ns := objects[i].Namespace(); !slices.Contains(out, ns) {
			out = append(out, ns)
		}
	}
	return out
}

// loadEngine compiles the built-in policies, or those of dir.
func loadEngine(ctx context.Context, dir string) (*policy.Engine, error) {
	mods, err := policyModules(dir)
	if err != nil {
		return nil, err
	}
	return policy.NewEngine(ctx, mods)
}

func policyModules(dir string) (policy.Modules, error) {
	if dir == "" {
		return policy.LoadModules(policies.FS)
	}
	return policy.LoadDir(dir)
}

// fileName names -f's file in messages: <stdin> for standard input.
func (o *composeOptions) fileName() string {
	if o.podFile == "-" {
		return "<stdin>"
	}
	return o.podFile
}

func (o *composeOptions) readObjects(stdin io.Reader) ([]manifest.Object, error) {
	var (
		data []byte
		err  error
		name = o.fileName()
	)
	if o.podFile == "-" {
		data, err = io.ReadAll(io.LimitReader(stdin, 64<<20+1))
	} else {
		data, err = os.ReadFile(o.podFile)
	}
	if err != nil {
		return nil, fmt.Errorf("-f: reading %s: %w", name, err)
	}
	return manifest.DecodeObjects(name, data)
}

// withNamespaceLabels is namespaces with extra added to the labels of
// every namespace of names, creating Namespaces the repository does not
// hold. namespaces is left as it is: composer test gives each case's
// labels to the suite's Namespaces, which the next case must find as
// they were.
func withNamespaceLabels(namespaces []corev1.Namespace, names []string, extra labels.Set) []corev1.Namespace {
	if len(extra) == 0 {
		return namespaces
	}
	namespaces = slices.Clone(namespaces)
	for _, name := range names {
		if !slices.ContainsFunc(namespaces, func(ns corev1.Namespace) bool { return ns.Name == name }) {
			namespaces = append(namespaces, corev1.Namespace{})
			namespaces[len(namespaces)-1].Name = name
		}
		// Every Namespace of the name: one a directory holds twice is
		// compiled as its last.
		for i := range namespaces {
			if ns := &namespaces[i]; ns.Name == name {
				ns.Labels = maps.Clone(ns.Labels)
				if ns.Labels == nil {
					ns.Labels = map[string]string{}
				}
				maps.Copy(ns.Labels, extra)
			}
		}
	}
	return namespaces
}

func podRef(pod *corev1.Pod) string {
	name := pod.Name
	if name == "" {
		name = pod.GenerateName + "*"
	}
	return pod.Namespace + "/" + name
}

func joinNonEmpty(parts []string, sep string) string {
	return strings.Join(slices.DeleteFunc(slices.Clone(parts), func(s string) bool { return s == "" }), sep)
}
