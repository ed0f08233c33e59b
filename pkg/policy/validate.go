package policy

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// Check is one policy check of a pod: what the validating webhook and
// `composer compose --validate` both run.
type Check struct {
	Engine   *Engine
	Snapshot *overlay.Snapshot
	Cluster  mutate.Cluster
	// Ledger, when set, holds reservations (the webhook); nil checks
	// against Live alone (the CLI).
	Ledger *Ledger
	// Schedules, when set, finds the ScheduledSparkApplication an
	// application is a run of, so App judges how often it runs (the
	// webhook, and the composer with a cluster); nil judges a run without
	// its schedule.
	Schedules ScheduleLookup
	// PodGroups, when set, lists a namespace's Volcano PodGroups, so a
	// PodGroup's hold is judged with what the namespace's other gangs
	// waiting to run hold (the webhook, and the composer with a cluster);
	// nil judges a PodGroup alone.
	PodGroups PodGroupLookup
	// Owners, when set, reads the Services and Ingresses of an
	// application's namespace that the Spark Operator names after it, so
	// App and Connect refuse one it would take over (the webhook); nil
	// judges an application without them (the composer).
	Owners OwnerLookup
	// PodSecurity, when set, adds the refusal of the API server's
	// PodSecurity admission to a pod created in a namespace that enforces
	// a Pod Security level, and to an application whose launched pods it
	// would refuse (withPodSecurity), by the namespace's labels and the
	// plugin's configuration the snapshot holds: the composer's
	// prediction. The webhook leaves it unset: the plugin judges pods
	// before it, and refuses what it refuses itself.
	PodSecurity bool
	// Placement, when set, adds the refusal of the API server's placement
	// plugins it enables to a pod created, as they judge it after the
	// mutating webhooks (withPlacement): the composer's prediction, where
	// a cluster enables them. The webhook leaves it unset: the plugins
	// judge pods after it, and refuse what they refuse themselves.
	Placement mutate.PlacementPlugins
	// LimitRanger, when set, adds the refusal of the API server's
	// LimitRanger plugin, by the LimitRanges the snapshot holds, to a pod
	// created (withLimits) and to an application whose launched pods it
	// would refuse, which are given the LimitRanges' defaults before they
	// are judged: the composer's prediction. The webhook leaves it unset:
	// the plugin judges pods before the validating webhook, and refuses
	// what it refuses itself (the webhook warns of it, mutate).
	LimitRanger bool
	// ResourceQuota, when set, adds the refusal of the API server's
	// ResourceQuota admission, by the ResourceQuotas the snapshot holds,
	// of a pod created one of whose containers leaves unsaid what a quota
	// bounds (withQuotas), and of an application whose launched pods it
	// would refuse: the composer's prediction. The webhook leaves it unset
	// (it warns of it, mutate).
	ResourceQuota bool
	// Mutating, when set, applies the cluster's MutatingAdmissionPolicies
	// to the pods an application launches, where the API server does:
	// after its in-tree plugins and before the webhooks, on both passes;
	// their refusal is the application's (mutating-admission-policy). The
	// composer's prediction; the webhook leaves it unset: the API server
	// applied them before any webhook sees a pod.
	Mutating MutatingAdmission
}

// Quota's built-in check: a request too large to count is refused before
// any policy runs, whatever the enforcement, since no total can hold it.
const (
	quotaPolicy    = "quota"
	countableCheck = "countable"
)

// Pod judges pod, the pod exactly as it will be stored (after every
// mutation), with the inventory of live. It is judged on its own values:
// the composition of pod is computed only to explain them (who set which
// value, which containers and volumes are the platform's), never to
// replace one.
//
// Every pod is judged, Spark or not. A Spark pod is judged as its role; a
// pod without a Spark role is judged with the policy settings of both
// roles and breaks a rule when it breaks it under either, so dropping the
// spark-role label never weakens a rule.
//
// An UPDATE (req.Old set) may not bring a violation the stored pod did not
// have; quota is judged again only when the pod's requests grow, or one
// falls to none (an in-place resize). A pod being deleted is not judged.
// Only a CREATE that is not a dry run reserves quota in the Ledger.
//
// It returns the composition that explained a Spark pod (nil for other
// pods): of the fields the policies' input is built from only, unless a
// policy reads the composed values or every field's provenance
// (explainedFields). And the decision; an error is an internal failure,
// never a verdict.
func (c *Check) Pod(ctx context.Context, pod *corev1.Pod, req Request, live LiveState) (*mutate.Result, Decision, error) {
	res, d, err := c.pod(ctx, pod, req, live)
	if err != nil {
		return res, d, err
	}
	d = withPlacement(d, c.Snapshot, pod, req, c.Placement)
	if c.LimitRanger {
		d = withLimits(d, c.Snapshot, pod, req)
	}
	if c.ResourceQuota {
		d = withQuotas(d, c.Snapshot, pod, req)
	}
	if !c.PodSecurity {
		return res, d, nil
	}
	d, err = withPodSecurity(d, c.Snapshot, pod, req)
	return res, d, err
}

// pod is Pod without the PodSecurity admission's refusal.
func (c *Check) pod(ctx context.Context, pod *corev1.Pod, req Request, live LiveState) (*mutate.Result, Decision, error) {
	if req.Namespace == "" {
		req.Namespace = pod.Namespace
	}
	if req.Old != nil && pod.DeletionTimestamp != nil {
		return nil, Decision{}, nil
	}
	// The pod's requests, computed once: what is too large to count, the
	// input's resources and the ledger's record all read them.
	requests := podRequests(pod)
	if tooLarge := countable(pod, requests); len(tooLarge) > 0 {
		var d Decision
		for _, m := range tooLarge {
			d.Violations = append(d.Violations, Violation{Policy: quotaPolicy, Check: countableCheck,
				Message: quotaPolicy + ": " + m, Enforcement: v1alpha1.EnforcementDeny})
		}
		return nil, d, nil
	}
	usage := usageOf(requests)
	views, res, err := c.inputs(pod, req)
	if err != nil {
		return nil, Decision{}, err
	}
	for _, in := range views {
		in.requests = &usage
	}
	var oldViews []*Input
	if req.Old != nil {
		oldReq := req
		oldReq.Old = nil
		if oldViews, _, err = c.inputs(req.Old, oldReq); err != nil {
			return nil, Decision{}, err
		}
	}
	// A status update that ends the pod: refused whatever the rest says,
	// as no earlier verdict of the pod is about it.
	ends := endedPod(pod, req, views)
	var (
		decision Decision
		// Each view's decision, once made: a decision confirmed under the
		// Ledger's lock on a changed inventory evaluates only the policies
		// that count (Engine.Reevaluate).
		byView, oldByView []Decision
	)
	decide := func(inv Inventory) (bool, error) {
		d, err := evaluateAll(ctx, c.Engine, views, inv, &byView)
		if err != nil {
			return false, err
		}
		if oldViews != nil {
			old, err := evaluateAll(ctx, c.Engine, oldViews, inv, &oldByView)
			if err != nil {
				return false, err
			}
			d = ratchet(d, old, grows(PodRequests(req.Old), usage))
		}
		if len(ends) > 0 {
			d.Violations = append(slices.Clone(d.Violations), ends...)
			sortViolations(d.Violations)
		}
		decision = d
		return d.Allowed(), nil
	}
	if live == nil {
		live = NewTracker()
	}
	ledger := c.Ledger
	if ledger == nil {
		ledger = NewLedger(0)
	}
	reserve := c.Ledger != nil && !req.DryRun && req.Old == nil
	if _, err := ledger.Admit(livePodOf(pod, usage), live, reserve, decide); err != nil {
		return nil, Decision{}, fmt.Errorf("checking policies: %w", err)
	}
	return res, decision, nil
}

// inputs builds the input documents pod is judged by: one for a Spark pod,
// one per role for any other pod.
func (c *Check) inputs(pod *corev1.Pod, req Request) ([]*Input, *mutate.Result, error) {
	ns := &corev1.Namespace{}
	ns.Name = req.Namespace
	ns.Labels = c.Snapshot.NamespaceLabels(req.Namespace)
	common := Input{Request: req, Pod: pod, Old: req.Old, Namespace: ns, NamespacePlacement: c.Snapshot.PlatformPlacement(req.Namespace)}
	if pc, ok := c.Snapshot.GlobalDefaultPriorityClass(); ok {
		common.DefaultPriorityClass = pc.Name
	}
	if name := pod.Spec.RuntimeClassName; name != nil {
		if rc, ok := c.Snapshot.RuntimeClass(*name); ok {
			common.RuntimeScheduling = rc.Scheduling
		}
	}
	if _, spark := mutate.SparkRole(pod); spark {
		// The pod is judged as it is; its composition only explains it.
		// Rendering the composition again is needed only for the images
		// mirrors derive, which a policy sees in input.config.fields.
		res := mutate.ExplainOnly(c.Snapshot, c.Cluster, pod, c.Engine.explained)
		if c.Engine.uses.needs("config.fields") {
			var err error
			if res, err = mutate.Render(c.Snapshot, c.Cluster, pod); err != nil {
				return nil, nil, err
			}
		}
		in := common
		in.Composed = res
		in.settings = c.Engine.settingsAt(c.Snapshot, mutate.TargetOf(c.Cluster, pod, res.Role))
		platform := func() (mutate.Platform, error) { return mutate.PlatformParts(c.Snapshot, c.Cluster, pod) }
		if c.Engine.platformOnDemand {
			in.platformOf = platform // computed when a policy needs it: ondemand.go
		} else {
			var err error
			if in.Platform, err = platform(); err != nil {
				return nil, nil, err
			}
		}
		in.LayerAffinity = mutate.LayerAffinity(res.Composition.PodPatches)
		return []*Input{&in}, res, nil
	}
	// Judged as both roles: of the fields the input is built from, each
	// role's composition; the pod's own values, converted once, shared by
	// both views.
	user := mutate.UserConfig(pod, c.Snapshot)
	common.pod = &sharedTerm{}
	var out []*Input
	for _, role := range []v1alpha1.Role{v1alpha1.RoleDriver, v1alpha1.RoleExecutor} {
		in := common
		target := mutate.TargetOf(c.Cluster, pod, role)
		in.Composed = &mutate.Result{Pod: pod, Composition: c.Snapshot.ComposeOnly(target, user, c.Engine.explained)}
		in.settings = c.Engine.settingsAt(c.Snapshot, target)
		out = append(out, &in)
	}
	return out, nil, nil
}

// evaluateAll evaluates every view with inv and joins their violations,
// each once. byView holds each view's decision: when set, the views are
// evaluated again on a new inventory (Engine.Reevaluate); it is set to
// the decisions made.
func evaluateAll(ctx context.Context, e *Engine, views []*Input, inv Inventory, byView *[]Decision) (Decision, error) {
	var d Decision
	before := *byView
	*byView = make([]Decision, len(views))
	for i, in := range views {
		in.Inventory = inv
		var (
			vd  Decision
			err error
		)
		if before != nil {
			vd, err = e.Reevaluate(ctx, in, before[i])
		} else {
			vd, err = e.Evaluate(ctx, in)
		}
		if err != nil {
			*byView = nil
			return Decision{}, err
		}
		(*byView)[i] = vd
		for _, v := range vd.Violations {
			if !slices.Contains(d.Violations, v) {
				d.Violations = append(d.Violations, v)
			}
		}
	}
	sortViolations(d.Violations)
	return d, nil
}

// ratchet keeps the violations of an UPDATE the stored pod did not have:
// an update may not make a pod worse, and need not fix what was admitted
// under older rules. Quota violations count only when the requests grow
// (or one falls to none, grows).
func ratchet(now, before Decision, grew bool) Decision {
	var out Decision
	for _, v := range now.Violations {
		if v.Policy == quotaPolicy {
			if grew {
				out.Violations = append(out.Violations, v)
			}
			continue
		}
		if !slices.ContainsFunc(before.Violations, func(b Violation) bool {
			return b.Policy == v.Policy && b.Check == v.Check && b.Message == v.Message
		}) {
			out.Violations = append(out.Violations, v)
		}
	}
	return out
}

// grows says whether an UPDATE from before to after asks quota anew: when
// a request grows, or falls to none (a pod that requests none of a
// resource counts for none of it: the quota policy refuses it where a
// limit on the resource applies, and a resize must not get there).
func grows(before, after Usage) bool {
	return after.CPUMilli > before.CPUMilli || after.MemoryBytes > before.MemoryBytes ||
		(after.CPUMilli == 0 && before.CPUMilli > 0) || (after.MemoryBytes == 0 && before.MemoryBytes > 0)
}
