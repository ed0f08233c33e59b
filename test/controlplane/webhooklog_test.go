package controlplane

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestWebhookLogKeepsWhatIsServed: the snapshot controller's and the
// policy store's lines are kept, an admission's information is not, an
// error is, from anywhere, without a stack trace.
func TestWebhookLogKeepsWhatIsServed(t *testing.T) {
	var out bytes.Buffer
	log := webhookLogger(&out)
	log.WithName("snapshot").Info("serving new snapshot", "generation", 7)
	log.WithName("policies").Info("serving policies")
	log.WithName("admission").Info("composed pod")
	log.WithName("admission").V(1).Info("composed pod, verbosely")
	log.Info("policy violation (dryrun)")
	log.WithName("admission").Error(errors.New("boom"), "cannot decode")
	got := out.String()
	for _, kept := range []string{`"serving new snapshot"`, `"generation":7`, `"serving policies"`, `"cannot decode"`, `"boom"`} {
		if !strings.Contains(got, kept) {
			t.Errorf("the log lacks %s:\n%s", kept, got)
		}
	}
	for _, dropped := range []string{"composed pod", "policy violation", "stacktrace"} {
		if strings.Contains(got, dropped) {
			t.Errorf("the log holds %q:\n%s", dropped, got)
		}
	}
	if lines := strings.Count(got, "\n"); lines != 3 {
		t.Errorf("%d lines, want 3:\n%s", lines, got)
	}
}
