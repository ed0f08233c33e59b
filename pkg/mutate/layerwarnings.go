package mutate

import (
	"context"
	"slices"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// LayerWarnings are what is warned, when Layer l is applied, of the Spark
// pods it composes on cluster that the API server would refuse after the
// webhook: its PodSecurity admission (LayerPodSecurityWarnings), its
// placement plugins (LayerPlacementWarnings), and its LimitRanger and
// ResourceQuota admission (LayerLimitWarnings), each judged against
// served's other inputs. The Layer webhook warns of each Layer written with
// them, the composer of each Layer of a repository (LayerWarningsOf): a
// warning added here reaches both.
func LayerWarnings(ctx context.Context, l *v1alpha1.Layer, cluster Cluster, served *overlay.Snapshot) []string {
	return slices.Concat(LayerPodSecurityWarnings(l, cluster, served), LayerPlacementWarnings(ctx, l, cluster, served),
		LayerLimitWarnings(ctx, l, cluster, served))
}

// LayerWarningsOf are LayerWarnings of each of in's Layers on cluster,
// each led by the file and the Layer (overlay.LayerSource.Describe),
// judged against in's other inputs as the webhook judges a Layer against
// the snapshot it serves, as the composer warns of a repository's Layers.
// Inputs that do not compile warn of nothing: compiling them says why.
func LayerWarningsOf(ctx context.Context, in overlay.Inputs, cluster Cluster) []string {
	others := in
	others.Layers, others.PriorityClassesPartial = nil, true
	base, err := overlay.Compile(others)
	if err != nil {
		return nil
	}
	var out []string
	for i := range in.Layers {
		src := &in.Layers[i]
		for _, w := range LayerWarnings(ctx, &src.Layer, cluster, base) {
			out = append(out, src.Describe()+w)
		}
	}
	return out
}
