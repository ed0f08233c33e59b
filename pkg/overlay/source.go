package overlay

import (
	"fmt"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// Source is who contributed a value: a layer (its tier and name) or the user,
// that is, the pod as it was submitted.
type Source struct {
	// Tier is the layer's tier; empty for the user.
	Tier v1alpha1.Tier `json:"tier,omitempty"`
	// Layer is the layer's name; empty for the user.
	Layer string `json:"layer,omitempty"`
}

// UserSource is the source of the values the pod itself carries.
func UserSource() Source { return Source{} }

// IsUser reports whether the source is the pod itself.
func (s Source) IsUser() bool { return s.Layer == "" }

// String renders the source as in messages: `user` or
// `NamespaceOverrides layer "ns-etl"`.
func (s Source) String() string {
	if s.IsUser() {
		return "user"
	}
	return fmt.Sprintf("%s layer %q", s.Tier, s.Layer)
}
