package mutate

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// LayerLimitWarnings warns, when Layer l is written, of the namespaces of
// served whose LimitRanges or ResourceQuotas would have the API server
// refuse the Spark pods l composes there on cluster for the containers l
// adds to them (a sidecar that requests less than a LimitRange's min, say,
// or whose limit its default request exceeds, or that limits no cpu where
// a quota bounds limits.cpu): l is composed alone (overlay.Snapshot.Alone)
// onto a driver and an executor as spark-submit creates them, given the
// LimitRanges' defaults as the API server gives them, before the webhook
// and after it (its second round of admission plugins), in the first
// namespace l matches of each group of namespaces bounded alike
// (overlay.Snapshot.NamespacesByBounds; boundRefusals). The API server
// would refuse every such pod, in words that name no layer; the Layer
// webhook and the composer say it when the Layer is written. What a pod's
// own containers request is the pod's: only the containers l adds are
// judged, and the PersistentVolumeClaims Spark creates for the pods with
// the Spark configuration l composes (SparkClaims, ClaimRefusals: a spill
// volume larger than a PersistentVolumeClaim item's max, say). The work
// is linear in the namespaces of LimitRanges and ResourceQuotas, with at
// most two compositions per group, and stops when ctx is done (the
// request's deadline), saying how many groups it left.
func LayerLimitWarnings(ctx context.Context, l *v1alpha1.Layer, cluster Cluster, served *overlay.Snapshot) []string {
	var (
		groups  []namespaceGroup
		bounded = map[string]bool{}
		limited = len(served.LimitedResources()) > 0
	)
	for _, g := range served.NamespacesByBounds() {
		for _, ns := range g.Namespaces {
			bounded[ns] = true
		}
		if len(g.Ranges) == 0 && len(constraining(g.Quotas)) == 0 && !limited {
			continue // quotas of counts or storage only: nothing to refuse
		}
		groups = append(groups, namespaceGroup{namespaces: g.Namespaces, refusals: func(trial *overlay.Snapshot, role v1alpha1.Role, ns string) []string {
			return boundRefusals(trial, cluster, g.Ranges, g.Quotas, role, ns)
		}})
	}
	if limited {
		// Where no quota covers what the configuration limits, the
		// namespaces without LimitRanges or ResourceQuotas are one more
		// group, bounded alike by none.
		if bare := served.NamespaceNames(func(name string) bool { return !bounded[name] }); len(bare) > 0 {
			groups = append(groups, namespaceGroup{namespaces: bare, refusals: func(trial *overlay.Snapshot, role v1alpha1.Role, ns string) []string {
				return boundRefusals(trial, cluster, nil, nil, role, ns)
			}})
		}
	}
	return layerGroupWarnings(ctx, l, cluster, served, groups, "the LimitRanges and ResourceQuotas", "bounded alike")
}

// boundRefusals are why the API server would refuse, for the containers
// snap's layers add, the Spark pod of role they compose in namespace,
// which holds ranges and quotas: the pod as spark-submit creates it,
// given the LimitRanges' defaults before the webhook and after it (the
// API server's second round of plugins), judged by LimitRanger, the API
// server's validation and the ResourceQuota admission (what the layers'
// containers leave unsaid, and what they make the pod consume that the
// plugin's configuration limits and no quota covers: snap's
// LimitedResources); and the PersistentVolumeClaims Spark creates for it
// with the Spark configuration the layers compose, by LimitRanger. One
// composition.
func boundRefusals(snap *overlay.Snapshot, cluster Cluster, ranges []*corev1.LimitRange, quotas []*corev1.ResourceQuota, role v1alpha1.Role, namespace string) []string {
	pod := LimitPod(ranges, submittedPod(role, namespace))
	res, err := Compose(snap, cluster, pod)
	if err != nil {
		return nil // the pods are refused for that, whatever their bounds
	}
	stored := LimitPod(ranges, res.Pod)
	var quotaRefused []string
	if limited := snap.LimitedResources(); !PodQuotaUnjudged(limited) {
		quotaRefused = slices.Concat(addedQuotaRefusals(quotas, pod, stored), addedUncoveredRefusals(limited, quotas, pod, stored))
	}
	return slices.Concat(addedContainerRefusals(ranges, pod, stored), quotaRefused, claimRefusals(snap, namespace, res.Composition.Config.SparkConf, role))
}

// addedContainerRefusals are the LimitRanger plugin's refusals (its
// Container items') and the API server's validation errors of the
// containers after holds that before does not.
func addedContainerRefusals(ranges []*corev1.LimitRange, before, after *corev1.Pod) []string {
	own := map[string]bool{}
	for _, c := range slices.Concat(before.Spec.InitContainers, before.Spec.Containers) {
		own[c.Name] = true
	}
	var out []string
	for _, r := range LimitRefusals(ranges, after) {
		if r.Container != "" && !own[r.Container] {
			out = append(out, r.String())
		}
	}
	for _, list := range []struct {
		path       *field.Path
		containers []corev1.Container
	}{{field.NewPath("spec", "initContainers"), after.Spec.InitContainers}, {field.NewPath("spec", "containers"), after.Spec.Containers}} {
		for i := range list.containers {
			if c := &list.containers[i]; !own[c.Name] {
				for _, e := range invalidRequests(c, list.path.Index(i)) {
					out = append(out, fmt.Sprintf("container %q: %s", c.Name, e.Error()))
				}
			}
		}
	}
	return out
}

// NamespaceLimitWarnings warns, when a LimitRange or a ResourceQuota of
// namespace is written, of the containers the layers of snap (which holds
// the namespace's LimitRanges and ResourceQuotas as they will be:
// overlay.Snapshot.WithLimitRange, WithResourceQuota) add to the Spark
// pods they compose there on cluster that LimitRanger, the API server's
// validation or the ResourceQuota admission would refuse: every layer is
// composed onto a driver and an executor as spark-submit creates them,
// given the LimitRanges' defaults before the webhook and after it
// (boundRefusals). A LimitRange whose min is above what a platform
// sidecar requests, or a quota of limits.cpu where a sidecar limits no
// cpu, would otherwise have the API server refuse every Spark pod of the
// namespace, in words that name no layer. So are the
// PersistentVolumeClaims Spark creates for those pods with the Spark
// configuration the layers compose (SparkClaims, ClaimRefusals). Two
// compositions.
func NamespaceLimitWarnings(snap *overlay.Snapshot, cluster Cluster, namespace string) []string {
	ranges, quotas := snap.LimitRanges(namespace), snap.ResourceQuotas(namespace)
	if len(ranges) == 0 && len(constraining(quotas)) == 0 && len(snap.LimitedResources()) == 0 {
		return nil
	}
	var (
		roles   []string
		reasons []string
	)
	for _, role := range Roles() {
		r := boundRefusals(snap, cluster, ranges, quotas, role, namespace)
		if len(r) == 0 {
			continue
		}
		roles = append(roles, string(role))
		for _, reason := range r {
			if !slices.Contains(reasons, reason) {
				reasons = append(reasons, reason)
			}
		}
	}
	if len(reasons) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("the API server will refuse the Spark %s pods the layers compose in namespace %q: %s",
		strings.Join(roles, " and "), namespace, strings.Join(reasons, "; "))}
}
