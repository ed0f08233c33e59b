package app

import (
	"strings"
	"testing"
)

// TestPolicyTestValidation: every problem of a PolicyTest file is reported,
// each with the file, the PolicyTest and the field, in the order of the
// fields, the same on every run.
func TestPolicyTestValidation(t *testing.T) {
	const head = "apiVersion: strata.dev/v1alpha1\nkind: PolicyTest\nmetadata: {name: t}\nlayers: layers\ncluster: c\npool: p\n"
	tests := []struct {
		name, doc string
		want      []string // "" for valid
	}{
		{"valid", head + "cases: [{name: a, pod: p.yaml, expect: {allowed: true}}]", nil},
		{"wrong apiVersion", strings.Replace(head, "v1alpha1", "v1", 1) + "cases: [{name: a, pod: p.yaml}]",
			[]string{`f.yaml: PolicyTest "t": apiVersion: Unsupported value: "strata.dev/v1": supported values: "strata.dev/v1alpha1"`}},
		{"no layers", strings.Replace(head, "layers: layers\n", "", 1) + "cases: [{name: a, pod: p.yaml}]",
			[]string{`f.yaml: PolicyTest "t": layers: Required value: the layer repository (a kustomization or a directory)`}},
		{"no cluster and pool", strings.Replace(head, "cluster: c\npool: p\n", "", 1) + "cases: [{name: a, pod: p.yaml}]", []string{
			`f.yaml: PolicyTest "t": cluster: Required value: the cluster's name, matched by the layers' match.clusters`,
			`f.yaml: PolicyTest "t": pool: Required value: the cluster's pool, matched by the layers' match.pools`}},
		{"no cases", head, []string{`f.yaml: PolicyTest "t": cases: Required value: at least one case`}},
		{"an update", head + "cases: [{name: a, pod: p.yaml, update: {user: u, patch: {metadata: {labels: {a: b}}}}, expect: {allowed: true}}]", nil},
		{"an update without a patch, and of an app", head + `cases:
  - {name: a, pod: p.yaml, update: {user: u}}
  - {name: b, app: a.yaml, update: {patch: {spec: {}}}}
  - {name: c, pod: p.yaml, update: {patch: [x]}}`, []string{
			`f.yaml: PolicyTest "t": cases[0].update.patch: Required value: a strategic merge patch of the pod, an object`,
			`f.yaml: PolicyTest "t": cases[1].update: Forbidden: an update is of a Pod; a SparkApplication is judged at submission`,
			`f.yaml: PolicyTest "t": cases[2].update.patch: Required value: a strategic merge patch of the pod, an object`,
		}},
		{"a pod's creator", head + "cases: [{name: a, pod: p.yaml, user: 'system:serviceaccount:etl:submitter', expect: {allowed: true}}]", nil},
		{"an app's writer", head + "cases: [{name: a, app: a.yaml, user: u, expect: {allowed: true}}]", nil},
		{"a creator of an update", head + `cases:
  - {name: a, pod: p.yaml, user: u, update: {user: v, patch: {metadata: {labels: {a: b}}}}}`, []string{
			`f.yaml: PolicyTest "t": cases[0].user: Forbidden: who creates the Pod; the user of an update is update.user`,
		}},
		{"a misspelt user, of a create and of an update", head + `cases:
  - {name: a, pod: p.yaml, user: 'system:serviceaccount:etl'}
  - {name: b, pod: p.yaml, update: {user: ' u', patch: {metadata: {labels: {a: b}}}}}`, []string{
			`f.yaml: PolicyTest "t": cases[0].user: Invalid value: "system:serviceaccount:etl": "system:serviceaccount:etl" is not a service account's user name (want system:serviceaccount:NAMESPACE:NAME)`,
			`f.yaml: PolicyTest "t": cases[1].update.user: Invalid value: " u": " u" is not a user name (want no spaces around it)`,
		}},
		{"the operator's user", head + "operatorUser: system:serviceaccount:spark-operator:spark-operator-controller\ncases: [{name: a, app: a.yaml, expect: {allowed: true}}]", nil},
		{"the operator's user misspelt", head + "operatorUser: system:serviceaccount:spark-operator\ncases: [{name: a, app: a.yaml, expect: {allowed: true}}]", []string{
			`f.yaml: PolicyTest "t": operatorUser: Invalid value: "system:serviceaccount:spark-operator": "system:serviceaccount:spark-operator" is not a service account's user name (want system:serviceaccount:NAMESPACE:NAME)`}},
		{"a PodGroup", head + "cases: [{name: a, podGroup: g.yaml, namespaceLabels: {group: geo}, expect: {allowed: true}}]", nil},
		{"a SparkConnect", head + "cases: [{name: a, connect: c.yaml, expect: {allowed: true}}]", nil},
		{"a SparkConnect updated, and beside a pod", head + `cases:
  - {name: a, connect: c.yaml, update: {patch: {spec: {}}}}
  - {name: b, pod: p.yaml, connect: c.yaml}`, []string{
			`f.yaml: PolicyTest "t": cases[0].update: Forbidden: an update is of a Pod; a SparkConnect is judged as written`,
			`f.yaml: PolicyTest "t": cases[1].connect: Forbidden: a case judges one object: a Pod, a SparkApplication, a PodGroup or a SparkConnect; this case also has pod`,
		}},
		{"a PodGroup with the namespace's waiting gangs", head + "cases: [{name: a, podGroup: g.yaml, inventory: {waitingGangs: {cpu: 100, memory: 1Ti}}, expect: {allowed: true}}]", nil},
		{"waiting gangs for a pod", head + "cases: [{name: a, pod: p.yaml, inventory: {waitingGangs: {cpu: 100}}}]", []string{
			`f.yaml: PolicyTest "t": cases[0].inventory.waitingGangs: Forbidden: what waiting gangs hold counts only for a PodGroup's case`}},
		{"two objects, and what a PodGroup case cannot have", head + `cases:
  - {name: a, pod: p.yaml, podGroup: g.yaml}
  - {name: b, app: a.yaml, podGroup: g.yaml}
  - {name: c, podGroup: g.yaml, inventory: {appExecutors: 3}, update: {patch: {spec: {}}}}`, []string{
			`f.yaml: PolicyTest "t": cases[0].podGroup: Forbidden: a case judges one object: a Pod, a SparkApplication, a PodGroup or a SparkConnect; this case also has pod`,
			`f.yaml: PolicyTest "t": cases[1].podGroup: Forbidden: a case judges one object: a Pod, a SparkApplication, a PodGroup or a SparkConnect; this case also has app`,
			`f.yaml: PolicyTest "t": cases[2].inventory: Forbidden: a PodGroup is judged with what the namespace's gangs waiting to run hold (inventory.waitingGangs), not with live pods`,
			`f.yaml: PolicyTest "t": cases[2].update: Forbidden: an update is of a Pod; a PodGroup is judged as written`,
		}},
		// What does not decode is named with its case, as a Layer's field is.
		{"a value of the wrong type", head + "cases: [{name: a, pod: p.yaml}, {name: b, pod: p.yaml, inventory: {appExecutors: '3'}}]", []string{
			`f.yaml: PolicyTest "t": cases[1].inventory.appExecutors: expected int64, got JSON string`}},
		{"a quantity that is none", head + "cases: [{name: a, podGroup: g.yaml, inventory: {waitingGangs: {cpu: 100, memory: lots}}}]", []string{
			`f.yaml: PolicyTest "t": cases[0].inventory.waitingGangs.memory: "lots": not a quantity: a number with an optional suffix, such as 500m, 2, 1.5Gi or 4e3`}},
		{"an unknown field", head + "cases: [{name: a, pod: p.yaml, expects: {allowed: true}}]", []string{
			`f.yaml: PolicyTest "t": unknown field "cases[0].expects"`}},
		{"every case problem, in order", head + `cases:
  - {pod: p.yaml}
  - {name: a}
  - {name: a, pod: p.yaml, expect: {violations: [{message: m, enforcement: block}]}}`, []string{
			`f.yaml: PolicyTest "t": cases[0].name: Required value`,
			`f.yaml: PolicyTest "t": cases[1].pod: Required value: a file with exactly one Pod (or app: a file with exactly one SparkApplication, podGroup: one with exactly one PodGroup, or connect: one with exactly one SparkConnect)`,
			`f.yaml: PolicyTest "t": cases[2].name: Duplicate value: "a": also the name of cases[1]`,
			`f.yaml: PolicyTest "t": cases[2].expect.violations[0].policy: Required value: the policy's name (quota, isolation, baseline, ...)`,
			`f.yaml: PolicyTest "t": cases[2].expect.violations[0].enforcement: Unsupported value: "block": supported values: "deny", "warn", "dryrun", ""`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 100 {
				suites, err := decodePolicyTests("f.yaml", []byte(tt.doc))
				if tt.want == nil {
					if err != nil || len(suites) != 1 {
						t.Fatalf("valid file refused: %v", err)
					}
					return
				}
				if err == nil {
					t.Fatal("invalid file accepted")
				}
				if got, want := err.Error(), strings.Join(tt.want, "\n"); got != want {
					t.Fatalf("error =\n%s\nwant\n%s", got, want)
				}
			}
		})
	}
}
