package policy

import (
	"fmt"
	"reflect"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay"
)

// The policies' settings in the input (input.config.enforcement, .limits
// and .isolation, each value with the layer that set it) are the layers'
// alone: no pod carries a tenant's value of them (mutate.UserWritable),
// so they are the same for every pod of a target in a snapshot, whose
// Layers and Namespaces do not change. Converting them to OPA's values
// was a sixth of a pod check's allocations; they are converted once per
// snapshot and target, and the terms shared by the inputs of its pods.
// Evaluation never changes a term of the input, so sharing is safe, as it
// is for the pod's term shared by the two views of a pod without a role.

// settingsFields are the Config fields the settings are composed from:
// the cache is on only while no pod can carry a value of any of them.
var settingsFields = []string{"enforcement", "limits", "isolation"}

// maxSettingsTargets bounds the targets (namespace and role, mostly) a
// cache holds; past it the cache starts again.
const maxSettingsTargets = 4096

// settingsCache holds the settings' terms of the targets of one snapshot.
// It is safe for concurrent use.
type settingsCache struct {
	mu    sync.Mutex
	snap  *overlay.Snapshot
	terms map[overlay.Target]map[string]*ast.Term
}

// newSettingsCache is a cache, or nil when a pod can carry a value of a
// setting (each pod's settings are then its own, converted with it).
func newSettingsCache() *settingsCache {
	for _, name := range settingsFields {
		if mutate.UserWritable(name) {
			return nil
		}
	}
	return &settingsCache{}
}

// settingsAt is where an input's settings are cached: the snapshot and
// target its composition was composed from.
type settingsAt struct {
	cache  *settingsCache
	snap   *overlay.Snapshot
	target overlay.Target
}

// settingsAt is where the settings of a composition of target in snap are
// cached; nil when e caches none.
func (e *Engine) settingsAt(snap *overlay.Snapshot, target overlay.Target) *settingsAt {
	if e.settings == nil {
		return nil
	}
	return &settingsAt{cache: e.settings, snap: snap, target: target}
}

// termsOf are the terms of the settings doc builds (the input's
// config.enforcement, limits and isolation), built and converted by conv
// only the first time they are asked for at.
func (at *settingsAt) termsOf(doc func() map[string]any, conv *astConverter) (map[string]*ast.Term, error) {
	c := at.cache
	c.mu.Lock()
	terms, ok := c.terms[at.target]
	if c.snap != at.snap {
		ok = false
	}
	c.mu.Unlock()
	if ok {
		return terms, nil
	}
	config := doc()
	terms = make(map[string]*ast.Term, len(settingsFields))
	for _, name := range settingsFields {
		v, set := config[name]
		if !set {
			continue // not read by the policies
		}
		t, err := conv.termOf(reflect.ValueOf(v))
		if err != nil {
			return nil, fmt.Errorf("converting the policy input's config.%s: %w", name, err)
		}
		terms[name] = t
	}
	c.mu.Lock()
	if c.snap != at.snap || len(c.terms) >= maxSettingsTargets {
		c.snap, c.terms = at.snap, make(map[overlay.Target]map[string]*ast.Term)
	}
	c.terms[at.target] = terms
	c.mu.Unlock()
	return terms, nil
}
