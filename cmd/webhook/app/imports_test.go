package app

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestWebhookLeavesOutTheDryRunsPlugins: the API server applies its
// MutatingAdmissionPolicies before the webhook sees a pod, so the webhook
// links none of their machinery; only the composer's dry run does
// (package mutatingpolicy, which brings CEL and the API server's
// admission plugins).
func TestWebhookLeavesOutTheDryRunsPlugins(t *testing.T) {
	out, err := exec.CommandContext(t.Context(), "go", "list", "-deps", "github.com/strata-dev/strata/cmd/webhook").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "github.com/strata-dev/strata/cmd/webhook/app") {
		t.Fatalf("go list -deps lists no webhook package: %v", deps)
	}
	for _, dep := range deps {
		if dep == "github.com/strata-dev/strata/pkg/mutate/mutatingpolicy" || strings.HasPrefix(dep, "github.com/google/cel-go") ||
			strings.HasPrefix(dep, "k8s.io/apiserver/pkg/admission/plugin/policy/") {
			t.Errorf("the webhook links %s", dep)
		}
	}
}
