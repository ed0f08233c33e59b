package app

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/strata-dev/strata/pkg/mutate"
)

func (o *composeOptions) print(w io.Writer, pods []*corev1.Pod, results []*mutate.Result) error {
	switch o.output {
	case outputJSON:
		return printJSON(w, results)
	case outputPatch:
		return printPatches(w, results)
	case outputExplain:
		return o.printExplain(w, pods, results)
	default:
		return printYAML(w, results)
	}
}

func printYAML(w io.Writer, results []*mutate.Result) error {
	for i, r := range results {
		out, err := yaml.Marshal(r.Pod)
		if err != nil {
			return fmt.Errorf("encoding pod %s: %w", podRef(r.Pod), err)
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

// printJSON prints one pod as a Pod, several as a v1 List.
func printJSON(w io.Writer, results []*mutate.Result) error {
	var v any
	if len(results) == 1 {
		v = results[0].Pod
	} else {
		list := &corev1.List{}
		list.APIVersion, list.Kind = "v1", "List"
		for _, r := range results {
			raw, err := json.Marshal(r.Pod)
			if err != nil {
				return fmt.Errorf("encoding pod %s: %w", podRef(r.Pod), err)
			}
			list.Items = append(list.Items, runtime.RawExtension{Raw: raw})
		}
		v = list
	}
	return writeIndentedJSON(w, v)
}

// printPatches prints one JSON Patch array per pod, in input order.
func printPatches(w io.Writer, results []*mutate.Result) error {
	for _, r := range results {
		if err := writeIndentedJSON(w, r.Patch); err != nil {
			return err
		}
	}
	return nil
}

func writeIndentedJSON(w io.Writer, v any) error {
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding output: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", out)
	return err
}

// printExplain prints, per pod, the layers applied and a table of every
// field a layer touched: its final value, the source that won and what it beat.
func (o *composeOptions) printExplain(w io.Writer, pods []*corev1.Pod, results []*mutate.Result) error {
	var b strings.Builder
	for i, r := range results {
		if i > 0 {
			b.WriteString("\n")
		}
		pod := pods[i]
		if !r.Spark {
			fmt.Fprintf(&b, "Pod %s: not a Spark pod (no spark-role label of driver or executor); left unchanged\n", podRef(pod))
			continue
		}
		fmt.Fprintf(&b, "Pod %s (%s) on cluster %q, pool %q\n", podRef(pod), r.Role, o.cluster.Name, o.cluster.Pool)
		if len(r.Composition.Layers) == 0 {
			b.WriteString("Layers: none matched; left unchanged\n")
			continue
		}
		fmt.Fprintf(&b, "Layers: %s\n\n", strings.Join(r.Composition.Layers, ", "))
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		_, _ = fmt.Fprintln(tw, "FIELD\tVALUE\tSOURCE\tBEATS") // tw buffers; Flush reports a write error
		for _, f := range r.Composition.Provenance.Fields() {
			if !f.TouchedByLayer() || !mutate.AppliesToPod(f.Key) {
				continue
			}
			beats := make([]string, len(f.Beaten))
			for j, c := range f.Beaten {
				beats[j] = fmt.Sprintf("%s %s", c.Source, c.Value)
			}
			_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Path, f.Value, f.Winner, joinNonEmpty(beats, "; "))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if extra := derivedFields(pod, r); extra != "" {
			b.WriteString(extra)
		}
		for _, warn := range r.Warnings {
			fmt.Fprintf(&b, "Warning: %s\n", warn)
		}
	}
	_, err := io.WriteString(w, trimTrailingSpace(b.String()))
	return err
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
