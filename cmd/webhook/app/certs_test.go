package app

import "testing"

// TestCertRotationNamespace: certificates are kept in the webhook's own
// namespace (POD_NAMESPACE), else in strata-system.
func TestCertRotationNamespace(t *testing.T) {
	t.Setenv("POD_NAMESPACE", "platform")
	if got := defaultCertRotationOptions().Namespace; got != "platform" {
		t.Errorf("namespace %q, want POD_NAMESPACE's", got)
	}
	t.Setenv("POD_NAMESPACE", "")
	if got := defaultCertRotationOptions().Namespace; got != "strata-system" {
		t.Errorf("namespace %q, want strata-system", got)
	}
}
