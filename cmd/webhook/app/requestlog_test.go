package app

import (
	"errors"
	"testing"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// TestRequestLoggerLogsWhatTheDefaultDoes: a request's logger writes the
// same lines as controller-runtime's default constructor (every value of
// the request, names, later values, errors, levels), and hands its values
// to the sink only when it writes one.
func TestRequestLoggerLogsWhatTheDefaultDoes(t *testing.T) {
	req := &admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID: "uid-1", Namespace: "etl", Name: "driver",
		Resource: metav1.GroupVersionResource{Version: "v1", Resource: "pods"},
		UserInfo: authenticationv1.UserInfo{Username: "alice"},
	}}
	write := func(l logr.Logger) {
		l.Info("composed", "layers", 3)
		l.V(1).Info("hidden")
		l.WithName("policy").WithValues("policy", "quota").Error(errors.New("boom"), "failed")
	}
	var want, got []string
	base := func(lines *[]string) logr.Logger {
		return funcr.New(func(prefix, args string) { *lines = append(*lines, prefix+" "+args) }, funcr.Options{})
	}
	write(admission.DefaultLogConstructor(base(&want), req))

	counting := &countingSink{LogSink: base(&got).GetSink()}
	l := requestLogger(logr.New(counting), req)
	if counting.withValues != 0 {
		t.Fatalf("the request's values reached the sink %d times before anything was logged", counting.withValues)
	}
	if l.V(1).Enabled() {
		t.Fatal("V(1) enabled; the base logs level 0 only")
	}
	write(l)
	if len(got) != len(want) || len(want) != 2 {
		t.Fatalf("logged\n%q\nthe default logs\n%q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d:\n%s\nthe default:\n%s", i, got[i], want[i])
		}
	}
}

// countingSink counts the values handed to a sink.
type countingSink struct {
	logr.LogSink
	withValues int
}

func (c *countingSink) WithValues(kv ...any) logr.LogSink {
	c.withValues++
	return c.LogSink.WithValues(kv...)
}
