package overlay

import (
	"strconv"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// Source is who contributed a value: a layer (its tier and name) or the user,
// that is, the pod as it was submitted.
type Source struct {
	// Tier is the layer's tier; empty for the user.
	Tier v1alpha1.Tier `json:"tier,omitempty"`
	// Layer is the layer's name; empty for the user.
	Layer string `json:"layer,omitempty"`
	// RenderedFrom, for a value Strata renders from another field (the
	// iam.amazonaws.com/role annotation from iam.role), names that field.
	RenderedFrom string `json:"renderedFrom,omitempty"`
}

// RenderedSource is the source of a value Strata renders from field.
func RenderedSource(field string) Source { return Source{RenderedFrom: field} }

// UserSource is the source of the values the pod itself carries.
func UserSource() Source { return Source{} }

// IsUser reports whether the source is the pod itself.
func (s Source) IsUser() bool { return s.Layer == "" && s.RenderedFrom == "" }

// String renders the source as in messages: `user` or
// `NamespaceOverrides layer "ns-etl"`.
func (s Source) String() string {
	if s.RenderedFrom != "" {
		return "strata (from " + s.RenderedFrom + ")"
	}
	if s.IsUser() {
		return "user"
	}
	return string(s.Tier) + " layer " + strconv.Quote(s.Layer)
}
