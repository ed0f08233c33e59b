package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	webhookapp "github.com/strata-dev/strata/cmd/webhook/app"
	"github.com/strata-dev/strata/pkg/policy"
	"github.com/strata-dev/strata/test/controlplane"
)

// TestOnlyTheAPIServerCallsTheWebhook posts pod reviews to the webhook
// directly, as a tenant pod that reaches its Service could: without a
// certificate, with one of another CA, and with one the API server's CA
// signed for another name. None is served, and none reserves quota; the
// API server, presenting its own certificate, is served.
func TestOnlyTheAPIServerCallsTheWebhook(t *testing.T) {
	ctx := context.Background()
	// The pod as the mutating webhook composes it: the policies allow it,
	// so a review of it that were served would reserve its quota.
	pod := composeWithCLI(t, examplePod(t, "executor.yaml", "direct-review"))
	raw, err := json.Marshal(pod)
	if err != nil {
		t.Fatal(err)
	}
	review := func(dryRun bool) []byte {
		b, err := json.Marshal(admissionv1.AdmissionReview{
			TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
			Request: &admissionv1.AdmissionRequest{
				UID: "direct", Operation: admissionv1.Create, DryRun: ptr(dryRun),
				Kind:      metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
				Resource:  metav1.GroupVersionResource{Version: "v1", Resource: "pods"},
				Namespace: pod.Namespace, Name: pod.Name,
				Object: runtime.RawExtension{Raw: raw},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(cp.WebhookServingCA()) {
		t.Fatal("no serving CA")
	}
	post := func(t *testing.T, cert *tls.Certificate, body []byte) (int, string, error) {
		t.Helper()
		cfg := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
		if cert != nil {
			cfg.Certificates = []tls.Certificate{*cert}
		}
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
		defer c.CloseIdleConnections()
		resp, err := c.Post("https://"+cp.WebhookAddress()+webhookapp.PodPolicyPath, "application/json", bytes.NewReader(body))
		if err != nil {
			return 0, "", err
		}
		defer func() { _ = resp.Body.Close() }()
		text, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(text), err
	}
	certificate := func(ca *controlplane.CA, name string) *tls.Certificate {
		cert, err := ca.Client(name)
		if err != nil {
			t.Fatal(err)
		}
		return &cert
	}
	otherCA, err := controlplane.NewCA()
	if err != nil {
		t.Fatal(err)
	}

	// Whether a reservation of this pod is held: other tests' reservations
	// end meanwhile, so the count of all of them says nothing.
	ledger := cp.Webhook.PodPolicy.Ledger
	key := pod.Namespace + "/" + pod.Name
	reservedHere := func() bool {
		return slices.Contains(ledger.MadeBefore(time.Now().Add(time.Hour), math.MaxInt32, policy.NewTracker()), key)
	}
	if reservedHere() {
		t.Fatalf("a reservation of %s before any review", key)
	}
	refused := metricValue(t, "strata_requests_unauthorized_total", nil)
	for _, tc := range []struct {
		name       string
		cert       *tls.Certificate
		wantStatus int // 0: the handshake fails
		wantBody   string
	}{
		{"no certificate", nil, http.StatusUnauthorized, "a client certificate signed by the webhook's --client-ca-file is required"},
		{"the API server's name from another CA", certificate(otherCA, controlplane.APIServerClientName), 0, ""},
		{"another name from the API server's CA", certificate(cp.ClientCA, "tenant"), http.StatusForbidden, "does not name one of the webhook's --client-names"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body, err := post(t, tc.cert, review(false))
			switch {
			case tc.wantStatus == 0 && err == nil:
				t.Fatalf("served (%d %s), want the handshake refused", status, body)
			case tc.wantStatus == 0:
				return
			case err != nil:
				t.Fatal(err)
			case status != tc.wantStatus || !strings.Contains(body, tc.wantBody):
				t.Errorf("answer %d %q, want %d containing %q", status, body, tc.wantStatus, tc.wantBody)
			}
		})
	}
	if reservedHere() {
		t.Errorf("a reservation of %s after the refused reviews, want none", key)
	}
	if got := metricValue(t, "strata_requests_unauthorized_total", nil); got != refused+2 {
		t.Errorf("strata_requests_unauthorized_total = %v, want %v", got, refused+2)
	}

	// The API server's certificate is served (a dry run: it reserves nothing)...
	status, body, err := post(t, certificate(cp.ClientCA, controlplane.APIServerClientName), review(true))
	if err != nil || status != http.StatusOK || !strings.Contains(body, `"allowed":true`) {
		t.Fatalf("the API server's certificate: %d %s %v, want 200 allowed", status, body, err)
	}
	// ...and so is the API server itself, which presents it: with
	// failurePolicy Fail, a refused call would refuse the pod.
	if err := cp.Client.Create(ctx, examplePod(t, "executor.yaml", "through-api-server"), client.DryRunAll); err != nil {
		t.Fatalf("creating a pod through the API server: %v", err)
	}
}
