package manifest

import (
	"strings"
	"testing"
)

// TestDecodeObjects: each kind an input file may hold decodes to its
// object, in order, in its namespace or "default".
func TestDecodeObjects(t *testing.T) {
	input := `apiVersion: v1
kind: Pod
metadata: {name: p}
---
apiVersion: sparkoperator.k8s.io/v1beta2
kind: SparkApplication
metadata: {name: a, namespace: etl}
spec: {type: Scala, mode: cluster}
---
apiVersion: scheduling.volcano.sh/v1beta1
kind: PodGroup
metadata: {name: g, namespace: etl}
spec: {minMember: 2, priorityClassName: spark-low, queue: etl}
---
apiVersion: scheduling.volcano.sh/v1beta1
kind: PodGroup
metadata: {name: h}
spec: {minMember: 1}
`
	objects, err := DecodeObjects("f.yaml", []byte(input))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := range objects {
		o := &objects[i]
		kind := ""
		for _, k := range []string{"Pod", "SparkApplication", "PodGroup"} {
			if o.Is(k) {
				kind += k
			}
		}
		got = append(got, kind+" "+o.Namespace())
	}
	if want := "Pod default,SparkApplication etl,PodGroup etl,PodGroup default"; strings.Join(got, ",") != want {
		t.Fatalf("objects = %v, want %s", got, want)
	}
	if pg := objects[2].PodGroup; pg.Name != "g" || pg.PriorityClassName != "spark-low" || pg.Queue != "etl" || !strings.Contains(string(objects[2].Raw), `"minMember":2`) {
		t.Errorf("PodGroup = %+v, raw %s", pg, objects[2].Raw)
	}
}

func TestDecodeObjectsErrors(t *testing.T) {
	for input, want := range map[string]string{
		"": "f.yaml: no objects found (want v1 Pods, sparkoperator.k8s.io/v1beta2 SparkApplications or ScheduledSparkApplications, sparkoperator.k8s.io/v1alpha1 SparkConnects, or scheduling.volcano.sh/v1beta1 PodGroups)",
		"apiVersion: v1\nkind: Service\nmetadata: {name: s}\n":                                                         `f.yaml: Service "s": kind: got apiVersion "v1" kind "Service" (want apiVersion v1 kind Pod, apiVersion sparkoperator.k8s.io/v1beta2 kind SparkApplication or ScheduledSparkApplication, apiVersion sparkoperator.k8s.io/v1alpha1 kind SparkConnect, or apiVersion scheduling.volcano.sh/v1beta1 kind PodGroup)`,
		"apiVersion: scheduling.volcano.sh/v1beta1\nkind: Queue\nmetadata: {name: q}\n":                                `f.yaml: Queue "q": kind: got apiVersion "scheduling.volcano.sh/v1beta1" kind "Queue"`,
		"apiVersion: v1beta1\nkind: PodGroup\n":                                                                        `f.yaml: PodGroup #1: kind: got apiVersion "v1beta1" kind "PodGroup"`,
		"apiVersion: scheduling.volcano.sh/v1beta1\nkind: PodGroup\nmetadata: {name: g}\nspec: {queue: [a]}\n":         `f.yaml: PodGroup "g": decoding the PodGroup: spec.queue: expected string, got JSON array`,
		"apiVersion: scheduling.volcano.sh/v1beta1\nkind: PodGroup\nmetadata: {name: g}\nspec: {queue: a, queue: b}\n": `f.yaml: line 4: spec.queue is set twice (first on line 4): only one value could hold`,
	} {
		_, err := DecodeObjects("f.yaml", []byte(input))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("input %q: error %v, want %q", input, err, want)
		}
	}
}

// TestSubject: an object is named in messages by kind and name, else by
// kind and place in its file, else as an object.
func TestSubject(t *testing.T) {
	for _, c := range []struct {
		doc  Document
		want string
	}{
		{Document{Kind: "Layer", Name: "team", Index: 3}, `Layer "team"`},
		{Document{Kind: "Layer", Index: 3}, "Layer #4"},
		{Document{Index: 0}, "object #1"},
	} {
		if got := c.doc.Subject(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.doc, got, c.want)
		}
	}
}

// TestManifestBound: a file of exactly the largest size read is read;
// one byte more is refused, naming the bound.
func TestManifestBound(t *testing.T) {
	doc := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
	atBound := doc + "#" + strings.Repeat(" ", maxManifestBytes-len(doc)-1)
	if docs, err := DecodeDocuments("big.yaml", []byte(atBound)); err != nil || len(docs) != 1 {
		t.Fatalf("a file of exactly %d bytes: %d documents, %v", maxManifestBytes, len(docs), err)
	}
	if _, err := DecodeDocuments("big.yaml", []byte(atBound+" ")); err == nil || !strings.Contains(err.Error(), "big.yaml: file is") {
		t.Fatalf("a file one byte over: %v", err)
	}
}
