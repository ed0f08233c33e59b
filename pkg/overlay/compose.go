package overlay

import (
	"slices"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// Target is what a pod's layers are selected by: where it runs and what it is.
type Target struct {
	// Cluster and Pool are the identity of the cluster the pod runs on.
	Cluster, Pool string
	// Namespace is the pod's namespace; its labels come from the snapshot.
	Namespace string
	// Role is the pod's Spark role.
	Role v1alpha1.Role
}

// Result is a composed config with its provenance.
type Result struct {
	// Config is the composed config: the user's values with every matched
	// layer folded in.
	Config v1alpha1.Config
	// PodPatches are the matched layers' strategic merge patches, in the
	// order they apply (Config.PodPatch is unused here).
	PodPatches []PodPatch
	// Layers are the names of the matched layers in the order they were applied.
	Layers []string
	// Provenance records which source set every field of Config.
	Provenance *Provenance
}

// Compose folds the layers that match t with the user's own config, low to
// high: PoolDefaults, ClusterDefaults, the user, ClusterOverrides,
// NamespaceOverrides; inside a tier by order, then name; inside a layer its
// config block, then its role block. user must hold only what the user set
// (see mutate.UserConfig): a value there beats every default and loses to
// every override. Compose is pure and deterministic. The Result's
// provenance renders the values it recorded when read, so neither user nor
// anything it refers to may change while the Result is in use.
func (s *Snapshot) Compose(t Target, user v1alpha1.Config) Result {
	return s.compose(t, user, newProvenance())
}

// ComposeValues is Compose with the provenance of the given keys only (a
// FieldKey, every key of its field): the composed values, for a caller
// that explains nothing but what it names (rendering reads who won the IAM
// role, and who gave each sidecar), at less cost: no other value is
// rendered as text.
func (s *Snapshot) ComposeValues(t Target, user v1alpha1.Config, keys ...Key) Result {
	prov := newProvenance()
	prov.only = make(map[Key]bool, len(keys))
	for _, k := range keys {
		prov.only[k] = true
	}
	return s.compose(t, user, prov)
}

// ComposeOverrides is Compose with the provenance of what overriding the
// user takes, at less cost: of a key under one of roots (field paths, such
// as PathIAM), everything, as Compose records it; of any other key, only
// the user's value and the layers' values that beat it. Overridden gives
// what Compose's gives, each field's Beaten without the defaults the user
// beat; Fields, Lookup and the others know nothing of a key only layers
// set outside roots. For a caller that warns of overrides and reads the
// provenance of roots alone (the admission webhook): most of what a
// composition records is the defaults'.
func (s *Snapshot) ComposeOverrides(t Target, user v1alpha1.Config, roots ...string) Result {
	prov := newProvenance()
	prov.overrides, prov.whole = true, roots
	return s.compose(t, user, prov)
}

// ComposeOnly is Compose of the fields in only: every other field is left
// unset and unexplained, for a caller that reads those fields alone (a
// field folding into another, as sparkConf does into labels, must be in
// only with it). user need hold only those fields.
func (s *Snapshot) ComposeOnly(t Target, user v1alpha1.Config, only FieldSet) Result {
	return s.composeLayers(s.Match(t), t, user, newProvenance(), only)
}

func (s *Snapshot) compose(t Target, user v1alpha1.Config, prov *Provenance) Result {
	return s.composeLayers(s.Match(t), t, user, prov, FieldSet{})
}

// ComposeShadow is Compose with the Shadow layers that match t applied as
// if they were enforced: what the pod would be. Compose leaves them out.
func (s *Snapshot) ComposeShadow(t Target, user v1alpha1.Config) Result {
	return s.composeLayers(s.match(t, true), t, user, newProvenance(), FieldSet{})
}

// ShadowLayers are the names of the Shadow layers that match t, in
// composition order; none in a snapshot without Shadow layers, at no cost.
func (s *Snapshot) ShadowLayers(t Target) []string {
	if s.shadows == 0 {
		return nil
	}
	var out []string
	for _, l := range s.match(t, true) {
		if l.Spec.IsShadow() {
			out = append(out, l.Name)
		}
	}
	return out
}

func (s *Snapshot) composeLayers(layers []*v1alpha1.Layer, t Target, user v1alpha1.Config, prov *Provenance, only FieldSet) Result {
	res := Result{Provenance: prov}
	// The example pods record about ten fields per source (each layer,
	// and the user), ComposeOverrides the user's and a few more; a guess
	// only sizes the map.
	fields := 16 * (len(layers) + 1)
	if prov.overrides {
		fields = 32
	}
	prov.reserve(fields)
	userDone := false
	foldUser := func() {
		if !userDone {
			folder{prov: res.Provenance, src: UserSource(), role: t.Role, only: only}.foldConfig(&res, &user)
			userDone = true
		}
	}
	for _, l := range layers {
		spec := &l.Spec
		if !spec.Tier.IsDefault() {
			foldUser()
		}
		f := folder{prov: res.Provenance, src: Source{Tier: spec.Tier, Layer: l.Name}, role: t.Role, only: only}
		f.foldConfig(&res, spec.Config)
		f.foldConfig(&res, RoleConfig(spec, t.Role))
		res.Layers = append(res.Layers, l.Name)
	}
	foldUser()
	return res
}

// RoleConfig is the block of spec for role: Driver or Executor; nil for
// any other role.
func RoleConfig(spec *v1alpha1.LayerSpec, role v1alpha1.Role) *v1alpha1.Config {
	switch role {
	case v1alpha1.RoleDriver:
		return spec.Driver
	case v1alpha1.RoleExecutor:
		return spec.Executor
	}
	return nil
}

// Match returns the layers that apply to t, in composition order. Every match
// field a layer gives must match; a field left out or empty matches all.
// Shadow layers are not applied, and not among them.
func (s *Snapshot) Match(t Target) []*v1alpha1.Layer { return s.match(t, false) }

func (s *Snapshot) match(t Target, shadow bool) []*v1alpha1.Layer {
	var out []*v1alpha1.Layer
	nsLabels := s.NamespaceLabels(t.Namespace)
	for _, cl := range s.index.candidates(t) {
		if (shadow || !cl.layer.Spec.IsShadow()) && cl.matches(t, nsLabels) {
			out = append(out, cl.layer)
		}
	}
	return out
}

func (cl *compiledLayer) matches(t Target, nsLabels labels.Set) bool {
	m := &cl.layer.Spec.Match
	if !listMatches(m.Pools, t.Pool) || !listMatches(m.Clusters, t.Cluster) ||
		!listMatches(m.Namespaces, t.Namespace) || !listMatches(m.Roles, t.Role) {
		return false
	}
	return cl.selector == nil || cl.selector.Matches(nsLabels)
}

func listMatches[T comparable](list []T, v T) bool { return len(list) == 0 || slices.Contains(list, v) }
