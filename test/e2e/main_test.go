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
	var err error
	cp, err = controlplane.Start(ctx, controlplane.Options{Cluster: cluster, Progress: os.Stderr,
		// What these plugins give a pod from its namespace's annotations is
		// the platform's (TestNamespacePlacementIsThePlatforms); every
		// other test runs with them too, as a cluster that enables them.
		AdmissionPlugins: []string{"PodNodeSelector", "PodTolerationRestriction"},
		// As a multi-tenancy tool's tenant label (TestToolManagedNamespaceLabels).
		ToolManagedNamespaceLabels: []string{toolManagedLabel},
		// The API server's PodSecurity admission and the webhook exempt one
		// user (TestPodSecurityExemptUser); nothing else changes for the
		// other tests.
		PodSecurity: podSecurityConfiguration})
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
	return m.Run()
}
