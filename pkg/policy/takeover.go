package policy

import (
	"context"
	"crypto/md5" //nolint:gosec // the operator's own name hash, not a security use
	"fmt"

	"golang.org/x/sync/errgroup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1alpha1"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// takeoverCheck is isolation's built-in check of an object of the
// application's namespace the Spark Operator would take over.
const takeoverCheck = "takeover"

// The kinds of the objects the operator names after an application.
var (
	serviceKind = schema.GroupVersionKind{Version: "v1", Kind: "Service"}
	ingressKind = schema.GroupVersionKind{Group: "networking.k8s.io", Version: "v1", Kind: "Ingress"}
)

// OwnerLookup reads the object of kind name in namespace (its metadata
// only): its controller (nil when none), and whether it exists.
type OwnerLookup func(ctx context.Context, kind schema.GroupVersionKind, namespace, name string) (controller *metav1.OwnerReference, exists bool, err error)

// OwnersIn is an OwnerLookup reading r: the webhook's API reader.
func OwnersIn(r client.Reader) OwnerLookup {
	return func(ctx context.Context, kind schema.GroupVersionKind, namespace, name string) (*metav1.OwnerReference, bool, error) {
		m := &metav1.PartialObjectMetadata{}
		m.SetGroupVersionKind(kind)
		switch err := r.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, m); {
		case apierrors.IsNotFound(err) || meta.IsNoMatchError(err):
			return nil, false, nil
		case err != nil:
			return nil, false, fmt.Errorf("reading %s %s/%s: %w", kind.Kind, namespace, name, err)
		}
		return metav1.GetControllerOf(m), true, nil
	}
}

// operatorObject is a Service or an Ingress the operator creates for an
// application under a name of its own making, or updates when one of the
// name exists: its kind and name, and what in the application it is
// (what).
type operatorObject struct {
	what string
	kind schema.GroupVersionKind
	name string
}

// appObjects are the objects the operator (v2.5.2) names after app: the
// UI's Service and Ingress (GetDefaultUIServiceName and
// GetDefaultUIIngressName), and for each driverIngressOptions entry its
// Service and, with a URL format, its Ingress. Each is named whether or
// not the operator is configured to create the UI's, which the webhook
// cannot see. createDriverIngressService and createDriverIngressV1 update
// one that exists: its spec, labels, annotations and owner become the
// application's.
func appObjects(app *sparkv1beta2.SparkApplication) []operatorObject {
	out := []operatorObject{
		{"the UI's", serviceKind, operatorName(app.Name, "ui-svc")},
		{"the UI's", ingressKind, operatorName(app.Name, "ui-ingress")},
	}
	for i, o := range app.Spec.DriverIngressOptions {
		if o.ServicePort == nil {
			continue // the operator's webhook refuses it, and it creates none
		}
		what := fmt.Sprintf("spec.driverIngressOptions[%d]", i)
		out = append(out, operatorObject{what, serviceKind, fmt.Sprintf("%s-driver-%d", app.Name, *o.ServicePort)})
		if o.IngressURLFormat != "" {
			out = append(out, operatorObject{what, ingressKind, fmt.Sprintf("%s-ing-%d", app.Name, *o.ServicePort)})
		}
	}
	return out
}

// connectObjects is the server's Service the operator creates for conn,
// or makes conn its controller of where one of the name exists
// (createOrUpdateServerService): spec.server.service's name, which the
// tenant chooses, or the operator's.
func connectObjects(conn *sparkv1alpha1.SparkConnect) []operatorObject {
	if svc := conn.Spec.Server.Service; svc != nil {
		if svc.Name == "" {
			return nil // the operator cannot read a Service of no name, and creates none
		}
		return []operatorObject{{"spec.server.service.metadata.name", serviceKind, svc.Name}}
	}
	return []operatorObject{{"the server's", serviceKind, conn.Metadata.Name + "-server"}}
}

// operatorName is the operator's generateName: name-suffix, or within 63
// characters a prefix of name, a hash of name-suffix and suffix.
func operatorName(name, suffix string) string {
	preferred := name + "-" + suffix
	if len(preferred) <= 63 {
		return preferred
	}
	hash := fmt.Sprintf("%x", md5.Sum([]byte(preferred))) //nolint:gosec // as the operator names it
	return fmt.Sprintf("%s-%s-%s", name[:min(len(name), 63-len(suffix)-10)], hash[:8], suffix)
}

// How many of an application's objects are read to judge it, and how many
// at once.
const (
	maxTakeoverReads    = 64
	takeoverReadsAtOnce = 8
)

// distinctObjects is objects without repeats (entries of one port name
// the same Service), in order.
func distinctObjects(objects []operatorObject) []operatorObject {
	seen := make(map[operatorObject]bool, len(objects))
	out := objects[:0:0]
	for _, o := range objects {
		key := operatorObject{kind: o.kind, name: o.name}
		if !seen[key] {
			seen[key] = true
			out = append(out, o)
		}
	}
	return out
}

// takeovers are the violations of l's objects that exist in namespace
// and are not the application's (their controller is not an object of
// l's kind and name): the operator would take them over with its own
// credentials, and delete them with the application. None when c has no
// Owners (a dry run without a cluster). An object that cannot be read is
// an error: the application is refused, never let through unjudged.
func (c *Check) takeovers(ctx context.Context, l launched, namespace string) ([]Violation, error) {
	if c.Owners == nil {
		return nil, nil
	}
	objects := distinctObjects(l.objects)
	if len(objects) > maxTakeoverReads {
		// Each is a read of the API server's: one application may not
		// have the webhook make thousands.
		return []Violation{{Policy: isolationPolicy, Check: takeoverCheck, Enforcement: v1alpha1.EnforcementDeny,
			Message: fmt.Sprintf("%s: %s %q: the Spark Operator would create %d Services and Ingresses for it (spec.driverIngressOptions); at most %d are read to judge whether it would take one over",
				isolationPolicy, l.kind, l.app.Name, len(objects), maxTakeoverReads)}}, nil
	}
	// Read at once, a few at a time: each is a round trip to the API
	// server.
	taken := make([]bool, len(objects))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(takeoverReadsAtOnce)
	for i, o := range objects {
		g.Go(func() error {
			controller, exists, err := c.Owners(gctx, o.kind, namespace, o.name)
			taken[i] = exists && (controller == nil || controller.Kind != l.kind || controller.Name != l.app.Name ||
				schema.FromAPIVersionAndKind(controller.APIVersion, controller.Kind).Group != sparkv1beta2.Group)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var out []Violation
	for i, o := range objects {
		if !taken[i] {
			continue
		}
		out = append(out, Violation{Policy: isolationPolicy, Check: takeoverCheck, Enforcement: v1alpha1.EnforcementDeny,
			Message: fmt.Sprintf("%s: %s %q: %s %q (%s) exists in namespace %q and is not the %s's: the Spark Operator would take it over with its own credentials and delete it with the %s",
				isolationPolicy, l.kind, l.app.Name, o.kind.Kind, o.name, o.what, namespace, l.kind, l.kind)})
	}
	return out, nil
}
