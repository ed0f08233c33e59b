package app

import (
	"slices"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// requestLogger is each admission's logger: controller-runtime's
// (admission.DefaultLogConstructor: the object, its namespace and name, the
// resource, the user, the request's uid), with those values handed to the
// log sink only when the admission logs something. zap encodes a logger's
// values when they are added, which cost every request ~4% of its CPU in
// the load tool's profile, and most admissions log nothing.
func requestLogger(base logr.Logger, req *admission.Request) logr.Logger {
	return admission.DefaultLogConstructor(deferValues(base), req)
}

// deferValues is base with the values it is given kept until it logs.
func deferValues(base logr.Logger) logr.Logger {
	sink := base.GetSink()
	if sink == nil {
		return base
	}
	// The wrapper is one more frame between the caller and the sink.
	if cd, ok := sink.(logr.CallDepthLogSink); ok {
		sink = cd.WithCallDepth(1)
	}
	return base.WithSink(&deferredValues{sink: sink})
}

// deferredValues is a logr.LogSink that keeps the values it is given and
// passes them to the sink it wraps with each message.
type deferredValues struct {
	sink   logr.LogSink
	values []any
}

// Init does nothing: the wrapped sink is initialized already.
func (d *deferredValues) Init(logr.RuntimeInfo) {}

// Enabled is the wrapped sink's: a disabled level costs nothing.
func (d *deferredValues) Enabled(level int) bool { return d.sink.Enabled(level) }

// Info logs through the wrapped sink with the kept values.
func (d *deferredValues) Info(level int, msg string, keysAndValues ...any) {
	d.applied().Info(level, msg, keysAndValues...)
}

// Error logs through the wrapped sink with the kept values.
func (d *deferredValues) Error(err error, msg string, keysAndValues ...any) {
	d.applied().Error(err, msg, keysAndValues...)
}

// WithValues keeps keysAndValues after the values kept already.
func (d *deferredValues) WithValues(keysAndValues ...any) logr.LogSink {
	return &deferredValues{sink: d.sink, values: append(slices.Clip(d.values), keysAndValues...)}
}

// WithName names the wrapped sink.
func (d *deferredValues) WithName(name string) logr.LogSink {
	return &deferredValues{sink: d.sink.WithName(name), values: d.values}
}

// WithCallDepth adds depth to the wrapped sink's, where it can.
func (d *deferredValues) WithCallDepth(depth int) logr.LogSink {
	if cd, ok := d.sink.(logr.CallDepthLogSink); ok {
		return &deferredValues{sink: cd.WithCallDepth(depth), values: d.values}
	}
	return d
}

func (d *deferredValues) applied() logr.LogSink {
	if len(d.values) == 0 {
		return d.sink
	}
	return d.sink.WithValues(d.values...)
}
