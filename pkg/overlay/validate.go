package overlay

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// FieldError is one problem with one field of a Layer.
type FieldError struct {
	// Field is the path of the field, e.g. spec.tier or spec.config.tolerations[0].effect.
	Field string
	// Detail says what is wrong and what was expected.
	Detail string
}

// LayerError is every problem found in one Layer. Its message names the file
// (when known), the Layer and each field, one line per problem:
//
//	layers/ns.yaml: Layer "ns-typo": spec.tier: unknown tier "NamespaceDefaults" (want one of ...)
type LayerError struct {
	// File is where the Layer was read from; empty for a Layer from the cluster.
	File string
	// Layer is the Layer's name.
	Layer string
	// Fields are the problems, in the order the fields appear.
	Fields []FieldError
}

func (e *LayerError) Error() string {
	prefix := fmt.Sprintf("Layer %q: ", e.Layer)
	if e.File != "" {
		prefix = e.File + ": " + prefix
	}
	lines := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		lines[i] = prefix + f.Field + ": " + f.Detail
	}
	return strings.Join(lines, "\n")
}

// Messages returns each problem as "field: detail", without file or Layer.
func (e *LayerError) Messages() []string {
	out := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		out[i] = f.Field + ": " + f.Detail
	}
	return out
}

// ValidateLayer checks one Layer and returns its problems; nil when it is
// valid. It is the one check the composer CLI and the webhook both run.
func ValidateLayer(l *v1alpha1.Layer) []FieldError {
	v := &validator{}
	v.name(l.Name)
	if l.Spec.Tier.Rank() < 0 {
		v.add("spec.tier", "unknown tier %q (want one of %s)", l.Spec.Tier, tierList())
	}
	v.match(&l.Spec.Match)
	roles := l.Spec.Match.Roles
	if len(roles) == 0 {
		roles = []v1alpha1.Role{v1alpha1.RoleDriver, v1alpha1.RoleExecutor}
	}
	v.roles = roles
	v.config("spec.config", l.Spec.Config)
	v.roles = []v1alpha1.Role{v1alpha1.RoleDriver}
	v.config("spec.driver", l.Spec.Driver)
	v.roles = []v1alpha1.Role{v1alpha1.RoleExecutor}
	v.config("spec.executor", l.Spec.Executor)
	return v.errs
}

func tierList() string {
	names := make([]string, 0, 4)
	for _, t := range v1alpha1.Tiers() {
		names = append(names, string(t))
	}
	return strings.Join(names, ", ")
}

type validator struct {
	errs []FieldError
	// roles are the Spark roles the block being checked applies to.
	roles []v1alpha1.Role
}

func (v *validator) add(field, format string, args ...any) {
	v.errs = append(v.errs, FieldError{Field: field, Detail: fmt.Sprintf(format, args...)})
}

// addAll adds the messages of an apimachinery validation function, which
// say what was expected.
func (v *validator) addAll(field, what string, value string, msgs []string) {
	if len(msgs) > 0 {
		v.add(field, "invalid %s %q: %s", what, value, strings.Join(msgs, "; "))
	}
}

func (v *validator) name(name string) {
	if name == "" {
		v.add("metadata.name", "must not be empty")
		return
	}
	v.addAll("metadata.name", "name", name, validation.IsDNS1123Subdomain(name))
}

func (v *validator) match(m *v1alpha1.Match) {
	for i, p := range m.Pools {
		if p == "" {
			v.add(fmt.Sprintf("spec.match.pools[%d]", i), "must not be empty")
		}
	}
	for i, c := range m.Clusters {
		if c == "" {
			v.add(fmt.Sprintf("spec.match.clusters[%d]", i), "must not be empty")
		}
	}
	for i, ns := range m.Namespaces {
		v.addAll(fmt.Sprintf("spec.match.namespaces[%d]", i), "namespace name", ns, validation.IsDNS1123Label(ns))
	}
	if m.NamespaceSelector != nil {
		if _, err := metav1.LabelSelectorAsSelector(m.NamespaceSelector); err != nil {
			v.add("spec.match.namespaceSelector", "invalid label selector: %v", err)
		}
	}
	for i, r := range m.Roles {
		if r != v1alpha1.RoleDriver && r != v1alpha1.RoleExecutor {
			v.add(fmt.Sprintf("spec.match.roles[%d]", i), "unknown role %q (want driver or executor)", r)
		}
	}
}

func (v *validator) config(path string, c *v1alpha1.Config) {
	if c == nil {
		return
	}
	for _, k := range sortedKeys(c.Labels) {
		if k == v1alpha1.RoleLabel {
			v.add(KeyPath(path+".labels", k), "is the pod's Spark role, set by spark-submit or the Spark Operator; a layer cannot change it")
		}
		v.addAll(KeyPath(path+".labels", k), "label key", k, validation.IsQualifiedName(k))
		v.addAll(KeyPath(path+".labels", k), "label value", c.Labels[k], validation.IsValidLabelValue(c.Labels[k]))
	}
	for _, k := range sortedKeys(c.Annotations) {
		v.addAll(KeyPath(path+".annotations", k), "annotation key", k, validation.IsQualifiedName(strings.ToLower(k)))
		if k == v1alpha1.LayersAnnotation {
			v.add(KeyPath(path+".annotations", k), "is written by Strata itself and cannot be set by a layer")
		}
	}
	for _, k := range sortedKeys(c.NodeSelector) {
		v.addAll(KeyPath(path+".nodeSelector", k), "label key", k, validation.IsQualifiedName(k))
		v.addAll(KeyPath(path+".nodeSelector", k), "label value", c.NodeSelector[k], validation.IsValidLabelValue(c.NodeSelector[k]))
	}
	v.objectName(path+".priorityClassName", "priority class name", c.PriorityClassName)
	v.objectName(path+".schedulerName", "scheduler name", c.SchedulerName)
	v.objectName(path+".serviceAccountName", "service account name", c.ServiceAccountName)
	seen := map[string]int{}
	for i := range c.Tolerations {
		field := fmt.Sprintf("%s.tolerations[%d]", path, i)
		v.toleration(field, &c.Tolerations[i])
		k := TolerationKey(&c.Tolerations[i])
		if j, dup := seen[k]; dup {
			v.add(field, "duplicate toleration for key/effect %s (also at index %d); a layer may set each key and effect once", k, j)
		}
		seen[k] = i
	}
	for _, k := range sortedKeys(c.SparkConf) {
		if strings.TrimSpace(k) == "" {
			v.add(path+".sparkConf", "keys must not be empty")
		}
	}
	v.injection(path, c)
	v.policyParameters(path, c)
}

// objectName checks an optional reference to a named object; "" is allowed
// and means "the cluster's default".
func (v *validator) objectName(field, what string, name *string) {
	if name == nil || *name == "" {
		return
	}
	v.addAll(field, what, *name, validation.IsDNS1123Subdomain(*name))
}

// toleration applies the rules the API server applies to a pod's tolerations,
// so a layer can never make a pod the API server would reject.
func (v *validator) toleration(field string, t *corev1.Toleration) {
	if t.Key != "" {
		v.addAll(field+".key", "toleration key", t.Key, validation.IsQualifiedName(t.Key))
	}
	switch t.Operator {
	case corev1.TolerationOpEqual, "":
		if t.Key == "" {
			v.add(field+".operator", "must be Exists when key is empty")
		}
		v.addAll(field+".value", "toleration value", t.Value, validation.IsValidLabelValue(t.Value))
	case corev1.TolerationOpExists:
		if t.Value != "" {
			v.add(field+".value", "must be empty when operator is Exists, got %q", t.Value)
		}
	default:
		v.add(field+".operator", "unknown operator %q (want Equal or Exists)", t.Operator)
	}
	switch t.Effect {
	case "", corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute:
	default:
		v.add(field+".effect", "unknown effect %q (want NoSchedule, PreferNoSchedule or NoExecute, or empty for all)", t.Effect)
	}
	if t.TolerationSeconds != nil && t.Effect != corev1.TaintEffectNoExecute {
		v.add(field+".tolerationSeconds", "may only be set with effect NoExecute")
	}
}
