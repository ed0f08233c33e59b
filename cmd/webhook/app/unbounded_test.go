package app

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
	"github.com/strata-dev/strata/test/fixtures"
)

// TestUnboundedQuantitiesAreRefused: a review that is not the API
// server's, whose pod or Layer holds a quantity resource.Quantity would
// take minutes to decode, is answered 400 at once, wherever the quantity
// and however it is written; a review the API server sends is served
// exactly as without the check, byte for byte, even when it holds such a
// number where no quantity is.
func TestUnboundedQuantitiesAreRefused(t *testing.T) {
	echo := &echoPods{}
	checked := podReviewServer(echo)
	webhook := reviewServer(echo)
	plain := podReviews{webhook: webhook, fallback: webhook}
	pod := fixtures.Pod(t, "executor.yaml")
	pod.Spec.Containers[0].Env = append(pod.Spec.Containers[0].Env, corev1.EnvVar{Name: "TOLERANCE", Value: "1e-300"})
	genuine := reviewOf(t, admissionv1.Update, "", pod, pod)
	sameAnswer(t, "a genuine review", serveReview(plain, genuine, ""), serveReview(checked, genuine, ""))

	huge := pod.DeepCopy()
	huge.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = resource.MustParse("42")
	marked := string(reviewOf(t, admissionv1.Create, "", huge, nil))
	if strings.Count(marked, `"cpu":"42"`) != 1 {
		t.Fatalf("the review holds the marker %d times", strings.Count(marked, `"cpu":"42"`))
	}
	for name, body := range map[string]string{
		"a string":                  strings.Replace(marked, `"cpu":"42"`, `"cpu":"1e-999999999"`, 1),
		"a number":                  strings.Replace(marked, `"cpu":"42"`, `"cpu":1.5e999999999`, 1),
		"an escaped e":              strings.Replace(marked, `"cpu":"42"`, `"cpu":"1\u0065-999999999"`, 1),
		"a long run of digits":      strings.Replace(marked, `"cpu":"42"`, `"cpu":"`+strings.Repeat("9", 100000)+`"`, 1),
		"the first of two requests": strings.Replace(marked, `"request":{`, `"request":{"object":{"spec":{"overhead":{"cpu":"1e-999999999"}}},`, 1),
	} {
		done := make(chan struct{})
		go func() {
			defer close(done)
			rec := serveReview(checked, []byte(body), "")
			var review admissionv1.AdmissionReview
			// With the request's uid: the API server takes an answer
			// of another for no answer at all.
			if err := json.Unmarshal(rec.Body.Bytes(), &review); err != nil || review.Response == nil || review.Response.Allowed ||
				review.Response.UID != "fuzz" || review.Response.Result.Code != http.StatusBadRequest ||
				!strings.Contains(review.Response.Result.Message, "a quantity of more than 64 characters or of an exponent beyond ±99") {
				t.Errorf("%s: answered %d %s, want an error of 400 naming the quantity", name, rec.Code, rec.Body.String())
			}
		}()
		select {
		case <-done:
		case <-time.After(time.Minute):
			t.Fatalf("%s: still serving after a minute", name)
		}
	}
	rec := serveReview(checked, []byte(strings.Replace(marked, `"cpu":"42"`, `"cpu":"1e-999999999"`, 1)), "")
	if want := "request.object.spec.containers[0].resources.requests.cpu"; !strings.Contains(rec.Body.String(), want) {
		t.Errorf("answered %q, want it to name %s", rec.Body.String(), want)
	}
}

// TestUnboundedQuantitiesByType: each handler's reviews are read as the
// type it decodes them as: a Layer's limits are quantities, a
// SparkApplication has none.
func TestUnboundedQuantitiesByType(t *testing.T) {
	served := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	body := []byte(`{"request":{"uid":"u-1","object":{"spec":{"config":{"limits":{"maxPodCPU":"1e-999999999"}},` +
		`"sparkConf":{"spark.executor.cores":"1e-999999999"}}}}}`)
	for _, c := range []struct {
		objectType reflect.Type
		want       int
	}{
		{reflect.TypeFor[v1alpha1.Layer](), http.StatusOK}, // an AdmissionReview with the error
		{reflect.TypeFor[sparkv1beta2.SparkApplication](), http.StatusNoContent},
	} {
		rec := serveReview(refuseUnboundedQuantities(c.objectType, served), body, "")
		if rec.Code != c.want {
			t.Errorf("%s: answered %d %s, want %d", c.objectType, rec.Code, rec.Body.String(), c.want)
		}
		if c.want == http.StatusOK && !strings.Contains(rec.Body.String(), `"uid":"u-1"`) {
			t.Errorf("%s: answered %s, without the request's uid", c.objectType, rec.Body.String())
		}
	}
	// A review of exactly the largest size read is checked; one byte
	// more is the handler's to refuse (controller-runtime reads no more).
	for size, want := range map[int]int{maxReviewBytes: http.StatusOK, maxReviewBytes + 1: http.StatusNoContent} {
		padded := append(body[:len(body)-1:len(body)-1], append(bytes.Repeat([]byte(" "), size-len(body)), '}')...)
		if rec := serveReview(refuseUnboundedQuantities(reflect.TypeFor[v1alpha1.Layer](), served), padded, ""); rec.Code != want {
			t.Errorf("a review of %d bytes: answered %d, want %d", len(padded), rec.Code, want)
		}
	}
}

// BenchmarkCheckReview is what checking quantities adds to serving a
// genuine review of the example executor (a handler that allows it).
func BenchmarkCheckReview(b *testing.B) {
	allow := admission.HandlerFunc(func(context.Context, admission.Request) admission.Response { return admission.Allowed("") })
	body := reviewOf(b, admissionv1.Create, "", fixtures.Pod(b, "executor.yaml"), nil)
	webhook := reviewServer(allow)
	for _, c := range []struct {
		name string
		h    http.Handler
	}{{"unchecked", podReviews{webhook: webhook, fallback: webhook}}, {"checked", podReviewServer(allow)}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if rec := serveReview(c.h, body, ""); rec.Code != http.StatusOK {
					b.Fatalf("answered %d", rec.Code)
				}
			}
		})
	}
}
