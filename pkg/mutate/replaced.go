package mutate

import (
	"github.com/strata-dev/strata/pkg/overlay"
)

// replacedIn is what upsertNoting calls, for a list field root, with each
// element a renderer replaced: it records the element's new value in prov
// (overlay.Provenance.Replace), as rendered from what from names for its
// key. Nil (nothing recorded) when prov is.
func replacedIn[T any](prov *overlay.Provenance, root string, from func(key string) overlay.Source, render func(*T) string) func(string, *T) {
	if prov == nil {
		return nil
	}
	return func(key string, now *T) {
		prov.Replace(overlay.ElementKey(root, key), render(now), from(key))
	}
}
