package sparkv1beta2

import "strconv"

// The values the Spark Operator's defaulting webhook writes.
const (
	defaultRetryIntervalSeconds = 5
	defaultCores                = 1
	defaultMemory               = "1g"
	defaultInstances            = 1
)

// SetOperatorDefaults sets on app what the Spark Operator's defaulting
// webhook sets on every SparkApplication it admits that is new
// (SetSparkApplicationDefaults, api/v1beta2/defaults.go, in the release
// this mirror matches), so that what Strata judges offline is what its
// validating webhook sees after every mutating webhook in a cluster that
// runs the operator's (its chart's default):
//   - spec.type Scala and spec.mode cluster when unset;
//   - restartPolicy.type Never when unset, and with any other type each
//     retry interval 5 seconds when unset (the operator never retries
//     without one);
//   - a role's cores 1 and memory "1g" when neither the typed field nor
//     spark.<role>.cores or spark.<role>.memory gives them;
//   - executor.instances 1 when neither it nor spark.executor.instances
//     gives it and dynamic allocation is off, as the operator reads it:
//     spec.dynamicAllocation.enabled, else sparkConf's
//     "spark.dynamicallocation.enabled" in lower case, the operator's own
//     spelling (spark.dynamicAllocation.enabled does not switch it);
//   - dynamicAllocation.shuffleTrackingEnabled true when dynamic
//     allocation is on by spec.dynamicAllocation and it is unset.
func SetOperatorDefaults(app *SparkApplication) {
	s := &app.Spec
	if s.Type == "" {
		s.Type = "Scala"
	}
	if s.Mode == "" {
		s.Mode = "cluster"
	}
	if s.RestartPolicy == nil {
		s.RestartPolicy = &RestartPolicy{}
	}
	if rp := s.RestartPolicy; rp.Type == "" {
		rp.Type = "Never"
	}
	if rp := s.RestartPolicy; rp.Type != "Never" {
		if rp.OnFailureRetryInterval == nil {
			rp.OnFailureRetryInterval = ptr(int64(defaultRetryIntervalSeconds))
		}
		if rp.OnSubmissionFailureRetryInterval == nil {
			rp.OnSubmissionFailureRetryInterval = ptr(int64(defaultRetryIntervalSeconds))
		}
	}
	for _, role := range []string{"driver", "executor"} {
		sec := s.Pod(role)
		if _, ok := s.SparkConf["spark."+role+".cores"]; !ok && sec.Cores == nil {
			sec.Cores = ptr(int32(defaultCores))
		}
		if _, ok := s.SparkConf["spark."+role+".memory"]; !ok && sec.Memory == nil {
			sec.Memory = ptr(defaultMemory)
		}
	}
	dynamic := false
	if s.DynamicAllocation != nil {
		dynamic = s.DynamicAllocation.Enabled
	} else {
		dynamic, _ = strconv.ParseBool(s.SparkConf["spark.dynamicallocation.enabled"])
	}
	if s.Executor.Instances == nil && s.SparkConf["spark.executor.instances"] == "" && !dynamic {
		s.Executor.Instances = ptr(int32(defaultInstances))
	}
	if dynamic && s.DynamicAllocation != nil && s.DynamicAllocation.ShuffleTrackingEnabled == nil {
		s.DynamicAllocation.ShuffleTrackingEnabled = ptr(true)
	}
}

func ptr[T any](v T) *T { return &v }
