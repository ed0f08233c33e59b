package sparkvalue

import (
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/api/resource"
)

// Setting is a Spark key Strata reads to size a SparkApplication.
type Setting struct {
	// Key is the setting's key.
	Key string
	// Kind is how Spark reads its value.
	Kind Kind
	// Alternates are the deprecated keys Spark reads, in order, when Key
	// is unset (SparkConf.configsWithAlternatives).
	Alternates []string
}

// Settings is every setting Strata reads, the roles' own for the driver
// and the executor each.
func Settings() []Setting {
	var out []Setting
	for _, r := range []string{"driver", "executor"} {
		out = append(out,
			Setting{Key: "spark." + r + ".cores", Kind: Count},
			Setting{Key: "spark.kubernetes." + r + ".request.cores", Kind: CPU},
			Setting{Key: "spark.kubernetes." + r + ".limit.cores", Kind: CPU},
			Setting{Key: "spark." + r + ".memory", Kind: MiB},
			Setting{Key: "spark." + r + ".memoryOverhead", Kind: MiB, Alternates: []string{"spark.yarn." + r + ".memoryOverhead"}},
			Setting{Key: "spark." + r + ".memoryOverheadFactor", Kind: Factor},
			// Spark 4's floor of the overhead a factor gives; earlier
			// Sparks ignore it and use 384 MiB.
			Setting{Key: "spark." + r + ".minMemoryOverhead", Kind: MiB},
		)
	}
	return append(out,
		Setting{Key: "spark.kubernetes.memoryOverheadFactor", Kind: Factor},
		Setting{Key: "spark.executor.instances", Kind: Count},
		Setting{Key: "spark.dynamicAllocation.enabled", Kind: Switch},
		Setting{Key: "spark.dynamicAllocation.initialExecutors", Kind: Count},
		Setting{Key: "spark.dynamicAllocation.minExecutors", Kind: Count},
		Setting{Key: "spark.dynamicAllocation.maxExecutors", Kind: Count},
		Setting{Key: "spark.dynamicAllocation.shuffleTracking.enabled", Kind: Switch},
		// An executor's memory also holds its off-heap memory, when
		// enabled, and a Python application's PySpark memory.
		Setting{Key: "spark.memory.offHeap.enabled", Kind: Switch, Alternates: []string{"spark.unsafe.offHeap"}},
		Setting{Key: "spark.memory.offHeap.size", Kind: Bytes},
		Setting{Key: "spark.executor.pyspark.memory", Kind: MiB},
	)
}

// kinds is the kind of every key Settings lists, alternates included.
var kinds = func() map[string]Kind {
	m := map[string]Kind{}
	for _, s := range Settings() {
		m[s.Key] = s.Kind
		for _, a := range s.Alternates {
			m[a] = s.Kind
		}
	}
	return m
}()

// alternates is each setting's Alternates.
var alternates = func() map[string][]string {
	m := map[string][]string{}
	for _, s := range Settings() {
		if len(s.Alternates) > 0 {
			m[s.Key] = slices.Clone(s.Alternates)
		}
	}
	return m
}()

// KindOf is how Spark reads key, one of Settings' keys or alternates;
// false when Strata does not read key.
func KindOf(key string) (Kind, bool) {
	k, ok := kinds[key]
	return k, ok
}

// Problem says what is wrong with value as Spark would read it for key,
// as a Layer validation message; "" when nothing is, or Strata does not
// read key.
func Problem(key, value string) string {
	k, ok := kinds[key]
	if !ok || check(value, k) == nil {
		return ""
	}
	return "must be " + k.want()
}

// Conf is a Spark configuration, read as Spark reads it.
type Conf map[string]string

// Lookup is the value Spark reads for key: key's own, else its first
// alternate set; from is the key it was read from.
func (c Conf) Lookup(key string) (value, from string, ok bool) {
	if v, ok := c[key]; ok {
		return v, key, true
	}
	for _, a := range alternates[key] {
		if v, ok := c[a]; ok {
			return v, a, true
		}
	}
	return "", "", false
}

// read looks key up and parses its value as kind k with parse; an error
// names the key it was read from and says what its value must be. A key
// Settings does not list as k is an error whether or not it is set.
func read[T any](c Conf, key string, k Kind, parse func(string) (T, error)) (T, bool, error) {
	var zero T
	if kinds[key] != k {
		return zero, false, fmt.Errorf("sparkvalue: %s is not a setting of kind %q", key, k.want())
	}
	v, from, ok := c.Lookup(key)
	if !ok {
		return zero, false, nil
	}
	t, err := parse(v)
	if err != nil {
		return zero, false, &Error{Key: from, Value: v, Kind: k}
	}
	return t, true, nil
}

// Count reads a Count setting; ok is false when it is unset.
func (c Conf) Count(key string) (n int64, ok bool, err error) {
	return read(c, key, Count, ParseCount)
}

// Switch reads a Switch setting; ok is false when it is unset.
func (c Conf) Switch(key string) (on, ok bool, err error) {
	return read(c, key, Switch, ParseSwitch)
}

// Size reads a MiB or Bytes setting in bytes; ok is false when it is
// unset.
func (c Conf) Size(key string) (bytes int64, ok bool, err error) {
	k := kinds[key]
	if k != Bytes {
		k = MiB
	}
	return read(c, key, k, func(s string) (int64, error) { return ParseSize(s, k) })
}

// Factor reads a Factor setting; ok is false when it is unset.
func (c Conf) Factor(key string) (f float64, ok bool, err error) {
	return read(c, key, Factor, ParseFactor)
}

// CPU reads a CPU setting; ok is false when it is unset.
func (c Conf) CPU(key string) (q resource.Quantity, ok bool, err error) {
	return read(c, key, CPU, ParseCPU)
}

// Error is a value Spark would not read as its setting's kind.
type Error struct {
	// Key is the key the value was read from.
	Key string
	// Value is the value as written.
	Value string
	// Kind is what it must be.
	Kind Kind
}

// Error says the key, the value and what it must be.
func (e *Error) Error() string {
	return fmt.Sprintf("%s: %q is not %s", e.Key, e.Value, e.Kind.want())
}
