package overlay

import (
	"reflect"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

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

// TestRenderingLeavesLayersAsTheyAre: reading a composition's provenance
// renders the Layers' values, which every composition of the snapshot
// shares, from several goroutines at once (the webhook's admissions, a
// diff's objects); rendering must not write them. resource.Quantity
// caches its text in itself when a value is not written canonically
// ("1000m" is "1"), so a render on the Layer's own Quantity would.
func TestRenderingLeavesLayersAsTheyAre(t *testing.T) {
	cpu, memory := resource.MustParse("1000m"), resource.MustParse("2048Mi")
	snap := mustCompile(t, Inputs{Layers: []LayerSource{layer("limits", v1alpha1.ClusterOverrides, 0,
		&v1alpha1.Config{Limits: &v1alpha1.Limits{MaxPodCPU: &cpu, MaxPodMemory: &memory}}, nil, nil)}})
	limits := snap.Match(driverTarget)[0].Spec.Config.Limits
	before := *limits.DeepCopy()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 20 {
				fields := snap.Compose(driverTarget, v1alpha1.Config{}).Provenance.Fields()
				got := map[string]string{}
				for _, f := range fields {
					got[f.Path] = f.Value
				}
				if got["limits.maxPodCPU"] != "1" || got["limits.maxPodMemory"] != "2Gi" {
					t.Errorf("rendered %v, want limits.maxPodCPU 1 and limits.maxPodMemory 2Gi", got)
					return
				}
			}
		})
	}
	wg.Wait()
	if !reflect.DeepEqual(*limits, before) {
		t.Errorf("rendering changed the Layer's limits: %#v, was %#v", *limits, before)
	}
}
