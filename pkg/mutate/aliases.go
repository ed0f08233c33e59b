package mutate

import (
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay/sparkvalue"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

// sparkAlias is a typed SparkApplication field the Spark Operator turns
// into a Spark key on the spark-submit line, after spec.sparkConf: the
// typed field wins. The two spellings are one setting; composition knows
// it by its key.
type sparkAlias struct {
	// key is the Spark key.
	key string
	// role is the composition the setting is read from: the driver's,
	// or the executors' for what sizes or counts executors.
	role v1alpha1.Role
	// field is the typed field's path, as explain shows it.
	field string
	// get is the typed value as the operator passes it to spark-submit;
	// false when it passes none (unset, or dynamic allocation disabled).
	get func(s *sparkv1beta2.Spec) (string, bool)
	// set writes v into the typed field; false when it cannot be written
	// there (not a number, dynamic allocation off): then it stays a key.
	set func(s *sparkv1beta2.Spec, v string) bool
	// clear unsets the typed field.
	clear func(s *sparkv1beta2.Spec)
	// keyWins is a typed field the operator passes before sparkConf: the
	// key, when set, wins over it.
	keyWins bool
}

// user is the user's value of the setting in s, in the spelling that
// wins, and whether the user set it.
func (a sparkAlias) user(s *sparkv1beta2.Spec) (string, bool) {
	if a.keyWins {
		if v, ok := s.SparkConf[a.key]; ok {
			return v, true
		}
		return a.get(s)
	}
	if v, ok := a.get(s); ok {
		return v, true
	}
	v, ok := s.SparkConf[a.key]
	return v, ok
}

// typedWins reports whether the setting runs with the typed field's
// value in s: it is set, and the key is not set where the key wins.
func (a sparkAlias) typedWins(s *sparkv1beta2.Spec) bool {
	if _, ok := a.get(s); !ok {
		return false
	}
	_, key := s.SparkConf[a.key]
	return !a.keyWins || !key
}

// sparkAliases are every typed field of a SparkApplication that is a
// Spark key, in the order they are written back (dynamic allocation's
// enabled before the fields it gates). Built once and never changed: each
// alias reads and writes only the Spec it is handed, and composing one
// application walks the table a dozen times.
var sparkAliases = sync.OnceValue(newSparkAliases)

// newSparkAliases builds the table sparkAliases holds.
func newSparkAliases() []sparkAlias {
	var out []sparkAlias
	for _, role := range []v1alpha1.Role{v1alpha1.RoleDriver, v1alpha1.RoleExecutor} {
		r := string(role)
		pod := func(s *sparkv1beta2.Spec) *sparkv1beta2.SparkPodSpec { return s.Pod(r) }
		out = append(out,
			sparkAlias{key: "spark." + r + ".cores", role: role, field: "spec." + r + ".cores",
				get:   func(s *sparkv1beta2.Spec) (string, bool) { return intText(pod(s).Cores) },
				set:   func(s *sparkv1beta2.Spec, v string) bool { return setInt32(&pod(s).Cores, v) },
				clear: func(s *sparkv1beta2.Spec) { pod(s).Cores = nil }},
			stringAlias("spark.kubernetes."+r+".request.cores", role, "spec."+r+".coreRequest", func(s *sparkv1beta2.Spec) **string { return &pod(s).CoreRequest }),
			stringAlias("spark.kubernetes."+r+".limit.cores", role, "spec."+r+".coreLimit", func(s *sparkv1beta2.Spec) **string { return &pod(s).CoreLimit }),
			stringAlias("spark."+r+".memory", role, "spec."+r+".memory", func(s *sparkv1beta2.Spec) **string { return &pod(s).Memory }),
			stringAlias("spark."+r+".memoryOverhead", role, "spec."+r+".memoryOverhead", func(s *sparkv1beta2.Spec) **string { return &pod(s).MemoryOverhead }),
			stringAlias("spark."+r+".extraJavaOptions", role, "spec."+r+".javaOptions", func(s *sparkv1beta2.Spec) **string { return &pod(s).JavaOptions }),
			// The role's image is its own, else spec.image; the operator
			// passes neither when it is empty.
			sparkAlias{key: "spark.kubernetes." + r + ".container.image", role: role, field: "spec." + r + ".image",
				get: func(s *sparkv1beta2.Spec) (string, bool) {
					if img := pod(s).Image; img != nil && *img != "" {
						return *img, true
					}
					return passedImage(s.Image)
				},
				set:   func(s *sparkv1beta2.Spec, v string) bool { pod(s).Image = &v; return true },
				clear: func(s *sparkv1beta2.Spec) { pod(s).Image = nil }},
		)
	}
	out = append(out, stringAlias("spark.kubernetes.driver.master", v1alpha1.RoleDriver, "spec.driver.kubernetesMaster",
		func(s *sparkv1beta2.Spec) **string { return &s.Driver.KubernetesMaster }), metricsConfAlias())
	// spark-submit's dependency flags, which the operator passes from
	// spec.deps, win over their keys.
	for _, d := range []struct {
		key, field string
		at         func(d *sparkv1beta2.Dependencies) *[]string
	}{
		{"spark.jars", "jars", func(d *sparkv1beta2.Dependencies) *[]string { return &d.Jars }},
		{"spark.files", "files", func(d *sparkv1beta2.Dependencies) *[]string { return &d.Files }},
		{"spark.submit.pyFiles", "pyFiles", func(d *sparkv1beta2.Dependencies) *[]string { return &d.PyFiles }},
		{"spark.archives", "archives", func(d *sparkv1beta2.Dependencies) *[]string { return &d.Archives }},
		{"spark.jars.packages", "packages", func(d *sparkv1beta2.Dependencies) *[]string { return &d.Packages }},
		{"spark.jars.excludes", "excludePackages", func(d *sparkv1beta2.Dependencies) *[]string { return &d.ExcludePackages }},
		{"spark.jars.repositories", "repositories", func(d *sparkv1beta2.Dependencies) *[]string { return &d.Repositories }},
	} {
		out = append(out, listAlias(d.key, v1alpha1.RoleDriver, "spec.deps."+d.field,
			func(s *sparkv1beta2.Spec) *[]string { return d.at(&s.Deps) }))
	}
	executors := v1alpha1.RoleExecutor
	da := func(s *sparkv1beta2.Spec) (*sparkv1beta2.DynamicAllocation, bool) {
		return s.DynamicAllocation, s.DynamicAllocation != nil && s.DynamicAllocation.Enabled
	}
	daCount := func(name string, at func(*sparkv1beta2.DynamicAllocation) **int32) sparkAlias {
		return sparkAlias{key: "spark.dynamicAllocation." + name, role: executors, field: "spec.dynamicAllocation." + name,
			get: func(s *sparkv1beta2.Spec) (string, bool) {
				if d, on := da(s); on {
					return intText(*at(d))
				}
				return "", false
			},
			set: func(s *sparkv1beta2.Spec, v string) bool {
				d, on := da(s)
				return on && setInt32(at(d), v)
			},
			clear: func(s *sparkv1beta2.Spec) {
				if s.DynamicAllocation != nil {
					*at(s.DynamicAllocation) = nil
				}
			}}
	}
	// What the operator passes before sparkConf: there the key wins.
	for _, a := range []sparkAlias{
		stringAlias("spark.kubernetes.memoryOverheadFactor", v1alpha1.RoleDriver, "spec.memoryOverheadFactor",
			func(s *sparkv1beta2.Spec) **string { return &s.MemoryOverheadFactor }),
		stringAlias("spark.kubernetes.container.image.pullPolicy", v1alpha1.RoleDriver, "spec.imagePullPolicy",
			func(s *sparkv1beta2.Spec) **string { return &s.ImagePullPolicy }),
		stringAlias("spark.kubernetes.pyspark.pythonVersion", v1alpha1.RoleDriver, "spec.pythonVersion",
			func(s *sparkv1beta2.Spec) **string { return &s.PythonVersion }),
		listAlias("spark.kubernetes.container.image.pullSecrets", v1alpha1.RoleDriver, "spec.imagePullSecrets",
			func(s *sparkv1beta2.Spec) *[]string { return &s.ImagePullSecrets }),
	} {
		a.keyWins = true
		out = append(out, a)
	}
	out = append(out,
		sparkAlias{key: "spark.kubernetes.executor.deleteOnTermination", role: executors, field: "spec.executor.deleteOnTermination",
			get: func(s *sparkv1beta2.Spec) (string, bool) {
				if d := s.Executor.DeleteOnTermination; d != nil {
					return strconv.FormatBool(*d), true
				}
				return "", false
			},
			set: func(s *sparkv1beta2.Spec, v string) bool {
				b, err := strconv.ParseBool(v) // what the operator's field holds: true or false
				if err != nil || strconv.FormatBool(b) != v {
					return false
				}
				s.Executor.DeleteOnTermination = &b
				return true
			},
			clear: func(s *sparkv1beta2.Spec) { s.Executor.DeleteOnTermination = nil }},
		sparkAlias{key: "spark.executor.instances", role: executors, field: "spec.executor.instances",
			get:   func(s *sparkv1beta2.Spec) (string, bool) { return intText(s.Executor.Instances) },
			set:   func(s *sparkv1beta2.Spec, v string) bool { return setInt32(&s.Executor.Instances, v) },
			clear: func(s *sparkv1beta2.Spec) { s.Executor.Instances = nil }},
		// The operator passes dynamic allocation only when it is enabled,
		// and then always passes shuffleTracking.enabled (true unless set).
		sparkAlias{key: "spark.dynamicAllocation.enabled", role: executors, field: "spec.dynamicAllocation.enabled",
			get: func(s *sparkv1beta2.Spec) (string, bool) {
				if _, on := da(s); on {
					return "true", true
				}
				return "", false
			},
			set: func(s *sparkv1beta2.Spec, v string) bool {
				on, err := sparkvalue.ParseSwitch(v)
				if err != nil || !on {
					return false
				}
				if s.DynamicAllocation == nil {
					s.DynamicAllocation = &sparkv1beta2.DynamicAllocation{}
				}
				s.DynamicAllocation.Enabled = true
				return true
			},
			clear: func(s *sparkv1beta2.Spec) {
				if s.DynamicAllocation != nil {
					s.DynamicAllocation.Enabled = false
				}
			}},
		daCount("initialExecutors", func(d *sparkv1beta2.DynamicAllocation) **int32 { return &d.InitialExecutors }),
		daCount("minExecutors", func(d *sparkv1beta2.DynamicAllocation) **int32 { return &d.MinExecutors }),
		daCount("maxExecutors", func(d *sparkv1beta2.DynamicAllocation) **int32 { return &d.MaxExecutors }),
		sparkAlias{key: "spark.dynamicAllocation.shuffleTracking.enabled", role: executors, field: "spec.dynamicAllocation.shuffleTrackingEnabled",
			get: func(s *sparkv1beta2.Spec) (string, bool) {
				d, on := da(s)
				if !on {
					return "", false
				}
				if d.ShuffleTrackingEnabled == nil {
					return "true", true
				}
				return strconv.FormatBool(*d.ShuffleTrackingEnabled), true
			},
			set: func(s *sparkv1beta2.Spec, v string) bool {
				d, on := da(s)
				b, err := sparkvalue.ParseSwitch(v)
				if !on || err != nil {
					return false
				}
				d.ShuffleTrackingEnabled = &b
				return true
			},
			clear: func(s *sparkv1beta2.Spec) {
				if s.DynamicAllocation != nil {
					s.DynamicAllocation.ShuffleTrackingEnabled = nil
				}
			}},
		sparkAlias{key: "spark.dynamicAllocation.shuffleTracking.timeout", role: executors, field: "spec.dynamicAllocation.shuffleTrackingTimeout",
			get: func(s *sparkv1beta2.Spec) (string, bool) {
				d, on := da(s)
				if !on || d.ShuffleTrackingTimeout == nil {
					return "", false
				}
				return strconv.FormatInt(*d.ShuffleTrackingTimeout, 10), true
			},
			set: func(s *sparkv1beta2.Spec, v string) bool {
				d, on := da(s)
				// Milliseconds, Spark's unit for a bare number.
				ms, err := strconv.ParseInt(strings.TrimSuffix(v, "ms"), 10, 64)
				if !on || err != nil || ms < 0 {
					return false
				}
				d.ShuffleTrackingTimeout = &ms
				return true
			},
			clear: func(s *sparkv1beta2.Spec) {
				if s.DynamicAllocation != nil {
					s.DynamicAllocation.ShuffleTrackingTimeout = nil
				}
			}},
	)
	return out
}

// stringAlias is an alias whose typed field is a string.
func stringAlias(key string, role v1alpha1.Role, field string, at func(*sparkv1beta2.Spec) **string) sparkAlias {
	return sparkAlias{key: key, role: role, field: field,
		get:   func(s *sparkv1beta2.Spec) (string, bool) { return textOf(*at(s)) },
		set:   func(s *sparkv1beta2.Spec, v string) bool { *at(s) = &v; return true },
		clear: func(s *sparkv1beta2.Spec) { *at(s) = nil }}
}

// listAlias is an alias whose typed field is a list the operator passes
// joined by commas, and only when it is not empty.
func listAlias(key string, role v1alpha1.Role, field string, at func(*sparkv1beta2.Spec) *[]string) sparkAlias {
	return sparkAlias{key: key, role: role, field: field,
		get: func(s *sparkv1beta2.Spec) (string, bool) {
			if l := *at(s); len(l) > 0 {
				return strings.Join(l, ","), true // as the operator joins it
			}
			return "", false
		},
		// A list the key's value is, entry by entry, as written: a value
		// the list would not give back stays a key.
		set: func(s *sparkv1beta2.Spec, v string) bool {
			l := strings.Split(v, ",")
			if v == "" || slices.Contains(l, "") {
				return false
			}
			*at(s) = l
			return true
		},
		clear: func(s *sparkv1beta2.Spec) { *at(s) = nil }}
}

func textOf(p *string) (string, bool) {
	if p == nil {
		return "", false
	}
	return *p, true
}

// passedImage is *p, false when p is nil or empty: an image the operator
// passes to spark-submit only when it is not empty.
func passedImage(p *string) (string, bool) {
	if p == nil || *p == "" {
		return "", false
	}
	return *p, true
}

func intText(p *int32) (string, bool) {
	if p == nil {
		return "", false
	}
	return strconv.Itoa(int(*p)), true
}

// setInt32 writes v when it is a non-negative int32.
func setInt32(dst **int32, v string) bool {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
	if err != nil || n < 0 {
		return false
	}
	i := int32(n)
	*dst = &i
	return true
}
