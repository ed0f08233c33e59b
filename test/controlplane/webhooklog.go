package controlplane

import (
	"io"
	"slices"

	"github.com/go-logr/logr"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	crzap "sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// keptLoggers are the webhook's loggers whose informational lines a test
// log keeps: what the webhook serves and when (the snapshot controller,
// the policy store), not what it does for each admission, which would
// make the log as large as the load and its writing part of the timing
// the tests measure.
var keptLoggers = []string{"snapshot", "policies"}

// webhookLogger is the logger the in-process webhooks write to w: as JSON,
// errors from anywhere (without stack traces: a failing request's error is
// logged once per request) and information from keptLoggers only.
func webhookLogger(w io.Writer) logr.Logger {
	return crzap.New(crzap.WriteTo(w), crzap.StacktraceLevel(zapcore.PanicLevel),
		crzap.RawZapOpts(zap.WrapCore(func(c zapcore.Core) zapcore.Core { return keptCore{c} })))
}

// keptCore passes on the entries webhookLogger keeps.
type keptCore struct{ zapcore.Core }

func (k keptCore) With(fields []zapcore.Field) zapcore.Core { return keptCore{k.Core.With(fields)} }

func (k keptCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if e.Level < zapcore.ErrorLevel && !slices.Contains(keptLoggers, e.LoggerName) {
		return ce
	}
	return k.Core.Check(e, ce)
}
