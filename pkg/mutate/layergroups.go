package mutate

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// namespaceGroup is namespaces that what refuses a Layer's pods (their
// placement, their LimitRanges) treats alike, and what refuses the pod of
// role that the Layer alone (trial) composes in one of them, the first it
// matches: the reasons, none when admitted.
type namespaceGroup struct {
	namespaces []string
	refusals   func(trial *overlay.Snapshot, role v1alpha1.Role, namespace string) []string
}

// layerGroupWarnings warns, when Layer l is written, of each group whose
// refusals refuse the Spark pods l composes, alone, in the first namespace
// of the group it matches on cluster, naming it and counting the others
// l matches ("namespace "etl" and 3 more placed alike", alike being
// "placed alike"). The work is linear in the namespaces (each group
// scanned until l matches, and once more when it is refused there), with
// one trial per role and group; it stops when ctx is done (the request's
// deadline), saying how many groups of what it left. A Shadow Layer, or
// one that does not compile, is not warned of.
func layerGroupWarnings(ctx context.Context, l *v1alpha1.Layer, cluster Cluster, served *overlay.Snapshot, groups []namespaceGroup, what, alike string) []string {
	if len(groups) == 0 || l.Spec.IsShadow() {
		return nil
	}
	trial, err := served.Alone(l)
	if err != nil {
		return nil
	}
	var out []string
	for i, g := range groups {
		if ctx.Err() != nil {
			return append(out, fmt.Sprintf("spec: %s of %d groups of namespaces not checked against this Layer: the request's deadline passed", what, len(groups)-i))
		}
		var (
			roles, reasons []string
			first          string
			matched        int
		)
		for _, role := range Roles() {
			matches := func(ns string) bool {
				return len(trial.Match(overlay.Target{Cluster: cluster.Name, Pool: cluster.Pool, Namespace: ns, Role: role})) > 0
			}
			at := slices.IndexFunc(g.namespaces, matches)
			if at < 0 {
				continue
			}
			r := g.refusals(trial, role, g.namespaces[at])
			if len(r) == 0 {
				continue
			}
			roles = append(roles, string(role))
			if reasons == nil {
				// Counted only when refused: the rest of the group scanned
				// once.
				reasons, first, matched = r, g.namespaces[at], 1
				for _, ns := range g.namespaces[at+1:] {
					if matches(ns) {
						matched++
					}
				}
			}
		}
		if reasons == nil {
			continue
		}
		where := fmt.Sprintf("namespace %q", first)
		if matched > 1 {
			where = fmt.Sprintf("namespace %q and %d more %s", first, matched-1, alike)
		}
		out = append(out, fmt.Sprintf("spec: the API server will refuse the Spark %s pods this Layer composes in %s: %s",
			strings.Join(roles, " and "), where, strings.Join(reasons, "; ")))
	}
	return out
}
