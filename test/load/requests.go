package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	jsonpatch "github.com/evanphx/json-patch/v5"
	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	webhookapp "github.com/strata-dev/strata/cmd/webhook/app"
	"github.com/strata-dev/strata/test/controlplane"
)

// paths are where each handler is served; pod is mutate then validate.
var paths = map[string]string{
	"noop":     webhookapp.NoopPath,
	"mutate":   webhookapp.PodPath,
	"validate": webhookapp.PodPolicyPath,
	"pod":      "",
}

// requests builds the AdmissionReviews of the load: the example executor
// as its driver creates it (one driver every 20 pods, each 20 pods one
// app), with a unique name and uid per request. Mutate and noop get the pod
// as created; validate gets it as the mutating webhook left it (the
// webhook's own patch, applied once per template).
type requests struct {
	created  [2]*corev1.Pod // driver, executor
	composed [2]*corev1.Pod
}

func newRequests(ctx context.Context, srv *server) (*requests, error) {
	r := &requests{}
	for i, file := range []string{"driver.yaml", "executor.yaml"} {
		pod, err := readPod(filepath.Join(controlplane.RepoRoot(), "examples", "pods", file))
		if err != nil {
			return nil, err
		}
		r.created[i] = pod
		if r.composed[i], err = composeWith(ctx, srv, pod); err != nil {
			return nil, fmt.Errorf("composing %s with the webhook: %w", file, err)
		}
	}
	return r, nil
}

func readPod(file string) (*corev1.Pod, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pod := &corev1.Pod{}
	if err := yaml.UnmarshalStrict(data, pod); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return pod, nil
}

// composeWith asks the mutating handler for its patch and applies it.
func composeWith(ctx context.Context, srv *server, pod *corev1.Pod) (*corev1.Pod, error) {
	body, err := review(pod, "compose-0")
	if err != nil {
		return nil, err
	}
	resp, err := send(ctx, srv, webhookapp.PodPath, body)
	if err != nil {
		return nil, err
	}
	if !resp.Allowed {
		return nil, fmt.Errorf("not allowed: %v", resp.Result)
	}
	raw, err := json.Marshal(pod)
	if err != nil {
		return nil, err
	}
	if len(resp.Patch) > 0 {
		patch, err := jsonpatch.DecodePatch(resp.Patch)
		if err != nil {
			return nil, err
		}
		if raw, err = patch.Apply(raw); err != nil {
			return nil, err
		}
	}
	out := &corev1.Pod{}
	return out, json.Unmarshal(raw, out)
}

// body is the AdmissionReview of request i for handler h.
func (r *requests) body(h string, i int) ([]byte, error) {
	t := 1
	if i%20 == 0 {
		t = 0
	}
	src := r.created[t]
	if h == "validate" {
		src = r.composed[t]
	}
	pod := src.DeepCopy()
	pod.Name = fmt.Sprintf("%s-load-%d", src.Name, i)
	pod.Labels["spark-app-selector"] = fmt.Sprintf("spark-load-%d", i/20)
	return review(pod, fmt.Sprintf("%s-%d", h, i))
}

// bodies builds n request bodies for h (two per pod for "pod").
func (r *requests) bodies(h string, n int) ([][2][]byte, error) {
	out := make([][2][]byte, n)
	for i := range out {
		switch h {
		case "pod":
			m, err := r.body("mutate", i)
			if err != nil {
				return nil, err
			}
			v, err := r.body("validate", i)
			if err != nil {
				return nil, err
			}
			out[i] = [2][]byte{m, v}
		default:
			b, err := r.body(h, i)
			if err != nil {
				return nil, err
			}
			out[i][0] = b
		}
	}
	return out, nil
}

// review is a CREATE AdmissionReview of pod, as the API server sends it.
func review(pod *corev1.Pod, uid string) ([]byte, error) {
	raw, err := json.Marshal(pod)
	if err != nil {
		return nil, err
	}
	rev := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID:       types.UID(uid),
			Kind:      metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
			Resource:  metav1.GroupVersionResource{Version: "v1", Resource: "pods"},
			Name:      pod.Name,
			Namespace: pod.Namespace,
			Operation: admissionv1.Create,
			UserInfo:  userInfo,
		},
	}
	rev.Request.Object.Raw = raw
	return json.Marshal(rev)
}

// userInfo is who creates the load's pods: the driver's service account.
var userInfo = authenticationv1.UserInfo{Username: "system:serviceaccount:etl:spark",
	Groups: []string{"system:serviceaccounts", "system:serviceaccounts:etl", "system:authenticated"}}

// send posts one review and returns its response; an error for anything
// but a well-formed answer (a denial is an answer).
//
// As the API server's client does, a 429 or 5xx with Retry-After is sent
// again after that delay, within the webhook call's 10 s.
func send(ctx context.Context, srv *server, path string, body []byte) (*admissionv1.AdmissionResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		resp, retryAfter, err := post(ctx, srv, path, body)
		if retryAfter == 0 {
			return resp, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w (and the call's 10s passed)", err)
		case <-time.After(retryAfter):
		}
	}
}

// post sends one review; retryAfter is set when the answer asks to retry.
func post(ctx context.Context, srv *server, path string, body []byte) (_ *admissionv1.AdmissionResponse, retryAfter time.Duration, _ error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.base+path+"?timeout=10s", bytes.NewReader(body))
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, 0, err
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= http.StatusInternalServerError {
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
			return nil, time.Duration(secs) * time.Second, fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(data))
		}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(data))
	}
	var rev admissionv1.AdmissionReview
	if err := json.Unmarshal(data, &rev); err != nil {
		return nil, 0, fmt.Errorf("decoding the answer: %w", err)
	}
	if rev.Response == nil {
		return nil, 0, fmt.Errorf("an AdmissionReview without a response: %s", data)
	}
	if !rev.Response.Allowed && (rev.Response.Result == nil || rev.Response.Result.Code != http.StatusForbidden) {
		return nil, 0, fmt.Errorf("errored: %v", rev.Response.Result)
	}
	return rev.Response, 0, nil
}
