package overlay

import (
	"slices"
	"strconv"
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

// SetBy is who the field's value comes from for policy purposes: the
// winner, except that a value the user holds which a layer also gives
// counts as the layer's. A pod composed once and sent again (the
// validating webhook sees it after mutation) carries the layers' values as
// its own; this keeps them the layers'.
func (f Field) SetBy() Source {
	if !f.Winner.IsUser() {
		return f.Winner
	}
	for i := len(f.Beaten) - 1; i >= 0; i-- {
		if b := f.Beaten[i]; !b.Source.IsUser() && b.Value == f.Value {
			return b.Source
		}
	}
	return f.Winner
}

// UserValue returns the user's value for the field and whether the user set one.
// A user who gave one key twice (an env var written twice) has the last
// value, the one in effect.
func (f Field) UserValue() (string, bool) {
	if f.Winner.IsUser() {
		return f.Value, true
	}
	for _, b := range slices.Backward(f.Beaten) {
		if b.Source.IsUser() {
			return b.Value, true
		}
	}
	return "", false
}

// Provenance records, per field path, who set the composed value. Values
// are kept as they were folded and rendered as text only when read
// (Fields, Lookup, Overridden): an admission that explains nothing renders
// nothing.
type Provenance struct {
	fields map[Key]*entry
	// only, when set, are the keys recorded; others are not.
	only map[Key]bool
	// overrides, when set, records of a key whose root is not in whole
	// only what overriding the user takes: the user's value and the
	// layers' values that follow it. A default below the user, and a
	// key the user never set, are not recorded: such a key is never
	// Overridden.
	overrides bool
	whole     []string
	// slab holds the entries of fields, allocated a chunk at a time rather
	// than one by one: a composition records dozens. A full chunk is
	// never grown (the entries in it stay where fields points), a new one
	// is started.
	slab []entry
}

// entry is a Field before its values are rendered.
type entry struct {
	value  text
	winner Source
	beaten []contribution
}

type contribution struct {
	source Source
	value  text
}

// text is a value as provenance keeps it until it is read: a string (to be
// quoted, when quote is set), or a typed value and its renderer. A
// recorded value is never changed afterwards (it belongs to a Layer of the
// snapshot, or to the user's config, which is copied from the object
// composed), so rendering it later gives what rendering it at once would.
// Reading renders every time and caches nothing: a Provenance is safe to
// read from several goroutines.
type text struct {
	s      string
	quote  bool
	of     any
	render func(any) string
}

// quoted is s, rendered as a Go string literal.
func quoted(s string) text { return text{s: s, quote: true} }

// verbatim is s as it is.
func verbatim(s string) text { return text{s: s} }

// rendered is v, rendered by render when read.
func rendered[T any](v *T, render func(*T) string) text {
	return text{of: v, render: func(v any) string { return render(v.(*T)) }}
}

func (t text) String() string {
	switch {
	case t.render != nil:
		return t.render(t.of)
	case t.quote:
		return strconv.Quote(t.s)
	}
	return t.s
}

func newProvenance() *Provenance { return &Provenance{fields: map[Key]*entry{}} }

// reserve makes room for about n fields up front, when p records every
// key: a map grown entry by entry costs an allocation per doubling.
func (p *Provenance) reserve(n int) {
	if p.only == nil && len(p.fields) == 0 {
		p.fields = make(map[Key]*entry, n)
	}
}

// wants reports whether p records src's value of key; a nil Provenance
// records nothing.
func (p *Provenance) wants(key Key, src Source) bool {
	switch {
	case p == nil:
		return false
	case p.only != nil:
		return p.only[key] || p.only[FieldKey(key.Root)]
	case !p.overrides || src.IsUser() || slices.Contains(p.whole, key.Root):
		return true
	}
	_, userOrAfter := p.fields[key]
	return userOrAfter
}

// Partial reports whether p records only some keys (ComposeValues,
// ComposeOverrides): Fields, Lookup and the others know nothing of a key
// it left out.
func (p *Provenance) Partial() bool { return p != nil && (p.only != nil || p.overrides) }

// record notes that src set key to value, beating whatever was there.
func (p *Provenance) record(key Key, value text, src Source) {
	e, ok := p.fields[key]
	if !ok {
		p.fields[key] = p.newEntry(entry{value: value, winner: src})
		return
	}
	e.beaten = append(e.beaten, contribution{source: e.winner, value: e.value})
	e.value, e.winner = value, src
}

// Derive records a string field that rendering derived from the
// composition (an image a mirror rewrote, say): its value, the source it
// comes from and the values it replaced. The values are the strings
// themselves; provenance renders them quoted when read, as it renders
// every string field (quoting each admission's would cost an allocation a
// value). A derived field is recorded whenever p records key at all: it
// may beat the user's value, as an override does.
func (p *Provenance) Derive(key Key, value string, winner Source, beaten ...Contribution) {
	if !p.wants(key, UserSource()) {
		return
	}
	e := p.newEntry(entry{value: quoted(value), winner: winner})
	for _, b := range beaten {
		e.beaten = append(e.beaten, contribution{source: b.Source, value: quoted(b.Value)})
	}
	p.fields[key] = e
}

// Replace records that rendering replaced the value of a key p records with
// value (rendered as p renders that key's values), from winner: the value
// recorded, and who set it, are beaten by it. A Secret a layer mounts where
// the user mounted a volume, IRSA's AWS_ROLE_ARN over an env var, a pod
// patch's value: explain names who set the value the pod holds, and a
// user's value so replaced is Overridden. A key p does not record is left
// alone.
func (p *Provenance) Replace(key Key, value string, winner Source) {
	e, ok := p.entryOf(key)
	if !ok {
		return
	}
	e.beaten = append(e.beaten, contribution{source: e.winner, value: e.value})
	e.value, e.winner = verbatim(value), winner
}

// EachKey calls fn with every key p records, in no order.
func (p *Provenance) EachKey(fn func(Key)) {
	if p == nil {
		return
	}
	for k := range p.fields {
		fn(k)
	}
}

// newEntry is e, placed in p's slab.
func (p *Provenance) newEntry(e entry) *entry {
	if len(p.slab) == cap(p.slab) {
		p.slab = make([]entry, 0, min(max(2*cap(p.slab), 16), 32))
	}
	p.slab = append(p.slab, e)
	return &p.slab[len(p.slab)-1]
}

// field renders e, the entry of key.
func (e *entry) field(key Key) Field {
	f := Field{Key: key, Path: key.String(), Value: e.value.String(), Winner: e.winner}
	for _, b := range e.beaten {
		f.Beaten = append(f.Beaten, Contribution{Source: b.source, Value: b.value.String()})
	}
	return f
}

// Fields returns every recorded field, sorted by path.
func (p *Provenance) Fields() []Field {
	if p == nil {
		return nil
	}
	out := make([]Field, 0, len(p.fields))
	for k, e := range p.fields {
		out = append(out, e.field(k))
	}
	return sortByPath(out)
}

// Overridden returns the fields where a layer's value won over a value
// the user set, and differs from it, sorted by path. Only those fields
// are rendered.
func (p *Provenance) Overridden() []Field {
	if p == nil {
		return nil
	}
	var out []Field
	for k, e := range p.fields {
		if e.winner.IsUser() || !slices.ContainsFunc(e.beaten, func(c contribution) bool { return c.source.IsUser() }) {
			continue
		}
		f := e.field(k)
		if v, _ := f.UserValue(); v != f.Value {
			out = append(out, f)
		}
	}
	return sortByPath(out)
}

func sortByPath(fields []Field) []Field {
	slices.SortFunc(fields, func(a, b Field) int { return strings.Compare(a.Path, b.Path) })
	return fields
}

// entryOf is the entry of key; false for a key never recorded, and for a
// nil Provenance, which records nothing.
func (p *Provenance) entryOf(key Key) (*entry, bool) {
	if p == nil {
		return nil, false
	}
	e, ok := p.fields[key]
	return e, ok
}

// WinnerOf returns the source of one field's value, rendering nothing.
func (p *Provenance) WinnerOf(key Key) (Source, bool) {
	e, ok := p.entryOf(key)
	if !ok {
		return Source{}, false
	}
	return e.winner, true
}

// SetBy is Lookup(key)'s Field.SetBy, with only the values it compares
// rendered: none when a layer won, none of a field only the user set.
// Judging a pod asks it of every label and annotation.
func (p *Provenance) SetBy(key Key) (Source, bool) {
	e, ok := p.entryOf(key)
	if !ok {
		return Source{}, false
	}
	if !e.winner.IsUser() {
		return e.winner, true
	}
	value, rendered := "", false
	for i := len(e.beaten) - 1; i >= 0; i-- {
		b := &e.beaten[i]
		if b.source.IsUser() {
			continue
		}
		if !rendered {
			value, rendered = e.value.String(), true
		}
		if b.value.String() == value {
			return b.source, true
		}
	}
	return e.winner, true
}

// ValueOf is Lookup(key)'s Value, without rendering what it beat.
func (p *Provenance) ValueOf(key Key) (string, bool) {
	e, ok := p.entryOf(key)
	if !ok {
		return "", false
	}
	return e.value.String(), true
}

// Lookup returns the provenance of one field.
func (p *Provenance) Lookup(key Key) (Field, bool) {
	e, ok := p.entryOf(key)
	if !ok {
		return Field{}, false
	}
	return e.field(key), true
}

// KeyPath names a key of a map field: base.key for plain keys,
// base["key.with/dots"] otherwise, so every path reads back unambiguously.
func KeyPath(base, key string) string {
	if plainKey(key) {
		return base + "." + key
	}
	return base + `["` + strings.ReplaceAll(key, `"`, `\"`) + `"]`
}

// plainKey reports whether key is one or more of A-Z, a-z, 0-9, _ and -
// (what ^[A-Za-z0-9_-]+$ matches; a loop, as every path a composition
// renders asks).
func plainKey(key string) bool {
	for i := 0; i < len(key); i++ {
		switch c := key[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return key != ""
}

// ElementPath names an element of a keyed list: base[key].
func ElementPath(base, key string) string { return base + "[" + key + "]" }
