package app

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// TestShadowAudit: the mutating handler answers a pod a Shadow layer
// matches exactly as without it, and says in an audit annotation what the
// layer would have changed.
func TestShadowAudit(t *testing.T) {
	shadow := teamLayer()
	shadow.Name = "team-v2"
	shadow.Spec.Tier = v1alpha1.ClusterOverrides
	shadow.Spec.Mode = v1alpha1.ModeShadow
	shadow.Spec.Config = &v1alpha1.Config{Labels: map[string]string{"logging": "v2"}}
	plain, _, _ := newTestHandlers(t, teamLayer())
	with, _, _ := newTestHandlers(t, teamLayer(), shadow)
	p := pod(map[string]string{v1alpha1.RoleLabel: "executor"})
	p.Namespace = "etl"
	want := plain.Handle(context.Background(), podRequest(t, p))
	got := with.Handle(context.Background(), podRequest(t, p))
	if !reflect.DeepEqual(opsOf(t, got), opsOf(t, want)) || got.Allowed != want.Allowed {
		t.Fatalf("a Shadow layer changed the answer:\n%v\n%v", opsOf(t, got), opsOf(t, want))
	}
	audit := got.AuditAnnotations[auditShadowKey]
	if !strings.Contains(audit, `"layer":"team-v2","field":"metadata.labels.logging"`) {
		t.Errorf("audit annotation = %q", audit)
	}
	if _, ok := want.AuditAnnotations[auditShadowKey]; ok {
		t.Error("a shadow audit annotation without a Shadow layer")
	}
}

// TestShadowAuditIsBounded: many changes are cut to the bound, with how
// many were left out.
func TestShadowAuditIsBounded(t *testing.T) {
	var changes []mutate.ShadowChange
	v := strings.Repeat("x", 100)
	for range 1000 {
		changes = append(changes, mutate.ShadowChange{Layer: "l", Field: "metadata.labels.a", Shadow: &v})
	}
	got := shadowAudit(changes)
	if len(got) > maxShadowAudit {
		t.Errorf("%d bytes, over %d", len(got), maxShadowAudit)
	}
	var out struct {
		Changes   []json.RawMessage `json:"changes"`
		Truncated int               `json:"truncated"`
	}
	if err := json.Unmarshal([]byte(got), &out); err != nil || out.Truncated == 0 || len(out.Changes)+out.Truncated != 1000 {
		t.Errorf("not valid, or not counted: %v %d+%d", err, len(out.Changes), out.Truncated)
	}
}
