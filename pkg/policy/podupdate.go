package policy

import (
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// PodUpdatePolicy is the policy name of the API server's refusals of an
// update of a pod's spec as invalid, before any validating webhook, as the
// composer predicts them: PodUpdateRefusals.
const PodUpdatePolicy = "pod-update"

// updatablePodSpecFields are the fields the API server names when it
// refuses an update of any other (k8s.io/kubernetes's
// updatablePodSpecFields).
var updatablePodSpecFields = []string{
	"`spec.containers[*].image`",
	"`spec.initContainers[*].image`",
	"`spec.activeDeadlineSeconds`",
	"`spec.tolerations` (only additions to existing tolerations)",
	"`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
}

// PodUpdateRefusals are the API server's refusals of the update of old
// (as stored) to updated, each a violation of PodUpdatePolicy in its
// words. A patch that names another pod or namespace is a bad request,
// refused before any admission. Else its validation (k8s.io/kubernetes's
// ValidatePodUpdate, whose rules this follows on the v1 types) lets an
// update change of the metadata what apimachinery's ValidateObjectMetaUpdate
// lets it (no other uid or deletion, valid labels, annotations, owner
// references and finalizer names: podMetaUpdateErrors), but no AppArmor
// or mirror pod annotation; and of the spec: containers' images, but no
// container added or removed; activeDeadlineSeconds set or lowered;
// tolerations added, or their tolerationSeconds changed; scheduling gates
// removed; while the pod is gated, its node selector and required node
// affinity grown; a negative terminationGracePeriodSeconds set to 1.
// Nothing else of the spec. Only updates are judged (req.Old set), not
// their subresources, which have rules of their own.
func PodUpdateRefusals(old, updated *corev1.Pod) []Violation {
	violation := func(msg, why string) Violation {
		return Violation{Policy: PodUpdatePolicy, Enforcement: v1alpha1.EnforcementDeny,
			Message: fmt.Sprintf("%s: %s (the API server refuses the update %s)", PodUpdatePolicy, msg, why)}
	}
	// The words of k8s.io/apiserver's checkName, of the patched pod
	// against the request's URL.
	switch {
	case updated.Name != old.Name:
		return []Violation{violation(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", updated.Name, old.Name), "as a bad request, before any admission")}
	case updated.Namespace != "" && updated.Namespace != old.Namespace:
		return []Violation{violation(fmt.Sprintf("the namespace of the object (%s) does not match the namespace on the request (%s)", updated.Namespace, old.Namespace), "as a bad request, before any admission")}
	}
	errs := podMetaUpdateErrors(&old.ObjectMeta, &updated.ObjectMeta)
	errs = append(errs, podSpecUpdateErrors(&old.Spec, &updated.Spec)...)
	var vs []Violation
	for _, e := range errs {
		vs = append(vs, violation(e.Error(), "as invalid, before the validating webhooks"))
	}
	return vs
}

// Annotations an update may not add, change or remove
// (ValidatePodSpecificAnnotationUpdates): a static pod's mirror, and
// AppArmor's beta annotations, whose profiles the pod's spec holds now.
const (
	mirrorPodAnnotation     = "kubernetes.io/config.mirror"
	appArmorAnnotationsFrom = "container.apparmor.security.beta.kubernetes.io/"
)

// standardFinalizers are the finalizer names that need no domain
// (k8s.io/kubernetes's helper.IsStandardFinalizerName).
var standardFinalizers = []string{string(corev1.FinalizerKubernetes), metav1.FinalizerOrphanDependents, metav1.FinalizerDeleteDependents}

// podMetaUpdateErrors are ValidatePodUpdate's errors of the metadata:
// apimachinery's own ValidateObjectMetaUpdate, which the API server runs,
// on updated as the API server prepares it (k8s.io/apiserver's
// BeforeUpdate: the stored generation, uid when none is given, and
// creationTimestamp; a patch carries the stored resourceVersion), the
// names of its finalizers, and its pod-specific annotations.
func podMetaUpdateErrors(old, updated *metav1.ObjectMeta) field.ErrorList {
	path := field.NewPath("metadata")
	prepared, was := updated.DeepCopy(), old.DeepCopy()
	prepared.Generation = was.Generation
	if prepared.UID == "" {
		prepared.UID = was.UID
	}
	// The stored pod has a creation time, which an update cannot change;
	// a case's pod, never stored, may have none.
	prepared.CreationTimestamp = was.CreationTimestamp
	if was.DeletionTimestamp != nil {
		prepared.DeletionTimestamp = was.DeletionTimestamp
	}
	if was.DeletionGracePeriodSeconds != nil && prepared.DeletionGracePeriodSeconds == nil {
		prepared.DeletionGracePeriodSeconds = was.DeletionGracePeriodSeconds
	}
	if was.ResourceVersion == "" {
		was.ResourceVersion = "1"
	}
	prepared.ResourceVersion = was.ResourceVersion
	errs := apivalidation.ValidateObjectMetaUpdate(prepared, was, path)
	for i, f := range prepared.Finalizers {
		if !strings.Contains(f, "/") && !slices.Contains(standardFinalizers, f) {
			errs = append(errs, field.Invalid(path.Child("finalizers").Index(i), f, "name is neither a standard finalizer name nor is it fully qualified"))
		}
	}
	annotations := path.Child("annotations")
	for _, k := range slices.Sorted(maps.Keys(old.Annotations)) {
		if v, ok := updated.Annotations[k]; ok && v == old.Annotations[k] {
			continue
		}
		if strings.HasPrefix(k, appArmorAnnotationsFrom) {
			errs = append(errs, field.Forbidden(annotations.Key(k), "may not remove or update AppArmor annotations"))
		}
		if k == mirrorPodAnnotation {
			errs = append(errs, field.Forbidden(annotations.Key(k), "may not remove or update mirror pod annotation"))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(updated.Annotations)) {
		if _, ok := old.Annotations[k]; ok {
			continue
		}
		if strings.HasPrefix(k, appArmorAnnotationsFrom) {
			errs = append(errs, field.Forbidden(annotations.Key(k), "may not add AppArmor annotations"))
		}
		if k == mirrorPodAnnotation {
			errs = append(errs, field.Forbidden(annotations.Key(k), "may not add mirror pod annotation"))
		}
	}
	return errs
}

// podSpecUpdateErrors are ValidatePodUpdate's errors of the spec.
func podSpecUpdateErrors(old, updated *corev1.PodSpec) field.ErrorList {
	spec := field.NewPath("spec")
	var errs field.ErrorList
	for _, c := range []struct {
		name          string
		updated, prev []corev1.Container
	}{{"containers", updated.Containers, old.Containers}, {"initContainers", updated.InitContainers, old.InitContainers}} {
		path := spec.Child(c.name)
		if len(c.updated) != len(c.prev) {
			return append(errs, field.Forbidden(path, "pod updates may not add or remove containers"))
		}
		for i, ctr := range c.updated {
			if ctr.Image == "" {
				errs = append(errs, field.Required(path.Index(i).Child("image"), ""))
			}
			if len(strings.TrimSpace(ctr.Image)) != len(ctr.Image) {
				errs = append(errs, field.Invalid(path.Index(i).Child("image"), ctr.Image, "must not have leading or trailing whitespace"))
			}
		}
	}
	deadline := spec.Child("activeDeadlineSeconds")
	switch n, o := updated.ActiveDeadlineSeconds, old.ActiveDeadlineSeconds; {
	case n != nil && (*n < 0 || *n > math.MaxInt32):
		return append(errs, field.Invalid(deadline, *n, fmt.Sprintf("must be between %d and %d, inclusive", 0, math.MaxInt32)))
	case n != nil && o != nil && *o < *n:
		return append(errs, field.Invalid(deadline, *n, "must be less than or equal to previous value"))
	case n == nil && o != nil:
		errs = append(errs, field.Invalid(deadline, n, "must not update from a positive integer to nil value"))
	}
	for _, o := range old.Tolerations {
		kept := slices.ContainsFunc(updated.Tolerations, func(n corev1.Toleration) bool {
			o.TolerationSeconds = n.TolerationSeconds
			return reflect.DeepEqual(o, n)
		})
		if !kept {
			errs = append(errs, field.Forbidden(spec.Child("tolerations"), "existing toleration can not be modified except its tolerationSeconds"))
			break
		}
	}
	for i, g := range updated.SchedulingGates {
		if !slices.ContainsFunc(old.SchedulingGates, func(o corev1.PodSchedulingGate) bool { return o.Name == g.Name }) {
			errs = append(errs, field.Forbidden(spec.Child("schedulingGates").Index(i).Child("name"), fmt.Sprintf("only deletion is allowed, but found new scheduling gate '%s'", g.Name)))
		}
	}
	if equality.Semantic.DeepEqual(updated, old) {
		return errs
	}
	// What may change, as it was: what is left must not differ.
	munged := updated.DeepCopy()
	for _, c := range []struct{ munged, prev []corev1.Container }{{munged.Containers, old.Containers}, {munged.InitContainers, old.InitContainers}} {
		for i := range c.munged {
			c.munged[i].Image = c.prev[i].Image
		}
	}
	munged.ActiveDeadlineSeconds, munged.SchedulingGates, munged.Tolerations = old.ActiveDeadlineSeconds, old.SchedulingGates, old.Tolerations
	if o, n := old.TerminationGracePeriodSeconds, munged.TerminationGracePeriodSeconds; o != nil && *o < 0 && n != nil && *n == 1 {
		munged.TerminationGracePeriodSeconds = o
	}
	if len(old.SchedulingGates) > 0 {
		if !equality.Semantic.DeepEqual(munged.NodeSelector, old.NodeSelector) {
			for k, v := range old.NodeSelector {
				if w, ok := munged.NodeSelector[k]; !ok || w != v {
					errs = append(errs, field.Invalid(spec.Child("nodeSelector"), munged.NodeSelector, "only additions to spec.nodeSelector are allowed (no mutations or deletions)"))
					break
				}
			}
			munged.NodeSelector = old.NodeSelector
		}
		errs = append(errs, mungeNodeAffinity(spec.Child("affinity", "nodeAffinity"), munged, old)...)
	}
	if !equality.Semantic.DeepEqual(*munged, *old) {
		errs = append(errs, field.Forbidden(spec, "pod updates may not change fields other than "+strings.Join(updatablePodSpecFields, ",")))
	}
	return errs
}

// mungeNodeAffinity judges, of a gated pod, munged's node affinity grown
// from old's (ValidatePodUpdate's validateNodeAffinityMutation), and gives
// munged old's, as the API server does before it compares what is left.
func mungeNodeAffinity(path *field.Path, munged, old *corev1.PodSpec) field.ErrorList {
	var was, is *corev1.NodeAffinity
	if old.Affinity != nil {
		was = old.Affinity.NodeAffinity
	}
	if munged.Affinity != nil {
		is = munged.Affinity.NodeAffinity
	}
	if equality.Semantic.DeepEqual(was, is) {
		return nil
	}
	var errs field.ErrorList
	if was != nil && was.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		oldTerms := was.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
		var newTerms []corev1.NodeSelectorTerm
		if is != nil && is.RequiredDuringSchedulingIgnoredDuringExecution != nil {
			newTerms = is.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
		}
		terms := path.Child("requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")
		if len(oldTerms) > 0 && len(oldTerms) != len(newTerms) {
			errs = append(errs, field.Invalid(terms, newTerms, "no additions/deletions to non-empty NodeSelectorTerms list are allowed"))
		} else {
			for i := range oldTerms {
				if !termOnlyGrew(newTerms[i], oldTerms[i]) {
					errs = append(errs, field.Invalid(terms.Index(i), newTerms[i], "only additions are allowed (no mutations or deletions)"))
				}
			}
		}
	}
	switch {
	case munged.Affinity == nil && was != nil:
		munged.Affinity = &corev1.Affinity{NodeAffinity: was}
	case munged.Affinity != nil && old.Affinity == nil && munged.Affinity.PodAffinity == nil && munged.Affinity.PodAntiAffinity == nil:
		munged.Affinity = nil
	case munged.Affinity != nil:
		munged.Affinity.NodeAffinity = was
	}
	return errs
}

// termOnlyGrew reports whether updated is old with requirements added
// (validateNodeSelectorTermHasOnlyAdditions).
func termOnlyGrew(updated, old corev1.NodeSelectorTerm) bool {
	if len(old.MatchExpressions) == 0 && len(old.MatchFields) == 0 && (len(updated.MatchExpressions) > 0 || len(updated.MatchFields) > 0) {
		return false
	}
	grew := func(n, o []corev1.NodeSelectorRequirement) bool {
		return len(o) == 0 || (len(n) >= len(o) && equality.Semantic.DeepEqual(n[:len(o)], o))
	}
	return grew(updated.MatchExpressions, old.MatchExpressions) && grew(updated.MatchFields, old.MatchFields)
}
