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

// Field is the provenance of one composed field: its final value, the source
// that won and the sources it beat, in the order they were applied.
type Field struct {
	// Path names the field on the pod, e.g. spec.priorityClassName,
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
	fields map[string]*Field
}

func newProvenance() *Provenance { return &Provenance{fields: map[string]*Field{}} }

// record notes that src set path to value, beating whatever was there.
func (p *Provenance) record(path, value string, src Source) {
	f, ok := p.fields[path]
	if !ok {
		p.fields[path] = &Field{Path: path, Value: value, Winner: src}
		return
	}
	f.Beaten = append(f.Beaten, Contribution{Source: f.Winner, Value: f.Value})
	f.Value, f.Winner = value, src
}

// Derive records a field that rendering derived from the composition (an
// image a mirror rewrote, say): its value, the source it comes from and the
// values it replaced.
func (p *Provenance) Derive(path, value string, winner Source, beaten ...Contribution) {
	p.fields[path] = &Field{Path: path, Value: value, Winner: winner, Beaten: beaten}
}

// Fields returns every recorded field, sorted by path.
func (p *Provenance) Fields() []Field {
	if p == nil {
		return nil
	}
	out := make([]Field, 0, len(p.fields))
	for _, f := range p.fields {
		out = append(out, *f)
	}
	slices.SortFunc(out, func(a, b Field) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// Lookup returns the provenance of one field.
func (p *Provenance) Lookup(path string) (Field, bool) {
	if p == nil {
		return Field{}, false
	}
	f, ok := p.fields[path]
	if !ok {
		return Field{}, false
	}
	return *f, true
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
