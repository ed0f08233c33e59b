package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/strata-dev/strata/pkg/overlay/quantity"
)

// maxReviewBytes is the largest AdmissionReview read: controller-runtime's
// admission.Webhook refuses a larger one.
const maxReviewBytes = 7 << 20

// refuseUnboundedQuantities answers an error of 400 Bad Request, as
// controller-runtime answers a review it cannot decode, before h reads the
// review, when the review's object or old object, read as objectType
// (what h decodes them as, whatever the review says), holds a quantity
// quantity.Parse refuses (checkReview). podReviews checks the reviews it
// decodes itself the same way.
func refuseUnboundedQuantities(objectType reflect.Type, h http.Handler) http.Handler {
	review := reviewTypeOf(objectType)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			h.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxReviewBytes+1))
		if err == nil && len(body) <= maxReviewBytes {
			if err := checkReview(body, review); err != nil {
				writeErrored(w, body, err)
				return
			}
		}
		// The handler reads what was read; past the bound, then the rest
		// of the body, or the error that stopped the reading.
		var rest io.Reader = bytes.NewReader(body)
		switch {
		case err != nil:
			rest = io.MultiReader(rest, errReader{err})
		case len(body) > maxReviewBytes:
			rest = io.MultiReader(rest, r.Body)
		}
		r2 := *r
		r2.Body = io.NopCloser(rest)
		h.ServeHTTP(w, &r2)
	})
}

// reviewTypeOf is an AdmissionReview's shape with its objects of
// objectType: what checkReview reads of it.
func reviewTypeOf(objectType reflect.Type) reflect.Type {
	request := reflect.StructOf([]reflect.StructField{
		{Name: "Object", Type: objectType, Tag: `json:"object"`},
		{Name: "OldObject", Type: objectType, Tag: `json:"oldObject"`},
	})
	return reflect.StructOf([]reflect.StructField{{Name: "Request", Type: request, Tag: `json:"request"`}})
}

// checkReview returns an error naming the first quantity of body, an
// AdmissionReview of type review (reviewTypeOf), that quantity.Parse
// refuses: decoding one would hold the request's goroutine, and an
// in-flight slot, for minutes (pkg/overlay/quantity). The API server
// sends none in a built-in object (it parses every quantity of one
// first), and a client that reaches the webhook's port without being the
// API server could send one. A tenant's custom object can hold one: the
// API server checks it against its CRD's schema only after the mutating
// webhooks, and a schema's pattern of quantities takes a huge exponent.
// Every body is scanned (quantity.MayHoldUnbounded, a few microseconds);
// only one that may hold such a number is read as the review
// (quantity.CheckJSON).
func checkReview(body []byte, review reflect.Type) error {
	if !quantity.MayHoldUnbounded(body) {
		return nil
	}
	if err := quantity.CheckJSON(body, review); err != nil {
		return fmt.Errorf("the AdmissionReview's %w", err)
	}
	return nil
}

// writeErrored answers err to body, a review left undecoded, as
// controller-runtime answers a review it cannot decode: an AdmissionReview
// whose response is an error of 400 Bad Request, with the request's uid.
// The API server takes an answer of another uid for no answer ("received
// invalid webhook response"), a failed call it reports as an internal
// error, with no word of the quantity. The uid is read alone: every other
// field is skipped, unparsed.
func writeErrored(w http.ResponseWriter, body []byte, err error) {
	resp := admission.Errored(http.StatusBadRequest, err)
	var head struct {
		Request struct {
			UID types.UID `json:"uid"`
		} `json:"request"`
	}
	_ = json.Unmarshal(body, &head) // a body that is not JSON has no uid to echo
	resp.UID = head.Request.UID
	review := admissionv1.AdmissionReview{Response: &resp.AdmissionResponse}
	review.SetGroupVersionKind(admissionv1.SchemeGroupVersion.WithKind("AdmissionReview"))
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(review) // a failed write is the connection's
}
