package app

import (
	"context"
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/mutate/mutatingpolicy"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/manifest"
	"github.com/strata-dev/strata/pkg/policy"
)

// mutatingApplier applies the cluster's MutatingAdmissionPolicies (snap's)
// to the pods, SparkApplications and SparkConnects of objects, as the API
// server does, with their params and the custom resources'
// CustomResourceDefinitions read through access (the files' where it
// reads no cluster, and a policy whose params they do not hold is not
// applied), its authorizer answering their CEL's checks; nil where
// the cluster binds none. known are the Namespaces snap was compiled from,
// whole: a policy's namespaceObject is the one of a pod's namespace, with
// the labels snap gives it.
func mutatingApplier(ctx context.Context, snap *overlay.Snapshot, objects []manifest.Object, access clusterAccess, known []corev1.Namespace) (*mutatingpolicy.Applier, error) {
	cl := access.reader
	policies := snap.MutatingPolicies()
	if len(policies.Bindings) == 0 {
		return nil, nil
	}
	namespaces := applierNamespaces(snap, objects, known)
	params := fileParams(policies)
	schemas, err := fileSchemas(policies)
	if err != nil {
		return nil, fmt.Errorf("MutatingAdmissionPolicies: %w", err)
	}
	if cl != nil {
		params = clusterParams(ctx, cl, policies, namespacesOf(objects))
		schemas = clusterSchemas(ctx, cl, customKindsOf(objects))
	}
	a, err := mutatingpolicy.New(ctx, policies, mutatingpolicy.Cluster{Namespaces: namespaces, Params: params, Schemas: schemas,
		Authorizer: access.authorizer, Groups: access.groups})
	if err != nil {
		return nil, fmt.Errorf("MutatingAdmissionPolicies: %w", err)
	}
	return a, nil
}

// applierNamespaces are the Namespaces of objects an applier of snap's
// policies is given, as known holds them, with the labels snap gives them.
func applierNamespaces(snap *overlay.Snapshot, objects []manifest.Object, known []corev1.Namespace) []corev1.Namespace {
	var namespaces []corev1.Namespace
	for _, name := range namespacesOf(objects) {
		ns := corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
		if at := slices.IndexFunc(known, func(n corev1.Namespace) bool { return n.Name == name }); at >= 0 {
			ns = *known[at].DeepCopy()
		}
		ns.Labels = snap.NamespaceLabels(name)
		namespaces = append(namespaces, ns)
	}
	return namespaces
}

// clusterAccess is what the dry run reads of a live cluster for the
// MutatingAdmissionPolicies, and whom it creates objects as; the zero
// value reads none.
type clusterAccess struct {
	// reader reads the policies' params and the custom resources' CRDs;
	// nil: the files give them.
	reader client.Client
	// authorizer answers the policies' authorizer checks; nil: a policy
	// that asks it is not applied.
	authorizer authorizer.UnconditionalAuthorizer
	// groups are, by user name, the groups of the user who creates the
	// objects (--as, --as-group).
	groups map[string][]string
}

// mutatingAppliers apply the cluster's MutatingAdmissionPolicies in the
// order of their names, and, where two or more are bound, in the reverse
// order too (nil otherwise).
type mutatingAppliers struct{ byName, reversed *mutatingpolicy.Applier }

// podOrderMatters reports whether the policies in the reverse order have
// the API server store another pod than c, the creation of pod by user
// with check (whose Mutating applies them in the order of their names):
// other values, or a refusal in one order only.
func (m mutatingAppliers) podOrderMatters(ctx context.Context, check *policy.Check, pod *corev1.Pod, c podCreation, user string) bool {
	if m.reversed == nil {
		return false
	}
	reversed := *check
	reversed.Mutating = mutatingAdmission(m.reversed)
	other, err := createPod(ctx, &reversed, pod, user)
	return err != nil || !c.storesAs(other)
}

// storesAs reports whether c and o have the API server store the same pod:
// both refused, or both the same values.
func (c podCreation) storesAs(o podCreation) bool {
	if (c.refused == nil) != (o.refused == nil) {
		return false
	}
	return c.refused != nil || equality.Semantic.DeepEqual(c.stored, o.stored)
}

// appOrderMatters is podOrderMatters of c, the creation of obj's
// SparkApplication by user.
func (m mutatingAppliers) appOrderMatters(ctx context.Context, snap *overlay.Snapshot, cluster mutate.Cluster, obj manifest.Object, c appCreation, user string) bool {
	if m.reversed == nil {
		return false
	}
	other, err := createApp(ctx, snap, cluster, m.reversed, obj, user)
	return err != nil || !c.storesAs(other)
}

// storesAs is podCreation.storesAs of applications.
func (c *appCreation) storesAs(o appCreation) bool {
	if (c.refused == nil) != (o.refused == nil) {
		return false
	}
	if c.refused != nil {
		return true
	}
	a, errA := c.stored.Values()
	b, errB := o.stored.Values()
	return errA == nil && errB == nil && equality.Semantic.DeepEqual(a, b)
}

// connectOrderMatters is podOrderMatters of c, the creation of written, a
// SparkConnect of namespace, by user.
func (m mutatingAppliers) connectOrderMatters(ctx context.Context, snap *overlay.Snapshot, cluster mutate.Cluster, written []byte, namespace string, c connectCreation, user string) bool {
	if m.reversed == nil {
		return false
	}
	other, err := createConnect(ctx, snap, cluster, m.reversed, written, namespace, user)
	return err != nil || !c.storesAs(other)
}

// storesAs is podCreation.storesAs of SparkConnects.
func (c connectCreation) storesAs(o connectCreation) bool {
	if (c.refused == nil) != (o.refused == nil) {
		return false
	}
	return c.refused != nil || equality.Semantic.DeepEqual(c.stored.Object, o.stored.Object)
}

// podGroupOrderMatters is podOrderMatters of c, the creation of obj's
// PodGroup by user.
func (m mutatingAppliers) podGroupOrderMatters(ctx context.Context, obj manifest.Object, c podGroupCreation, user string) bool {
	if m.reversed == nil {
		return false
	}
	other, err := createPodGroup(ctx, m.reversed, obj, user)
	return err != nil || !c.storesAs(other)
}

// storesAs is podCreation.storesAs of PodGroups.
func (c podGroupCreation) storesAs(o podGroupCreation) bool {
	if (c.refused == nil) != (o.refused == nil) {
		return false
	}
	return c.refused != nil || equality.Semantic.DeepEqual(c.podGroup, o.podGroup)
}

// mutatingAdmission is a's policies on a pod's creation, as the policy
// checks take them (policy.Check.Mutating); nil for none.
func mutatingAdmission(a *mutatingpolicy.Applier) policy.MutatingAdmission {
	if a == nil {
		return nil
	}
	return func(ctx context.Context, pod *corev1.Pod, username string) (*corev1.Pod, policy.MutatingPolicies, error) {
		c := a.CreatePod(pod, username)
		out, err := c.Admit(ctx)
		if err != nil {
			return nil, nil, err
		}
		return out, c, nil
	}
}

// mutatingNotes say which of the cluster's MutatingAdmissionPolicies
// (snap's) may apply to obj when it is created, to the runs of a
// ScheduledSparkApplication, or to the pods a SparkApplication launches
// (mutate.MutatingPolicyMatches), save where what is printed is what they
// change: a pod, or a custom resource's object whose
// CustomResourceDefinition is known, to which the dry run applies them
// (applier's, never nil where the cluster binds any). Those it cannot
// apply (Applier.Skipped, and to a custom resource's object
// Applier.Undefined) are named with the reason.
func mutatingNotes(snap *overlay.Snapshot, obj manifest.Object, applier *mutatingpolicy.Applier) []string {
	policies := snap.MutatingPolicies()
	if len(policies.Bindings) == 0 {
		return nil
	}
	type created struct {
		what string
		obj  mutate.Created
		// kind is that of a custom resource's object, which the dry run
		// changes where it knows the kind's schema.
		kind schema.GroupVersionKind
		// launched: pods the object launches, which --validate judges.
		launched bool
	}
	var objects []created
	switch {
	case obj.Pod != nil:
		objects = append(objects, created{what: "it", obj: mutate.Created{Version: "v1", Resource: "pods", Name: obj.Pod.Name, Labels: obj.Pod.Labels}})
	case obj.App != nil:
		app := &obj.App.App
		run := mutate.Created{Group: "sparkoperator.k8s.io", Version: "v1beta2", Resource: "sparkapplications", Name: app.Name, Labels: app.Labels}
		if obj.Schedule.Name == "" {
			objects = append(objects, created{what: "it", obj: run, kind: appKind})
		} else {
			run.Name = "" // the operator names each run
			// A run's labels are its schedule's and the operator's.
			own := maps.Clone(app.Labels)
			delete(own, sparkv1beta2.ScheduledAppNameLabel)
			objects = append(objects, created{what: "it", obj: mutate.Created{Group: "sparkoperator.k8s.io", Version: "v1beta2", Resource: "scheduledsparkapplications",
				Name: obj.Schedule.Name, Labels: own}, kind: scheduledKind}, created{what: "each of its runs", obj: run, kind: appKind})
		}
		for _, role := range mutate.Roles() {
			if pod, err := mutate.LaunchedPod(app, role); err == nil {
				objects = append(objects, created{what: fmt.Sprintf("the %s pods it launches", role), obj: mutate.Created{Version: "v1", Resource: "pods", Labels: pod.Labels}, launched: true})
			}
		}
	case obj.Connect != nil:
		objects = append(objects, created{what: "it", obj: mutate.Created{Group: "sparkoperator.k8s.io", Version: "v1alpha1", Resource: "sparkconnects", Name: obj.Connect.Metadata.Name}, kind: connectKind})
	case obj.PodGroup != nil:
		objects = append(objects, created{what: "it", obj: mutate.Created{Group: "scheduling.volcano.sh", Version: "v1beta1", Resource: "podgroups", Name: obj.PodGroup.Name}, kind: podGroupKind})
	}
	var out []string
	for _, c := range objects {
		c.obj.NamespaceLabels = snap.NamespaceLabels(obj.Namespace())
		for _, m := range mutate.MutatingPolicyMatches(policies, c.obj) {
			unless := ""
			if m.Conditional {
				unless = " unless its match conditions leave it out"
			}
			var why string
			switch skipped := applier.Skipped(m.Policy); {
			case skipped != "":
				why = "the dry run does not apply it: " + skipped + ": what the API server stores may differ from what is printed"
			case c.launched:
				why = "--validate judges them as it changes them"
			case c.kind.Empty():
				continue // a pod: applied to what is printed
			default:
				if undefined := applier.Undefined(c.kind); undefined != "" {
					why = "the dry run does not apply it: " + undefined + " (--cluster-config, or the cluster's with --kubeconfig), without which it cannot apply it as the API server does: what the API server stores may differ from what is printed"
					break
				}
				continue // applied to what is printed
			}
			out = append(out, fmt.Sprintf("%s applies to %s in the API server%s, before the webhooks; %s", m, c.what, unless, why))
		}
	}
	return out
}
