package overlay

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// sidecarProbes checks a sidecar's probes and lifecycle hooks by the API
// server's rules for every pod (k8s.io/kubernetes's validateProbe,
// validateHandler and validateLifecycle, which this follows), on the
// values after its defaulting: a probe's zero counts and an HTTP probe's
// empty path and scheme are given defaults, so only what stays wrong is
// refused. Each probe or hook has one handler, well formed; no count is
// negative; a liveness or startup probe succeeds at once (successThreshold
// 1); a readiness probe has no termination grace period of its own.
func (v *validator) sidecarProbes(p *field.Path, c *corev1.Container) {
	for _, probe := range []struct {
		name       string
		probe      *corev1.Probe
		onceOnly   bool // successThreshold must be 1
		noOwnGrace bool
	}{{"livenessProbe", c.LivenessProbe, true, false}, {"readinessProbe", c.ReadinessProbe, false, true}, {"startupProbe", c.StartupProbe, true, false}} {
		if probe.probe != nil {
			v.probe(p.Child(probe.name), probe.probe, probe.onceOnly, probe.noOwnGrace)
		}
	}
	if l := c.Lifecycle; l != nil {
		lp := p.Child("lifecycle")
		for _, hook := range []struct {
			name    string
			handler *corev1.LifecycleHandler
		}{{"postStart", l.PostStart}, {"preStop", l.PreStop}} {
			if h := hook.handler; h != nil {
				v.handler(lp.Child(hook.name), handlerOf{exec: h.Exec, httpGet: h.HTTPGet, tcpSocket: h.TCPSocket, sleep: h.Sleep})
			}
		}
	}
}

func (v *validator) probe(p *field.Path, probe *corev1.Probe, onceOnly, noOwnGrace bool) {
	h := &probe.ProbeHandler
	v.handler(p, handlerOf{exec: h.Exec, httpGet: h.HTTPGet, tcpSocket: h.TCPSocket, grpc: h.GRPC})
	for _, n := range []struct {
		name  string
		value int32
	}{{"initialDelaySeconds", probe.InitialDelaySeconds}, {"timeoutSeconds", probe.TimeoutSeconds}, {"periodSeconds", probe.PeriodSeconds},
		{"successThreshold", probe.SuccessThreshold}, {"failureThreshold", probe.FailureThreshold}} {
		if n.value < 0 {
			v.invalid(p.Child(n.name), n.value, "must be greater than or equal to 0")
		}
	}
	if onceOnly && probe.SuccessThreshold > 1 { // 0 is given the default, 1
		v.invalid(p.Child("successThreshold"), probe.SuccessThreshold, "must be 1")
	}
	if g := probe.TerminationGracePeriodSeconds; g != nil {
		switch {
		case noOwnGrace:
			v.forbidden(p.Child("terminationGracePeriodSeconds"), "must not be set for readinessProbes")
		case *g <= 0:
			v.invalid(p.Child("terminationGracePeriodSeconds"), *g, "must be greater than 0")
		}
	}
}

// handlerOf is what a probe or a lifecycle hook does: exactly one of
// these is set.
type handlerOf struct {
	exec      *corev1.ExecAction
	httpGet   *corev1.HTTPGetAction
	tcpSocket *corev1.TCPSocketAction
	grpc      *corev1.GRPCAction
	sleep     *corev1.SleepAction
}

func (v *validator) handler(p *field.Path, h handlerOf) {
	set := 0
	one := func(name string, isSet bool) bool {
		if !isSet {
			return false
		}
		if set++; set > 1 {
			v.forbidden(p.Child(name), "may not specify more than 1 handler type")
			return false
		}
		return true
	}
	if one("exec", h.exec != nil) && len(h.exec.Command) == 0 {
		v.required(p.Child("exec", "command"), "the command to run")
	}
	if one("httpGet", h.httpGet != nil) {
		v.httpGet(p.Child("httpGet"), h.httpGet)
	}
	if one("tcpSocket", h.tcpSocket != nil) {
		v.portNumOrName(p.Child("tcpSocket", "port"), h.tcpSocket.Port)
	}
	if one("grpc", h.grpc != nil) {
		// Its mode is not judged: the API server drops the field where its
		// feature gate is off.
		v.invalidPort(p.Child("grpc", "port"), h.grpc.Port)
	}
	if one("sleep", h.sleep != nil) && h.sleep.Seconds < 0 {
		v.invalid(p.Child("sleep"), h.sleep.Seconds, "must be greater than or equal to 0")
	}
	if set == 0 {
		v.required(p, "must specify a handler type: exec, httpGet, tcpSocket, grpc (probes) or sleep (lifecycle hooks)")
	}
}

// httpSchemes are the schemes of an HTTP probe or hook.
var httpSchemes = []corev1.URIScheme{corev1.URISchemeHTTP, corev1.URISchemeHTTPS}

func (v *validator) httpGet(p *field.Path, h *corev1.HTTPGetAction) {
	v.portNumOrName(p.Child("port"), h.Port)
	if s := h.Scheme; s != "" && !slices.Contains(httpSchemes, s) { // "" is given HTTP
		v.errs = append(v.errs, field.NotSupported(p.Child("scheme"), s, httpSchemes))
	}
	for _, header := range h.HTTPHeaders {
		v.addAll(p.Child("httpHeaders"), header.Name, validation.IsHTTPHeaderName(header.Name))
	}
	// Its protocol is not judged: the API server drops the field where
	// its feature gate is off, and takes any value there.
}

// portNumOrName checks a probe's port: a number in range, or the name of
// a port (IANA_SVC_NAME).
func (v *validator) portNumOrName(p *field.Path, port intstr.IntOrString) {
	if port.Type == intstr.String {
		v.addAll(p, port.StrVal, validation.IsValidPortName(port.StrVal))
		return
	}
	v.invalidPort(p, port.IntVal)
}
