package overlay

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// policyParameters checks limits, isolation and enforcement of one block.
func (v *validator) policyParameters(p string, c *v1alpha1.Config) {
	if l := c.Limits; l != nil {
		maxCPU := resource.NewMilliQuantity(v1alpha1.MaxCountableCPUMilli, resource.DecimalSI)
		maxMemory := resource.NewQuantity(v1alpha1.MaxCountableMemoryBytes, resource.BinarySI)
		for _, lim := range []struct {
			name string
			q    *resource.Quantity
			max  *resource.Quantity
		}{
			{"maxPodCPU", l.MaxPodCPU, maxCPU}, {"maxPodMemory", l.MaxPodMemory, maxMemory},
			{"namespaceCPU", l.NamespaceCPU, maxCPU}, {"namespaceMemory", l.NamespaceMemory, maxMemory},
		} {
			switch {
			case lim.q == nil:
			case lim.q.Sign() < 0:
				v.add(p+".limits."+lim.name, "must not be negative, got %s", lim.q.String())
			case lim.q.Cmp(*lim.max) > 0:
				v.add(p+".limits."+lim.name, "%s is too large to count (at most %s)", lim.q.String(), lim.max.String())
			}
		}
		for _, lim := range []struct {
			name string
			n    *int32
		}{{"maxExecutorsPerApp", l.MaxExecutorsPerApp}, {"namespacePods", l.NamespacePods}} {
			if lim.n != nil && *lim.n < 0 {
				v.add(p+".limits."+lim.name, "must not be negative, got %d", *lim.n)
			}
		}
	}
	if iso := c.Isolation; iso != nil {
		for i, g := range iso.AllowedIAMRoles {
			if strings.TrimSpace(g) == "" {
				v.add(fmt.Sprintf("%s.isolation.allowedIAMRoles[%d]", p, i), "must not be empty")
			}
		}
		for i, r := range iso.AllowedRegistries {
			v.imagePrefix(fmt.Sprintf("%s.isolation.allowedRegistries[%d]", p, i), r)
		}
		for i, t := range iso.AllowedTolerations {
			field := fmt.Sprintf("%s.isolation.allowedTolerations[%d]", p, i)
			if t.Key == "" {
				v.add(field+".key", "must not be empty")
			} else {
				v.addAll(field+".key", "toleration key", t.Key, validation.IsQualifiedName(t.Key))
			}
			switch t.Effect {
			case "", corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute:
			default:
				v.add(field+".effect", "unknown effect %q (want NoSchedule, PreferNoSchedule or NoExecute, or empty for all)", t.Effect)
			}
		}
		for i, s := range iso.ReservedNodeSelectors {
			field := fmt.Sprintf("%s.isolation.reservedNodeSelectors[%d]", p, i)
			key, value, hasValue := strings.Cut(s, "=")
			v.addAll(field, "label key", key, validation.IsQualifiedName(key))
			if hasValue {
				v.addAll(field, "label value", value, validation.IsValidLabelValue(value))
			}
		}
		for i, name := range iso.AllowedPriorityClasses {
			v.addAll(fmt.Sprintf("%s.isolation.allowedPriorityClasses[%d]", p, i), "priority class name", name, validation.IsDNS1123Subdomain(name))
		}
		for i, s := range iso.ReservedLabelPrefixes {
			if strings.TrimSpace(s) == "" {
				v.add(fmt.Sprintf("%s.isolation.reservedLabelPrefixes[%d]", p, i), "must not be empty")
			}
		}
	}
	for _, name := range sortedKeys(c.Enforcement) {
		switch e := c.Enforcement[name]; e {
		case v1alpha1.EnforcementDeny, v1alpha1.EnforcementWarn, v1alpha1.EnforcementDryRun:
		default:
			v.add(KeyPath(p+".enforcement", name), "unknown enforcement %q (want deny, warn or dryrun)", e)
		}
	}
}
