package overlay

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/strata-dev/strata/pkg/overlay/sparkvalue"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// LayerError is every problem found in one Layer. Its message names the file
// (when known), the Layer and each field, one line per problem, each
// problem as the API server words it:
//
//	layers/ns.yaml: Layer "ns-typo": spec.tier: Unsupported value: "NamespaceDefaults": supported values: ...
type LayerError struct {
	// File is where the Layer was read from; empty for a Layer from the cluster.
	File string
	// Layer is the Layer's name.
	Layer string
	// Fields are the problems, in the order the fields appear.
	Fields field.ErrorList
}

// Error gives each field's problem on a line of its own, after the file
// and the Layer's name.
func (e *LayerError) Error() string {
	prefix := fmt.Sprintf("Layer %q: ", e.Layer)
	if e.File != "" {
		prefix = e.File + ": " + prefix
	}
	lines := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		lines[i] = prefix + f.Error()
	}
	return strings.Join(lines, "\n")
}

// Messages returns each problem as "field: problem", without file or Layer.
func (e *LayerError) Messages() []string {
	out := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		out[i] = f.Error()
	}
	return out
}

// ValidateLayer checks one Layer and returns its problems, in the order of
// the fields (map keys sorted); nil when it is valid. It is the one check
// the composer CLI and the webhook both run.
func ValidateLayer(l *v1alpha1.Layer) field.ErrorList {
	v := &validator{}
	v.name(field.NewPath("metadata", "name"), l.Name)
	spec := field.NewPath("spec")
	switch l.Spec.Mode {
	case "", v1alpha1.ModeEnforce, v1alpha1.ModeShadow:
	default:
		v.errs = append(v.errs, field.NotSupported(spec.Child("mode"), l.Spec.Mode, []v1alpha1.Mode{v1alpha1.ModeEnforce, v1alpha1.ModeShadow}))
	}
	if l.Spec.Tier.Rank() < 0 {
		v.errs = append(v.errs, field.NotSupported(spec.Child("tier"), l.Spec.Tier, v1alpha1.Tiers()))
	}
	v.match(spec.Child("match"), &l.Spec.Match)
	roles := l.Spec.Match.Roles
	if len(roles) == 0 {
		roles = []v1alpha1.Role{v1alpha1.RoleDriver, v1alpha1.RoleExecutor}
	}
	v.roles = roles
	v.config(spec.Child("config"), l.Spec.Config)
	v.roles = []v1alpha1.Role{v1alpha1.RoleDriver}
	v.config(spec.Child("driver"), l.Spec.Driver)
	v.roles = []v1alpha1.Role{v1alpha1.RoleExecutor}
	v.config(spec.Child("executor"), l.Spec.Executor)
	return v.errs
}

type validator struct {
	errs field.ErrorList
	// roles are the Spark roles the block being checked applies to.
	roles []v1alpha1.Role
}

// invalid records a value that is not allowed; detail says what was expected.
func (v *validator) invalid(p *field.Path, value any, format string, args ...any) {
	v.errs = append(v.errs, field.Invalid(p, value, fmt.Sprintf(format, args...)))
}

// required records a field that must be set.
func (v *validator) required(p *field.Path, detail string) {
	v.errs = append(v.errs, field.Required(p, detail))
}

// forbidden records a field that may not be set (here, or together with another).
func (v *validator) forbidden(p *field.Path, format string, args ...any) {
	v.errs = append(v.errs, field.Forbidden(p, fmt.Sprintf(format, args...)))
}

// addAll records the messages of an apimachinery validation function, which
// say what was expected, as the API server does.
func (v *validator) addAll(p *field.Path, value string, msgs []string) {
	if len(msgs) > 0 {
		v.invalid(p, value, "%s", strings.Join(msgs, "; "))
	}
}

// duplicate records the second and later elements of a list with the same key.
func (v *validator) duplicate(seen map[string]int, p *field.Path, key string, i int, what string) {
	if j, dup := seen[key]; dup {
		e := field.Duplicate(p, key)
		e.Detail = fmt.Sprintf("%s also at index %d; a layer may set each once", what, j)
		v.errs = append(v.errs, e)
	}
	seen[key] = i
}

func (v *validator) name(p *field.Path, name string) {
	if name == "" {
		v.required(p, "")
		return
	}
	v.addAll(p, name, validation.IsDNS1123Subdomain(name))
}

func (v *validator) match(p *field.Path, m *v1alpha1.Match) {
	for i, pool := range m.Pools {
		if pool == "" {
			v.required(p.Child("pools").Index(i), "a pool name")
		}
	}
	for i, c := range m.Clusters {
		if c == "" {
			v.required(p.Child("clusters").Index(i), "a cluster name")
		}
	}
	for i, ns := range m.Namespaces {
		v.addAll(p.Child("namespaces").Index(i), ns, validation.IsDNS1123Label(ns))
	}
	if m.NamespaceSelector != nil {
		// The API server's own validation of a selector, which names
		// each requirement's field and finds every problem; what it
		// passes that no selector can be made of is refused too.
		sp := p.Child("namespaceSelector")
		errs := metav1validation.ValidateLabelSelector(m.NamespaceSelector, metav1validation.LabelSelectorValidationOptions{}, sp)
		v.errs = append(v.errs, errs...)
		if _, err := metav1.LabelSelectorAsSelector(m.NamespaceSelector); err != nil && len(errs) == 0 {
			v.invalid(sp, field.OmitValueType{}, "invalid label selector: %v", err)
		}
	}
	for i, r := range m.Roles {
		if r != v1alpha1.RoleDriver && r != v1alpha1.RoleExecutor {
			v.errs = append(v.errs, field.NotSupported(p.Child("roles").Index(i), r, []v1alpha1.Role{v1alpha1.RoleDriver, v1alpha1.RoleExecutor}))
		}
	}
}

func (v *validator) config(p *field.Path, c *v1alpha1.Config) {
	if c == nil {
		return
	}
	for _, k := range sortedKeys(c.Labels) {
		kp := p.Child("labels").Key(k)
		if k == v1alpha1.RoleLabel {
			v.forbidden(kp, "the pod's Spark role is set by spark-submit or the Spark Operator; a layer cannot change it")
		}
		v.addAll(kp, k, validation.IsQualifiedName(k))
		v.addAll(kp, c.Labels[k], validation.IsValidLabelValue(c.Labels[k]))
	}
	for _, k := range sortedKeys(c.Annotations) {
		kp := p.Child("annotations").Key(k)
		v.addAll(kp, k, validation.IsQualifiedName(strings.ToLower(k)))
		if k == v1alpha1.LayersAnnotation {
			v.forbidden(kp, "written by Strata itself; a layer cannot set it")
		}
	}
	if err := apivalidation.ValidateAnnotationsSize(c.Annotations); err != nil {
		// Every pod the layer matches would be over the API server's limit.
		v.errs = append(v.errs, field.TooLong(p.Child("annotations"), "", apivalidation.TotalAnnotationSizeLimitB))
	}
	for _, k := range sortedKeys(c.NodeSelector) {
		kp := p.Child("nodeSelector").Key(k)
		v.addAll(kp, k, validation.IsQualifiedName(k))
		v.addAll(kp, c.NodeSelector[k], validation.IsValidLabelValue(c.NodeSelector[k]))
	}
	v.objectName(p.Child("priorityClassName"), c.PriorityClassName)
	v.objectName(p.Child("schedulerName"), c.SchedulerName)
	v.objectName(p.Child("serviceAccountName"), c.ServiceAccountName)
	v.objectName(p.Child("runtimeClassName"), c.RuntimeClassName)
	seen := map[string]int{}
	for i := range c.Tolerations {
		tp := p.Child("tolerations").Index(i)
		v.toleration(tp, &c.Tolerations[i])
		v.duplicate(seen, tp, TolerationKey(&c.Tolerations[i]), i, "toleration for this key/effect")
	}
	for _, k := range sortedKeys(c.SparkConf) {
		if strings.TrimSpace(k) == "" {
			v.required(p.Child("sparkConf").Key(k), "keys must not be empty")
			continue
		}
		if strings.Contains(k, "=") {
			v.invalid(p.Child("sparkConf").Key(k), k, "%s", confKeyHoldsEquals)
			continue
		}
		if msg := sparkvalue.Problem(k, c.SparkConf[k]); msg != "" {
			v.invalid(p.Child("sparkConf").Key(k), c.SparkConf[k], "%s", msg)
		}
		v.sparkPodSetting(p.Child("sparkConf").Key(k), k, c.SparkConf[k])
	}
	for _, k := range sortedKeys(c.HadoopConf) {
		if strings.TrimSpace(k) == "" {
			v.required(p.Child("hadoopConf").Key(k), "keys must not be empty")
		}
		if strings.Contains(k, "=") {
			v.invalid(p.Child("hadoopConf").Key(k), k, "%s", confKeyHoldsEquals)
		}
	}
	if l := c.Limits; l != nil && len(v.roles) == 1 && v.roles[0] == v1alpha1.RoleDriver {
		// They count the whole application or its executors: a driver
		// block's would never apply.
		for _, lim := range []struct {
			name string
			set  bool
		}{{"maxExecutorsPerApp", l.MaxExecutorsPerApp != nil}, {"maxAppCPU", l.MaxAppCPU != nil}, {"maxAppMemory", l.MaxAppMemory != nil},
			{"minSubmissionIntervalSeconds", l.MinSubmissionIntervalSeconds != nil}} {
			if lim.set {
				v.forbidden(p.Child("limits", lim.name), "counts the whole application or its executors, so it never applies to drivers only; set it in config or executor")
			}
		}
	}
	v.injection(p, c)
	v.policyParameters(p, c)
}

// confKeyHoldsEquals says why a key of sparkConf or hadoopConf must not
// hold "=": the Spark Operator passes each as --conf key=value, and
// spark-submit ends the key at its first "=", so the setting would be
// another key's (mutate.CheckConfKeys refuses such an application).
const confKeyHoldsEquals = `must not hold "=": the Spark Operator passes it to spark-submit as --conf key=value, which ends the key at its first "="`

// sparkPodSetting checks a Spark key that is a pod setting of a role the
// block applies to (SparkConfTarget) as that setting is checked: a label
// written as spark.kubernetes.executor.label.K is a label.
func (v *validator) sparkPodSetting(kp *field.Path, key, value string) {
	for _, role := range v.roles {
		to := SparkConfTarget(role, key)
		switch to.Field {
		case "labels":
			if to.Item == v1alpha1.RoleLabel {
				v.forbidden(kp, "sets the pod label %s: the pod's Spark role is set by spark-submit or the Spark Operator; a layer cannot change it", v1alpha1.RoleLabel)
			}
			v.addAll(kp, to.Item, validation.IsQualifiedName(to.Item))
			v.addAll(kp, value, validation.IsValidLabelValue(value))
		case "annotations":
			if to.Item == v1alpha1.LayersAnnotation {
				v.forbidden(kp, "sets the annotation %s, written by Strata itself; a layer cannot set it", v1alpha1.LayersAnnotation)
			}
			v.addAll(kp, to.Item, validation.IsQualifiedName(strings.ToLower(to.Item)))
		case "nodeSelector":
			v.addAll(kp, to.Item, validation.IsQualifiedName(to.Item))
			v.addAll(kp, value, validation.IsValidLabelValue(value))
		case "serviceAccountName", "schedulerName":
			v.objectName(kp, &value)
		case "env":
			v.addAll(kp, to.Item, validation.IsEnvVarName(to.Item))
			if to.FromSecret {
				env, ok := SecretKeyRefEnv(to.Item, value)
				if !ok {
					v.invalid(kp, value, "must be secret:key, a Secret's name and one of its keys, as Spark reads it")
					return
				}
				ref := env.ValueFrom.SecretKeyRef
				v.addAll(kp, ref.Name, validation.IsDNS1123Subdomain(ref.Name))
				v.addAll(kp, ref.Key, validation.IsConfigMapKey(ref.Key))
			}
		default:
			continue
		}
		return // the same setting for every role the block applies to
	}
}

// objectName checks an optional reference to a named object; "" is allowed
// and means "the cluster's default".
func (v *validator) objectName(p *field.Path, name *string) {
	if name == nil || *name == "" {
		return
	}
	v.addAll(p, *name, validation.IsDNS1123Subdomain(*name))
}

// toleration applies the rules the API server applies to a pod's tolerations,
// so a layer can never make a pod the API server would reject.
func (v *validator) toleration(p *field.Path, t *corev1.Toleration) {
	if t.Key != "" {
		v.addAll(p.Child("key"), t.Key, validation.IsQualifiedName(t.Key))
	}
	switch t.Operator {
	case corev1.TolerationOpEqual, "":
		if t.Key == "" {
			v.invalid(p.Child("operator"), t.Operator, "must be Exists when key is empty")
		}
		v.addAll(p.Child("value"), t.Value, validation.IsValidLabelValue(t.Value))
	case corev1.TolerationOpExists:
		if t.Value != "" {
			v.invalid(p.Child("value"), t.Value, "must be empty when operator is Exists")
		}
	default:
		v.errs = append(v.errs, field.NotSupported(p.Child("operator"), t.Operator,
			[]corev1.TolerationOperator{corev1.TolerationOpEqual, corev1.TolerationOpExists}))
	}
	v.effect(p.Child("effect"), t.Effect)
	if t.TolerationSeconds != nil && t.Effect != corev1.TaintEffectNoExecute {
		v.forbidden(p.Child("tolerationSeconds"), "may only be set with effect NoExecute")
	}
}

// effect checks a taint effect; empty means every effect.
func (v *validator) effect(p *field.Path, e corev1.TaintEffect) {
	switch e {
	case "", corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute:
	default:
		v.errs = append(v.errs, field.NotSupported(p, e, []corev1.TaintEffect{
			corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute, ""}))
	}
}

// ValidateTolerations applies to ts the rules the API server applies to a
// pod's tolerations, the rules a Layer's tolerations are held to: for
// tolerations read from elsewhere (the PodTolerationRestriction plugin's
// configuration), which a pod is given as they are.
func ValidateTolerations(p *field.Path, ts []corev1.Toleration) field.ErrorList {
	v := &validator{}
	for i := range ts {
		v.toleration(p.Index(i), &ts[i])
	}
	return v.errs
}
