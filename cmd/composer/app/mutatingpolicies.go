package app

import (
	"context"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/mutate/mutatingpolicy"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/manifest"
)

// mutatingApplier applies the cluster's MutatingAdmissionPolicies (snap's)
// to the pods of objects, as the API server does; nil where the cluster
// binds none.
func mutatingApplier(ctx context.Context, snap *overlay.Snapshot, objects []manifest.Object) (*mutatingpolicy.Applier, error) {
	policies := snap.MutatingPolicies()
	if len(policies.Bindings) == 0 {
		return nil, nil
	}
	var namespaces []corev1.Namespace
	for _, ns := range namespacesOf(objects) {
		namespaces = append(namespaces, corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: snap.NamespaceLabels(ns)}})
	}
	a, err := mutatingpolicy.New(ctx, policies, namespaces)
	if err != nil {
		return nil, fmt.Errorf("MutatingAdmissionPolicies: %w", err)
	}
	return a, nil
}

// mutatingNotes say which of the cluster's MutatingAdmissionPolicies
// (snap's) may apply to obj when it is created, to the runs of a
// ScheduledSparkApplication, or to the pods a SparkApplication launches,
// where the dry run does not apply them (mutate.MutatingPolicyMatches):
// it applies them to a pod (applier's), save those it cannot
// (Applier.Skipped), which it names with the reason.
func mutatingNotes(snap *overlay.Snapshot, obj manifest.Object, applier *mutatingpolicy.Applier) []string {
	policies := snap.MutatingPolicies()
	if len(policies.Bindings) == 0 {
		return nil
	}
	type created struct {
		what string
		obj  mutate.Created
	}
	var objects []created
	switch {
	case obj.Pod != nil:
		objects = append(objects, created{"it", mutate.Created{Version: "v1", Resource: "pods", Name: obj.Pod.Name, Labels: obj.Pod.Labels}})
	case obj.App != nil:
		app := &obj.App.App
		run := mutate.Created{Group: "sparkoperator.k8s.io", Version: "v1beta2", Resource: "sparkapplications", Name: app.Name, Labels: app.Labels}
		if obj.Schedule.Name == "" {
			objects = append(objects, created{"it", run})
		} else {
			run.Name = "" // the operator names each run
			// A run's labels are its schedule's and the operator's.
			own := maps.Clone(app.Labels)
			delete(own, sparkv1beta2.ScheduledAppNameLabel)
			objects = append(objects, created{"it", mutate.Created{Group: "sparkoperator.k8s.io", Version: "v1beta2", Resource: "scheduledsparkapplications",
				Name: obj.Schedule.Name, Labels: own}}, created{"each of its runs", run})
		}
		for _, role := range mutate.Roles() {
			if pod, err := mutate.LaunchedPod(app, role); err == nil {
				objects = append(objects, created{fmt.Sprintf("the %s pods it launches", role), mutate.Created{Version: "v1", Resource: "pods", Labels: pod.Labels}})
			}
		}
	case obj.Connect != nil:
		objects = append(objects, created{"it", mutate.Created{Group: "sparkoperator.k8s.io", Version: "v1alpha1", Resource: "sparkconnects", Name: obj.Connect.Metadata.Name}})
	}
	var out []string
	for _, c := range objects {
		c.obj.NamespaceLabels = snap.NamespaceLabels(obj.Namespace())
		for _, m := range mutate.MutatingPolicyMatches(policies, c.obj) {
			unless := ""
			if m.Conditional {
				unless = " unless its match conditions leave it out"
			}
			why := "the dry run applies MutatingAdmissionPolicies only to a pod it is given"
			if obj.Pod != nil && applier != nil {
				if why = applier.Skipped(m.Policy); why == "" {
					continue // applied
				}
				why = "the dry run does not apply it: " + why
			}
			out = append(out, fmt.Sprintf("%s applies to %s in the API server%s, before the webhooks; %s: what the API server stores may differ from what is printed",
				m, c.what, unless, why))
		}
	}
	return out
}
