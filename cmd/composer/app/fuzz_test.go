package app

import "testing"

// FuzzDecodePolicyTest feeds arbitrary bytes to the PolicyTest decoder: a
// test file or an error, never a panic.
func FuzzDecodePolicyTest(f *testing.F) {
	f.Add([]byte("apiVersion: strata.dev/v1alpha1\nkind: PolicyTest\nmetadata: {name: t}\nlayers: l\ncases: [{name: a, pod: p, expect: {allowed: true}}]\n"))
	f.Add([]byte("kind: PolicyTest\ncases: [{name: a, inventory: {namespace: {cpu: 1x}}}]\n"))
	f.Add([]byte("kind: ConfigMap\n"))
	f.Add([]byte("kind: PolicyTest\nmetadata: {name: a}\n---\nkind: PolicyTest\nmetadata: {name: b}\n"))
	f.Add([]byte("apiVersion: strata.dev/v1alpha1\nkind: PolicyTest\nmetadata: {name: t}\nlayers: l\ncluster: c\npool: p\ncases: [{name: a, pod: p, expect: {allowed: true, stored: {\"spec..x\": 1, \"a[\\\"b\": null, \"metadata.labels[\\\"a/b\\\"]\": x}}}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		suites, err := decodePolicyTests("fuzz.yaml", data)
		if err != nil {
			return
		}
		for _, suite := range suites {
			if suite == nil || suite.Kind != "PolicyTest" {
				t.Fatalf("decoded %+v as a PolicyTest", suite)
			}
		}
	})
}
