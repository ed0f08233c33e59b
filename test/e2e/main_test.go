// Package e2e tests Strata against a real kube-apiserver and etcd, with the
// webhook registered over TLS from the manifests, creating pods through the
// API server as spark-submit does.
package e2e

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/test/controlplane"
)

// cp is the control plane every test shares. Tests run one after another;
// each restores the Layers it changes.
var cp *controlplane.ControlPlane

var cluster = mutate.Cluster{Name: "prod-a", Pool: "batch"}

// toolManagedLabel is the webhook's --tool-managed-namespace-labels here.
const toolManagedLabel = "e2e.strata.dev/tenant"

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// What the webhooks log of what they serve, printed when a test fails.
	logs, err := os.CreateTemp("", "strata-e2e-webhook-*.log")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	defer func() { _ = logs.Close() }()
	cp, err = controlplane.Start(ctx, controlplane.Options{Cluster: cluster, Progress: os.Stderr, WebhookLog: logs,
		// What these plugins give a pod from its namespace's annotations is
		// the platform's (TestNamespacePlacementIsThePlatforms); every
		// other test runs with them too, as a cluster that enables them.
		AdmissionPlugins: []string{"PodNodeSelector", "PodTolerationRestriction", "ExtendedResourceToleration"},
		// As a multi-tenancy tool's tenant label (TestToolManagedNamespaceLabels).
		ToolManagedNamespaceLabels: []string{toolManagedLabel},
		// The API server's PodSecurity admission and the webhook exempt one
		// user (TestPodSecurityExemptUser); nothing else changes for the
		// other tests. PodNodeSelector and PodTolerationRestriction give
		// every pod of a namespace without annotations the cluster's
		// default node selector and toleration, which no tenant may write
		// (TestClusterPlacementIsThePlatforms): every test's pods get them.
		// ResourceQuota lets a pod consume an FPGA, or run at one priority
		// class, only where a quota covers it (TestComposerPredictsLimitedResources);
		// no other test's pod holds either.
		PluginConfigs: map[string]string{"PodSecurity": podSecurityConfiguration,
			"PodNodeSelector": podNodeSelectorConfiguration, "PodTolerationRestriction": podTolerationsConfiguration,
			"ResourceQuota": resourceQuotaConfiguration}})
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	defer func() {
		if err := cp.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: stopping the control plane: %v\n", err)
		}
	}()
	if err := applyExampleRepo(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: applying examples/layers: %v\n", err)
		return 1
	}
	code := m.Run()
	if code != 0 {
		printTail(logs.Name(), 256<<10)
	} else {
		_ = os.Remove(logs.Name())
	}
	return code
}

// printTail writes the last limit bytes of the webhooks' log file to
// standard error: what they served before a test failed.
func printTail(file string, limit int64) {
	data, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: reading the webhooks' log: %v\n", err)
		return
	}
	if int64(len(data)) > limit {
		data = data[int64(len(data))-limit:]
	}
	fmt.Fprintf(os.Stderr, "e2e: the webhooks' log, its last %d bytes (all of it in %s):\n%s\n", len(data), file, data)
}
