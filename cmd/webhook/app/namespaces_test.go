package app

import (
	"context"
	"net/http"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// namespaceReader answers Gets of Namespaces from a map, as the API server
// would for a Namespace the informer has not delivered yet.
type namespaceReader map[string]map[string]string

func (r namespaceReader) Get(_ context.Context, key client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
	labels, ok := r[key.Name]
	if !ok {
		return apierrors.NewNotFound(schema.GroupResource{Resource: "namespaces"}, key.Name)
	}
	ns := obj.(*corev1.Namespace)
	ns.ObjectMeta = metav1.ObjectMeta{Name: key.Name, Labels: labels}
	return nil
}

func (r namespaceReader) List(context.Context, client.ObjectList, ...client.ListOption) error {
	return nil
}

func TestNewNamespaceIsReadLive(t *testing.T) {
	l := v1alpha1.Layer{Spec: v1alpha1.LayerSpec{Tier: v1alpha1.NamespaceOverrides,
		Match:  v1alpha1.Match{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"group": "geo"}}},
		Config: &v1alpha1.Config{Labels: map[string]string{"team": "geo"}}}}
	l.Name = "ns-geo"
	h, _, _ := newTestHandlers(t, l)
	p := pod(map[string]string{"spark-role": "driver"})
	p.Namespace = "geo-new"
	if resp := h.Handle(context.Background(), podRequest(t, p)); len(opsOf(t, resp)) != 0 {
		t.Fatalf("without a reader the unknown namespace matched: %v", opsOf(t, resp))
	}
	h.Namespaces = namespaceReader{"geo-new": {"group": "geo"}}
	resp := h.Handle(context.Background(), podRequest(t, p))
	if len(opsOf(t, resp)) == 0 || resp.AuditAnnotations[auditLayersKey] != "ns-geo" {
		t.Fatalf("the namespace read live did not select the geo layer: %v %v", opsOf(t, resp), resp.AuditAnnotations)
	}
	// A namespace that cannot be read: refused as an error (503), never
	// composed without its layers.
	p.Namespace = "gone"
	if resp := h.Handle(context.Background(), podRequest(t, p)); resp.Allowed || resp.Result.Code != http.StatusServiceUnavailable {
		t.Fatalf("unreadable namespace: allowed %v, result %v", resp.Allowed, resp.Result)
	}
}
