package overlay

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
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

// LayerWarnings are what the Layer webhook and the composer warn of in l,
// a valid Layer (ValidateLayer): a Spark key no job would get
// (IgnoredSparkKey), and a placement controller tenants may impersonate
// (PlacementWarnings, looked up with lookup and absent; none when lookup
// is nil). Warnings, not errors: the Layer does what it says, and a Layer
// a cluster holds already stays in force when Strata learns to warn of it.
func LayerWarnings(l *v1alpha1.Layer, lookup NamespaceLookup, absent string) []string {
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
	if lookup != nil {
		out = append(out, PlacementWarnings(l, lookup, absent)...)
	}
	return out
}

// LayerWarnings are LayerWarnings of each of in's Layers, the namespaces
// looked up among in's Namespaces, each warning led by the file (when
// known) and the Layer, as a LayerError names them.
func (in Inputs) LayerWarnings(absent string) []string {
	byName := make(map[string]*corev1.Namespace, len(in.Namespaces))
	for i := range in.Namespaces {
		byName[in.Namespaces[i].Name] = &in.Namespaces[i]
	}
	lookup := func(name string) (*corev1.Namespace, error) { return byName[name], nil }
	var out []string
	for _, src := range in.Layers {
		prefix := fmt.Sprintf("Layer %q: ", src.Layer.Name)
		if src.File != "" {
			prefix = src.File + ": " + prefix
		}
		for _, w := range LayerWarnings(&src.Layer, lookup, absent) {
			out = append(out, prefix+w)
		}
	}
	return out
}

// layerBlock is one block of settings of a Layer, with its path.
type layerBlock struct {
	path   *field.Path
	config *v1alpha1.Config
}

// layerBlocks are l's blocks in the order they compose: config, then the
// roles' (nil where l has none).
func layerBlocks(l *v1alpha1.Layer) []layerBlock {
	return []layerBlock{
		{field.NewPath("spec", "config"), l.Spec.Config},
		{field.NewPath("spec", "driver"), l.Spec.Driver},
		{field.NewPath("spec", "executor"), l.Spec.Executor},
	}
}
