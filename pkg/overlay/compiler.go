package overlay

import (
	"cmp"
	"errors"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// Compile validates every Layer and builds a Snapshot. It returns every
// problem found, each a *LayerError, joined. With problems it still
// returns the Snapshot of the valid Layers, which knows the invalid ones
// and refuses the pods they would match (Blocked): a webhook serves it, so
// one bad Layer is not an outage. A dry run treats any problem as fatal.
func Compile(in Inputs) (*Snapshot, error) { return (&Compiler{}).Compile(in) }

// Compiler compiles one snapshot after another, as Compile does, at the
// cost of what changed: Compile validates and copies only the Layers that
// changed since its last snapshot (a Layer read from the cluster with the
// same uid and resourceVersion is, in the API server's word, the same
// object; Layers from files are always validated), and Update applies
// named changes to the last snapshot without reading the others. A
// Compiler is not safe for concurrent use.
type Compiler struct {
	last map[string]compiledVersion // by Layer name, those from the cluster
	// valid are the valid layers of the last snapshot, by name: what an
	// Update takes out of the index.
	valid map[string]*compiledLayer
	// snap is the last snapshot built, which Update changes.
	snap *Snapshot
	// failed are the problems of the Layers the last snapshot left out,
	// by name, for Update to return.
	failed map[string]*LayerError
}

// compiledVersion is one version of a Layer from the cluster, validated.
type compiledVersion struct {
	uid             types.UID
	resourceVersion string
	layer           *v1alpha1.Layer // a private copy
	errs            field.ErrorList
}

// validated returns l, copied, and its problems: from the last snapshot
// when it has not changed since. Layers from the cluster are recorded in
// next.
func (c *Compiler) validated(l *v1alpha1.Layer, file string, next map[string]compiledVersion) (*v1alpha1.Layer, field.ErrorList) {
	fromCluster := file == "" && l.ResourceVersion != ""
	if prev, ok := c.last[l.Name]; ok && fromCluster && prev.uid == l.UID && prev.resourceVersion == l.ResourceVersion {
		next[l.Name] = prev
		return prev.layer, prev.errs
	}
	cv := compiledVersion{uid: l.UID, resourceVersion: l.ResourceVersion, layer: l.DeepCopy(), errs: ValidateLayer(l)}
	if fromCluster {
		next[l.Name] = cv
	}
	return cv.layer, cv.errs
}

// Compile is Compile, reusing what the last snapshot validated.
func (c *Compiler) Compile(in Inputs) (*Snapshot, error) {
	var (
		errs   []error
		layers = make([]*compiledLayer, 0, len(in.Layers))
		broken []brokenLayer
	)
	seen := make(map[string]string, len(in.Layers))
	next := make(map[string]compiledVersion, len(in.Layers))
	failed := map[string]*LayerError{}
	for i := range in.Layers {
		src := &in.Layers[i]
		layer, valid := c.validated(&src.Layer, src.File, next)
		fieldErrs := slices.Clip(valid) // appended to below: never into the shared list
		if prev, dup := seen[src.Layer.Name]; dup && src.Layer.Name != "" {
			where := "another Layer"
			if prev != "" {
				where = prev
			}
			dup := field.Duplicate(field.NewPath("metadata", "name"), src.Layer.Name)
			dup.Detail = "also in " + where
			fieldErrs = append(fieldErrs, dup)
		}
		seen[src.Layer.Name] = src.File
		if len(fieldErrs) > 0 {
			le := &LayerError{File: src.File, Layer: src.Layer.Name, Fields: fieldErrs}
			errs = append(errs, le)
			failed[src.Layer.Name] = le
			if !src.Layer.Spec.IsShadow() { // a Shadow layer never changes a pod, nor may its mistakes
				broken = append(broken, brokenLayer{compiledLayer: reachOf(&src.Layer, fieldErrs), err: le})
			}
			continue
		}
		layers = append(layers, compileLayer(layer))
	}
	valid := make(map[string]*compiledLayer, len(layers))
	shadows := 0
	for _, cl := range layers {
		valid[cl.layer.Name] = cl
		if cl.layer.Spec.IsShadow() {
			shadows++
		}
	}
	s := &Snapshot{layers: len(layers), shadows: shadows, index: indexLayers(layers), broken: broken, namespaces: namespaceMap(in.Namespaces),
		priorityClasses: byName(in.PriorityClasses), partialClasses: in.PriorityClassesPartial, runtimeClasses: byName(in.RuntimeClasses),
		placementGuarded: placementGuarded(in.AdmissionPolicies, in.AdmissionPolicyBindings), admission: in.Admission, mutatingPolicies: in.MutatingPolicies,
		limitRanges: limitRangesOf(in.LimitRanges), resourceQuotas: resourceQuotasOf(in.ResourceQuotas), groups: &placementGroups{}, bounds: &boundGroups{}}
	c.last, c.snap, c.failed, c.valid = next, s, failed, valid
	return s, errors.Join(errs...)
}

// Update returns the snapshot of the last one's inputs with these
// changes, as Compile would build it: each Layer in layers (read from the
// cluster, by name) replaces the one of that name, or is deleted when nil;
// others, when not nil, gives the Namespaces, PriorityClasses,
// RuntimeClasses and admission policies (its Layers are ignored). Only the changed Layers are validated, copied and
// filed; the index shares the rest with the last snapshot (layerLists), so
// a change costs about the square root of the Layers, and a GitOps sync of
// thousands of Layers costs the webhook little per Layer. The error joins
// the problems of every Layer left out, as Compile's does, by name.
// Update needs a Compile first.
func (c *Compiler) Update(layers map[string]*v1alpha1.Layer, others *Inputs) (*Snapshot, error) {
	prev := c.snap
	if prev == nil {
		return nil, errors.New("overlay: Update before the first Compile")
	}
	var (
		added, removed []*compiledLayer
		addedBroken    []brokenLayer
	)
	count, shadows := prev.layers, prev.shadows
	tally := func(cl *compiledLayer, n int) {
		count += n
		if cl.layer.Spec.IsShadow() {
			shadows += n
		}
	}
	for _, name := range sortedKeys(layers) {
		delete(c.failed, name)
		if old, ok := c.valid[name]; ok {
			removed = append(removed, old)
			tally(old, -1)
			delete(c.valid, name)
		}
		l := layers[name]
		if l == nil {
			delete(c.last, name)
			continue
		}
		layer, errs := c.validated(l, "", c.last)
		if len(errs) > 0 {
			le := &LayerError{Layer: name, Fields: errs}
			c.failed[name] = le
			if !l.Spec.IsShadow() {
				addedBroken = append(addedBroken, brokenLayer{compiledLayer: reachOf(l, errs), err: le})
			}
			continue
		}
		cl := compileLayer(layer)
		added = append(added, cl)
		tally(cl, 1)
		c.valid[name] = cl
	}
	var broken []brokenLayer
	for _, b := range prev.broken {
		if _, changed := layers[b.layer.Name]; !changed {
			broken = append(broken, b)
		}
	}
	broken = append(broken, addedBroken...)
	namespaces, classes, partial, runtimes, guarded, admission := prev.namespaces, prev.priorityClasses, prev.partialClasses, prev.runtimeClasses, prev.placementGuarded, prev.admission
	groups, limits, quotas, bounds, mutating := prev.groups, prev.limitRanges, prev.resourceQuotas, prev.bounds, prev.mutatingPolicies
	if others != nil {
		limits, quotas, bounds = limitRangesOf(others.LimitRanges), resourceQuotasOf(others.ResourceQuotas), &boundGroups{}
		groups = &placementGroups{}
		namespaces, classes, partial, runtimes = namespaceMap(others.Namespaces), byName(others.PriorityClasses), others.PriorityClassesPartial, byName(others.RuntimeClasses)
		guarded = placementGuarded(others.AdmissionPolicies, others.AdmissionPolicyBindings)
		admission, mutating = others.Admission, others.MutatingPolicies
	}
	c.snap = &Snapshot{layers: count, shadows: shadows, index: prev.index.with(removed, added), broken: broken,
		namespaces: namespaces, priorityClasses: classes, partialClasses: partial, runtimeClasses: runtimes, placementGuarded: guarded,
		admission: admission, mutatingPolicies: mutating, limitRanges: limits, resourceQuotas: quotas, groups: groups, bounds: bounds}
	errs := make([]error, 0, len(c.failed))
	for _, name := range sortedKeys(c.failed) {
		errs = append(errs, c.failed[name])
	}
	return c.snap, errors.Join(errs...)
}

// compileLayer is a valid Layer ready to match.
func compileLayer(l *v1alpha1.Layer) *compiledLayer {
	cl := &compiledLayer{layer: l, rank: l.Spec.Tier.Rank()}
	if sel := l.Spec.Match.NamespaceSelector; sel != nil {
		cl.selector, _ = metav1.LabelSelectorAsSelector(sel) // validated
	}
	return cl
}

// compositionOrder is the order layers apply in: by tier, order, then name.
func compositionOrder(a, b *compiledLayer) int {
	return cmp.Or(
		cmp.Compare(a.rank, b.rank),
		cmp.Compare(a.layer.Spec.Order, b.layer.Spec.Order),
		cmp.Compare(a.layer.Name, b.layer.Name),
	)
}

func namespaceMap(namespaces []corev1.Namespace) map[string]*knownNamespace {
	out := make(map[string]*knownNamespace, len(namespaces))
	for i := range namespaces {
		out[namespaces[i].Name] = knownNamespaceOf(&namespaces[i])
	}
	return out
}

// byName is a copy of each of objects, by name.
func byName[T any, P interface {
	*T
	GetName() string
	DeepCopy() *T
}](objects []T) map[string]*T {
	out := make(map[string]*T, len(objects))
	for i := range objects {
		out[P(&objects[i]).GetName()] = P(&objects[i]).DeepCopy()
	}
	return out
}
