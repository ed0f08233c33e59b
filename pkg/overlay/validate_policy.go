package overlay

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/strata-dev/strata/pkg/overlay/quantity"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// policyParameters checks limits, isolation and enforcement of one block.
func (v *validator) policyParameters(p *field.Path, c *v1alpha1.Config) {
	if l := c.Limits; l != nil {
		lp := p.Child("limits")
		maxCPU := resource.NewMilliQuantity(v1alpha1.MaxCountableCPUMilli, resource.DecimalSI)
		maxMemory := resource.NewQuantity(v1alpha1.MaxCountableMemoryBytes, resource.BinarySI)
		for _, lim := range []struct {
			name string
			q    *resource.Quantity
			max  *resource.Quantity
		}{
			{"maxPodCPU", l.MaxPodCPU, maxCPU}, {"maxPodMemory", l.MaxPodMemory, maxMemory},
			{"namespaceCPU", l.NamespaceCPU, maxCPU}, {"namespaceMemory", l.NamespaceMemory, maxMemory},
			{"maxAppCPU", l.MaxAppCPU, maxCPU}, {"maxAppMemory", l.MaxAppMemory, maxMemory},
		} {
			switch {
			case lim.q == nil:
			case lim.q.Sign() < 0:
				v.invalid(lp.Child(lim.name), lim.q.String(), "must not be negative")
			case !quantity.Bounded(lim.q) || lim.q.Cmp(*lim.max) > 0:
				v.invalid(lp.Child(lim.name), lim.q.String(), "too large to count (at most %s)", lim.max.String())
			}
		}
		for _, lim := range []struct {
			name string
			n    *int32
		}{{"maxExecutorsPerApp", l.MaxExecutorsPerApp}, {"namespacePods", l.NamespacePods}} {
			if lim.n != nil && *lim.n < 0 {
				v.invalid(lp.Child(lim.name), int64(*lim.n), "must not be negative")
			}
		}
		if n := l.MinSubmissionIntervalSeconds; n != nil && (*n < 1 || *n > v1alpha1.MaxSubmissionIntervalSeconds) {
			v.invalid(lp.Child("minSubmissionIntervalSeconds"), int64(*n), "must be between 1 and %d seconds (a day)", v1alpha1.MaxSubmissionIntervalSeconds)
		}
	}
	if iso := c.Isolation; iso != nil {
		ip := p.Child("isolation")
		for i, g := range iso.AllowedIAMRoles {
			if strings.TrimSpace(g) == "" {
				v.required(ip.Child("allowedIAMRoles").Index(i), "a role ARN or glob (\"**\" allows every role)")
			}
		}
		for i, r := range iso.AllowedRegistries {
			v.imagePrefix(ip.Child("allowedRegistries").Index(i), r)
		}
		for i, t := range iso.AllowedTolerations {
			tp := ip.Child("allowedTolerations").Index(i)
			if t.Key == "" {
				v.required(tp.Child("key"), "the taint key tenants may tolerate")
			} else {
				v.addAll(tp.Child("key"), t.Key, validation.IsQualifiedName(t.Key))
			}
			v.effect(tp.Child("effect"), t.Effect)
		}
		for i, s := range iso.ReservedNodeSelectors {
			sp := ip.Child("reservedNodeSelectors").Index(i)
			key, value, hasValue := strings.Cut(s, "=")
			v.addAll(sp, key, validation.IsQualifiedName(key))
			if hasValue {
				v.addAll(sp, value, validation.IsValidLabelValue(value))
			}
		}
		for i, name := range iso.AllowedPriorityClasses {
			v.addAll(ip.Child("allowedPriorityClasses").Index(i), name, validation.IsDNS1123Subdomain(name))
		}
		for i, name := range iso.AllowedRuntimeClasses {
			v.addAll(ip.Child("allowedRuntimeClasses").Index(i), name, validation.IsDNS1123Subdomain(name))
		}
		if pa := iso.PodAffinity; pa != nil {
			for i, ns := range pa.AllowedNamespaces {
				v.addAll(ip.Child("podAffinity", "allowedNamespaces").Index(i), ns, validation.IsDNS1123Label(ns))
			}
		}
		for i, s := range iso.ReservedLabelPrefixes {
			if strings.TrimSpace(s) == "" {
				v.required(ip.Child("reservedLabelPrefixes").Index(i), "a label or annotation key prefix")
			}
		}
		for i, t := range iso.AllowedServiceTypes {
			if !slices.Contains(serviceTypes, corev1.ServiceType(t)) {
				v.errs = append(v.errs, field.NotSupported(ip.Child("allowedServiceTypes").Index(i), t, serviceTypes))
			}
		}
		for i, g := range iso.AllowedIngressHosts {
			v.ingressHostGlob(ip.Child("allowedIngressHosts").Index(i), g)
		}
		for i, user := range iso.PlacementControllers {
			switch up := ip.Child("placementControllers").Index(i); {
			case user == "":
				v.required(up, "a user name as the API server gives it, such as system:serviceaccount:kueue-system:kueue-controller-manager")
			case strings.TrimSpace(user) != user:
				v.invalid(up, user, "a user name has no leading or trailing space")
			}
		}
	}
	for _, name := range sortedKeys(c.Enforcement) {
		switch e := c.Enforcement[name]; e {
		case v1alpha1.EnforcementDeny, v1alpha1.EnforcementWarn, v1alpha1.EnforcementDryRun:
		default:
			v.errs = append(v.errs, field.NotSupported(p.Child("enforcement").Key(name), e,
				[]v1alpha1.Enforcement{v1alpha1.EnforcementDeny, v1alpha1.EnforcementWarn, v1alpha1.EnforcementDryRun}))
		}
	}
}

// serviceTypes are the types of a Service (k8s.io/api/core/v1).
var serviceTypes = []corev1.ServiceType{corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort,
	corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeExternalName}

// ingressHostGlob checks a glob of allowedIngressHosts: "**", or a host
// name (lowercase DNS labels) whose labels may be or hold "*" and
// "{{$appNamespace}}".
func (v *validator) ingressHostGlob(p *field.Path, glob string) {
	if glob == "" {
		v.required(p, `a host glob such as "*.{{$appNamespace}}.spark.example.com" ("**" allows every host)`)
		return
	}
	if glob == "**" {
		return
	}
	// What the glob matches is a host name: with each wildcard and the
	// namespace's placeholder standing for a label's letters, it is one.
	sample := strings.NewReplacer("{{$appNamespace}}", "ns", "**", "x", "*", "x").Replace(glob)
	if errs := validation.IsDNS1123Subdomain(sample); len(errs) > 0 {
		v.invalid(p, glob, `must be a host name in lowercase, where "*" stands for part of a label, "**" for labels and "{{$appNamespace}}" for the application's namespace`)
	}
}
