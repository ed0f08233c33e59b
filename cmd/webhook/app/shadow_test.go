package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

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
	if got.AuditAnnotations[auditLayersKey] != "ns-etl" {
		t.Errorf("audit annotations %v, want the layers applied beside the Shadow one's", got.AuditAnnotations)
	}
	if _, ok := want.AuditAnnotations[auditShadowKey]; ok {
		t.Error("a shadow audit annotation without a Shadow layer")
	}
	// A pod only the Shadow layer matches: its audit annotation alone.
	only, _, _ := newTestHandlers(t, shadow)
	resp := only.Handle(context.Background(), podRequest(t, p))
	if _, ok := resp.AuditAnnotations[auditLayersKey]; !resp.Allowed || ok || !strings.Contains(resp.AuditAnnotations[auditShadowKey], "team-v2") {
		t.Errorf("a pod only a Shadow layer matches: allowed %v, audit annotations %v", resp.Allowed, resp.AuditAnnotations)
	}
	for pod, name := range map[*corev1.Pod]string{
		{ObjectMeta: metav1.ObjectMeta{Name: "exec-1", GenerateName: "app-"}}: "exec-1",
		{ObjectMeta: metav1.ObjectMeta{GenerateName: "app-"}}:                 "app-",
	} {
		if got := podName(pod); got != name {
			t.Errorf("pod named %q, want %q", got, name)
		}
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

// TestShadowAuditFillsItsBound: a change that fits exactly is kept.
func TestShadowAuditFillsItsBound(t *testing.T) {
	c := mutate.ShadowChange{Layer: "l", Field: "metadata.labels.a"}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	c.Field += strings.Repeat("a", maxShadowAudit-64-1-len(b)) // the envelope, the comma
	var out struct {
		Changes   []json.RawMessage `json:"changes"`
		Truncated int               `json:"truncated"`
	}
	if err := json.Unmarshal([]byte(shadowAudit([]mutate.ShadowChange{c})), &out); err != nil || len(out.Changes) != 1 || out.Truncated != 0 {
		t.Errorf("a change that fits: %v, %d kept, %d left out", err, len(out.Changes), out.Truncated)
	}
}

// TestShadowRecorder: each replica writes its own entry of a Shadow
// layer's status (pods it saw changed, per field, and a few of them), and
// keeps every other replica's; a layer nothing changed since the last
// write is not written again; a write that fails is tried again at the
// next.
func TestShadowRecorder(t *testing.T) {
	scheme, err := NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	layer := teamLayer()
	layer.Name = "v2"
	writes, failWrites := 0, false
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(&layer).WithStatusSubresource(&v1alpha1.Layer{}).
		WithInterceptorFuncs(interceptor.Funcs{SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			writes++
			if failWrites {
				return errors.New("API server unavailable")
			}
			return c.SubResource(sub).Update(ctx, obj, opts...)
		}}).Build()
	a := NewShadowRecorder(c, "replica-a", time.Hour, logr.Discard())
	b := NewShadowRecorder(c, "replica-b", time.Hour, logr.Discard())
	change := func(fields ...string) []mutate.ShadowChange {
		var out []mutate.ShadowChange
		for _, f := range fields {
			out = append(out, mutate.ShadowChange{Layer: "v2", Field: f})
		}
		return out
	}
	for i := range maxShadowSamples + 2 {
		a.Record(fmt.Sprintf("etl/exec-%d", i), change("metadata.labels.tier", "spec.priorityClassName"))
	}
	a.Record("etl/driver", change("metadata.labels.tier"))
	a.flush(ctx)
	b.Record("web/exec-0", change("spec.priorityClassName"))
	b.flush(ctx)
	status := func() map[string]string {
		t.Helper()
		var l v1alpha1.Layer
		if err := c.Get(ctx, client.ObjectKey{Name: "v2"}, &l); err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, r := range l.Status.Shadow {
			var fields []string
			for _, f := range r.Fields {
				fields = append(fields, fmt.Sprintf("%s=%d", f.Field, f.Pods))
			}
			out[r.Replica] = fmt.Sprintf("%d pods %v %d samples", r.Pods, fields, len(r.Samples))
		}
		return out
	}
	want := map[string]string{
		"replica-a": fmt.Sprintf("%d pods [metadata.labels.tier=%d spec.priorityClassName=%d] %d samples",
			maxShadowSamples+3, maxShadowSamples+3, maxShadowSamples+2, maxShadowSamples),
		"replica-b": "1 pods [spec.priorityClassName=1] 1 samples",
	}
	if got := status(); !reflect.DeepEqual(got, want) {
		t.Fatalf("status %v, want %v", got, want)
	}
	if a.flush(ctx); writes != 2 {
		t.Fatalf("%d writes, want 2: a layer nothing changed was written again", writes)
	}
	failWrites = true
	b.Record("web/exec-1", change("spec.priorityClassName"))
	b.flush(ctx)
	failWrites = false
	b.flush(ctx)
	want["replica-b"] = "2 pods [spec.priorityClassName=2] 2 samples"
	if got := status(); !reflect.DeepEqual(got, want) {
		t.Fatalf("after a failed write and the next: status %v, want %v", got, want)
	}
}

// TestShadowRecorderReplica: a replica is named by POD_NAME, else by its
// host name.
func TestShadowRecorderReplica(t *testing.T) {
	t.Setenv("POD_NAME", "strata-webhook-7f9c")
	if r := NewShadowRecorder(nil, "", time.Hour, logr.Discard()); r.replica != "strata-webhook-7f9c" {
		t.Errorf("replica %q, want POD_NAME's", r.replica)
	}
	t.Setenv("POD_NAME", "")
	host, _ := os.Hostname()
	if r := NewShadowRecorder(nil, "", time.Hour, logr.Discard()); r.replica != host {
		t.Errorf("replica %q, want the host name %q", r.replica, host)
	}
	if r := NewShadowRecorder(nil, "given", time.Hour, logr.Discard()); r.replica != "given" {
		t.Errorf("replica %q, want the one given", r.replica)
	}
}
