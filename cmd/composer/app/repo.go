package app

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/manifest"
	"github.com/strata-dev/strata/pkg/policy"
)

// repoFlags are how the commands that compose find their inputs: the
// layer repository, the cluster's identity, and the cluster configuration
// the repository does not hold.
type repoFlags struct {
	layersDir       string
	namespaceLabels string
	cluster         mutate.Cluster
	clusterConfig   []string
	// admissionPlugins are --admission-plugins, read into placement, of
	// the commands that compose pod files (addAdmissionPluginsFlag).
	admissionPlugins []string
	placement        mutate.PlacementPlugins
	live             clusterFlags
	// reader is the cluster load read, when it read one, and authorizer
	// its authorizer.
	reader     client.Client
	authorizer authorizer.UnconditionalAuthorizer
	// namespaces are the Namespaces snapshot read, whole (the snapshot
	// keeps their labels only): a MutatingAdmissionPolicy's
	// namespaceObject.
	namespaces []corev1.Namespace
	// layers are the Layers snapshot read, for the warnings that need the
	// policies (overlay.Inputs.EnforcementWarnings).
	layers []overlay.LayerSource
}

func (r *repoFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&r.layersDir, "layers", "", "layer repository: a kustomization directory or a directory of YAML/JSON files")
	f.StringVar(&r.cluster.Name, "cluster", "", "name of the cluster, matched by the layers' match.clusters")
	f.StringVar(&r.cluster.Pool, "pool", "", "cluster pool, matched by the layers' match.pools")
	f.StringSliceVar(&r.clusterConfig, "cluster-config", nil, "files with the cluster's Namespaces, PriorityClasses, RuntimeClasses, LimitRanges, ResourceQuotas, ValidatingAdmissionPolicies and MutatingAdmissionPolicies (with bindings, and their params) the repository does not hold, and its API server's admission configuration (its AdmissionConfiguration: PodSecurity's, PodNodeSelector's and PodTolerationRestriction's defaults, and ResourceQuota's limitedResources; or a PodSecurityConfiguration alone); repeat or comma-separate")
	f.StringVar(&r.namespaceLabels, "namespace-labels", "", "labels of the objects' namespaces, k=v,...; add to or replace those of Namespace objects in the repository")
	r.live.add(cmd)
}

// snapshot loads the inputs (load), gives the namespaces the objects are
// in the --namespace-labels, and compiles them.
func (r *repoFlags) snapshot(ctx context.Context, fsys filesys.FileSystem, warn io.Writer, namespaces []string) (*overlay.Snapshot, error) {
	extra, err := parseNamespaceLabels(r.namespaceLabels)
	if err != nil {
		return nil, err
	}
	in, err := r.load(ctx, fsys, warn)
	if err != nil {
		return nil, err
	}
	in.Namespaces = withNamespaceLabels(in.Namespaces, namespaces, extra)
	r.namespaces, r.layers = in.Namespaces, in.Layers
	return overlay.Compile(in)
}

// load reads the inputs: the repository's Layers (--layers) and the
// Namespaces, PriorityClasses, RuntimeClasses and admission policies it and --cluster-config
// hold; with a cluster (--kubeconfig, --context), the cluster's too, and its Layers when no repository is given (a
// repository given previews its Layers against the live cluster), and the
// cluster's identity when --cluster and --pool are not given (its Spark
// Operator's user with it, unless --operator-user names one).
//
// A dry run without a cluster may not hold every PriorityClass, so one a
// layer names that is missing is left to the webhook (mutate's note), not
// an error. A --cluster or --pool no Layer names is a warning on warn
// listing the names the Layers know: a typo would otherwise silently drop
// those layers. So is a placement controller tenants may impersonate, as
// the Layer webhook warns of it, and a Spark key spark-submit ignores
// (overlay.LayerWarnings).
func (r *repoFlags) load(ctx context.Context, fsys filesys.FileSystem, warn io.Writer) (overlay.Inputs, error) {
	var in overlay.Inputs
	var err error
	if r.placement, err = admissionPlugins(r.admissionPlugins); err != nil {
		return overlay.Inputs{}, err
	}
	if r.live.enabled() {
		cl, err := r.live.client()
		if err != nil {
			return overlay.Inputs{}, err
		}
		if in, err = readCluster(ctx, cl); err != nil {
			return overlay.Inputs{}, err
		}
		r.reader = cl
		if r.authorizer, err = r.live.authorizer(); err != nil {
			return overlay.Inputs{}, err
		}
		if r.cluster.Name == "" && r.cluster.Pool == "" {
			if r.cluster, err = clusterIdentity(ctx, cl, r.live.webhookNamespace, r.cluster.SparkOperator); err != nil {
				return overlay.Inputs{}, fmt.Errorf("--cluster and --pool not given: %w", err)
			}
		}
	}
	var missing []string
	for _, f := range []struct{ name, value string }{{"cluster", r.cluster.Name}, {"layers", r.layersDir}, {"pool", r.cluster.Pool}} {
		if f.value == "" && (f.name != "layers" || !r.live.enabled()) {
			missing = append(missing, strconv.Quote(f.name))
		}
	}
	if len(missing) > 0 {
		return overlay.Inputs{}, fmt.Errorf("required flag(s) %s not set (--layers may come from the cluster with --kubeconfig, --cluster and --pool from its webhook's configuration)",
			strings.Join(missing, ", "))
	}
	if r.layersDir != "" {
		repo, err := manifest.LoadRepo(fsys, r.layersDir)
		if err != nil {
			return overlay.Inputs{}, err
		}
		// The repository's Layers are previewed against the cluster's
		// other objects: none of the cluster's own is in force in it.
		in.Layers = nil
		in = in.And(repo)
	}
	cluster, err := manifest.LoadClusterConfig(fsys, r.clusterConfig)
	if err != nil {
		return overlay.Inputs{}, err
	}
	in = in.And(cluster)
	in.PriorityClassesPartial = !r.live.enabled()
	absent := "is in neither --layers nor --cluster-config"
	if r.live.enabled() {
		absent = "does not exist"
	}
	for _, w := range repositoryWarnings(ctx, in, r.cluster, absent) {
		_, _ = fmt.Fprintf(warn, "Warning: %s\n", w) // diagnostics
	}
	where := r.layersDir
	if where == "" {
		where = "the cluster"
	}
	clusters, pools := manifest.Names(in)
	for _, c := range []struct {
		flag, value string
		known       []string
	}{{"--cluster", r.cluster.Name, clusters}, {"--pool", r.cluster.Pool, pools}} {
		if len(c.known) > 0 && !slices.Contains(c.known, c.value) {
			_, _ = fmt.Fprintf(warn, "Warning: %s %q is named by no Layer of %s, so the layers that match %ss apply to none of its objects; the Layers name: %s\n",
				c.flag, c.value, where, strings.TrimPrefix(c.flag, "--"), strings.Join(c.known, ", ")) // diagnostics
		}
	}
	return in, nil
}

// liveState is the cluster's live pods, for --validate; nil (nothing
// live) without a cluster.
func (r *repoFlags) liveState(ctx context.Context) (policy.LiveState, error) {
	if r.reader == nil {
		return nil, nil
	}
	return liveState(ctx, r.reader)
}

// repositoryWarnings are what the composer warns of in's Layers on
// cluster, as the Layer webhook warns of each Layer written: what they name
// that in does not hold, absent saying where it was looked for
// (overlay.Inputs.LayerWarnings), and the pods they compose that the API
// server would refuse (mutate.LayerWarningsOf); and of the configuration
// of the ResourceQuota admission in holds.
func repositoryWarnings(ctx context.Context, in overlay.Inputs, cluster mutate.Cluster, absent string) []string {
	return slices.Concat(in.LayerWarnings(absent), mutate.LayerWarningsOf(ctx, in, cluster), mutate.LimitedResourcesWarnings(in.LimitedResources))
}

// addAdmissionPluginsFlag adds --admission-plugins, into names.
func addAdmissionPluginsFlag(cmd *cobra.Command, names *[]string) {
	cmd.Flags().StringSliceVar(names, "admission-plugins", nil, fmt.Sprintf("the API server's admission plugins, off by default, that the cluster enables (its --enable-admission-plugins), whose work on a pod is predicted: %s; a pod is then given its namespace's node selector and tolerations (and tolerations of the extended resources it requests), and judged, as they do; repeat or comma-separate",
		strings.Join(mutate.KnownPlacementPlugins(), ", ")))
}

// admissionPlugins reads --admission-plugins.
func admissionPlugins(names []string) (mutate.PlacementPlugins, error) {
	pp, err := mutate.ParsePlacementPlugins(names)
	if err != nil {
		return pp, fmt.Errorf("--admission-plugins: %w", err)
	}
	return pp, nil
}

// parseNamespaceLabels reads --namespace-labels, key=value pairs apart by
// commas (spaces around each key and value trimmed), each key a label's
// key and each value a label's value, as a Namespace's labels must be,
// and each key one value. An error names every pair it cannot read and why.
func parseNamespaceLabels(s string) (map[string]string, error) {
	out := map[string]string{}
	if s == "" {
		return out, nil
	}
	var problems []string
	for pair := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(pair, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		var why []string
		switch {
		case !ok:
			why = []string{"not key=value"}
		default:
			if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
				why = append(why, fmt.Sprintf("key %q: %s", k, msgs[0]))
			}
			if msgs := validation.IsValidLabelValue(v); len(msgs) > 0 {
				why = append(why, fmt.Sprintf("value %q: %s", v, msgs[0]))
			}
			if prev, twice := out[k]; twice && prev != v && len(why) == 0 {
				why = append(why, fmt.Sprintf("key %q is given two values (first %q)", k, prev))
			}
		}
		if len(why) > 0 {
			problems = append(problems, fmt.Sprintf("%q: %s", pair, strings.Join(why, "; ")))
			continue
		}
		out[k] = v
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("--namespace-labels: %s (want key=value,..., each a label's key and value)", strings.Join(problems, ", "))
	}
	return out, nil
}
