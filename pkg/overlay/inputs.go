package overlay

import (
	"fmt"
	"reflect"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// And is in with more's objects: each of more's Layers, Namespaces,
// PriorityClasses, RuntimeClasses, admission policies and bindings,
// LimitRanges and ResourceQuotas replaces in's object of its kind and name
// (namespace and name where namespaced) where that one stood, and is added
// after in's otherwise (replacing); its MutatingPolicies are added as
// MutatingPolicies.And adds them. more's admission configuration replaces
// in's where more holds one, and PriorityClassesPartial holds where it
// holds for either. It is how the dry run puts a repository, a cluster and
// the files of a cluster's configuration together, each later one as the
// cluster holds it.
func (in Inputs) And(more Inputs) Inputs {
	out := in
	out.Layers = replacing(in.Layers, more.Layers, func(l *LayerSource) string { return l.Layer.Name })
	out.Namespaces = replacing(in.Namespaces, more.Namespaces, nameOf[corev1.Namespace])
	out.PriorityClasses = replacing(in.PriorityClasses, more.PriorityClasses, nameOf[schedulingv1.PriorityClass])
	out.PriorityClassesPartial = in.PriorityClassesPartial || more.PriorityClassesPartial
	out.RuntimeClasses = replacing(in.RuntimeClasses, more.RuntimeClasses, nameOf[nodev1.RuntimeClass])
	out.AdmissionPolicies = replacing(in.AdmissionPolicies, more.AdmissionPolicies, nameOf[admissionregistrationv1.ValidatingAdmissionPolicy])
	out.AdmissionPolicyBindings = replacing(in.AdmissionPolicyBindings, more.AdmissionPolicyBindings, nameOf[admissionregistrationv1.ValidatingAdmissionPolicyBinding])
	out.MutatingPolicies = in.MutatingPolicies.And(more.MutatingPolicies)
	if !reflect.ValueOf(more.Admission).IsZero() {
		out.Admission = more.Admission
	}
	out.LimitRanges = replacing(in.LimitRanges, more.LimitRanges, namespacedNameOf[corev1.LimitRange])
	out.ResourceQuotas = replacing(in.ResourceQuotas, more.ResourceQuotas, namespacedNameOf[corev1.ResourceQuota])
	return out
}

// replacing is items and more in one new slice: each of more replaces the
// object of items of its identity where it stood, and is added after items
// otherwise. Two objects of one identity in items, or in more, both stay,
// so what reports them (Compile, of two Layers of one name) still sees
// them.
func replacing[T any](items, more []T, identity func(*T) string) []T {
	if len(more) == 0 {
		return items
	}
	out := append(make([]T, 0, len(items)+len(more)), items...)
	at := make(map[string]int, len(items))
	for i := range items {
		at[identity(&items[i])] = i
	}
	for i := range more {
		id := identity(&more[i])
		if j, ok := at[id]; ok {
			out[j] = more[i]
			delete(at, id)
			continue
		}
		out = append(out, more[i])
	}
	return out
}

// nameOf is a cluster-scoped object's identity.
func nameOf[T any, P interface {
	*T
	GetName() string
}](obj *T) string {
	return P(obj).GetName()
}

// namespacedNameOf is a namespaced object's identity.
func namespacedNameOf[T any, P interface {
	*T
	GetNamespace() string
	GetName() string
}](obj *T) string {
	return P(obj).GetNamespace() + "/" + P(obj).GetName()
}

// ObjectList is a list of a kind of objects as a client lists them (the
// method set of controller-runtime's client.ObjectList, so that either
// converts to the other).
type ObjectList interface {
	metav1.ListInterface
	runtime.Object
}

// ClusterParts says which of a cluster's objects ReadCluster reads beside
// those every snapshot is compiled from (Namespaces, PriorityClasses,
// RuntimeClasses, ValidatingAdmissionPolicies with their bindings,
// LimitRanges and ResourceQuotas).
type ClusterParts struct {
	// Layers: a webhook watches them on its own, a dry run may take them
	// from a repository instead.
	Layers bool
	// MutatingPolicies: the MutatingAdmissionPolicies and their bindings,
	// which the API server applies itself and only the dry run names
	// (Inputs.MutatingPolicies). An API server that does not serve them
	// (before Kubernetes 1.36, or with the API off) has none.
	MutatingPolicies bool
}

// ReadCluster reads a cluster's objects into Inputs, each kind with one
// call of list, which fills the empty list it is given (a
// *corev1.NamespaceList, a *v1alpha1.LayerList, ...) as a client's List
// does. Every kind an Inputs holds from a cluster is read here, so the
// webhook and the dry run read the same objects; what a repository's or a
// cluster configuration's files hold besides (MutatingPolicies.Params) is
// not a cluster's list. An error names the kind.
func ReadCluster(list func(ObjectList) error, parts ClusterParts) (Inputs, error) {
	var in Inputs
	for _, l := range clusterLists(&in, parts) {
		if l.skip {
			continue
		}
		err := l.read(list)
		if err != nil && l.mayBeUnserved && (meta.IsNoMatchError(err) || apierrors.IsNotFound(err)) {
			continue
		}
		if err != nil {
			return Inputs{}, fmt.Errorf("listing %s: %w", l.kind, err)
		}
	}
	return in, nil
}

// clusterList is one kind of a cluster's objects, read into an Inputs.
type clusterList struct {
	kind string
	// read lists the kind with list and keeps its objects.
	read func(list func(ObjectList) error) error
	// skip: the ClusterParts asked for do not hold the kind.
	skip bool
	// mayBeUnserved: an API server may not serve the kind.
	mayBeUnserved bool
}

// clusterLists are the kinds of a cluster's objects, each read into its
// field of in, those parts does not ask for skipped.
func clusterLists(in *Inputs, parts ClusterParts) []clusterList {
	return []clusterList{
		{kind: "Layers", read: into(&in.Layers, func(l *v1alpha1.LayerList) []LayerSource {
			out := make([]LayerSource, len(l.Items))
			for i := range l.Items {
				out[i].Layer = l.Items[i]
			}
			return out
		}), skip: !parts.Layers},
		{kind: "Namespaces", read: into(&in.Namespaces, func(l *corev1.NamespaceList) []corev1.Namespace { return l.Items })},
		{kind: "PriorityClasses", read: into(&in.PriorityClasses, func(l *schedulingv1.PriorityClassList) []schedulingv1.PriorityClass { return l.Items })},
		{kind: "RuntimeClasses", read: into(&in.RuntimeClasses, func(l *nodev1.RuntimeClassList) []nodev1.RuntimeClass { return l.Items })},
		{kind: "ValidatingAdmissionPolicies", read: into(&in.AdmissionPolicies,
			func(l *admissionregistrationv1.ValidatingAdmissionPolicyList) []admissionregistrationv1.ValidatingAdmissionPolicy {
				return l.Items
			})},
		{kind: "ValidatingAdmissionPolicyBindings", read: into(&in.AdmissionPolicyBindings,
			func(l *admissionregistrationv1.ValidatingAdmissionPolicyBindingList) []admissionregistrationv1.ValidatingAdmissionPolicyBinding {
				return l.Items
			})},
		{kind: "LimitRanges", read: into(&in.LimitRanges, func(l *corev1.LimitRangeList) []corev1.LimitRange { return l.Items })},
		{kind: "ResourceQuotas", read: into(&in.ResourceQuotas, func(l *corev1.ResourceQuotaList) []corev1.ResourceQuota { return l.Items })},
		{kind: "MutatingAdmissionPolicies", read: into(&in.MutatingPolicies.Policies,
			func(l *admissionregistrationv1.MutatingAdmissionPolicyList) []admissionregistrationv1.MutatingAdmissionPolicy {
				return l.Items
			}),
			skip: !parts.MutatingPolicies, mayBeUnserved: true},
		{kind: "MutatingAdmissionPolicyBindings", read: into(&in.MutatingPolicies.Bindings,
			func(l *admissionregistrationv1.MutatingAdmissionPolicyBindingList) []admissionregistrationv1.MutatingAdmissionPolicyBinding {
				return l.Items
			}),
			skip: !parts.MutatingPolicies, mayBeUnserved: true},
	}
}

// into is a read of a list of type L (listed through its pointer, PL)
// whose items are kept in field.
func into[L any, PL interface {
	*L
	ObjectList
}, T any](field *[]T, items func(PL) []T) func(func(ObjectList) error) error {
	return func(list func(ObjectList) error) error {
		l := PL(new(L))
		if err := list(l); err != nil {
			return err
		}
		*field = items(l)
		return nil
	}
}
