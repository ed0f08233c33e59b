package app

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"gomodules.xyz/jsonpatch/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

func (o *composeOptions) print(w io.Writer, results []composed) error {
	// An object refused that could not be composed (before the webhook,
	// or by it as invalid) has nothing to show (refusedBeforeWebhooks
	// says why).
	results = slices.DeleteFunc(slices.Clone(results), func(c composed) bool {
		return (c.pod != nil && c.podRes == nil) || (c.app != nil && c.appRes == nil) || (c.connect != nil && c.connectRes == nil)
	})
	switch o.output {
	case outputJSON:
		return printJSON(w, results)
	case outputPatch:
		return printPatches(w, results)
	case outputExplain:
		return o.printExplain(w, results)
	case outputSparkConf:
		return printSparkConf(w, results)
	default:
		return printYAML(w, results)
	}
}

// value is the composed object, for printing.
func (c *composed) value() (any, error) {
	if c.appRes != nil {
		return c.storedApp.Values()
	}
	if c.podGroup != nil {
		return json.RawMessage(c.raw), nil
	}
	if c.connectRes != nil {
		return c.storedConnect.Object, nil
	}
	return c.stored, nil
}

func (c *composed) patch() []jsonpatch.Operation {
	if c.appRes != nil {
		return c.appRes.Patch
	}
	if c.podGroup != nil {
		return []jsonpatch.Operation{}
	}
	if c.connectRes != nil {
		return c.connectRes.Patch
	}
	return c.podRes.Patch
}

func printYAML(w io.Writer, results []composed) error {
	for i := range results {
		v, err := results[i].value()
		if err != nil {
			return err
		}
		out, err := yaml.Marshal(v)
		if err != nil {
			return fmt.Errorf("encoding %s: %w", results[i].ref(), err)
		}
		if i > 0 {
			if _, err := io.WriteString(w, "---\n"); err != nil {
				return err
			}
		}
		if _, err := w.Write(out); err != nil {
			return err
		}
	}
	return nil
}

// printJSON prints one object as itself, several as a v1 List.
func printJSON(w io.Writer, results []composed) error {
	if len(results) == 1 {
		v, err := results[0].value()
		if err != nil {
			return err
		}
		return writeIndentedJSON(w, v)
	}
	list := &corev1.List{}
	list.APIVersion, list.Kind = "v1", "List"
	for i := range results {
		v, err := results[i].value()
		if err != nil {
			return err
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encoding %s: %w", results[i].ref(), err)
		}
		list.Items = append(list.Items, runtime.RawExtension{Raw: raw})
	}
	return writeIndentedJSON(w, list)
}

// printPatches prints one JSON Patch array per object, in input order.
func printPatches(w io.Writer, results []composed) error {
	for i := range results {
		if err := writeIndentedJSON(w, results[i].patch()); err != nil {
			return err
		}
	}
	return nil
}

// printSparkConf prints each SparkApplication's and SparkConnect's
// effective Spark configuration, one key=value line per key, sorted; with several
// objects, each under a comment naming it. A pod has none of its own.
func printSparkConf(w io.Writer, results []composed) error {
	var b strings.Builder
	for i := range results {
		r := &results[i]
		if len(results) > 1 {
			if i > 0 {
				b.WriteString("\n")
			}
			fmt.Fprintf(&b, "# %s\n", r.ref())
		}
		if r.podGroup != nil {
			b.WriteString("# a PodGroup has no Spark configuration\n")
			continue
		}
		conf := map[string]string(nil)
		switch {
		case r.appRes != nil:
			conf = r.appRes.Conf
		case r.connectRes != nil:
			conf = r.connectRes.Conf
		default:
			b.WriteString("# a pod has no Spark configuration of its own: spark-submit's is in its driver's ConfigMap\n")
			continue
		}
		for _, l := range mutate.ConfLines(conf) {
			b.WriteString(l + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeIndentedJSON(w io.Writer, v any) error {
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding output: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", out)
	return err
}

// printExplain prints, per object, the layers applied and a table of every
// field a layer touched: its final value, the source that won and what it beat.
func (o *composeOptions) printExplain(w io.Writer, results []composed) error {
	var b strings.Builder
	for i := range results {
		if i > 0 {
			b.WriteString("\n")
		}
		r := &results[i]
		if r.appRes != nil {
			if err := o.explainApp(&b, r); err != nil {
				return err
			}
			composed, err := r.appRes.App.Values()
			if err != nil {
				return fmt.Errorf("%s: %w", r.ref(), err)
			}
			stored, err := r.storedApp.Values()
			if err != nil {
				return fmt.Errorf("%s: %w", r.ref(), err)
			}
			if err := explainSecondPass(&b, composed, stored); err != nil {
				return fmt.Errorf("%s: %w", r.ref(), err)
			}
			continue
		}
		if r.podGroup != nil {
			fmt.Fprintf(&b, "%s: no layer composes a PodGroup; left unchanged (the webhook judges its priority class and queue: --validate)\n", r.ref())
			continue
		}
		if r.connectRes != nil {
			if err := o.explainConnect(&b, r); err != nil {
				return err
			}
			if err := explainSecondPass(&b, r.connectRes.Object, r.storedConnect.Object); err != nil {
				return fmt.Errorf("%s: %w", r.ref(), err)
			}
			continue
		}
		if err := o.explainPod(&b, r.pod, r.beforePolicies, r.podRes); err != nil {
			return err
		}
		if err := explainSecondPass(&b, r.podRes.Pod, r.stored); err != nil {
			return fmt.Errorf("%s: %w", r.ref(), err)
		}
		if err := explainShadow(&b, r.shadow); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, trimTrailingSpace(b.String()))
	return err
}

// explainPod explains r, the composition of pod; beforePolicies is pod
// before the cluster's MutatingAdmissionPolicies changed it (nil when they
// did not), whose values are theirs, not the user's.
func (o *composeOptions) explainPod(b *strings.Builder, pod, beforePolicies *corev1.Pod, r *mutate.Result) error {
	if !r.Spark {
		fmt.Fprintf(b, "Pod %s: not a Spark pod (no spark-role label of driver or executor); left unchanged\n", podRef(pod))
		return nil
	}
	fmt.Fprintf(b, "Pod %s (%s) on cluster %q, pool %q\n", podRef(pod), r.Role, o.repo.cluster.Name, o.repo.cluster.Pool)
	if len(r.Composition.Layers) == 0 {
		b.WriteString("Layers: none matched; left unchanged\n")
		return nil
	}
	fmt.Fprintf(b, "Layers: %s\n\n", strings.Join(r.Composition.Layers, ", "))
	if err := explainTable(b, r.Composition.Provenance.Fields(), func(f overlay.Field) (string, bool) {
		return f.Path, mutate.AppliesToPod(f.Key)
	}, policiesSource(beforePolicies, pod, pinnedSource(pod.Namespace, r.Pinned))); err != nil {
		return err
	}
	if extra := derivedFields(pod, r); extra != "" {
		b.WriteString(extra)
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(b, "Warning: %s\n", warn)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(b, "Note: %s\n", n)
	}
	return nil
}

// explainShadow prints, apart, what the Shadow layers would change: they
// are composed, not applied.
func explainShadow(b *strings.Builder, changes []mutate.ShadowChange) error {
	if len(changes) == 0 {
		return nil
	}
	var layers []string
	for _, c := range changes {
		if !slices.Contains(layers, c.Layer) {
			layers = append(layers, c.Layer)
		}
	}
	fmt.Fprintf(b, "\nShadow layers (composed, not applied): %s\n\n", strings.Join(layers, ", "))
	tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', 0)
	_, _ = fmt.Fprintln(tw, "FIELD\tNOW\tWOULD BE\tLAYER")
	unset := func(v *string) string {
		if v == nil {
			return "(unset)"
		}
		return *v
	}
	for _, c := range changes {
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Field, unset(c.Now), unset(c.Shadow), c.Layer)
	}
	return tw.Flush()
}

// explainApp prints a SparkApplication's composition: per role, the
// fields of its section, and the job's Spark configuration from the
// composition that owns each key, each under the spelling the user wrote.
func (o *composeOptions) explainApp(b *strings.Builder, r *composed) error {
	app := &r.app.App
	fmt.Fprintf(b, "SparkApplication %s/%s on cluster %q, pool %q\n", app.Namespace, app.Name, o.repo.cluster.Name, o.repo.cluster.Pool)
	for _, role := range mutate.Roles() {
		res := r.appRes.Role(role)
		b.WriteString("\n")
		if len(res.Composition.Layers) == 0 {
			fmt.Fprintf(b, "%s: no layer matched\n", role)
			continue
		}
		fmt.Fprintf(b, "%s layers: %s\n\n", cases(string(role)), strings.Join(res.Composition.Layers, ", "))
		if err := explainTable(b, res.Composition.Provenance.Fields(), func(f overlay.Field) (string, bool) {
			return r.appRes.ExplainPath(role, f.Key)
		}, appPoliciesSource(r.appBeforePolicies, r.appRes, role, pinnedSource(app.Namespace, res.Pinned))); err != nil {
			return err
		}
	}
	warnings := r.appRes.Warnings
	if r.schedule.Name != "" {
		// As the webhook that judges the schedule warns its creator.
		warnings = r.appRes.ScheduleWarnings(r.schedule)
	}
	for _, warn := range warnings {
		fmt.Fprintf(b, "Warning: %s\n", warn)
	}
	return nil
}

// explainConnect prints a SparkConnect's composition: per role, the Spark
// settings its configuration holds, each under the field that states it.
func (o *composeOptions) explainConnect(b *strings.Builder, r *composed) error {
	fmt.Fprintf(b, "%s on cluster %q, pool %q: its Spark configuration (its pods are composed as pods)\n", r.ref(), o.repo.cluster.Name, o.repo.cluster.Pool)
	for _, role := range mutate.Roles() {
		res := r.connectRes.Job.Role(role)
		b.WriteString("\n")
		if len(res.Composition.Layers) == 0 {
			fmt.Fprintf(b, "%s: no layer matched\n", role)
			continue
		}
		fmt.Fprintf(b, "%s layers: %s\n\n", cases(string(role)), strings.Join(res.Composition.Layers, ", "))
		path := func(f overlay.Field) (string, bool) { return r.connectRes.ExplainPath(role, f.Key) }
		fields := slices.DeleteFunc(res.Composition.Provenance.Fields(), func(f overlay.Field) bool {
			_, ok := path(f)
			return !ok || !f.TouchedByLayer()
		})
		if len(fields) == 0 {
			b.WriteString("no layer gives this role a Spark setting\n")
			continue
		}
		if err := explainTable(b, fields, path, appPoliciesSource(r.appBeforePolicies, r.connectRes.Job, role, func(s overlay.Source, _ overlay.Key) string { return s.String() })); err != nil {
			return err
		}
	}
	for _, warn := range r.connectRes.Warnings {
		fmt.Fprintf(b, "Warning: %s\n", warn)
	}
	return nil
}

// cases capitalises a role for a heading.
func cases(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// pinnedSource names, for explain, the source of a value of key: the
// namespace for a node selector entry of pinned (mutate.Result.Pinned),
// which provenance holds as the pod's own; the source itself otherwise.
func pinnedSource(namespace string, pinned []string) func(overlay.Source, overlay.Key) string {
	return func(s overlay.Source, key overlay.Key) string {
		if s.IsUser() && key.Map && key.Root == overlay.PathNodeSelector && slices.Contains(pinned, key.Item) {
			return fmt.Sprintf("namespace %q (PodNodeSelector)", namespace)
		}
		return s.String()
	}
}

// policiesSource names as the MutatingAdmissionPolicies' a value they
// gave the pod (before: the pod before them, nil when they changed
// nothing; after: as they left it), which the composition reads as the
// user's; others as next names them.
func policiesSource(before, after *corev1.Pod, next func(overlay.Source, overlay.Key) string) func(overlay.Source, overlay.Key) string {
	if before == nil {
		return next
	}
	return func(s overlay.Source, key overlay.Key) string {
		if s.IsUser() && mutate.ChangedOnPod(key, before, after) {
			return "a MutatingAdmissionPolicy"
		}
		return next(s, key)
	}
}

// appPoliciesSource names as the MutatingAdmissionPolicies' a value they
// gave role's section of a SparkApplication, which its composition (after)
// reads as the user's: the user's value differs from the one in before,
// the composition of the application as written (nil when the policies
// changed nothing). Others are named as next names them.
func appPoliciesSource(before, after *mutate.AppResult, role v1alpha1.Role, next func(overlay.Source, overlay.Key) string) func(overlay.Source, overlay.Key) string {
	if before == nil {
		return next
	}
	userValue := func(r *mutate.AppResult, key overlay.Key) (string, bool) {
		f, ok := r.Role(role).Composition.Provenance.Lookup(key)
		if !ok {
			return "", false
		}
		return f.UserValue()
	}
	return func(s overlay.Source, key overlay.Key) string {
		if s.IsUser() {
			now, inAfter := userValue(after, key)
			was, inBefore := userValue(before, key)
			if inAfter != inBefore || now != was {
				return "a MutatingAdmissionPolicy"
			}
		}
		return next(s, key)
	}
}

// explainTable writes the fields a layer touched, each under the path
// path gives it (skipped when it says false), each source named by
// source (nil: as it names itself).
func explainTable(b *strings.Builder, fields []overlay.Field, path func(overlay.Field) (string, bool), source func(overlay.Source, overlay.Key) string) error {
	if source == nil {
		source = func(s overlay.Source, _ overlay.Key) string { return s.String() }
	}
	type row struct{ path, value, winner, beats string }
	var rows []row
	for _, f := range fields {
		p, ok := path(f)
		if !f.TouchedByLayer() || !ok {
			continue
		}
		beats := make([]string, len(f.Beaten))
		for j, c := range f.Beaten {
			beats[j] = fmt.Sprintf("%s %s", source(c.Source, f.Key), c.Value)
		}
		rows = append(rows, row{p, f.Value, source(f.Winner, f.Key), joinNonEmpty(beats, "; ")})
	}
	slices.SortStableFunc(rows, func(a, b row) int { return strings.Compare(a.path, b.path) })
	tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', 0)
	_, _ = fmt.Fprintln(tw, "FIELD\tVALUE\tSOURCE\tBEATS") // tw buffers; Flush reports a write error
	for _, r := range rows {
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.path, r.value, r.winner, r.beats)
	}
	return tw.Flush()
}

// trimTrailingSpace removes the padding tabwriter leaves after the last
// non-empty cell of a row.
func trimTrailingSpace(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

// derivedFields lists what the webhook sets as a consequence of the
// composition rather than from a layer field: the priority resolved from
// the priority class.
func derivedFields(before *corev1.Pod, r *mutate.Result) string {
	after := r.Pod.Spec
	if after.Priority == nil || (before.Spec.Priority != nil && *before.Spec.Priority == *after.Priority) {
		return ""
	}
	policy := ""
	if after.PreemptionPolicy != nil {
		policy = string(*after.PreemptionPolicy)
	}
	return fmt.Sprintf("\nspec.priority %d and spec.preemptionPolicy %s resolved from PriorityClass %q\n",
		*after.Priority, policy, after.PriorityClassName)
}
