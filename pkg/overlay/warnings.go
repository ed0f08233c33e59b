package overlay

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// IgnoredSparkKey says why spark-submit ignores key, a key of a Spark
// configuration, or "" when it does not. spark-submit drops every property
// whose key does not start with "spark.", from --conf (where the Spark
// Operator passes a SparkApplication's sparkConf) and from a properties
// file alike, with no more than a line in its log
// (SparkSubmitArguments.ignoreNonSparkProperties): such a key reaches
// neither the job nor its pods.
func IgnoredSparkKey(key string) string {
	if strings.HasPrefix(key, "spark.") {
		return ""
	}
	return `spark-submit ignores keys that do not start with "spark." (a Hadoop setting is hadoopConf's, or spark.hadoop.<key>)`
}

// ClusterLookup finds the cluster's objects a Layer names, for its
// warnings; a nil lookup finds nothing, and the warnings that need it are
// not given.
type ClusterLookup struct {
	Namespace    NamespaceLookup
	RuntimeClass RuntimeClassLookup
}

// LayerWarnings are what the Layer webhook and the composer warn of in l,
// a valid Layer (ValidateLayer): a Spark key no job would get
// (IgnoredSparkKey), a role's block of a role the Layer does not match
// (UnmatchedRoleWarnings), a job setting in the block of a role it is
// not read from (OtherRoleKeyWarnings), a placement controller tenants
// may impersonate
// (PlacementWarnings), and a RuntimeClass that does not exist
// (RuntimeClassWarnings), looked up with lookup, and a mount of a volume
// the Layer does not give (MountWarnings); absent says how an object
// it does not find was looked for. Warnings, not errors: the Layer does
// what it says, and a Layer a cluster holds already stays in force when
// Strata learns to warn of it.
func LayerWarnings(l *v1alpha1.Layer, lookup ClusterLookup, absent string) []string {
	var out []string
	for _, block := range layerBlocks(l) {
		if block.config == nil {
			continue
		}
		for _, k := range sortedKeys(block.config.SparkConf) {
			if why := IgnoredSparkKey(k); why != "" {
				out = append(out, fmt.Sprintf("%s: %s", block.path.Child("sparkConf").Key(k), why))
			}
		}
	}
	out = append(out, UnmatchedRoleWarnings(l)...)
	out = append(out, OtherRoleKeyWarnings(l)...)
	out = append(out, MountWarnings(l)...)
	if lookup.Namespace != nil {
		out = append(out, PlacementWarnings(l, lookup.Namespace, absent)...)
	}
	if lookup.RuntimeClass != nil {
		out = append(out, RuntimeClassWarnings(l, lookup.RuntimeClass, absent)...)
	}
	return out
}

// RuntimeClassLookup finds a RuntimeClass by name: nil and no error when
// there is none.
type RuntimeClassLookup func(name string) (*nodev1.RuntimeClass, error)

// RuntimeClassWarnings warns of each runtimeClassName of l that lookup
// does not find (absent says how it was looked for): the webhook refuses
// every pod the Layer gives a class that does not exist, as the API
// server's RuntimeClass plugin would. A warning, not an error: a GitOps
// sync may apply the Layer a moment before the class.
func RuntimeClassWarnings(l *v1alpha1.Layer, lookup RuntimeClassLookup, absent string) []string {
	var out []string
	for _, block := range layerBlocks(l) {
		if block.config == nil || block.config.RuntimeClassName == nil || *block.config.RuntimeClassName == "" {
			continue
		}
		name, at := *block.config.RuntimeClassName, block.path.Child("runtimeClassName")
		switch rc, err := lookup(name); {
		case err != nil:
			out = append(out, fmt.Sprintf("%s: cannot read RuntimeClass %q to tell whether it exists: %v", at, name, err))
		case rc == nil:
			out = append(out, fmt.Sprintf("%s: RuntimeClass %q %s: the webhook refuses every pod this Layer gives a class that does not exist", at, name, absent))
		}
	}
	return out
}

// LayerWarnings are LayerWarnings of each of in's Layers, the namespaces
// and RuntimeClasses looked up among in's, each warning led by the file (when
// known) and the Layer, as a LayerError names them.
func (in Inputs) LayerWarnings(absent string) []string {
	byName := make(map[string]*corev1.Namespace, len(in.Namespaces))
	for i := range in.Namespaces {
		byName[in.Namespaces[i].Name] = &in.Namespaces[i]
	}
	classes := make(map[string]*nodev1.RuntimeClass, len(in.RuntimeClasses))
	for i := range in.RuntimeClasses {
		classes[in.RuntimeClasses[i].Name] = &in.RuntimeClasses[i]
	}
	lookup := ClusterLookup{
		Namespace:    func(name string) (*corev1.Namespace, error) { return byName[name], nil },
		RuntimeClass: func(name string) (*nodev1.RuntimeClass, error) { return classes[name], nil },
	}
	var out []string
	for _, src := range in.Layers {
		prefix := src.Describe()
		for _, w := range LayerWarnings(&src.Layer, lookup, absent) {
			out = append(out, prefix+w)
		}
	}
	return out
}

// layerBlock is one block of settings of a Layer, with its path and the
// role it is for ("" for config, every role's).
type layerBlock struct {
	path   *field.Path
	config *v1alpha1.Config
	role   v1alpha1.Role
}

// layerBlocks are l's blocks in the order they compose: config, then the
// roles' (nil where l has none).
func layerBlocks(l *v1alpha1.Layer) []layerBlock {
	return []layerBlock{
		{field.NewPath("spec", "config"), l.Spec.Config, ""},
		{field.NewPath("spec", "driver"), l.Spec.Driver, v1alpha1.RoleDriver},
		{field.NewPath("spec", "executor"), l.Spec.Executor, v1alpha1.RoleExecutor},
	}
}

// UnmatchedRoleWarnings warns of a role's block of l (spec.driver,
// spec.executor) that sets something while l's match.roles leaves that
// role out: no pod ever gets those settings. A warning, not an error: a
// Layer a cluster already holds keeps composing what it matches.
func UnmatchedRoleWarnings(l *v1alpha1.Layer) []string {
	if len(l.Spec.Match.Roles) == 0 {
		return nil
	}
	var out []string
	for _, b := range layerBlocks(l) {
		if b.role == "" || b.config == nil || reflect.ValueOf(*b.config).IsZero() || slices.Contains(l.Spec.Match.Roles, b.role) {
			continue
		}
		out = append(out, fmt.Sprintf("%s: spec.match.roles %v leaves out %s pods, so no pod gets these settings; set them where the Layer matches, or add %q to spec.match.roles",
			b.path, l.Spec.Match.Roles, b.role, b.role))
	}
	return out
}

// OtherRoleKeyWarnings warns of each setting of the job in a role's block
// of l that the job never reads from that role's composition, so that it
// applies to nothing: in the driver's block, a Spark key of the
// executors (SparkKeyRole: spark.executor.*, spark.dynamicAllocation.*,
// ...); in the executors', a Spark key of the driver's, which holds the
// job's configuration (spark.sql.*, spark.eventLog.*, ...), and any Hadoop
// setting. A Spark key that is a pod setting of the block's role
// (SparkConfTarget: a label, an env var, a node selector) applies to its
// pods and is not warned of. A warning, not an error: a Layer a cluster
// already holds keeps composing what it gives.
func OtherRoleKeyWarnings(l *v1alpha1.Layer) []string {
	var out []string
	for _, b := range layerBlocks(l) {
		if b.role == "" || b.config == nil {
			continue
		}
		p := b.path
		owner, from := v1alpha1.RoleExecutor, "the executors' composition"
		if b.role == v1alpha1.RoleExecutor {
			owner, from = v1alpha1.RoleDriver, "the driver's composition, which holds the job's configuration"
		}
		warn := func(p *field.Path, what string) {
			out = append(out, fmt.Sprintf("%s: the job reads %s from %s, so the %s block's value applies to nothing; set it in config or %s",
				p, what, from, b.role, owner))
		}
		for _, k := range sortedKeys(b.config.SparkConf) {
			t := SparkConfTarget(b.role, k)
			if t.Field == "sparkConf" && SparkKeyRole(t.Item) != b.role || t.Field == "hadoopConf" && b.role != v1alpha1.RoleDriver {
				warn(p.Child("sparkConf").Key(k), "this key")
			}
		}
		if b.role != v1alpha1.RoleDriver {
			for _, k := range sortedKeys(b.config.HadoopConf) {
				warn(p.Child("hadoopConf").Key(k), "its Hadoop configuration")
			}
		}
		// The Services and Ingresses the operator creates for an
		// application are judged with the application as a whole, on its
		// executors' policy input: the pods themselves have none.
		if iso := b.config.Isolation; iso != nil && b.role == v1alpha1.RoleDriver {
			if iso.AllowedServiceTypes != nil {
				warn(p.Child("isolation", "allowedServiceTypes"), "the rule on the Services the operator creates for it")
			}
			if iso.AllowedIngressHosts != nil {
				warn(p.Child("isolation", "allowedIngressHosts"), "the rule on the Ingresses the operator creates for it")
			}
		}
	}
	return out
}

// EnforcementWarnings warns of each policy l's enforcement names (in any
// block) that is not among policies, those loaded: the setting applies to
// nothing, as a misspelt name would. A warning, not an error: a GitOps sync
// may apply the Layer a moment before the site's policy it configures.
func EnforcementWarnings(l *v1alpha1.Layer, policies []string) []string {
	var out []string
	for _, block := range layerBlocks(l) {
		if block.config == nil {
			continue
		}
		for _, name := range sortedKeys(block.config.Enforcement) {
			if !slices.Contains(policies, name) {
				out = append(out, fmt.Sprintf("%s: no policy named %q is loaded (%s), so this applies to nothing",
					block.path.Child("enforcement").Key(name), name, strings.Join(policies, ", ")))
			}
		}
	}
	return out
}

// EnforcementWarnings are EnforcementWarnings of each of in's Layers, led
// by the file (when known) and the Layer, as LayerWarnings are.
func (in Inputs) EnforcementWarnings(policies []string) []string {
	var out []string
	for _, src := range in.Layers {
		prefix := src.Describe()
		for _, w := range EnforcementWarnings(&src.Layer, policies) {
			out = append(out, prefix+w)
		}
	}
	return out
}

// sparkVolumePrefix begins the names of the volumes Spark gives the pods
// it builds (spark-local-dir-1, spark-conf-volume-driver, ...), which a
// layer may mount without giving them.
const sparkVolumePrefix = "spark-"

// MountWarnings warns of each mount l gives (its volumeMounts, its
// sidecars' and init containers') of a volume that none of its blocks
// gives and that is not Spark's own (sparkVolumePrefix): a pod that lacks
// it is one the API server refuses as invalid, so the webhook refuses it,
// naming the layer. A warning, not an error: the pods the Layer matches
// may all have it (a volume of their pod template, or another layer's).
func MountWarnings(l *v1alpha1.Layer) []string {
	given := map[string]bool{}
	for _, block := range layerBlocks(l) {
		if block.config != nil {
			for i := range block.config.Volumes {
				given[block.config.Volumes[i].Name] = true
			}
		}
	}
	var out []string
	warn := func(p *field.Path, m *corev1.VolumeMount) {
		if !given[m.Name] && !strings.HasPrefix(m.Name, sparkVolumePrefix) {
			out = append(out, fmt.Sprintf("%s: mounts volume %q, which this Layer does not give: a pod it matches that does not have it is refused (the API server would refuse it as invalid)", p, m.Name))
		}
	}
	for _, block := range layerBlocks(l) {
		c := block.config
		if c == nil {
			continue
		}
		for i := range c.VolumeMounts {
			warn(block.path.Child("volumeMounts").Index(i), &c.VolumeMounts[i])
		}
		for _, list := range []struct {
			name       string
			containers []corev1.Container
		}{{"sidecars", c.Sidecars}, {"initContainers", c.InitContainers}} {
			for i := range list.containers {
				for j := range list.containers[i].VolumeMounts {
					warn(block.path.Child(list.name).Index(i).Child("volumeMounts").Index(j), &list.containers[i].VolumeMounts[j])
				}
			}
		}
	}
	return out
}
