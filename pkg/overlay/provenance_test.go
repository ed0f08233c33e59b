package overlay

import "testing"

// TestSetBy holds who a field's value is credited to, on a Field and
// read from the Provenance without rendering (Provenance.SetBy), to the
// same answer, and Provenance.ValueOf to the Field's value.
func TestSetBy(t *testing.T) {
	pd := Source{Tier: "PoolDefaults", Layer: "pd"}
	cd := Source{Tier: "ClusterDefaults", Layer: "cd"}
	co := Source{Tier: "ClusterOverrides", Layer: "co"}
	user := UserSource()
	type set struct {
		src   Source
		value string
	}
	tests := []struct {
		name string
		sets []set // in the order they are folded
		want Source
	}{
		{"a layer alone", []set{{pd, "a"}}, pd},
		{"the user alone", []set{{user, "a"}}, user},
		{"the user over a layer's same value", []set{{pd, "a"}, {user, "a"}}, pd},
		{"the user over a layer's other value", []set{{pd, "b"}, {user, "a"}}, user},
		{"the last layer with the user's value", []set{{pd, "a"}, {cd, "a"}, {user, "a"}}, cd},
		{"a layer with the value under one without", []set{{pd, "a"}, {cd, "b"}, {user, "a"}}, pd},
		{"an override over the user", []set{{pd, "a"}, {user, "a"}, {co, "c"}}, co},
		{"an override giving the user's value", []set{{user, "a"}, {co, "a"}}, co},
	}
	key := MapKey(PathLabels, "team")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvenance()
			for _, s := range tt.sets {
				p.record(key, quoted(s.value), s.src)
			}
			f, ok := p.Lookup(key)
			if !ok {
				t.Fatal("the field is not recorded")
			}
			if got := f.SetBy(); got != tt.want {
				t.Errorf("Field.SetBy() = %s, want %s", got, tt.want)
			}
			if got, ok := p.SetBy(key); !ok || got != tt.want {
				t.Errorf("Provenance.SetBy = %s %v, want %s", got, ok, tt.want)
			}
			if got, ok := p.ValueOf(key); !ok || got != f.Value {
				t.Errorf("ValueOf = %q %v, want %q", got, ok, f.Value)
			}
		})
	}
	var none *Provenance
	for _, p := range []*Provenance{none, newProvenance()} {
		if _, ok := p.SetBy(key); ok {
			t.Errorf("SetBy of a field never recorded is ok")
		}
		if _, ok := p.ValueOf(key); ok {
			t.Errorf("ValueOf of a field never recorded is ok")
		}
	}
}
