package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"

	"github.com/spf13/cobra"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/mutate/mutatingpolicy"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/manifest"
	"github.com/strata-dev/strata/pkg/policy"
)

type diffOptions struct {
	files      []string
	base, head string
	baseRef    string
	cluster    mutate.Cluster
	// user creates the objects, in groups (--as, --as-group).
	user             string
	groups           []string
	clusterConfig    []string
	admissionPlugins []string
	namespaceLabels  string
	policiesDir      string
	output           string
	failOnChange     bool
	failOnDeny       bool
	fsys             filesys.FileSystem
}

func newDiffCommand(_ context.Context, streams Streams) *cobra.Command {
	o := &diffOptions{fsys: filesys.MakeFsOnDisk()}
	cmd := &cobra.Command{
		Use:   "diff -f FILE... (--base DIR | --base-ref REF) --head DIR --cluster NAME --pool NAME [-o text|json] [--fail-on-change] [--fail-on-deny]",
		Short: "Show what a change of the layers does to a corpus of pods and SparkApplications before it merges",
		Long: `Diff composes a corpus of Pods and SparkApplications (-f: files, or the output
of kubectl get pods -l spark-role -A -o yaml; Volcano PodGroups are judged,
no layer composing them) with two layer trees: --base and
--head, or --base-ref REF, the --head directory as it is at REF in its git
repository (the repository is read with git archive; nothing is checked out).
For each object it prints every field whose composed value changes, with the
old value, the new value and the layer responsible, and every policy verdict
that changes; then a summary: objects changed by namespace and role, fields
changed, verdicts that flip from allow to deny. -o json for machines.
Exit 1 with --fail-on-change when an object changes, with --fail-on-deny when
a verdict flips to deny; 0 otherwise; 2 for bad input.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context(), streams) },
	}
	f := cmd.Flags()
	f.StringSliceVarP(&o.files, "filename", "f", nil, "files of Pods, SparkApplications and PodGroups (repeat or comma-separate); - for standard input")
	f.StringVar(&o.base, "base", "", "the layer tree before the change: a kustomization directory or a directory of YAML/JSON files")
	f.StringVar(&o.baseRef, "base-ref", "", "the git revision (branch, tag, commit) of --head's repository to compare with, instead of --base")
	f.StringVar(&o.head, "head", "", "the layer tree after the change")
	f.StringVar(&o.cluster.Name, "cluster", "", "name of the cluster, matched by the layers' match.clusters")
	f.StringVar(&o.cluster.Pool, "pool", "", "cluster pool, matched by the layers' match.pools")
	f.StringVar(&o.user, "as", "", "who creates the objects, as the API server names users, on both sides (compose's --as)")
	f.StringSliceVar(&o.groups, "as-group", nil, "the groups of the user of --as (compose's --as-group)")
	f.StringVar(&o.cluster.SparkOperator, "operator-user", "", "the Spark Operator's user, as the API server names it (compose's --operator-user); not known by default")
	f.StringSliceVar(&o.clusterConfig, "cluster-config", nil, "files with the cluster's Namespaces, PriorityClasses, RuntimeClasses, LimitRanges, ResourceQuotas, ValidatingAdmissionPolicies and MutatingAdmissionPolicies (with bindings, and their params) the trees do not hold, and its API server's admission configuration (its AdmissionConfiguration: PodSecurity's, PodNodeSelector's and PodTolerationRestriction's defaults, and ResourceQuota's limitedResources; or a PodSecurityConfiguration alone)")
	f.StringVar(&o.namespaceLabels, "namespace-labels", "", "labels of the objects' namespaces, k=v,...")
	addAdmissionPluginsFlag(cmd, &o.admissionPlugins)
	f.StringVar(&o.policiesDir, "policies", "", "directory of Rego policies to use instead of the built-in ones")
	f.StringVarP(&o.output, "output", "o", "text", "output format: text or json")
	f.BoolVar(&o.failOnChange, "fail-on-change", false, "exit 1 when an object's composition changes")
	f.BoolVar(&o.failOnDeny, "fail-on-deny", false, "exit 1 when a policy verdict flips from allow to deny")
	for _, name := range []string{"filename", "head", "cluster", "pool"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

// noteOrder notes on w each object of diffs whose verdict with the head,
// or what the API server stores of it, depends on the order its
// MutatingAdmissionPolicies apply in, which the API server does not fix
// (objectDiff.reversed), as compose notes it.
func noteOrder(w io.Writer, diffs []*objectDiff) {
	for _, d := range diffs {
		switch r := d.reversed; {
		case r == nil:
		case r.Allowed != d.After.Allowed || !slices.Equal(r.Violations, d.After.Violations):
			_, _ = fmt.Fprintf(w, "Note: %s: --head: the cluster's MutatingAdmissionPolicies give it another verdict applied in another order, which the API server does not fix: %s in the order of their names, %s in the reverse\n", // diagnostics
				d.ref(), d.After.words(), r.words())
		case d.storedOtherwise:
			_, _ = fmt.Fprintf(w, "Note: %s: --head: %s\n", d.ref(), orderMatters) // diagnostics
		}
	}
}

func (o *diffOptions) run(ctx context.Context, streams Streams) error {
	if o.output != "text" && o.output != "json" {
		return badInput(fmt.Errorf("-o: unknown output format %q (want text or json)", o.output))
	}
	if (o.base == "") == (o.baseRef == "") {
		return badInput(errors.New("give the tree before the change: --base DIR or --base-ref REF, one of them"))
	}
	if op := o.cluster.SparkOperator; op != "" {
		if err := mutate.CheckUserName(op); err != nil {
			return badInput(fmt.Errorf("--operator-user: %w", err))
		}
	}
	if o.user != "" {
		if err := mutate.CheckUserName(o.user); err != nil {
			return badInput(fmt.Errorf("--as: %w", err))
		}
	}
	extra, err := parseNamespaceLabels(o.namespaceLabels)
	if err != nil {
		return badInput(err)
	}
	placement, err := admissionPlugins(o.admissionPlugins)
	if err != nil {
		return badInput(err)
	}
	var objects []manifest.Object
	for _, f := range o.files {
		objs, err := (&composeOptions{podFile: f}).readObjects(streams.In)
		if err != nil {
			return badInput(err)
		}
		objects = append(objects, objs...)
	}
	baseFS, baseDir := o.fsys, o.base
	if o.baseRef != "" {
		var done func()
		if baseFS, baseDir, done, err = treeAt(ctx, o.head, o.baseRef); err != nil {
			return badInput(err)
		}
		defer done()
	}
	engine, err := loadEngine(ctx, o.policiesDir)
	if err != nil {
		return badInput(err)
	}
	var appliers []*mutatingpolicy.Applier
	defer func() {
		for _, a := range appliers {
			a.Close()
		}
	}()
	side := func(fsys filesys.FileSystem, dir, name string) (*diffSide, error) {
		in, err := manifest.LoadRepo(fsys, dir)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		cluster, err := manifest.LoadClusterConfig(o.fsys, o.clusterConfig)
		if err != nil {
			return nil, err
		}
		in = in.And(cluster)
		in.Namespaces = withNamespaceLabels(in.Namespaces, namespacesOf(objects), extra)
		in.PriorityClassesPartial = true
		if name == "--head" { // what the change brings; the base's are in force already
			for _, w := range repositoryWarnings(ctx, in, o.cluster, "is in neither --head nor --cluster-config") {
				_, _ = fmt.Fprintf(streams.Err, "Warning: --head: %s\n", w) // diagnostics
			}
		}
		snap, err := overlay.Compile(in)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		// Each side's MutatingAdmissionPolicies, which a change may bring.
		applier, err := mutatingApplier(ctx, snap, objects, clusterAccess{groups: map[string][]string{o.user: o.groups}}, in.Namespaces)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if applier != nil {
			appliers = append(appliers, applier)
		}
		out := &diffSide{check: &policy.Check{Engine: engine, Snapshot: snap, Cluster: o.cluster, PodSecurity: true, LimitRanger: true, ResourceQuota: true, Placement: placement,
			Mutating: mutatingAdmission(applier)}, applier: applier, user: userInfo(o.user, o.groups)}
		if name == "--head" && applier != nil && applier.Bound() > 1 {
			reversed, err := applier.Reversed(ctx)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			appliers = append(appliers, reversed)
			check := *out.check
			check.Mutating = mutatingAdmission(reversed)
			out.reversed = &diffSide{check: &check, applier: reversed, user: out.user}
		}
		return out, nil
	}
	base, err := side(baseFS, baseDir, "--base")
	if err != nil {
		return badInput(err)
	}
	head, err := side(o.fsys, o.head, "--head")
	if err != nil {
		return badInput(err)
	}
	diffs, err := diffObjects(ctx, base, head, objects, runtime.GOMAXPROCS(0))
	if err != nil {
		return badInput(err)
	}
	noteOrder(streams.Err, diffs)
	report := diffReport{Objects: []objectDiff{}, Summary: diffSummary{ByNamespaceRole: map[string]int{}, Fields: map[string]int{}}}
	for _, d := range diffs {
		report.add(d)
	}
	if o.output == "json" {
		err = writeIndentedJSON(streams.Out, report)
	} else {
		_, err = io.WriteString(streams.Out, report.text())
	}
	if err != nil {
		return err
	}
	switch {
	case o.failOnDeny && report.Summary.FlippedToDeny > 0:
		return &deniedError{err: fmt.Errorf("%d objects the change makes a policy deny", report.Summary.FlippedToDeny)}
	case o.failOnChange && report.Summary.Changed > 0:
		return &deniedError{err: fmt.Errorf("the change changes %d of %d objects", report.Summary.Changed, report.Summary.Objects)}
	}
	return nil
}
