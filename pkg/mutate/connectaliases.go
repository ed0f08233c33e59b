package mutate

import (
	"slices"
	"strings"
	"sync"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1alpha1"
	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
)

// connectAlias is a typed SparkConnect field the operator passes as a
// Spark key after spec.sparkConf, so the typed field wins: the
// SparkApplication's alias of the same key (sparkAliases), read and
// written through the SparkApplication fields the SparkConnect's mirror
// (appView).
type connectAlias struct {
	key string
	// field is the typed field's path in a SparkConnect.
	field string
	alias sparkAlias
}

// connectAliasKeys are the keys a SparkConnect has a typed field of: the
// server's and executors' cores and memory, the executors' instances
// (driverConfOption, executorConfOption) and dynamic allocation
// (dynamicAllocationOption).
var connectAliasKeys = []string{
	"spark.driver.cores", "spark.driver.memory", "spark.executor.cores", "spark.executor.memory", "spark.executor.instances",
	"spark.dynamicAllocation.enabled", "spark.dynamicAllocation.initialExecutors", "spark.dynamicAllocation.minExecutors",
	"spark.dynamicAllocation.maxExecutors", "spark.dynamicAllocation.shuffleTracking.enabled", "spark.dynamicAllocation.shuffleTracking.timeout",
}

// connectAliases are the aliases of connectAliasKeys, in sparkAliases'
// order (dynamic allocation's enabled before the fields it gates). Built
// once and never changed.
var connectAliases = sync.OnceValue(func() []connectAlias {
	var out []connectAlias
	for _, a := range sparkAliases() {
		if slices.Contains(connectAliasKeys, a.key) && !a.keyWins {
			out = append(out, connectAlias{key: a.key, field: strings.Replace(a.field, "spec.driver.", "spec.server.", 1), alias: a})
		}
	}
	return out
})

// get is the typed value the operator passes, and whether it passes one.
func (a connectAlias) get(s *sparkv1alpha1.Spec) (string, bool) { return a.alias.get(appView(s)) }

// set writes v into the typed field; false when the field cannot hold it.
func (a connectAlias) set(s *sparkv1alpha1.Spec, v string) bool {
	view := appView(s)
	ok := a.alias.set(view, v)
	fromAppView(s, view)
	return ok
}

// clear unsets the typed field.
func (a connectAlias) clear(s *sparkv1alpha1.Spec) {
	view := appView(s)
	a.alias.clear(view)
	fromAppView(s, view)
}

// appView is s's typed fields as the SparkApplication fields of the same
// keys: the server's as the driver's. The dynamic allocation is shared.
func appView(s *sparkv1alpha1.Spec) *sparkv1beta2.Spec {
	v := &sparkv1beta2.Spec{DynamicAllocation: s.DynamicAllocation}
	v.Driver.Cores, v.Driver.Memory = s.Server.Cores, s.Server.Memory
	v.Executor.Cores, v.Executor.Memory, v.Executor.Instances = s.Executor.Cores, s.Executor.Memory, s.Executor.Instances
	return v
}

// fromAppView writes back what appView gave.
func fromAppView(s *sparkv1alpha1.Spec, v *sparkv1beta2.Spec) {
	s.DynamicAllocation = v.DynamicAllocation
	s.Server.Cores, s.Server.Memory = v.Driver.Cores, v.Driver.Memory
	s.Executor.Cores, s.Executor.Memory, s.Executor.Instances = v.Executor.Cores, v.Executor.Memory, v.Executor.Instances
}
