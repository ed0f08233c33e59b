package app

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// selfSignedPEM is a CA certificate, PEM encoded.
func selfSignedPEM(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "client-ca"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func TestNewClientAuth(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	refused := prometheus.NewCounter(prometheus.CounterOpts{Name: "refused"})
	if a, err := newClientAuth("", nil, refused); a != nil || err != nil {
		t.Errorf("no CA file: %v, %v; want every client served", a, err)
	}
	for _, tc := range []struct{ name, file, want string }{
		{"missing", filepath.Join(dir, "absent.crt"), "--client-ca-file: open " + filepath.Join(dir, "absent.crt")},
		{"not PEM", write("garbage.crt", "not a certificate"), "garbage.crt holds no PEM certificate"},
	} {
		if _, err := newClientAuth(tc.file, nil, refused); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	a, err := newClientAuth(write("ca.crt", selfSignedPEM(t)), nil, refused)
	if err != nil {
		t.Fatal(err)
	}
	var cfg tls.Config
	a.configure(&cfg)
	// Verified when given; refused without one at the HTTP layer (require),
	// so the server's own readiness dial still handshakes.
	if cfg.ClientAuth != tls.VerifyClientCertIfGiven || cfg.ClientCAs == nil {
		t.Errorf("TLS config: client auth %v, CAs %v", cfg.ClientAuth, cfg.ClientCAs)
	}
}

func TestClientAuthRequire(t *testing.T) {
	chain := func(cn string, dns ...string) *tls.ConnectionState {
		leaf := &x509.Certificate{Subject: pkix.Name{CommonName: cn}, DNSNames: dns}
		return &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{leaf, {Subject: pkix.Name{CommonName: "ca"}}}}}
	}
	unverified := &tls.ConnectionState{PeerCertificates: []*x509.Certificate{{Subject: pkix.Name{CommonName: "kube-apiserver"}}}}
	tests := []struct {
		name   string
		names  []string
		state  *tls.ConnectionState
		status int
	}{
		{"plain HTTP", nil, nil, http.StatusUnauthorized},
		{"TLS without a certificate", nil, &tls.ConnectionState{}, http.StatusUnauthorized},
		{"a certificate no CA verified", nil, unverified, http.StatusUnauthorized},
		{"any verified certificate without --client-names", nil, chain("anyone"), http.StatusOK},
		{"common name listed", []string{"kube-apiserver"}, chain("kube-apiserver"), http.StatusOK},
		{"DNS name listed", []string{"apiserver.example"}, chain("x", "other.example", "apiserver.example"), http.StatusOK},
		{"name not listed", []string{"kube-apiserver"}, chain("tenant", "tenant.example"), http.StatusForbidden},
		{"names compared exactly", []string{"kube-apiserver"}, chain("Kube-Apiserver", "kube-apiserver.evil"), http.StatusForbidden},
		{"the CA's name does not count", []string{"ca"}, chain("tenant"), http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refused := prometheus.NewCounter(prometheus.CounterOpts{Name: "refused"})
			a := &clientAuth{pool: x509.NewCertPool(), names: tt.names, refused: refused}
			served := false
			h := a.require(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { served = true }))
			req := httptest.NewRequest(http.MethodPost, PodPolicyPath, strings.NewReader("{}"))
			req.TLS = tt.state
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status || served != (tt.status == http.StatusOK) {
				t.Errorf("status %d served %v (%s), want %d", rec.Code, served, rec.Body, tt.status)
			}
			if want := float64(map[bool]int{true: 0, false: 1}[tt.status == http.StatusOK]); testutil.ToFloat64(refused) != want {
				t.Errorf("refused counter %v, want %v", testutil.ToFloat64(refused), want)
			}
		})
	}
	var none *clientAuth
	h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	if got := none.require(h); got == nil {
		t.Error("without --client-ca-file the handler must be served as is")
	}
}
