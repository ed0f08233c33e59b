package manifest

import (
	"strings"
	"testing"
)

func TestDecodePods(t *testing.T) {
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: %s}\nspec: {containers: [{name: c, image: i}]}\n"
	tests := []struct {
		name  string
		input string
		want  []string // pod namespace/name
	}{
		{name: "one yaml", input: strings.ReplaceAll(pod, "%s", "a"), want: []string{"default/a"}},
		{name: "multi-doc", input: strings.ReplaceAll(pod, "%s", "a") + "---\n" + strings.ReplaceAll(pod, "%s", "b"), want: []string{"default/a", "default/b"}},
		{name: "json", input: `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"j","namespace":"ns"}}`, want: []string{"ns/j"}},
		{name: "list", input: `{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"}},{"apiVersion":"v1","kind":"Pod","metadata":{"name":"y"}}]}`,
			want: []string{"default/x", "default/y"}},
		{name: "pod list", input: "apiVersion: v1\nkind: PodList\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: z}\n", want: []string{"default/z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pods, err := DecodePods("f.yaml", []byte(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range pods {
				got = append(got, p.Namespace+"/"+p.Name)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("pods = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDecodePodsErrors(t *testing.T) {
	tests := map[string]string{
		"": "f.yaml: no objects found (want one or more v1 Pods)",
		"apiVersion: v1\nkind: Service\nmetadata: {name: s}\n":                     `f.yaml: Service "s": kind: got apiVersion "v1" kind "Service" (want apiVersion v1 kind Pod)`,
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containerz: []}\n": `f.yaml: Pod "p": unknown field "spec.containerz"`,
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: {}}\n": `f.yaml: Pod "p": spec.containers: expected []v1.Container, got JSON object`,
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: [a]}\n":            `f.yaml: Pod "p": metadata.labels: expected map[string]string, got JSON array`,
		// A quantity resource.Quantity cannot read is named.
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: x}, {name: b, image: x, resources: {requests: {cpu: 1x}}}]}\n": `f.yaml: Pod "p": spec.containers[1].resources.requests.cpu: "1x": not a quantity: a number with an optional suffix, such as 500m, 2, 1.5Gi or 4e3`,
		// A list's element and a map's key are named (jsonfield).
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: x}, {name: b, image: 7}]}\n": `f.yaml: Pod "p": spec.containers[1].image: expected string, got JSON number`,
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p, annotations: {a: x, example.com/b: [1]}}\n":                        `f.yaml: Pod "p": metadata.annotations[example.com/b]: expected string, got JSON array`,
	}
	for input, want := range tests {
		_, err := DecodePods("f.yaml", []byte(input))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("input %q: error %v, want %q", input, err, want)
		}
	}
}
