package e2e

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
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

// TestLayersAreWatchedOnce: the webhook watches Layers once, with its own
// watch; nothing it does at startup starts controller-runtime's informer of
// Layers beside it (a read of a Layer through the manager's client would),
// which would decode and hold every Layer a second time. TestShadowLayer
// checks the same after the shadow reports have read and written Layers.
func TestLayersAreWatchedOnce(t *testing.T) {
	layersWatchedOnce(t)
}

// layersWatchedOnce fails t unless the API server serves one watch of
// Layers (its count of the long-running requests it serves): the
// webhook's.
func layersWatchedOnce(t *testing.T) {
	t.Helper()
	httpClient, err := rest.HTTPClientFor(cp.Config)
	if err != nil {
		t.Fatal(err)
	}
	watches := func() float64 {
		t.Helper()
		resp, err := httpClient.Get(strings.TrimRight(cp.Config.Host, "/") + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		parser := expfmt.NewTextParser(model.UTF8Validation)
		families, err := parser.TextToMetricFamilies(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		n := 0.0
		for _, m := range families["apiserver_longrunning_requests"].GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["group"] == "strata.dev" && labels["resource"] == "layers" && labels["verb"] == "WATCH" {
				n += m.GetGauge().GetValue()
			}
		}
		return n
	}
	var n float64
	// A webhook an earlier test stopped may take a moment to close its own.
	if err := waitFor(15*time.Second, func() bool { n = watches(); return n == 1 }); err != nil {
		t.Fatalf("the API server serves %v watches of Layers, want the webhook's one", n)
	}
}
