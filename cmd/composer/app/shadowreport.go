package app

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

func newShadowReportCommand(_ context.Context, streams Streams) *cobra.Command {
	c := &clusterFlags{}
	cmd := &cobra.Command{
		Use:   "shadow-report --kubeconfig FILE [--context NAME]",
		Short: "Print what each Shadow layer of a cluster would have changed",
		Long: `Shadow-report reads the cluster's Layers, read-only, and prints for every Layer
in Shadow mode what it would have changed on the pods the webhook admitted:
the pods, each field with the number of pods, and a sample of pods, summed
over the webhook's replicas (each writes its own counts into the Layer's
status.shadow).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !c.enabled() {
				return badInput(fmt.Errorf("required flag(s) %q not set (or --context)", "kubeconfig"))
			}
			cl, err := c.client()
			if err != nil {
				return badInput(err)
			}
			var layers v1alpha1.LayerList
			if err := cl.List(cmd.Context(), &layers); err != nil {
				return fmt.Errorf("listing Layers: %w", err)
			}
			_, err = io.WriteString(streams.Out, shadowReport(layers.Items))
			return err
		},
	}
	c.add(cmd)
	return cmd
}

// shadowReport renders the Shadow layers' reports, summed over replicas.
func shadowReport(layers []v1alpha1.Layer) string {
	var b strings.Builder
	slices.SortFunc(layers, func(x, y v1alpha1.Layer) int { return strings.Compare(x.Name, y.Name) })
	n := 0
	for i := range layers {
		l := &layers[i]
		if !l.Spec.IsShadow() {
			continue
		}
		n++
		var pods int64
		fields := map[string]int64{}
		var samples []string
		for _, r := range l.Status.Shadow {
			pods += r.Pods
			for _, f := range r.Fields {
				fields[f.Field] += f.Pods
			}
			for _, s := range r.Samples {
				if len(samples) < maxReportSamples && !slices.Contains(samples, s) {
					samples = append(samples, s)
				}
			}
		}
		fmt.Fprintf(&b, "Layer %q (%s, order %d): would have changed %d pods, counted by %d replicas\n", l.Name, l.Spec.Tier, l.Spec.Order, pods, len(l.Status.Shadow))
		if len(fields) > 0 {
			tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
			_, _ = fmt.Fprintln(tw, "  FIELD\tPODS")
			for _, f := range slices.Sorted(maps.Keys(fields)) {
				_, _ = fmt.Fprintf(tw, "  %s\t%d\n", f, fields[f])
			}
			_ = tw.Flush()
			fmt.Fprintf(&b, "  e.g. %s\n", strings.Join(samples, ", "))
		}
		b.WriteString("\n")
	}
	if n == 0 {
		b.WriteString("No Layer is in Shadow mode.\n")
	}
	return trimTrailingSpace(b.String())
}

// maxReportSamples is how many pods the report names per layer.
const maxReportSamples = 10
