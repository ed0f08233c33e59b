package mutate

import (
	"strings"
	"testing"

	"github.com/strata-dev/strata/pkg/mutate/sparkv1beta2"
	"github.com/strata-dev/strata/pkg/overlay"
	"github.com/strata-dev/strata/pkg/overlay/sparkvalue"
	"github.com/strata-dev/strata/pkg/overlay/v1alpha1"
)

func TestSizeOf(t *testing.T) {
	const gi, mi = int64(1) << 30, int64(1) << 20
	str := func(s string) *string { return &s }
	i32 := func(n int32) *int32 { return &n }
	tests := []struct {
		name      string
		spec      sparkv1beta2.Spec
		driver    PodSize
		executor  PodSize
		executors int64
		err       string
	}{
		{name: "defaults: 1 core, 1g and the 384 MiB least overhead, and Spark's 2 executors (an app without instances passed the operator's defaulting webhook without it)",
			driver: PodSize{1000, gi + 384*mi}, executor: PodSize{1000, gi + 384*mi}, executors: 2},
		{name: "JVM overhead is 10% of memory, in whole MiB as Spark counts it: (0.1 * 8192).toInt is 819, the pod's request 9011Mi", spec: sparkv1beta2.Spec{Executor: sparkv1beta2.ExecutorSpec{
			SparkPodSpec: sparkv1beta2.SparkPodSpec{Memory: str("8g"), Cores: i32(4)}, Instances: i32(10)}},
			driver: PodSize{1000, gi + 384*mi}, executor: PodSize{4000, 9011 * mi}, executors: 10},
		{name: "Python overhead is 40%", spec: sparkv1beta2.Spec{Type: "Python", SparkConf: map[string]string{"spark.executor.memory": "4g"}},
			driver: PodSize{1000, 1433 * mi}, executor: PodSize{1000, 5734 * mi}, executors: 2},
		{name: "explicit overhead, request cores over cores", spec: sparkv1beta2.Spec{SparkConf: map[string]string{
			"spark.driver.memoryOverhead": "1g", "spark.kubernetes.driver.request.cores": "500m", "spark.driver.cores": "2"}},
			driver: PodSize{500, 2 * gi}, executor: PodSize{1000, gi + 384*mi}, executors: 2},
		{name: "the overhead factor, spark.kubernetes.memoryOverheadFactor over spec.memoryOverheadFactor",
			spec:   sparkv1beta2.Spec{MemoryOverheadFactor: str("0.5"), SparkConf: map[string]string{"spark.kubernetes.memoryOverheadFactor": "0.25", "spark.executor.memory": "4096m"}},
			driver: PodSize{1000, gi + 384*mi}, executor: PodSize{1000, 5 * gi}, executors: 2},
		{name: "spec.memoryOverheadFactor alone", spec: sparkv1beta2.Spec{MemoryOverheadFactor: str("0.5"), SparkConf: map[string]string{"spark.executor.memory": "4096m"}},
			driver: PodSize{1000, gi + 512*mi}, executor: PodSize{1000, 6 * gi}, executors: 2},
		{name: "spec.memoryOverheadFactor not a factor", spec: sparkv1beta2.Spec{MemoryOverheadFactor: str("lots")},
			err: `spec.memoryOverheadFactor: "lots" is not a decimal number, at least 0`},
		{name: "dynamic allocation counts maxExecutors", spec: sparkv1beta2.Spec{DynamicAllocation: &sparkv1beta2.DynamicAllocation{Enabled: true, MaxExecutors: i32(40)},
			Executor: sparkv1beta2.ExecutorSpec{Instances: i32(2)}},
			driver: PodSize{1000, gi + 384*mi}, executor: PodSize{1000, gi + 384*mi}, executors: 40},
		{name: "dynamic allocation without a maximum is unbounded", spec: sparkv1beta2.Spec{SparkConf: map[string]string{"spark.dynamicAllocation.enabled": "true"}},
			driver: PodSize{1000, gi + 384*mi}, executor: PodSize{1000, gi + 384*mi}, executors: -1},
		{name: "a size too large to count is capped", spec: sparkv1beta2.Spec{SparkConf: map[string]string{"spark.executor.memory": "99999999p"}},
			driver: PodSize{1000, gi + 384*mi}, executor: PodSize{1000, 1 << 50}, executors: 2},
		{name: "not a size", spec: sparkv1beta2.Spec{SparkConf: map[string]string{"spark.executor.memory": "lots"}},
			err: `spark.executor.memory: "lots" is not a Spark memory size`},
		{name: "cores are a whole number: a huge exponent is refused like any fraction",
			spec: sparkv1beta2.Spec{SparkConf: map[string]string{"spark.executor.cores": "1e-999999999"}},
			err:  `spark.executor.cores: "1e-999999999" is not a whole number, at least 0`},
		{name: "a request of a huge exponent is not a CPU quantity, refused before it is parsed (it would take minutes to compare)",
			spec: sparkv1beta2.Spec{SparkConf: map[string]string{"spark.kubernetes.driver.request.cores": "1.5e999999999"}},
			err:  `spark.kubernetes.driver.request.cores: "1.5e999999999" is not a CPU quantity`},
		{name: "a request of a small exponent is counted, the largest count of cores capped",
			spec:   sparkv1beta2.Spec{SparkConf: map[string]string{"spark.kubernetes.executor.request.cores": "2.5e0", "spark.driver.cores": "2147483647"}},
			driver: PodSize{1 << 40, gi + 384*mi}, executor: PodSize{2500, gi + 384*mi}, executors: 2},
		{name: "cores beyond Java's int", spec: sparkv1beta2.Spec{SparkConf: map[string]string{"spark.driver.cores": "2147483648"}},
			err: `spark.driver.cores: "2147483648" is not a whole number, at least 0`},
		{name: "not a count", spec: sparkv1beta2.Spec{SparkConf: map[string]string{"spark.executor.instances": "-3"}},
			err: `spark.executor.instances: "-3" is not a whole number, at least 0`},
		{name: "counts are trimmed as Java trims them: control characters too",
			spec:   sparkv1beta2.Spec{SparkConf: map[string]string{"spark.executor.instances": "\x01\t 7 \n"}},
			driver: PodSize{1000, gi + 384*mi}, executor: PodSize{1000, gi + 384*mi}, executors: 7},
		{name: "but not a no-break space, which Spark refuses",
			spec: sparkv1beta2.Spec{SparkConf: map[string]string{"spark.executor.instances": "7\u00a0"}},
			err:  `spark.executor.instances: "7\u00a0" is not a whole number`},

		// Dynamic allocation is on as Spark reads the switch: true in any
		// case, trimmed. Read as off, such an app would be counted by
		// spark.executor.instances while Spark runs it without a bound.
		{name: "dynamic allocation switched on in capitals is unbounded",
			spec:   sparkv1beta2.Spec{SparkConf: map[string]string{"spark.dynamicAllocation.enabled": "TRUE", "spark.executor.instances": "1"}},
			driver: PodSize{1000, gi + 384*mi}, executor: PodSize{1000, gi + 384*mi}, executors: -1},
		{name: "dynamic allocation switched on with spaces counts maxExecutors",
			spec: sparkv1beta2.Spec{SparkConf: map[string]string{"spark.dynamicAllocation.enabled": " True\t",
				"spark.dynamicAllocation.maxExecutors": "50", "spark.executor.instances": "1"}},
			driver: PodSize{1000, gi + 384*mi}, executor: PodSize{1000, gi + 384*mi}, executors: 50},
		{name: "a switch Spark refuses", spec: sparkv1beta2.Spec{SparkConf: map[string]string{"spark.dynamicAllocation.enabled": "1"}},
			err: `spark.dynamicAllocation.enabled: "1" is not true or false`},
		{name: "dynamic allocation off in any case counts instances",
			spec:   sparkv1beta2.Spec{SparkConf: map[string]string{"spark.dynamicAllocation.enabled": "FALSE", "spark.executor.instances": "3"}},
			driver: PodSize{1000, gi + 384*mi}, executor: PodSize{1000, gi + 384*mi}, executors: 3},

		// Memory as Spark's ResourceProfile sums it.
		{name: "the YARN-era overhead key is Spark's alternate of memoryOverhead",
			spec:   sparkv1beta2.Spec{SparkConf: map[string]string{"spark.yarn.executor.memoryOverhead": "10g", "spark.yarn.driver.memoryOverhead": "2048"}},
			driver: PodSize{1000, 3 * gi}, executor: PodSize{1000, 11 * gi}, executors: 2},
		{name: "memoryOverhead wins over its alternate",
			spec:   sparkv1beta2.Spec{SparkConf: map[string]string{"spark.executor.memoryOverhead": "1g", "spark.yarn.executor.memoryOverhead": "10g"}},
			driver: PodSize{1000, gi + 384*mi}, executor: PodSize{1000, 2 * gi}, executors: 2},
		{name: "an alternate Spark refuses is named",
			spec: sparkv1beta2.Spec{SparkConf: map[string]string{"spark.yarn.executor.memoryOverhead": "ten"}},
			err:  `spark.yarn.executor.memoryOverhead: "ten" is not a Spark memory size`},
		{name: "off-heap memory, when enabled, is the executor's beside its heap; bytes when it has no unit",
			spec:   sparkv1beta2.Spec{SparkConf: map[string]string{"spark.memory.offHeap.enabled": "TRUE", "spark.memory.offHeap.size": "4294967296"}},
			driver: PodSize{1000, gi + 384*mi}, executor: PodSize{1000, 5*gi + 384*mi}, executors: 2},
		{name: "enabled by its alternate",
			spec:   sparkv1beta2.Spec{SparkConf: map[string]string{"spark.unsafe.offHeap": "true", "spark.memory.offHeap.size": "8g"}},
			driver: PodSize{1000, gi + 384*mi}, executor: PodSize{1000, 9*gi + 384*mi}, executors: 2},
		{name: "off-heap memory not enabled is not counted",
			spec:   sparkv1beta2.Spec{SparkConf: map[string]string{"spark.memory.offHeap.enabled": "false", "spark.unsafe.offHeap": "true", "spark.memory.offHeap.size": "8g"}},
			driver: PodSize{1000, gi + 384*mi}, executor: PodSize{1000, gi + 384*mi}, executors: 2},
		{name: "a Python application's executors hold PySpark memory",
			spec:   sparkv1beta2.Spec{Type: "Python", SparkConf: map[string]string{"spark.executor.pyspark.memory": "2g", "spark.executor.memory": "4g"}},
			driver: PodSize{1000, 1433 * mi}, executor: PodSize{1000, 7782 * mi}, executors: 2},
		{name: "an application is Python by its main file, whatever its type says, as spark-submit tells it",
			spec:   sparkv1beta2.Spec{Type: "Scala", MainApplicationFile: str("s3a://jobs/etl.py"), SparkConf: map[string]string{"spark.executor.pyspark.memory": "2g", "spark.executor.memory": "4g"}},
			driver: PodSize{1000, 1433 * mi}, executor: PodSize{1000, 7782 * mi}, executors: 2},
		{name: "and R by its file too: the non-JVM overhead factor",
			spec:   sparkv1beta2.Spec{Type: "Scala", MainApplicationFile: str("local:///opt/report.R"), SparkConf: map[string]string{"spark.executor.memory": "4g"}},
			driver: PodSize{1000, 1433 * mi}, executor: PodSize{1000, 5734 * mi}, executors: 2},
		{name: "a JVM application's do not",
			spec:   sparkv1beta2.Spec{Type: "Scala", SparkConf: map[string]string{"spark.executor.pyspark.memory": "2g"}},
			driver: PodSize{1000, gi + 384*mi}, executor: PodSize{1000, gi + 384*mi}, executors: 2},
		{name: "Spark 4's minMemoryOverhead raises the floor of the overhead",
			spec:   sparkv1beta2.Spec{SparkConf: map[string]string{"spark.driver.minMemoryOverhead": "2g", "spark.executor.minMemoryOverhead": "100g", "spark.executor.memoryOverheadFactor": "0.5"}},
			driver: PodSize{1000, 3 * gi}, executor: PodSize{1000, 101 * gi}, executors: 2},
		{name: "an explicit overhead wins over the floor",
			spec:   sparkv1beta2.Spec{SparkConf: map[string]string{"spark.executor.minMemoryOverhead": "100g", "spark.executor.memoryOverhead": "1g"}},
			driver: PodSize{1000, gi + 384*mi}, executor: PodSize{1000, 2 * gi}, executors: 2},
		// Spark counts memory in whole MiB: what is below a MiB is dropped
		// from each setting, and from the factor's product (Double.toInt).
		{name: "a size below a whole MiB is dropped, as Spark reads a MiB setting",
			spec:   sparkv1beta2.Spec{SparkConf: map[string]string{"spark.executor.memory": "1500k", "spark.driver.memory": "2047999999b"}},
			driver: PodSize{1000, 1953*mi + 384*mi}, executor: PodSize{1000, 385 * mi}, executors: 2},
		{name: "the factor's product truncated as a double: 0.29 * 100 is 28.999999999999996, so 28 MiB",
			spec:   sparkv1beta2.Spec{SparkConf: map[string]string{"spark.executor.memory": "100m", "spark.executor.memoryOverheadFactor": "0.29", "spark.executor.minMemoryOverhead": "0"}},
			driver: PodSize{1000, gi + 384*mi}, executor: PodSize{1000, 128 * mi}, executors: 2},
		{name: "off-heap bytes counted in whole MiB (10^9 bytes is 953 MiB)",
			spec:   sparkv1beta2.Spec{SparkConf: map[string]string{"spark.memory.offHeap.enabled": "true", "spark.memory.offHeap.size": "1000000000"}},
			driver: PodSize{1000, gi + 384*mi}, executor: PodSize{1000, gi + 384*mi + 953*mi}, executors: 2},
		{name: "a factor too large for Java's int gives its largest overhead, capped at what Strata counts",
			spec:   sparkv1beta2.Spec{SparkConf: map[string]string{"spark.driver.memoryOverheadFactor": "1e300", "spark.executor.memoryOverheadFactor": "1000", "spark.executor.memory": "4g"}},
			driver: PodSize{1000, 1 << 50}, executor: PodSize{1000, (4096 + 4096000) * mi}, executors: 2},
		{name: "every part is capped at what Strata counts",
			spec: sparkv1beta2.Spec{Type: "python", SparkConf: map[string]string{"spark.memory.offHeap.enabled": "true", "spark.memory.offHeap.size": "9223372036854775807",
				"spark.executor.pyspark.memory": "8000000000000000p", "spark.executor.minMemoryOverhead": "99999999999p"}},
			driver: PodSize{1000, 1433 * mi}, executor: PodSize{1000, 1 << 50}, executors: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SizeOf(&tc.spec)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Driver != tc.driver || got.Executor != tc.executor || got.Executors != tc.executors {
				t.Errorf("got driver %+v executor %+v executors %d; want %+v %+v %d", got.Driver, got.Executor, got.Executors, tc.driver, tc.executor, tc.executors)
			}
		})
	}
}

// TestSizingKeysAreReadFromTheirRole: every setting SizeOf reads is read
// from the composition of the role it sizes, so a layer for executors
// governs their off-heap memory and their overhead in either spelling.
// The overhead factor of spark.kubernetes.memoryOverheadFactor is the
// job's, the driver's to give.
func TestSizingKeysAreReadFromTheirRole(t *testing.T) {
	for _, s := range sparkvalue.Settings() {
		for _, k := range append([]string{s.Key}, s.Alternates...) {
			want := v1alpha1.RoleExecutor
			if strings.Contains(k, ".driver.") || k == "spark.kubernetes.memoryOverheadFactor" {
				want = v1alpha1.RoleDriver
			}
			if got := overlay.SparkKeyRole(k); got != want {
				t.Errorf("%s is read from the %s composition, want the %s", k, got, want)
			}
		}
	}
}
