package app

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"

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

// diffSide is one layer tree of a diff, compiled, with the policies.
type diffSide struct {
	check *policy.Check
	// applier applies the side's MutatingAdmissionPolicies to
	// SparkApplications (check.Mutating to pods); nil for none.
	applier *mutatingpolicy.Applier
	// user creates the objects (--as, --as-group); zero for not known.
	user authenticationv1.UserInfo
	// reversed is the side with its MutatingAdmissionPolicies applied in
	// the reverse order of their names, whose verdicts a diff takes too
	// (objectDiff.reversed): the API server's order is not fixed. nil
	// where fewer than two are bound, and of the base side.
	reversed *diffSide
}

// sidesOf are the sides a diff composes each object with: base, head and
// head's reversed twin where it has one.
func sidesOf(base, head *diffSide) []*diffSide {
	if head.reversed != nil {
		return []*diffSide{base, head, head.reversed}
	}
	return []*diffSide{base, head}
}

// fieldChange is one composed field whose value a change of the layers
// changes.
type fieldChange struct {
	// Role is the section of a SparkApplication; empty for a pod.
	Role  string `json:"role,omitempty"`
	Field string `json:"field"`
	// Old and New are the values before and after, as explain renders
	// them; absent when unset.
	Old *string `json:"old,omitempty"`
	New *string `json:"new,omitempty"`
	// Layer is the source responsible: the layer that sets the new value,
	// or the one whose value went away.
	Layer string `json:"layer"`
}

// verdict is what the policies decide of an object.
type verdict struct {
	Allowed    bool     `json:"allowed"`
	Violations []string `json:"violations,omitempty"`
}

// words is v as a note says it: allowed, or denied with its violations.
func (v verdict) words() string {
	if v.Allowed {
		return "allowed"
	}
	return "denied (" + strings.Join(v.Violations, "; ") + ")"
}

// objectDiff is what a change of the layers does to one object.
type objectDiff struct {
	Kind      string        `json:"kind"`
	Namespace string        `json:"namespace"`
	Name      string        `json:"name"`
	Role      string        `json:"role,omitempty"`
	Fields    []fieldChange `json:"fields"`
	Before    verdict       `json:"verdictBefore"`
	After     verdict       `json:"verdictAfter"`
	// reversed is the verdict with head's MutatingAdmissionPolicies
	// applied in the reverse order (diffSide.reversed); nil without.
	// storedOtherwise: in that order the API server stores another object
	// (other values, or a refusal in one order only).
	reversed        *verdict
	storedOtherwise bool
}

// judged sets d's verdicts of sidesOf's sides, and whether head and its
// reversed twin store the same object (storesAs, of the head's creation
// and the reversed one's; nil without a reversed side).
func (d *objectDiff) judged(verdicts []verdict, storesAs func() bool) {
	d.Before, d.After = verdicts[0], verdicts[1]
	if len(verdicts) > 2 {
		d.reversed = &verdicts[2]
		d.storedOtherwise = !storesAs()
	}
}

func (d *objectDiff) changed() bool {
	return len(d.Fields) > 0 || !slices.Equal(d.Before.Violations, d.After.Violations)
}

func (d *objectDiff) ref() string { return fmt.Sprintf("%s %s/%s", d.Kind, d.Namespace, d.Name) }

// diffSummary sums a diff up.
type diffSummary struct {
	Objects int `json:"objects"`
	Changed int `json:"changed"`
	// ByNamespaceRole counts changed objects by namespace/role.
	ByNamespaceRole map[string]int `json:"byNamespaceRole"`
	// Fields counts changed objects by field.
	Fields         map[string]int `json:"fields"`
	FlippedToDeny  int            `json:"flippedToDeny"`
	FlippedToAllow int            `json:"flippedToAllow"`
}

// diffReport is the whole diff: the objects that change, and the summary.
type diffReport struct {
	Objects []objectDiff `json:"objects"`
	Summary diffSummary  `json:"summary"`
}

func (r *diffReport) add(d *objectDiff) {
	s := &r.Summary
	s.Objects++
	if !d.changed() {
		return
	}
	s.Changed++
	role := d.Role
	if role == "" {
		role = strings.ToLower(d.Kind)
	}
	s.ByNamespaceRole[d.Namespace+"/"+role]++
	seen := map[string]bool{}
	for _, f := range d.Fields {
		if !seen[f.Field] {
			seen[f.Field] = true
			s.Fields[f.Field]++
		}
	}
	switch {
	case d.Before.Allowed && !d.After.Allowed:
		s.FlippedToDeny++
	case !d.Before.Allowed && d.After.Allowed:
		s.FlippedToAllow++
	}
	r.Objects = append(r.Objects, *d)
}

// diffObjects is diffObject of each object, in their order, on up to
// workers goroutines. A corpus is thousands of pods (kubectl get pods -A),
// each composed and judged twice (three times where the head's
// MutatingAdmissionPolicies are applied in either order: sidesOf) with
// nothing shared but the sides' snapshots and policy engine, which admissions share the same way: no
// inventory is counted across objects. The first object in order that
// fails gives the error, as in a loop.
func diffObjects(ctx context.Context, base, head *diffSide, objects []manifest.Object, workers int) ([]*objectDiff, error) {
	return inOrder(len(objects), workers, func(i int) (*objectDiff, error) {
		return diffObject(ctx, base, head, objects[i])
	})
}

// diffObject composes and judges obj with both sides (sidesOf).
func diffObject(ctx context.Context, base, head *diffSide, obj manifest.Object) (*objectDiff, error) {
	if err := overBounds(obj); err != nil {
		return nil, fmt.Errorf("%s: %w", objectRef(obj), err)
	}
	if obj.App != nil {
		return diffApp(ctx, base, head, obj)
	}
	if obj.PodGroup != nil {
		return diffPodGroup(ctx, base, head, obj)
	}
	if obj.Connect != nil {
		return diffConnect(ctx, base, head, obj)
	}
	pod := obj.Pod
	d := &objectDiff{Kind: "Pod", Namespace: pod.Namespace, Name: podRef(pod)[len(pod.Namespace)+1:]}
	sides := sidesOf(base, head)
	results, verdicts := make([]*mutate.Result, len(sides)), make([]verdict, len(sides))
	creations := make([]podCreation, len(sides))
	for i, side := range sides {
		// An admission plugin's refusal is the side's verdict; the pod is
		// composed all the same where it can be, for what the layers
		// change of it.
		created, err := createPod(ctx, side.check, pod, side.user.Username)
		creations[i] = created
		switch {
		case err != nil:
			return nil, fmt.Errorf("pod %s: %w", podRef(pod), err)
		case created.composed == nil:
			// Refused before the webhook, which never composes it (a
			// RuntimeClass it conflicts with, say).
			verdicts[i] = verdictOf(created.refused.Decision())
			continue
		}
		_, dec, err := side.check.Pod(ctx, policy.ServerDefaults(created.stored), policy.Request{Operation: "CREATE", Namespace: pod.Namespace, UserInfo: side.user}, nil)
		if err != nil {
			return nil, fmt.Errorf("pod %s: %w", podRef(pod), err)
		}
		if created.refused != nil {
			dec = created.refused.Decision()
		}
		results[i], verdicts[i] = created.composed, verdictOf(dec)
	}
	d.judged(verdicts, func() bool { return creations[1].storesAs(creations[2]) })
	if results[0] == nil || results[1] == nil {
		// A side that composes nothing: its verdict is the change.
		d.Role = pod.Labels[v1alpha1.RoleLabel]
		return d, nil
	}
	d.Role = string(results[1].Role)
	path := func(f overlay.Field) (string, bool) { return f.Path, mutate.AppliesToPod(f.Key) }
	d.Fields = fieldChanges("", results[0].Composition.Provenance, results[1].Composition.Provenance, path)
	d.Fields = append(d.Fields, noLongerGiven("", pod.Annotations[v1alpha1.LayersAnnotation],
		results[0].Composition.Provenance, results[1].Composition.Provenance, path)...)
	d.Fields = append(d.Fields, orderChanges("", results[0].Pod, results[1].Pod, results[1].Role)...)
	stored, err := secondPassDiff(secondPass{results[0].Pod, creations[0].stored}, secondPass{results[1].Pod, creations[1].stored})
	if err != nil {
		return nil, fmt.Errorf("pod %s: %w", podRef(pod), err)
	}
	d.Fields = append(d.Fields, stored...)
	slices.SortStableFunc(d.Fields, func(x, y fieldChange) int { return strings.Compare(x.Field, y.Field) })
	return d, nil
}

func diffApp(ctx context.Context, base, head *diffSide, obj manifest.Object) (*objectDiff, error) {
	app := &obj.App.App
	d := &objectDiff{Kind: "SparkApplication", Namespace: app.Namespace, Name: app.Name}
	if obj.Schedule.Name != "" {
		// Each run's composition and verdict, under the schedule's name.
		d.Kind, d.Name = sparkv1beta2.ScheduledKind, obj.Schedule.Name
	}
	sides := sidesOf(base, head)
	results, verdicts := make([]*mutate.AppResult, len(sides)), make([]verdict, len(sides))
	creations := make([]appCreation, len(sides))
	for i, side := range sides {
		created, err := createApp(ctx, side.check.Snapshot, side.check.Cluster, side.applier, obj, side.user.Username)
		if err != nil {
			return nil, err
		}
		creations[i] = created
		dec, err := created.verdict(ctx, side.check, nil, side.user)
		if err != nil {
			return nil, fmt.Errorf("%s %s/%s: %w", d.Kind, app.Namespace, d.Name, err)
		}
		results[i], verdicts[i] = created.composed, verdictOf(dec)
	}
	if results[0] == nil || results[1] == nil {
		// A side whose composition is invalid: its verdict is the change.
		d.judged(verdicts, func() bool { return creations[1].storesAs(creations[2]) })
		return d, nil
	}
	for _, role := range mutate.Roles() {
		path := headThenBase(role, results[1].ExplainPath, results[0].ExplainPath)
		before, after := results[0].Role(role).Composition.Provenance, results[1].Role(role).Composition.Provenance
		d.Fields = append(d.Fields, fieldChanges(string(role), before, after, path)...)
		d.Fields = append(d.Fields, noLongerGiven(string(role),
			app.Spec.Pod(string(role)).Annotations[v1alpha1.LayersAnnotation], before, after, path)...)
		d.Fields = append(d.Fields, orderChanges(string(role), results[0].Role(role).Pod, results[1].Role(role).Pod, role)...)
	}
	d.Fields = append(d.Fields, batchSchedulerChanges(&results[0].App.App.Spec, &results[1].App.App.Spec)...)
	var passes [2]secondPass
	for i := range passes {
		composed, err := results[i].App.Values()
		if err != nil {
			return nil, fmt.Errorf("%s %s/%s: %w", d.Kind, app.Namespace, d.Name, err)
		}
		stored := composed // no second pass changed it
		if creations[i].stored != results[i].App {
			if stored, err = creations[i].stored.Values(); err != nil {
				return nil, fmt.Errorf("%s %s/%s: %w", d.Kind, app.Namespace, d.Name, err)
			}
		}
		passes[i] = secondPass{composed, stored}
	}
	stored, err := secondPassDiff(passes[0], passes[1])
	if err != nil {
		return nil, fmt.Errorf("%s %s/%s: %w", d.Kind, app.Namespace, d.Name, err)
	}
	d.Fields = append(d.Fields, stored...)
	d.judged(verdicts, func() bool { return creations[1].storesAs(creations[2]) })
	return d, nil
}

// batchSchedulerChanges are the changes of an application's batch
// scheduler and its options, which composition derives from who gives the
// driver its scheduler and queue (a layer's hands the app to that batch
// scheduler): the same scheduler, given by a layer before and by the user
// after, is no field change, yet the app changes.
func batchSchedulerChanges(before, after *sparkv1beta2.Spec) []fieldChange {
	var out []fieldChange
	for _, f := range []struct {
		path string
		of   func(*sparkv1beta2.Spec) any
	}{
		{"spec.batchScheduler", func(s *sparkv1beta2.Spec) any { return s.BatchScheduler }},
		{"spec.batchSchedulerOptions", func(s *sparkv1beta2.Spec) any { return s.BatchSchedulerOptions }},
	} {
		old, now := jsonOrAbsent(f.of(before)), jsonOrAbsent(f.of(after))
		if !equalText(old, now) {
			out = append(out, fieldChange{Field: f.path, Old: old, New: now, Layer: "the driver's scheduler and queue"})
		}
	}
	return out
}

// jsonOrAbsent is v's JSON; nil for null.
func jsonOrAbsent(v any) *string {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return nil
	}
	s := string(b)
	return &s
}

func equalText(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// diffPodGroup judges a PodGroup with both sides: no layer composes one,
// but the layers' isolation settings and the classes and queues they give
// the pods decide its verdict.
func diffPodGroup(ctx context.Context, base, head *diffSide, obj manifest.Object) (*objectDiff, error) {
	pg := obj.PodGroup
	d := &objectDiff{Kind: volcanov1beta1.Kind, Namespace: pg.Namespace, Name: pg.Name}
	sides := sidesOf(base, head)
	verdicts, creations := make([]verdict, len(sides)), make([]podGroupCreation, len(sides))
	for i, side := range sides {
		created, err := createPodGroup(ctx, side.applier, obj, side.user.Username)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.ref(), err)
		}
		creations[i] = created
		dec, err := created.verdict(ctx, side.check, policy.Request{Operation: "CREATE", Namespace: pg.Namespace, UserInfo: side.user})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.ref(), err)
		}
		verdicts[i] = verdictOf(dec)
	}
	d.judged(verdicts, func() bool { return creations[1].storesAs(creations[2]) })
	return d, nil
}

// diffConnect is what a change of the layers does to a SparkConnect's
// Spark configuration, setting by setting, under the field that states
// each, and to its verdict (policy.Check.Connect).
func diffConnect(ctx context.Context, base, head *diffSide, obj manifest.Object) (*objectDiff, error) {
	c := obj.Connect.Metadata
	d := &objectDiff{Kind: sparkv1alpha1.Kind, Namespace: c.Namespace, Name: c.Name}
	var results [2]*mutate.ConnectResult
	sides := sidesOf(base, head)
	verdicts, creations := make([]verdict, len(sides)), make([]connectCreation, len(sides))
	for i, side := range sides {
		created, err := createConnect(ctx, side.check.Snapshot, side.check.Cluster, side.applier, obj.Raw, c.Namespace, side.user.Username)
		if err != nil {
			return nil, err
		}
		creations[i] = created
		dec, err := created.verdict(ctx, side.check, policy.Request{Operation: "CREATE", Namespace: c.Namespace, UserInfo: side.user}, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.ref(), err)
		}
		results[i], verdicts[i] = created.composed, verdictOf(dec)
	}
	if results[0] == nil || results[1] == nil {
		// A side whose composition is invalid: its verdict is the change.
		d.judged(verdicts, func() bool { return creations[1].storesAs(creations[2]) })
		return d, nil
	}
	for _, role := range mutate.Roles() {
		path := headThenBase(role, results[1].ExplainPath, results[0].ExplainPath)
		d.Fields = append(d.Fields, fieldChanges(string(role), results[0].Job.Role(role).Composition.Provenance,
			results[1].Job.Role(role).Composition.Provenance, path)...)
	}
	stored, err := secondPassDiff(secondPass{creations[0].composed.Object, creations[0].stored.Object},
		secondPass{creations[1].composed.Object, creations[1].stored.Object})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.ref(), err)
	}
	d.Fields = append(d.Fields, stored...)
	d.judged(verdicts, func() bool { return creations[1].storesAs(creations[2]) })
	return d, nil
}

// headThenBase names a field of role's composition where the head side
// states it, else where the base side did (a setting the head no longer
// gives).
func headThenBase(role v1alpha1.Role, head, base func(v1alpha1.Role, overlay.Key) (string, bool)) func(overlay.Field) (string, bool) {
	return func(f overlay.Field) (string, bool) {
		if p, ok := head(role, f.Key); ok {
			return p, true
		}
		return base(role, f.Key)
	}
}

func verdictOf(d policy.Decision) verdict {
	v := verdict{Allowed: d.Allowed()}
	for _, x := range d.Violations {
		v.Violations = append(v.Violations, string(x.Enforcement)+": "+x.Message)
	}
	return v
}

// fieldChanges are the fields whose composed value differs between two
// compositions (mutate.Changes), each under the path path gives it (false:
// not one to show), with the layer responsible.
func fieldChanges(role string, before, after *overlay.Provenance, path func(overlay.Field) (string, bool)) []fieldChange {
	var out []fieldChange
	for _, ch := range mutate.Changes(before, after) {
		p, ok := path(ch.Field())
		if !ok {
			continue
		}
		c := fieldChange{Role: role, Field: p, Layer: "user"}
		if ch.Before != nil {
			c.Old = &ch.Before.Value
		}
		if ch.After != nil {
			c.New = &ch.After.Value
		}
		switch {
		case ch.After != nil && !ch.After.Winner.IsUser():
			c.Layer = ch.After.Winner.String()
		case ch.Before != nil && !ch.Before.Winner.IsUser():
			c.Layer = ch.Before.Winner.String() + " (no longer)"
		}
		out = append(out, c)
	}
	slices.SortStableFunc(out, func(x, y fieldChange) int { return strings.Compare(x.Field, y.Field) })
	return out
}

// orderChanges are the lists whose order the change of layers changes
// where their order means something (mutate.OrderChanges): a value that
// moves is no field change, yet it changes what the pod runs with.
func orderChanges(role string, before, after *corev1.Pod, as v1alpha1.Role) []fieldChange {
	var out []fieldChange
	for _, o := range mutate.OrderChanges(before, after, as) {
		out = append(out, fieldChange{Role: role, Field: o.Field, Old: &o.Before, New: &o.After, Layer: "the layers' order"})
	}
	return out
}

// noLongerGiven are the values of an object Strata composed already (a
// stored pod or SparkApplication, as kubectl get prints it: it carries
// strata.dev/layers, a SparkApplication in each role's annotations) that
// a layer it lists gave, and that no layer gives after the change: the
// object holds them as its own, so their value does not change here, but
// an object submitted again would no longer get them. An object Strata
// has not composed holds only its user's values, which stay. applied is
// the strata.dev/layers annotation; path gives each field's path (false:
// not one to show).
func noLongerGiven(role, applied string, before, after *overlay.Provenance, path func(overlay.Field) (string, bool)) []fieldChange {
	if applied == "" {
		return nil
	}
	layers := strings.Split(applied, ",")
	var out []fieldChange
	for _, f := range before.Fields() {
		by := f.SetBy()
		if by.IsUser() || !slices.Contains(layers, by.Layer) {
			continue
		}
		p, ok := path(f)
		if !ok {
			continue
		}
		g, ok := after.Lookup(f.Key)
		if !ok || g.Value != f.Value || !g.SetBy().IsUser() {
			continue
		}
		old := f.Value
		out = append(out, fieldChange{Role: role, Field: p, Old: &old, Layer: by.String() + " (no longer)"})
	}
	return out
}

// text renders the report for people: each object that changes, its
// fields and verdicts, then the summary.
func (r *diffReport) text() string {
	var b strings.Builder
	unset := func(v *string) string {
		if v == nil {
			return "(unset)"
		}
		return *v
	}
	for i := range r.Objects {
		d := &r.Objects[i]
		role := ""
		if d.Role != "" {
			role = " (" + d.Role + ")"
		}
		fmt.Fprintf(&b, "%s%s\n", d.ref(), role)
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		for _, f := range d.Fields {
			name := f.Field
			if f.Role != "" {
				name = f.Role + ": " + name
			}
			_, _ = fmt.Fprintf(tw, "  %s\t%s\t->\t%s\t%s\n", name, unset(f.Old), unset(f.New), f.Layer)
		}
		_ = tw.Flush()
		if !slices.Equal(d.Before.Violations, d.After.Violations) {
			fmt.Fprintf(&b, "  verdict: %s -> %s\n", allowedWord(d.Before.Allowed), allowedWord(d.After.Allowed))
			for _, v := range d.After.Violations {
				if !slices.Contains(d.Before.Violations, v) {
					fmt.Fprintf(&b, "    new: %s\n", v)
				}
			}
			for _, v := range d.Before.Violations {
				if !slices.Contains(d.After.Violations, v) {
					fmt.Fprintf(&b, "    gone: %s\n", v)
				}
			}
		}
		b.WriteString("\n")
	}
	s := &r.Summary
	fmt.Fprintf(&b, "Summary: %d of %d objects change\n", s.Changed, s.Objects)
	for _, k := range slices.Sorted(maps.Keys(s.ByNamespaceRole)) {
		fmt.Fprintf(&b, "  %s: %d\n", k, s.ByNamespaceRole[k])
	}
	if len(s.Fields) > 0 {
		b.WriteString("Fields changed (objects):\n")
		for _, k := range slices.Sorted(maps.Keys(s.Fields)) {
			fmt.Fprintf(&b, "  %s: %d\n", k, s.Fields[k])
		}
	}
	fmt.Fprintf(&b, "Verdicts: %d flip from allow to deny, %d from deny to allow\n", s.FlippedToDeny, s.FlippedToAllow)
	return trimTrailingSpace(b.String())
}

func allowedWord(allowed bool) string {
	if allowed {
		return "allowed"
	}
	return "denied"
}
