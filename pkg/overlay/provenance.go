package overlay

import (
	"regexp"
	"slices"
	"strings"
)

// Contribution is one source's value for a field.
type Contribution struct {
	Source Source `json:"source"`
	// Value is the value rendered as text.
	Value string `json:"value"`
}

// Key names one composed value: a root (a field's provenance path, such as
// metadata.labels or limits, or a pod list rendering derives values in,
// such as spec.containers), within it a map key or a list element's key,
// and a sub-field. It is what provenance is recorded and looked up by;
// String renders it as text, only for explain, warnings and the policy
// input.
type Key struct {
	Root string
	// Item is a map key (Map) or a list element's key; "" for the root.
	Item string
	Map  bool
	// Sub names a part: limits.maxPodCPU, spec.containers[spark].image.
	Sub string
}

// FieldKey names a field as a whole: spec.priorityClassName.
func FieldKey(root string) Key { return Key{Root: root} }

// MapKey names a key of a map field: metadata.labels.team.
func MapKey(root, key string) Key { return Key{Root: root, Item: key, Map: true} }

// ElementKey names an element of a keyed list: spec.tolerations[gpu/NoSchedule].
func ElementKey(root, key string) Key { return Key{Root: root, Item: key} }

// SubKey names a part of a field: limits.maxPodCPU, iam.role.
func SubKey(root, sub string) Key { return Key{Root: root, Sub: sub} }

// WithSub names a part of what k names: spec.containers[spark].image.
func (k Key) WithSub(sub string) Key { k.Sub = sub; return k }

// String renders k: root, root.key or root["key.with/dots"] for a map key,
// root[key] for an element, then .sub.
func (k Key) String() string {
	s := k.Root
	switch {
	case k.Item == "" && !k.Map:
	case k.Map:
		s = KeyPath(s, k.Item)
	default:
		s = ElementPath(s, k.Item)
	}
	if k.Sub != "" {
		s += "." + k.Sub
	}
	return s
}

// Field is the provenance of one composed field: its final value, the source
// that won and the sources it beat, in the order they were applied.
type Field struct {
	// Key names the field.
	Key Key `json:"-"`
	// Path is Key as text, e.g. spec.priorityClassName,
	// metadata.labels.team or spec.tolerations[gpu/NoSchedule].
	Path string `json:"path"`
	// Value is the final value rendered as text.
	Value string `json:"value"`
	// Winner is the source of the final value.
	Winner Source `json:"winner"`
	// Beaten are the sources whose values the winner replaced or kept out.
	Beaten []Contribution `json:"beaten,omitempty"`
}

// TouchedByLayer reports whether any layer contributed to the field.
func (f Field) TouchedByLayer() bool {
	if !f.Winner.IsUser() {
		return true
	}
	for _, b := range f.Beaten {
		if !b.Source.IsUser() {
			return true
		}
	}
	return false
}

// UserValue returns the user's value for the field and whether the user set one.
func (f Field) UserValue() (string, bool) {
	if f.Winner.IsUser() {
		return f.Value, true
	}
	for _, b := range f.Beaten {
		if b.Source.IsUser() {
			return b.Value, true
		}
	}
	return "", false
}

// Provenance records, per field path, who set the composed value.
type Provenance struct {
	fields map[Key]*Field
	// only, when set, are the keys recorded; others are not (nor rendered).
	only map[Key]bool
}

func newProvenance() *Provenance { return &Provenance{fields: map[Key]*Field{}} }

// wants reports whether p records key; a nil Provenance records nothing.
func (p *Provenance) wants(key Key) bool {
	return p != nil && (p.only == nil || p.only[key])
}

// record notes that src set key to value, beating whatever was there.
func (p *Provenance) record(key Key, value string, src Source) {
	f, ok := p.fields[key]
	if !ok {
		p.fields[key] = &Field{Key: key, Value: value, Winner: src}
		return
	}
	f.Beaten = append(f.Beaten, Contribution{Source: f.Winner, Value: f.Value})
	f.Value, f.Winner = value, src
}

// Derive records a field that rendering derived from the composition (an
// image a mirror rewrote, say): its value, the source it comes from and the
// values it replaced.
func (p *Provenance) Derive(key Key, value string, winner Source, beaten ...Contribution) {
	if !p.wants(key) {
		return
	}
	p.fields[key] = &Field{Key: key, Value: value, Winner: winner, Beaten: beaten}
}

// Fields returns every recorded field, sorted by path.
func (p *Provenance) Fields() []Field { return p.FieldsWhere(nil) }

// FieldsWhere is Fields, of the fields keep accepts (all when keep is
// nil). keep sees each field before its Path is rendered: a caller that
// wants a few fields pays for those.
func (p *Provenance) FieldsWhere(keep func(*Field) bool) []Field {
	if p == nil {
		return nil
	}
	var out []Field
	if keep == nil {
		out = make([]Field, 0, len(p.fields))
	}
	for _, f := range p.fields {
		if keep != nil && !keep(f) {
			continue
		}
		c := *f
		c.Path = c.Key.String()
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Field) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// Lookup returns the provenance of one field.
func (p *Provenance) Lookup(key Key) (Field, bool) {
	if p == nil {
		return Field{}, false
	}
	f, ok := p.fields[key]
	if !ok {
		return Field{}, false
	}
	c := *f
	c.Path = c.Key.String()
	return c, true
}

var plainKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// KeyPath names a key of a map field: base.key for plain keys,
// base["key.with/dots"] otherwise, so every path reads back unambiguously.
func KeyPath(base, key string) string {
	if plainKey.MatchString(key) {
		return base + "." + key
	}
	return base + `["` + strings.ReplaceAll(key, `"`, `\"`) + `"]`
}

// ElementPath names an element of a keyed list: base[key].
func ElementPath(base, key string) string { return base + "[" + key + "]" }
