package overlay

import (
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/types"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// BenchmarkRecompile is one snapshot rebuild of 6,000 Layers read from the
// cluster of which one changed since the last: what each Layer change
// costs the webhook.
func BenchmarkRecompile(b *testing.B) {
	in, c := compiledCluster(b)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n++
		in.Layers[n%len(in.Layers)].Layer.ResourceVersion = fmt.Sprint(n + 1)
		if _, err := c.Compile(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpdate is BenchmarkRecompile through Update: the one changed
// Layer is all it reads.
func BenchmarkUpdate(b *testing.B) {
	in, c := compiledCluster(b)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n++
		l := &in.Layers[n%len(in.Layers)].Layer
		l.ResourceVersion = fmt.Sprint(n + 1)
		if _, err := c.Update(map[string]*v1alpha1.Layer{l.Name: l}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// compiledCluster is 6,000 Layers read from a cluster, one per namespace,
// and a Compiler that has compiled them.
func compiledCluster(b *testing.B) (Inputs, *Compiler) {
	var in Inputs
	for i := range 6000 {
		l := layer(fmt.Sprintf("l-%05d", i), v1alpha1.NamespaceOverrides, 0,
			&v1alpha1.Config{Labels: map[string]string{"team": "x"}}, nil, nil)
		l.Layer.Spec.Match.Namespaces = []string{fmt.Sprintf("team-%d", i)}
		l.Layer.UID, l.Layer.ResourceVersion = types.UID(fmt.Sprint("uid-", i)), "1"
		in.Layers = append(in.Layers, l)
	}
	c := &Compiler{}
	if _, err := c.Compile(in); err != nil {
		b.Fatal(err)
	}
	return in, c
}
