package app

import (
	"context"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/strata-dev/strata/pkg/mutate/mutatingpolicy"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/manifest"
)

// testAppliers are the appliers of a PolicyTest's MutatingAdmissionPolicies
// its cases share. Starting one takes ~0.2 s (the plugin's readiness
// polling), so a suite of hundreds of cases would mostly wait; an applier
// is given what a case's creations read of the cluster (the Namespaces of
// its objects with their labels, its user's groups), and a case meeting
// the same reuses it, as compose applies one to a whole corpus. A suite's
// cases share its layers, so its policies: the key holds the rest.
type testAppliers struct {
	byKey map[string]*mutatingpolicy.Applier
	// reversed are byKey's in the reverse order of their names
	// (Applier.Reversed), started where a case asks.
	reversed map[string]*mutatingpolicy.Applier
}

func newTestAppliers() *testAppliers {
	return &testAppliers{byKey: map[string]*mutatingpolicy.Applier{}, reversed: map[string]*mutatingpolicy.Applier{}}
}

// applierKey is what an applier of the policies of snap is given for
// objects created by user in groups, as mutatingApplier gives it.
func applierKey(snap *overlay.Snapshot, objects []manifest.Object, known []corev1.Namespace, user string, groups []string) (string, error) {
	key, err := json.Marshal(struct {
		Namespaces []corev1.Namespace
		User       string
		Groups     []string
	}{applierNamespaces(snap, objects, known), user, groups})
	if err != nil {
		return "", fmt.Errorf("MutatingAdmissionPolicies: %w", err)
	}
	return string(key), nil
}

// get is the applier of snap's policies for a case creating objects by
// user in groups (nil where none is bound), and its key; started on the
// first case that needs it.
func (t *testAppliers) get(ctx context.Context, snap *overlay.Snapshot, objects []manifest.Object, known []corev1.Namespace, user string, groups []string) (*mutatingpolicy.Applier, string, error) {
	if len(snap.MutatingPolicies().Bindings) == 0 {
		return nil, "", nil
	}
	key, err := applierKey(snap, objects, known, user, groups)
	if err != nil {
		return nil, "", err
	}
	if a, ok := t.byKey[key]; ok {
		return a, key, nil
	}
	a, err := mutatingApplier(ctx, snap, objects, clusterAccess{groups: map[string][]string{user: groups}}, known)
	if err != nil {
		return nil, "", err
	}
	t.byKey[key] = a
	return a, key, nil
}

// reverse is Applier.Reversed of the applier of key (get's).
func (t *testAppliers) reverse(ctx context.Context, key string) (*mutatingpolicy.Applier, error) {
	if a, ok := t.reversed[key]; ok {
		return a, nil
	}
	a, err := t.byKey[key].Reversed(ctx)
	if err != nil {
		return nil, err
	}
	t.reversed[key] = a
	return a, nil
}

// Close stops every applier t started.
func (t *testAppliers) Close() {
	for _, m := range []map[string]*mutatingpolicy.Applier{t.byKey, t.reversed} {
		for _, a := range m {
			if a != nil {
				a.Close()
			}
		}
	}
}
