package app

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/manifest"
)

// repoFlags are how the commands that compose find their inputs: the
// layer repository, the cluster's identity, and the cluster configuration
// the repository does not hold.
type repoFlags struct {
	layersDir     string
	cluster       mutate.Cluster
	clusterConfig []string
}

func (r *repoFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&r.layersDir, "layers", "", "layer repository: a kustomization directory or a directory of YAML/JSON files")
	f.StringVar(&r.cluster.Name, "cluster", "", "name of the cluster, matched by the layers' match.clusters")
	f.StringVar(&r.cluster.Pool, "pool", "", "cluster pool, matched by the layers' match.pools")
	f.StringSliceVar(&r.clusterConfig, "cluster-config", nil, "files with the cluster's Namespaces and PriorityClasses the repository does not hold (repeat or comma-separate)")
	_ = cmd.MarkFlagRequired("layers")
	_ = cmd.MarkFlagRequired("cluster")
	_ = cmd.MarkFlagRequired("pool")
}

// load reads the repository and the cluster configuration. A dry run may
// not hold every PriorityClass of the cluster, so one a layer names that
// is missing is left to the webhook (mutate's note), not an error. A
// --cluster or --pool no Layer names is a warning on warn listing the
// names the repository knows: a typo would otherwise silently drop those
// layers.
func (r *repoFlags) load(fsys filesys.FileSystem, warn io.Writer) (overlay.Inputs, error) {
	in, err := manifest.LoadRepo(fsys, r.layersDir)
	if err != nil {
		return overlay.Inputs{}, err
	}
	namespaces, classes, err := manifest.LoadClusterConfig(fsys, r.clusterConfig)
	if err != nil {
		return overlay.Inputs{}, err
	}
	in.Namespaces = append(in.Namespaces, namespaces...)
	in.PriorityClasses = append(in.PriorityClasses, classes...)
	in.PriorityClassesPartial = true
	clusters, pools := manifest.Names(in)
	for _, c := range []struct {
		flag, value string
		known       []string
	}{{"--cluster", r.cluster.Name, clusters}, {"--pool", r.cluster.Pool, pools}} {
		if len(c.known) > 0 && !slices.Contains(c.known, c.value) {
			_, _ = fmt.Fprintf(warn, "Warning: %s %q is named by no Layer of %s, so the layers that match %ss apply to none of its objects; the repository names: %s\n",
				c.flag, c.value, r.layersDir, strings.TrimPrefix(c.flag, "--"), strings.Join(c.known, ", ")) // diagnostics
		}
	}
	return in, nil
}
