package policy

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1alpha1"
	"github.com/strata-dev/strata/test/fixtures"
)

// exampleConnect is the example SparkConnect, composed on prod-a, changed
// by edit (JSON values) before it is composed.
func exampleConnect(t *testing.T, check *Check, edit func(spec map[string]any)) *sparkv1alpha1.SparkConnect {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtures.Examples(), "apps", "notebooks-connect.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := yaml.Unmarshal(data, &obj); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(obj["spec"].(map[string]any))
	}
	if data, err = yaml.Marshal(obj); err != nil {
		t.Fatal(err)
	}
	if data, err = yaml.YAMLToJSON(data); err != nil {
		t.Fatal(err)
	}
	res, err := mutate.ComposeConnect(check.Snapshot, check.Cluster, data, "")
	if err != nil {
		t.Fatal(err)
	}
	return res.Connect
}

// TestCheckConnect judges SparkConnects as the applications their servers
// run: the example fits; a server whose template asks for more than a pod
// may, more executors than an app may run, and a namespace nearly full of
// live pods are refused, each naming what it is; nothing of spark-submit's
// rules in the operator applies.
func TestCheckConnect(t *testing.T) {
	check, _ := exampleCheck(t)
	ctx := context.Background()
	judge := func(conn *sparkv1alpha1.SparkConnect, live LiveState) []string {
		t.Helper()
		d, err := check.Connect(ctx, conn, Request{Operation: "CREATE"}, live)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, v := range d.Violations {
			got = append(got, v.Message)
		}
		return got
	}
	if got := judge(exampleConnect(t, check, nil), nil); len(got) != 0 {
		t.Fatalf("the example SparkConnect: %q", got)
	}
	// A server asking for 20 CPU, or only limited to them, which the API
	// server's defaults then request.
	for _, list := range []string{"requests", "limits"} {
		bigServer := exampleConnect(t, check, func(spec map[string]any) {
			c := spec["server"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
			c["resources"] = map[string]any{list: map[string]any{"cpu": "20", "memory": "8Gi"}}
		})
		if got := judge(bigServer, nil); !slices.ContainsFunc(got, func(m string) bool {
			return strings.HasPrefix(m, "quota: pod requests 20") && strings.HasSuffix(m, "[server pod]")
		}) {
			t.Errorf("a server's %s of 20 CPU: %q", list, got)
		}
	}
	wide := exampleConnect(t, check, func(spec map[string]any) {
		spec["dynamicAllocation"].(map[string]any)["maxExecutors"] = 50
	})
	if got := judge(wide, nil); !slices.ContainsFunc(got, func(m string) bool {
		return strings.HasPrefix(m, `quota: app "etl-notebooks" asks for up to 50 executors`)
	}) {
		t.Errorf("50 executors: %q", got)
	}
	live := TrackerOf([]LivePod{{Key: "etl/other", Namespace: "etl", Usage: Usage{CPUMilli: 195000, Pods: 1}}})
	if got := judge(exampleConnect(t, check, nil), live); !slices.ContainsFunc(got, func(m string) bool {
		return strings.HasPrefix(m, `quota: app "etl-notebooks" would bring namespace "etl" to`)
	}) {
		t.Errorf("with 195 CPU live: %q", got)
	}
	// A dependency spark-submit would read in the operator's pod is the
	// server's own here.
	local := exampleConnect(t, check, func(spec map[string]any) {
		spec["sparkConf"].(map[string]any)["spark.jars"] = "file:///etc/passwd"
	})
	if got := judge(local, nil); len(got) != 0 {
		t.Errorf("a local jar, which the server reads in its own pod: %q", got)
	}
}
