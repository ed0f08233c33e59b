package e2e

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"
)

// TestLayerWatchEventsAreOfTheExpectedForm: the API server writes each
// event of a Layer watch as {"type":T,"object":{"apiVersion":…,"kind":
// "Layer",…}}, the form the webhook's Layer watch reads in one pass
// (cmd/webhook/app/layerjson.go). Were that to change, the watch would
// still decode every event, the general way, at several times the cost;
// this test says so.
func TestLayerWatchEventsAreOfTheExpectedForm(t *testing.T) {
	httpClient, err := rest.HTTPClientFor(cp.Config)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		strings.TrimRight(cp.Config.Host, "/")+"/apis/strata.dev/v1alpha1/layers?watch=true&resourceVersion=0", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("watching Layers: HTTP %d", resp.StatusCode)
	}
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"type":"ADDED","object":{"apiVersion":"strata.dev/v1alpha1","kind":"Layer",`
	if !strings.HasPrefix(line, want) || !strings.HasSuffix(line, "}}\n") {
		t.Fatalf("the first event of a Layer watch is\n%.200s\nwant it to begin %s", line, want)
	}
}
