package policy

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1alpha1"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
)

// exposure is input.application.exposure: the Services and Ingresses the
// Spark Operator creates, with its own credentials, to expose an
// application's driver (or a SparkConnect's server), as the application
// writes them. Every value in it is the tenant's: no layer composes these
// fields. isolation holds them to allowedServiceTypes,
// allowedIngressHosts and reservedLabelPrefixes, so a tenant that may not
// create Services or Ingresses itself does not get one through the
// operator.
type exposure struct {
	// Services is each Service: the field that writes it, its type
	// (ClusterIP where none is named) and its externalIPs.
	Services []exposedService `json:"services"`
	// IngressHosts is each host an Ingress would serve that the tenant
	// names: the host of a driverIngressOptions URL format (after the
	// operator fills in the application's name and namespace; "" for a
	// URL of no host, which serves every host no other rule claims) and
	// every host of an ingressTLS entry.
	IngressHosts []exposedHost `json:"ingressHosts"`
	// Metadata is each label and annotation key the tenant writes on
	// those Services and Ingresses.
	Metadata []exposedKey `json:"metadata"`
}

// exposedService is one Service of exposure.
type exposedService struct {
	// Field is the Service's own field, TypeField the field of its type.
	Field       string   `json:"field"`
	TypeField   string   `json:"typeField"`
	Type        string   `json:"type"`
	ExternalIPs []string `json:"externalIPs"`
}

// exposedHost is one host of exposure. Unread is set where the host takes
// the application's Spark id, which the operator reads later from its
// pods' spark-app-selector label: unknown at submission, and taken from
// labels a tenant writes.
type exposedHost struct {
	Field string `json:"field"`
	Host  string `json:"host"`
	// Format is the URL format as written, for a host of one.
	Format string `json:"format,omitempty"`
	Unread bool   `json:"unread"`
}

// exposedKey is one label or annotation key of exposure; Kind is "label"
// or "annotation".
type exposedKey struct {
	Field string `json:"field"`
	Kind  string `json:"kind"`
	Key   string `json:"key"`
}

// empty reports whether e exposes nothing.
func (e *exposure) empty() bool {
	return len(e.Services) == 0 && len(e.IngressHosts) == 0 && len(e.Metadata) == 0
}

// The operator's placeholders of an ingress URL format
// (internal/controller/sparkapplication/driveringress.go,
// getDriverIngressURL), matched as it matches them.
var (
	appNamePlaceholder      = regexp.MustCompile(`{{\s*[$]appName\s*}}`)
	appNamespacePlaceholder = regexp.MustCompile(`{{\s*[$]appNamespace\s*}}`)
	appIDPlaceholder        = regexp.MustCompile(`{{\s*[$]appId\s*}}`)
)

// appExposure is what app has the operator (v2.5.2) create for its
// driver: the UI's Service from spec.sparkUIOptions (its Ingress's host
// is the operator's own URL format; its annotations and TLS hosts are
// the application's, and so are those of every driver ingress), and a
// Service, and an Ingress where a URL format is set, for each entry of
// spec.driverIngressOptions. It is judged whether or not the operator is
// configured to create the UI's Service and Ingress, which the webhook
// cannot see.
func appExposure(app *sparkv1beta2.SparkApplication) *exposure {
	e := &exposure{}
	if ui := app.Spec.SparkUIOptions; ui != nil {
		const f = "spec.sparkUIOptions"
		e.service(f, f+".serviceType", ui.ServiceType, nil)
		e.keys(f+".serviceLabels", "label", ui.ServiceLabels)
		e.keys(f+".serviceAnnotations", "annotation", ui.ServiceAnnotations)
		e.keys(f+".ingressAnnotations", "annotation", ui.IngressAnnotations)
		e.tlsHosts(f+".ingressTLS", ui.IngressTLS)
	}
	for i, o := range app.Spec.DriverIngressOptions {
		f := fmt.Sprintf("spec.driverIngressOptions[%d]", i)
		e.service(f, f+".serviceType", o.ServiceType, nil)
		e.keys(f+".serviceLabels", "label", o.ServiceLabels)
		e.keys(f+".serviceAnnotations", "annotation", o.ServiceAnnotations)
		if o.IngressURLFormat != "" {
			if host, ok := ingressHost(o.IngressURLFormat, app.Name, app.Namespace, ""); ok {
				// The id decides the host when another id gives another.
				other, ok := ingressHost(o.IngressURLFormat, app.Name, app.Namespace, "spark-0")
				e.IngressHosts = append(e.IngressHosts, exposedHost{Field: f + ".ingressURLFormat", Host: host, Format: o.IngressURLFormat,
					Unread: !ok || other != host})
			}
		}
		// Read by no release of the operator yet (its driver ingresses
		// take sparkUIOptions'), judged as what a release may read.
		e.keys(f+".ingressAnnotations", "annotation", o.IngressAnnotations)
		e.tlsHosts(f+".ingressTLS", o.IngressTLS)
	}
	return e
}

// connectExposure is the Service the operator creates for a SparkConnect's
// server: spec.server.service as written, its ports and selector aside.
func connectExposure(conn *sparkv1alpha1.SparkConnect) *exposure {
	e := &exposure{}
	svc := conn.Spec.Server.Service
	if svc == nil {
		return e
	}
	const f = "spec.server.service"
	t := svc.Spec.Type
	e.service(f, f+".spec.type", &t, svc.Spec.ExternalIPs)
	e.keys(f+".metadata.labels", "label", svc.Labels)
	e.keys(f+".metadata.annotations", "annotation", svc.Annotations)
	return e
}

// service adds a Service of type t (ClusterIP when unset, as the operator
// and the API server default it).
func (e *exposure) service(field, typeField string, t *corev1.ServiceType, externalIPs []string) {
	typ := corev1.ServiceTypeClusterIP
	if t != nil && *t != "" {
		typ = *t
	}
	e.Services = append(e.Services, exposedService{Field: field, TypeField: typeField, Type: string(typ), ExternalIPs: nonNilSlice(externalIPs)})
}

// keys adds the keys of m, sorted.
func (e *exposure) keys(field, kind string, m map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		e.Metadata = append(e.Metadata, exposedKey{Field: fmt.Sprintf("%s[%q]", field, k), Kind: kind, Key: k})
	}
}

// tlsHosts adds the hosts of tls.
func (e *exposure) tlsHosts(field string, tls []networkingv1.IngressTLS) {
	for i, t := range tls {
		for j, h := range t.Hosts {
			e.IngressHosts = append(e.IngressHosts, exposedHost{Field: fmt.Sprintf("%s[%d].hosts[%d]", field, i, j), Host: h})
		}
	}
}

// The prefixes of the keys of the labels and annotations spark-submit
// gives the driver's Service (KubernetesDriverConf.serviceLabels and
// serviceAnnotations).
const (
	driverServiceLabelPrefix      = "spark.kubernetes.driver.service.label."
	driverServiceAnnotationPrefix = "spark.kubernetes.driver.service.annotation."
)

// withDriverService is e and the labels and annotations the tenant gives
// the driver's Service, which spark-submit creates in the operator, with
// the operator's credentials: the keys of conf, the Spark configuration
// the application runs with (every spelling resolved:
// spec.driver.serviceLabels and serviceAnnotations among them), that no
// layer gives. e is not changed.
func (e *exposure) withDriverService(conf map[string]sourced) *exposure {
	var keys []exposedKey
	for key, v := range conf {
		if !v.User {
			continue
		}
		kind := "label"
		k, ok := strings.CutPrefix(key, driverServiceLabelPrefix)
		if !ok {
			kind = "annotation"
			k, ok = strings.CutPrefix(key, driverServiceAnnotationPrefix)
		}
		if ok && k != "" {
			keys = append(keys, exposedKey{Field: fmt.Sprintf("the driver's Service (%s)", key), Kind: kind, Key: k})
		}
	}
	if len(keys) == 0 {
		return e
	}
	slices.SortFunc(keys, func(a, b exposedKey) int { return strings.Compare(a.Field, b.Field) })
	return &exposure{Services: e.Services, IngressHosts: e.IngressHosts, Metadata: append(slices.Clip(e.Metadata), keys...)}
}

// ingressHost is the host of the Ingress the operator creates for
// format, as getDriverIngressURL reads it: the placeholders filled in (the
// application's Spark id as id: see exposedHost), then parsed as a URL,
// as http:// and the rest when it names no scheme. A format the operator
// cannot parse creates no Ingress (false).
func ingressHost(format, name, namespace, id string) (string, bool) {
	s := appNamePlaceholder.ReplaceAllLiteralString(format, name)
	s = appNamespacePlaceholder.ReplaceAllLiteralString(s, namespace)
	s = appIDPlaceholder.ReplaceAllLiteralString(s, id)
	u, err := url.Parse(s)
	if err != nil {
		return "", false
	}
	if u.Scheme == "" {
		if u, err = url.Parse("http://" + s); err != nil {
			return "", false
		}
	}
	return u.Host, true
}
