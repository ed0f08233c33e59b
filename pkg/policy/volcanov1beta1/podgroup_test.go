package volcanov1beta1

import (
	"encoding/json"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
)

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		name, raw string
		want      PodGroup
		err       string
	}{
		{name: "what Strata reads",
			raw:  `{"apiVersion":"scheduling.volcano.sh/v1beta1","kind":"PodGroup","metadata":{"name":"pg","namespace":"etl"},"spec":{"minMember":3,"priorityClassName":"spark-low","queue":"etl"}}`,
			want: PodGroup{Name: "pg", Namespace: "etl", PriorityClassName: "spark-low", Queue: "etl"}},
		{name: "no namespace, no class, no queue",
			raw:  `{"apiVersion":"scheduling.volcano.sh/v1beta1","kind":"PodGroup","metadata":{"name":"pg"},"spec":{}}`,
			want: PodGroup{Name: "pg"}},
		{name: "the rest unread",
			raw:  `{"apiVersion":"scheduling.volcano.sh/v1beta1","kind":"PodGroup","metadata":{"name":"pg","labels":{"a":"b"}},"spec":{"minMember":2,"queue":"q"},"status":{"phase":"Running","running":3}}`,
			want: PodGroup{Name: "pg", Queue: "q", Phase: "Running"}},
		{name: "what Volcano holds for the gang",
			raw: `{"apiVersion":"scheduling.volcano.sh/v1beta1","kind":"PodGroup","metadata":{"name":"pg"},"spec":{"minResources":{"cpu":"4","memory":"16Gi","nvidia.com/gpu":1}}}`,
			want: PodGroup{Name: "pg", MinResources: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("16Gi"),
				"nvidia.com/gpu": resource.MustParse("1")}}},
		// A quantity resource.Quantity would take minutes to decode is
		// refused first, by its path.
		{name: "a quantity out of bounds",
			raw: `{"apiVersion":"scheduling.volcano.sh/v1beta1","kind":"PodGroup","metadata":{"name":"pg"},"spec":{"minResources":{"cpu":"1e999999999"}}}`,
			err: `spec.minResources.cpu: "1e999999999": a quantity of more than 64 characters`},
		{name: "a quantity that is none",
			raw: `{"apiVersion":"scheduling.volcano.sh/v1beta1","kind":"PodGroup","metadata":{"name":"pg"},"spec":{"minResources":{"memory":"1Gi","cpu":"lots"}}}`,
			err: `decoding the PodGroup: spec.minResources.cpu: "lots": not a quantity`},
		// The API server reads field names case-sensitively: a key
		// spelled otherwise is no class, for it as for Strata.
		{name: "case-sensitive",
			raw:  `{"apiVersion":"scheduling.volcano.sh/v1beta1","kind":"PodGroup","metadata":{"name":"pg"},"spec":{"PriorityClassName":"system-cluster-critical","Queue":"other"}}`,
			want: PodGroup{Name: "pg"}},
		{name: "the last of duplicate keys",
			raw:  `{"apiVersion":"scheduling.volcano.sh/v1beta1","kind":"PodGroup","metadata":{"name":"pg"},"spec":{"queue":"a","queue":"b"}}`,
			want: PodGroup{Name: "pg", Queue: "b"}},
		{name: "another kind",
			raw: `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}`,
			err: `the object is apiVersion "v1" kind "Pod", want a scheduling.volcano.sh/v1beta1 PodGroup`},
		{name: "another version",
			raw: `{"apiVersion":"scheduling.volcano.sh/v1alpha1","kind":"PodGroup","metadata":{"name":"p"}}`,
			err: `the object is apiVersion "scheduling.volcano.sh/v1alpha1" kind "PodGroup"`},
		{name: "a field Strata reads of another type",
			raw: `{"apiVersion":"scheduling.volcano.sh/v1beta1","kind":"PodGroup","metadata":{"name":"pg"},"spec":{"priorityClassName":7}}`,
			err: "decoding the PodGroup: spec.priorityClassName: expected string, got JSON number"},
		{name: "not JSON", raw: `apiVersion: v1`, err: "decoding the PodGroup"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode([]byte(tc.raw))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !equality.Semantic.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// FuzzDecode: any bytes give a PodGroup or an error, never a panic; a
// PodGroup decoded is one of the right kind, and decodes the same again
// from its own encoding.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"apiVersion":"scheduling.volcano.sh/v1beta1","kind":"PodGroup","metadata":{"name":"pg","namespace":"etl"},"spec":{"priorityClassName":"a","queue":"b"}}`))
	f.Add([]byte(`{"apiVersion":"scheduling.volcano.sh/v1beta1","kind":"PodGroup","spec":null}`))
	f.Add([]byte(`{"kind":"PodGroup"}`))
	f.Add([]byte(`{"apiVersion":"scheduling.volcano.sh/v1beta1","kind":"PodGroup","spec":{"minResources":{"cpu":"1e9","memory":"0.5"}}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		pg, err := Decode(raw)
		if err != nil {
			return
		}
		min, err := json.Marshal(pg.MinResources)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Decode([]byte(`{"apiVersion":"` + APIVersion + `","kind":"` + Kind + `","metadata":{"name":` + quote(pg.Name) + `,"namespace":` + quote(pg.Namespace) +
			`},"spec":{"priorityClassName":` + quote(pg.PriorityClassName) + `,"queue":` + quote(pg.Queue) + `,"minResources":` + string(min) + `},"status":{"phase":` + quote(pg.Phase) + `}}`))
		if err != nil || !equality.Semantic.DeepEqual(again, pg) {
			t.Fatalf("decoded %+v; its encoding decodes to %+v, %v", pg, again, err)
		}
	})
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
