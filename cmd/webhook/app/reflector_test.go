package app

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestTimeoutOf: a list or watch that asks for a timeout gets it; one
// that asks for none has none.
func TestTimeoutOf(t *testing.T) {
	seconds := int64(300)
	if got := timeoutOf(metav1.ListOptions{TimeoutSeconds: &seconds}); got != 5*time.Minute {
		t.Errorf("timeout %s, want 5m", got)
	}
	if got := timeoutOf(metav1.ListOptions{}); got != 0 {
		t.Errorf("timeout %s, want none", got)
	}
}
