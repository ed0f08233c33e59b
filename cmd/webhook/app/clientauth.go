package app

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
)

// clientAuth admits only requests from a client that presents a
// certificate one of the --client-ca-file CAs signed, and, with
// --client-names, that names one of them: the API server, configured to
// present a client certificate to webhooks (AdmissionConfiguration's
// kubeConfigFile; README, "Who can call the webhook").
//
// Without it, anything that reaches the webhook's port can post
// AdmissionReviews. Answers reveal nothing a tenant could not learn by
// creating the pod, but every allowed pod review reserves quota for its
// namespace until --reservation-ttl (policy.Ledger): reviews posted
// directly could hold another tenant's namespace at its limit.
//
// The TLS layer verifies a certificate when one is given
// (VerifyClientCertIfGiven), and the HTTP layer refuses a request without
// one, rather than the handshake (RequireAndVerifyClientCert, which is what
// controller-runtime's ClientCAName sets): the server's own readiness check
// (StartedChecker) connects without a certificate, and a caller learns why
// it was refused. The CA file is read at start, like controller-runtime's
// ClientCAName, but from any path: the serving certificates' directory
// belongs to the certificate rotation.
type clientAuth struct {
	pool *x509.CertPool
	// names, when set, are the names (subject common name or DNS SAN) a
	// client certificate must carry one of.
	names []string
	// refused counts requests refused for their certificate.
	refused prometheus.Counter
}

// newClientAuth reads the CA bundle of caFile. It returns nil (every
// client served) when caFile is empty.
func newClientAuth(caFile string, names []string, refused prometheus.Counter) (*clientAuth, error) {
	if caFile == "" {
		return nil, nil
	}
	pemBytes, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("--client-ca-file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		return nil, fmt.Errorf("--client-ca-file: %s holds no PEM certificate", caFile)
	}
	return &clientAuth{pool: pool, names: names, refused: refused}, nil
}

// configure makes the server ask for a client certificate and verify the
// one it is given.
func (a *clientAuth) configure(c *tls.Config) {
	c.ClientCAs = a.pool
	c.ClientAuth = tls.VerifyClientCertIfGiven
}

var (
	errNoClientCertificate = errors.New("a client certificate signed by the webhook's --client-ca-file is required; " +
		"admission reviews are accepted from the API server only")
	errClientNotAllowed = errors.New("the client certificate does not name one of the webhook's --client-names")
)

// identify says whether the verified chains of a connection identify an
// allowed client.
func (a *clientAuth) identify(state *tls.ConnectionState) error {
	if state == nil || len(state.VerifiedChains) == 0 || len(state.VerifiedChains[0]) == 0 {
		return errNoClientCertificate
	}
	if len(a.names) == 0 {
		return nil
	}
	leaf := state.VerifiedChains[0][0]
	if slices.Contains(a.names, leaf.Subject.CommonName) {
		return nil
	}
	for _, name := range leaf.DNSNames {
		if slices.Contains(a.names, name) {
			return nil
		}
	}
	return errClientNotAllowed
}

// require serves h only to an allowed client; anything else is answered
// 401 (no certificate) or 403 (a certificate naming someone else) before
// the body is read.
func (a *clientAuth) require(h http.Handler) http.Handler {
	if a == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch err := a.identify(r.TLS); {
		case err == nil:
			h.ServeHTTP(w, r)
		case errors.Is(err, errNoClientCertificate):
			a.refused.Inc()
			http.Error(w, err.Error(), http.StatusUnauthorized)
		default:
			a.refused.Inc()
			http.Error(w, err.Error(), http.StatusForbidden)
		}
	})
}
