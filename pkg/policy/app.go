package policy

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1alpha1"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// Application is input.application: a SparkApplication judged as a whole
// at submission, or a SparkConnect when it is written (Check.Connect: its
// driver is its server, and it has nothing of spark-submit's), by the
// pods it will launch. It is set on the input of its executor pod only;
// the input of a pod has none.
type Application struct {
	// Name is the application's name.
	Name string `json:"name"`
	// Driver and Executor are what one pod of each role requests, as
	// launched (Spark's sizing, and the sidecars the layers add).
	Driver   Usage `json:"driver"`
	Executor Usage `json:"executor"`
	// Executors is the most executors it may run: executor.instances, or
	// dynamicAllocation.maxExecutors; -1 when nothing bounds them.
	Executors int64 `json:"executors"`
	// DynamicAllocation reports whether executors come and go.
	DynamicAllocation bool `json:"dynamicAllocation"`
	// Bounded reports whether Total counts every pod it may run.
	Bounded bool `json:"bounded"`
	// Total is the driver and every executor; meaningful when Bounded.
	Total Usage `json:"total"`
	// SparkConf is the Spark configuration the composed application runs
	// with, every spelling resolved (its -o spark-conf), each key {value,
	// source, user}: the layer that gives it that value, or the user.
	SparkConf map[string]sourced `json:"sparkConf"`
	// Dependencies are the lists spark-submit resolves or hands the
	// driver (jars, files, pyFiles, archives, packages, excludePackages,
	// repositories), each as spark-submit takes it: spec.deps' own when
	// set, which wins over its Spark key, else the key's in sparkConf.
	Dependencies map[string]dependency `json:"dependencies"`
	// BatchSchedulerOptions is what the operator gives the application's
	// PodGroup, with its own credentials, besides the queue (which the
	// launched pods carry): priorityClassName, {value, source, user}, the
	// user's unless a layer gives either role's pods that class or it is
	// the cluster's globalDefault; and resources, the PodGroup's
	// minResources, {cpuMilli, memoryBytes, cpu, memory}.
	BatchSchedulerOptions *podGroupOptions `json:"batchSchedulerOptions,omitempty"`
	// RestartPolicy is spec.restartPolicy as written; absent when none.
	// Each restart runs spark-submit again in the operator, which every
	// tenant shares: quota bounds how often (minSubmissionIntervalSeconds),
	// and a site may add rules of its own.
	RestartPolicy *sparkv1beta2.RestartPolicy `json:"restartPolicy,omitempty"`
	// ProxyUser is spec.proxyUser, the user spark-submit submits as
	// (--proxy-user); absent when none. Where the operator holds Kerberos
	// credentials that may impersonate, it names whose data the
	// application reads: a site that runs so restricts it in a policy of
	// its own.
	ProxyUser string `json:"proxyUser,omitempty"`
	// Exposure is what the operator creates to expose the driver (or
	// the server); absent when it creates nothing of the tenant's.
	Exposure *exposure `json:"exposure,omitempty"`
	// Schedule is, when the application is the run of a
	// ScheduledSparkApplication (ScheduledRun, or a run App finds the
	// schedule of), when the operator starts one; absent otherwise.
	Schedule *scheduleDocument `json:"schedule,omitempty"`
}

// scheduleDocument is input.application.schedule.
type scheduleDocument struct {
	// Name is the ScheduledSparkApplication's name, Cron its
	// spec.schedule as written.
	Name string `json:"name"`
	Cron string `json:"cron"`
	// LeastIntervalSeconds is the least time between two runs
	// (leastRunInterval), in seconds; absent when the operator cannot
	// parse the schedule, and never runs it.
	LeastIntervalSeconds *int64 `json:"leastIntervalSeconds,omitempty"`
}

// newScheduleDocument is schedule's input.application.schedule.
func newScheduleDocument(schedule sparkv1beta2.Schedule) *scheduleDocument {
	doc := &scheduleDocument{Name: schedule.Name, Cron: schedule.Cron}
	if least, ok := leastRunInterval(schedule.Cron); ok {
		seconds := int64(least / time.Second)
		doc.LeastIntervalSeconds = &seconds
	}
	return doc
}

// appSizeCheck is quota's check of a size Spark would not accept.
const appSizeCheck = "appSize"

// App judges a SparkApplication, composed, as the validating webhook does
// at submission: each of the pods it will launch (mutate.LaunchedPod) is
// judged as a pod is, and the application as a whole (input.application,
// on its executor's input): every policy sees the pods, quota also the
// whole application against maxExecutorsPerApp, maxAppCPU, maxAppMemory
// and the namespace's totals with what is live now. A suspended
// application runs nothing until it resumes, when it is judged again: it
// is judged in a namespace that runs nothing else, live playing no part,
// so one created suspended to wait in a queue is refused only when it
// could never fit. Nothing is reserved: the pods reserve their quota when
// they are created. An application labelled as the run of a
// ScheduledSparkApplication c.Schedules finds is judged with how often
// that schedule runs (a schedule that cannot be read is an error).
//
// It returns the launched pods' compositions and the decision; an error
// is an internal failure, never a verdict.
func (c *Check) App(ctx context.Context, app *sparkv1beta2.SparkApplication, req Request, live LiveState) ([]*mutate.Result, Decision, error) {
	schedule, err := c.scheduleOf(ctx, app, cmp.Or(req.Namespace, app.Namespace))
	if err != nil {
		return nil, Decision{}, err
	}
	l := submitted(app)
	l.objects = appObjects(app)
	return c.app(ctx, l, req, live, schedule)
}

// launched is what Check.app judges: an application, by its spec (what
// sizes its executors and configures it) and the pod it launches of each
// role.
type launched struct {
	// kind names the object in messages and in quota's ledger.
	kind string
	app  *sparkv1beta2.SparkApplication
	pod  func(role v1alpha1.Role) (*corev1.Pod, error)
	// bySubmit is an application the operator submits with spark-submit,
	// in its own pod: what that spark-submit would do with what is its
	// own is judged too (submissionViolations, input.application's
	// dependencies).
	bySubmit bool
	// exposure is what the operator creates to expose its driver.
	exposure *exposure
	// objects are what the operator names after it, which it would take
	// over where they exist (judged when Check.Owners is set).
	objects []operatorObject
}

// submitted is app as the operator submits it.
func submitted(app *sparkv1beta2.SparkApplication) launched {
	return launched{kind: sparkv1beta2.Kind, app: app, bySubmit: true, exposure: appExposure(app),
		pod: func(role v1alpha1.Role) (*corev1.Pod, error) { return mutate.LaunchedPod(app, role) }}
}

// app is App of l, the run of schedule when it is not nil.
func (c *Check) app(ctx context.Context, l launched, req Request, live LiveState, schedule *scheduleDocument) ([]*mutate.Result, Decision, error) {
	app := l.app
	if req.Namespace == "" {
		req.Namespace = app.Namespace
	}
	// What the operator's spark-submit would do with what is its own is
	// refused with whatever else is wrong.
	given := c.layerConf(req.Namespace)
	var submission []Violation
	if l.bySubmit {
		submission = submissionViolations(app, given)
	}
	takeovers, err := c.takeovers(ctx, l, req.Namespace)
	if err != nil {
		return nil, Decision{}, err
	}
	submission = append(submission, takeovers...)
	// The launched pods are created, whether the app is created or its
	// spec updated (the operator submits it again).
	req.Old, req.Operation = nil, "CREATE"
	pods := make(map[v1alpha1.Role]*Input, 2)
	var (
		views  []*Input
		viewOf []v1alpha1.Role // the role of each view's pod
	)
	var (
		results []*mutate.Result
		driver  *corev1.Pod // composed, as the pod webhook stores it
	)
	for _, role := range mutate.Roles() {
		pod, err := l.pod(role)
		if err != nil {
			return nil, Decision{Violations: append(submission, Violation{Policy: quotaPolicy, Check: appSizeCheck,
				Message: fmt.Sprintf("%s: %s %q: %v", quotaPolicy, l.kind, app.Name, err), Enforcement: v1alpha1.EnforcementDeny})}, nil
		}
		// Judged as the pod webhook will store it: after the API server's
		// RuntimeClass plugin (a class a pod template names) and composed,
		// which changes only what the application cannot say (a layer's
		// pod patch, what a pod template's own containers take: IRSA,
		// mirrored images).
		// LimitRanger's defaults first, as the API server gives them,
		// where the composer predicts them (Check.LimitRanger).
		var ranges []*corev1.LimitRange
		if c.LimitRanger {
			ranges = c.Snapshot.LimitRanges(req.Namespace)
		}
		pod = mutate.LimitPod(ranges, pod)
		// The placement plugins' refusals before the webhooks, where the
		// composer predicts them (Check.Placement).
		var placed []mutate.PlacementRefusal
		if c.Placement.Any() {
			pod, placed = mutate.PlacePod(c.Snapshot.NamespacePlacement(req.Namespace), pod, c.Placement)
		}
		if pod, _, err = AdmitRuntimeClass(c.Snapshot, pod); err != nil {
			// The API server would refuse every pod of this role.
			return nil, Decision{Violations: append(submission, Violation{Policy: isolationPolicy, Check: runtimeClassCheck,
				Message: fmt.Sprintf("%s: %s %q: %s pod: %v", isolationPolicy, l.kind, app.Name, role, err), Enforcement: v1alpha1.EnforcementDeny})}, nil
		}
		// The cluster's MutatingAdmissionPolicies next, where the composer
		// applies them (Check.Mutating).
		var policies MutatingPolicies
		if c.Mutating != nil {
			if pod, policies, err = c.Mutating(ctx, pod, c.Cluster.LaunchedPodCreator(role, req.Namespace, driver)); err != nil {
				return nil, Decision{Violations: append(submission, launchedMutatingRefusal(l.kind, app.Name, role, err))}, nil
			}
		}
		composed, err := mutate.Compose(c.Snapshot, c.Cluster, pod)
		if err != nil {
			return nil, Decision{}, fmt.Errorf("%s pod: %w", role, err)
		}
		pod = composed.Pod
		if len(ranges) > 0 || c.Placement.Any() || policies != nil {
			// The API server's plugins run again on what the webhook
			// changed, where the composer predicts them: a layer's
			// sidecar gets a LimitRange's defaults there.
			var refused *RefusedError
			switch pod, err = Reinvoked(ctx, c.Snapshot, c.Cluster, composed, c.Placement, policies); {
			case errors.As(err, &refused):
				return nil, Decision{Violations: append(submission, launchedMutatingRefusal(l.kind, app.Name, role, err))}, nil
			case err != nil:
				return nil, Decision{}, fmt.Errorf("%s pod: %w", role, err)
			}
		}
		if role == v1alpha1.RoleDriver {
			driver = pod
		}
		if c.Placement.Any() {
			if len(placed) == 0 {
				placed = mutate.PlacementRefusals(c.Snapshot.NamespacePlacement(req.Namespace), pod, c.Placement)
			}
			submission = launchedPlacement(submission, l.kind, app.Name, role, placed)
		}
		submission = launchedLimits(submission, l.kind, app.Name, role, ranges, pod)
		if c.ResourceQuota {
			submission = launchedQuotas(submission, l.kind, app.Name, role, c.Snapshot, req.Namespace, pod)
		}
		// A SparkConnect's server is a driver in client mode, whose pod
		// the operator creates: Spark creates its executors' claims only.
		if sparkClaims := role == v1alpha1.RoleExecutor || l.kind != sparkv1alpha1.Kind; sparkClaims {
			if c.LimitRanger {
				submission = launchedClaimLimits(submission, l.kind, app.Name, role, ranges, mutate.EffectiveConf(&app.Spec))
			}
			if c.ResourceQuota {
				submission = launchedClaimQuotas(submission, l.kind, app.Name, role, c.Snapshot, req.Namespace, mutate.EffectiveConf(&app.Spec))
			}
		}
		if c.PodSecurity {
			// Created by the operator or the driver, not by whoever
			// writes the application.
			creator := req
			creator.UserInfo = authenticationv1.UserInfo{Username: c.Cluster.LaunchedPodCreator(role, req.Namespace, driver)}
			if submission, err = launchedPodSecurity(submission, c.Snapshot, l.kind, app.Name, role, pod, creator); err != nil {
				return nil, Decision{}, err
			}
		}
		if tooLarge := Countable(pod); len(tooLarge) > 0 {
			d := Decision{Violations: submission}
			for _, m := range tooLarge {
				d.Violations = append(d.Violations, Violation{Policy: quotaPolicy, Check: countableCheck,
					Message: fmt.Sprintf("%s: %s pod: %s", quotaPolicy, role, m), Enforcement: v1alpha1.EnforcementDeny})
			}
			return nil, d, nil
		}
		in, res, err := c.inputs(pod, req)
		if err != nil {
			return nil, Decision{}, err
		}
		pods[role] = in[0]
		views = append(views, in...)
		for range in {
			viewOf = append(viewOf, role)
		}
		results = append(results, res)
	}
	size, _ := mutate.SizeOf(&app.Spec) // LaunchedPod sized it already
	exec := pods[v1alpha1.RoleExecutor]
	doc := &Application{Name: app.Name, Driver: PodRequests(pods[v1alpha1.RoleDriver].Pod), Executor: PodRequests(exec.Pod),
		Executors: size.Executors, DynamicAllocation: size.DynamicAllocation, SparkConf: sparkConfDocument(app, given),
		Dependencies: map[string]dependency{}}
	if l.bySubmit {
		doc.Dependencies = dependenciesDocument(app, given)
	}
	if o := app.Spec.BatchSchedulerOptions; o != nil {
		opts := &podGroupOptions{MinResources: heldOf(o.Resources)}
		if o.PriorityClassName != nil && *o.PriorityClassName != "" {
			pc := podGroupClass(*o.PriorityClassName, pods)
			opts.PriorityClassName = &pc
		}
		if *opts != (podGroupOptions{}) {
			doc.BatchSchedulerOptions = opts
		}
	}
	doc.RestartPolicy, doc.Schedule = app.Spec.RestartPolicy, schedule
	exposed := l.exposure
	if l.bySubmit && exposed != nil {
		exposed = exposed.withDriverService(doc.SparkConf)
	}
	if exposed != nil && !exposed.empty() {
		doc.Exposure = exposed
	}
	if u := app.Spec.ProxyUser; u != nil {
		doc.ProxyUser = *u
	}
	if doc.Executors >= 0 {
		doc.Bounded = true
		doc.Total = Usage{
			CPUMilli:    min(doc.Driver.CPUMilli+mulCapped(doc.Executor.CPUMilli, doc.Executors, v1alpha1.MaxCountableCPUMilli), v1alpha1.MaxCountableCPUMilli),
			MemoryBytes: min(doc.Driver.MemoryBytes+mulCapped(doc.Executor.MemoryBytes, doc.Executors, v1alpha1.MaxCountableMemoryBytes), v1alpha1.MaxCountableMemoryBytes),
		}
		doc.Total.Pods = doc.Executors + 1
	}
	exec.Application = doc
	if live == nil || app.Spec.Suspended() {
		live = NewTracker()
	}
	var (
		decision Decision
		byView   []Decision
	)
	key := LivePod{Key: strings.ToLower(l.kind) + ":" + req.Namespace + "/" + app.Name, Namespace: req.Namespace}
	_, err = NewLedger(0).Admit(key, live, false, func(inv Inventory) (bool, error) {
		d, err := evaluateAll(ctx, c.Engine, views, inv, &byView)
		decision = d
		return d.Allowed(), err
	})
	if err != nil {
		return nil, Decision{}, fmt.Errorf("checking policies: %w", err)
	}
	if len(decision.Violations) > 0 {
		if err := c.namePods(ctx, &decision, byView, viewOf, pods[v1alpha1.RoleExecutor]); err != nil {
			return nil, Decision{}, fmt.Errorf("checking policies: %w", err)
		}
	}
	if len(submission) > 0 {
		decision.Violations = append(decision.Violations, submission...)
		sortViolations(decision.Violations)
	}
	return results, decision, nil
}

// namePods tags each of d's violations that one launched pod breaks alone
// with the pod it is (`quota: pod requests 18 CPU; ... [executor pods]`),
// as the pod webhook would find it: the driver's, or every executor's. byView
// are the decisions of the views, viewOf their pods' roles; exec is the
// executor's view, which carries the application. What the application
// breaks as a whole, or both pods alike, is left as it is. A violation
// only the executor's view has is the executor pod's when the pod breaks
// it without the application too, which takes evaluating it so.
func (c *Check) namePods(ctx context.Context, d *Decision, byView []Decision, viewOf []v1alpha1.Role, exec *Input) error {
	var driver, executor []Violation
	for i, vd := range byView {
		if viewOf[i] == v1alpha1.RoleDriver {
			driver = append(driver, vd.Violations...)
		}
	}
	alone, _, err := c.inputs(exec.Pod, exec.Request)
	if err != nil {
		return err
	}
	for _, in := range alone {
		in.Inventory = exec.Inventory
		vd, err := c.Engine.Evaluate(ctx, in)
		if err != nil {
			return err
		}
		executor = append(executor, vd.Violations...)
	}
	for i, v := range d.Violations {
		byDriver, byExecutor := slices.Contains(driver, v), slices.Contains(executor, v)
		switch {
		case byDriver && !byExecutor:
			d.Violations[i] = onPod(v, v1alpha1.RoleDriver)
		case byExecutor && !byDriver:
			d.Violations[i] = onPod(v, v1alpha1.RoleExecutor)
		}
	}
	sortViolations(d.Violations)
	return nil
}

// onPod is v said of role's pods: tagged at its end, so that what it says
// reads as the pod webhook would say it.
func onPod(v Violation, role v1alpha1.Role) Violation {
	if role == v1alpha1.RoleExecutor {
		v.Message += " [executor pods]"
	} else {
		v.Message += " [" + string(role) + " pod]"
	}
	return v
}

// mulCapped is per×n, at most limit, without overflowing (per and n are
// not negative, per at most limit).
func mulCapped(per, n, limit int64) int64 {
	if per != 0 && n > limit/per {
		return limit
	}
	return min(per*n, limit)
}

// podGroupOptions are the options the operator gives an application's
// PodGroup that policies judge.
type podGroupOptions struct {
	PriorityClassName *sourced `json:"priorityClassName,omitempty"`
	// MinResources is spec.batchSchedulerOptions.resources, which the
	// operator writes as the PodGroup's minResources (what Volcano holds
	// for the gang before placing its pods), counted as a pod's requests
	// are; absent when unset.
	MinResources *heldResources `json:"resources,omitempty"`
}

// podGroupClass is the PodGroup's priority class pc as input.application
// shows it: the platform's when a layer gives the pods of either role
// that class, or it is the cluster's globalDefault; else the user's.
func podGroupClass(pc string, pods map[v1alpha1.Role]*Input) sourced {
	key := overlay.FieldKey(overlay.PathPriorityClassName)
	for _, role := range mutate.Roles() {
		in := pods[role]
		if pc == in.DefaultPriorityClass {
			return sourced{Value: pc, Source: "the cluster's globalDefault PriorityClass"}
		}
		if in.byLayer(key, strconv.Quote(pc)) {
			by, _ := in.Composed.Composition.Provenance.SetBy(key)
			return sourced{Value: pc, Source: by.String()}
		}
	}
	return sourced{Value: pc, Source: overlay.UserSource().String(), User: true}
}
