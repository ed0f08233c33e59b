package app

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	testingclock "k8s.io/utils/clock/testing"
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

// TestWatchBackoff: however many times in a row a watch fails (the API
// server restarting, then refusing while its RBAC warms), it tries again
// within 6 s, and starts from half a second once it has been well for the
// reset interval.
func TestWatchBackoff(t *testing.T) {
	clock := testingclock.NewFakeClock(time.Now())
	delay := watchBackoff().DelayWithReset(clock, 2*time.Minute)
	var most time.Duration
	for i := range 40 {
		d := delay()
		if d <= 0 || d > 6*time.Second {
			t.Fatalf("wait %d after errors in a row: %s, want within (0, 6s]", i+1, d)
		}
		most = max(most, d)
		clock.Step(d)
	}
	if most < 4*time.Second {
		t.Errorf("the longest wait was %s: the backoff never reached its 4 s cap", most)
	}
	clock.Step(3 * time.Minute)
	if d := delay(); d > 750*time.Millisecond {
		t.Errorf("first wait after a long quiet spell: %s, want the initial 0.5 s (up to half again)", d)
	}
}
