package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	webhookapp "github.com/strata-dev/strata/cmd/webhook/app"
	"github.com/strata-dev/strata/pkg/mutate"
	"github.com/strata-dev/strata/test/controlplane"
	"github.com/strata-dev/strata/test/proc"
)

// largeRequestBytes is how large the burst's SparkApplication is made:
// just under the API server's largest request body (3 MiB), the most a
// tenant can have it send the webhook in one review.
const largeRequestBytes = 3<<20 - 64<<10

// burst is what a burst of large reviews cost the webhook.
type burst struct {
	path         string
	sent, errors int
	// timedOut are the requests still shed when their call's 10 s ran
	// out: the API server refuses those, as it does any webhook call that
	// times out.
	timedOut       int
	shed           float64
	elapsed        time.Duration
	cpu            time.Duration
	peakRSS, start int64
	reviewBytes    int
}

// largeApp is the example SparkApplication with sparkConf keys added until
// its review is about largeRequestBytes (at most mutate.MaxConfKeys keys).
func largeApp() (map[string]any, error) {
	data, err := os.ReadFile(filepath.Join(controlplane.RepoRoot(), "examples", "apps", "etl-report.yaml"))
	if err != nil {
		return nil, err
	}
	var app map[string]any
	if err := yaml.Unmarshal(data, &app); err != nil {
		return nil, fmt.Errorf("etl-report.yaml: %w", err)
	}
	spec, _ := app["spec"].(map[string]any)
	conf, _ := spec["sparkConf"].(map[string]any)
	if conf == nil {
		conf = map[string]any{}
		spec["sparkConf"] = conf
	}
	size := len(data)
	for i := 0; size < largeRequestBytes && len(conf) < mutate.MaxConfKeys; i++ {
		k, v := fmt.Sprintf("spark.sql.custom.setting%05d", i), "some-value-of-a-setting"
		conf[k] = v
		size += len(k) + len(v) + 6 // quotes, colon, comma
	}
	return app, nil
}

// appReview is an AdmissionReview creating app, named for i.
func appReview(app map[string]any, i int) ([]byte, error) {
	meta, _ := app["metadata"].(map[string]any)
	meta["name"] = fmt.Sprintf("large-%d", i)
	raw, err := json.Marshal(app)
	if err != nil {
		return nil, err
	}
	ns, _ := meta["namespace"].(string)
	rev := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID:       types.UID(fmt.Sprintf("large-%d", i)),
			Kind:      metav1.GroupVersionKind{Group: "sparkoperator.k8s.io", Version: "v1beta2", Kind: "SparkApplication"},
			Resource:  metav1.GroupVersionResource{Group: "sparkoperator.k8s.io", Version: "v1beta2", Resource: "sparkapplications"},
			Name:      meta["name"].(string),
			Namespace: ns,
			Operation: admissionv1.Create,
			UserInfo:  userInfo,
		},
	}
	rev.Request.Object.Raw = raw
	return json.Marshal(rev)
}

// largeBurst sends n reviews of a large SparkApplication at once to each
// of the SparkApplication handlers in turn, each retried on 429 as the API
// server does, and reports what each burst cost the webhook: its CPU, its
// peak resident memory (sampled every 5 ms), the requests shed and those
// that failed or timed out.
func largeBurst(ctx context.Context, srv *server, n int) ([]burst, error) {
	app, err := largeApp()
	if err != nil {
		return nil, err
	}
	bodies := make([][]byte, n)
	for i := range bodies {
		if bodies[i], err = appReview(app, i); err != nil {
			return nil, err
		}
	}
	var out []burst
	for _, path := range []string{webhookapp.AppPath, webhookapp.AppPolicyPath} {
		b := burst{path: path, sent: n, reviewBytes: len(bodies[0])}
		before, err := proc.Read(srv.pid)
		if err != nil {
			return nil, err
		}
		b.start = before.RSS
		shedBefore, _ := metricValue(ctx, srv.metrics, "strata_admissions_shed_total")
		var peak atomic.Int64
		peak.Store(before.RSS)
		stop := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			t := time.NewTicker(5 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					if s, err := proc.Read(srv.pid); err == nil && s.RSS > peak.Load() {
						peak.Store(s.RSS)
					}
				}
			}
		}()
		start := time.Now()
		var wg sync.WaitGroup
		var failed, timedOut atomic.Int64
		for _, body := range bodies {
			wg.Go(func() {
				sent := time.Now()
				if _, err := send(ctx, srv, path, body); err != nil {
					if time.Since(sent) >= 10*time.Second {
						timedOut.Add(1)
					} else {
						failed.Add(1)
					}
				}
			})
		}
		wg.Wait()
		b.elapsed = time.Since(start)
		close(stop)
		<-sampled
		after, err := proc.Read(srv.pid)
		if err != nil {
			return nil, err
		}
		shedAfter, _ := metricValue(ctx, srv.metrics, "strata_admissions_shed_total")
		b.cpu, b.peakRSS, b.errors, b.timedOut, b.shed = after.CPU-before.CPU, max(peak.Load(), after.RSS), int(failed.Load()), int(timedOut.Load()), shedAfter-shedBefore
		out = append(out, b)
		// Let the collector give back what the burst held before the next.
		if err := settle(ctx, srv.pid, 15*time.Second); err != nil {
			return nil, err
		}
	}
	return out, nil
}
